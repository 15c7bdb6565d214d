"""The mastering pipeline: one render of a stream, and the measure-process-correct loop.

A render runs, block by block::

    source -> gain -> [glue compressor] -> [resample (soxr)] -> [limiter] -> [TPDF dither] -> meter + sink

in three threads (:mod:`mezzo.prefetch`): reading; gain, glue, resampling and the limiter; the
rest (dither, meters, the sink) — so the stages run on two cores at once.

The limiter runs at the output rate (after resampling), so resampling cannot push
peaks back over the ceiling; dither comes last, so the meter sees exactly the
samples the file will hold. Every render measures its own output (BS.1770-4
loudness and true peak, :class:`~mezzo.meters.loudness.LoudnessMeter`), and
:func:`solve` repeats renders until the output lands on the target and under
the ceiling. Memory is bounded by the block size (the meter keeps histograms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from mezzo.before_after import GainStats
from mezzo.mastering.album import album_loudness
from mezzo.mastering.dither import Quantizer
from mezzo.mastering.forecast import GroupFeatures, LoudnessForecast, first_gain, forecast_gain, tap
from mezzo.mastering.targets import Targets
from mezzo.meters.loudness import LoudnessMeter, LoudnessResult
from mezzo.prefetch import prefetch
from mezzo.progress import Progress, report_phase

#: The loop stops when the output is within this of the target, LU (the promise is 0.1; the
#: rest covers the spread between BS.1770 meters, a few hundredths).
AIM_LU = 0.08
#: The model of the limiter reads the limited loudness a little high (0 to 0.06 LU, measured on
#: 10 game-soundtrack tracks and a 2-minute float mix; 12 other tracks, held out, then landed
#: within -0.02..+0.04 LU): the first render aims this much above the target, LU, to centre that spread.
FIRST_AIM_LU = 0.02
#: Smallest slope of the output loudness against the gain assumed by the loop.
MIN_SLOPE = 0.1
#: Largest number of renders before the loop gives up (and says so).
MAX_RENDERS = 6
#: Pure gain is used only if the predicted true peak stays this far under the ceiling, dB:
#: covers TPDF dither (1.5 LSB, 0.0004 dB at 16 bit) and resampling changes of the peak.
PURE_GAIN_MARGIN_DB = 0.02
#: Extra step, dB, added when a render overshoots the ceiling and the gain or the
#: limiter's ceiling is lowered by the overshoot.
OVERSHOOT_STEP_DB = 0.005
#: The loop never raises the gain more than this above ``target - integrated``, dB.
MAX_EXTRA_GAIN_DB = 12.0
#: Limiting above this (peak gain reduction, dB) gets a plain-words warning.
HEAVY_LIMITING_DB = 4.0
#: Sections compared between a render and its decoded lossy file, samples (85 ms at 48 kHz).
SECTION_SAMPLES = 4096
#: Only sections of the decoded file within this of the ceiling count in the encoder's rise
#: (an encoder can raise quieter parts a lot, but they stay under the ceiling), dB.
ENCODER_GAP_RANGE_DB = 1.0
#: soxr quality recipe for sample-rate conversion.
RESAMPLE_QUALITY = "VHQ"


class Sink(Protocol):
    """Where rendered blocks go (a file writer or an in-memory collector)."""

    def write(self, values: np.ndarray, words: np.ndarray | None) -> None:
        """Take the next ``(channels, n)`` output block (float values, and int words when quantised)."""

    def discard(self) -> None:
        """Forget everything written (a new render follows)."""

    # A sink may also have ``finish() -> str``: called when a render ends, it returns a
    # file (an encoded lossy output) that the render measures instead of its samples.


@dataclass(kw_only=True)
class Item:
    """One stream to master: where its blocks come from and where they go."""

    blocks: Callable[[], Iterable[np.ndarray]]
    sample_rate: int
    channels: int
    sink: Sink | None
    dtype: Any = np.float32
    #: word length to dither and quantise to (``None``: floats)
    bits: int | None = None
    #: samples per channel of the input, when known (for progress)
    frames: int | None = None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a render does (the parts the loop changes are in :class:`Step`)."""

    targets: Targets
    limit: bool
    glue: bool
    output_sample_rate: int | None
    seed: int = 0
    #: told ``'rendering'`` (input samples done of ``Item.frames``), then for lossy outputs
    #: ``'encoding'`` and ``'checking the encoded file'`` (:mod:`mezzo.progress`)
    progress: Progress | None = field(default=None, compare=False)

    @property
    def target_lufs(self) -> float:
        """The loudness target, LUFS (``targets.target_lufs``)."""
        return self.targets.target_lufs

    @property
    def ceiling_dbtp(self) -> float:
        """The true-peak ceiling, dBTP (``targets.ceiling_dbtp``)."""
        return self.targets.ceiling_dbtp


@dataclass(kw_only=True)
class Step:
    """The loop's variables for one render."""

    gain_db: float
    use_limiter: bool
    limiter_ceiling_db: float


@dataclass(kw_only=True)
class Rendered:
    """What one render of one item measured."""

    meter: LoudnessMeter
    result: LoudnessResult
    #: largest rise of a section's true peak from the render to the decoded file (lossy), dB
    encoder_gap_db: float
    max_reduction_db: float
    mean_reduction_db: float
    limited_s: float
    max_reduction_time_s: float | None
    output_sample_rate: int
    #: energy (sum of squares) of the limiter's output, and of its samples under limiting
    energy: float = 0.0
    limited_energy: float = 0.0
    #: the model of the limiter at other gains, fed with this render's limiter input
    forecast: LoudnessForecast | None = None


@dataclass(kw_only=True)
class Outcome:
    """The loop's result for a group of items (one gain for all)."""

    gain_db: float
    mode: str
    renders: int
    rendered: list[Rendered]
    group_integrated_lufs: float | None
    group_loudness_range_lu: float | None
    limiter_ceiling_db: float | None
    warnings: list[str] = field(default_factory=list)


def render(item: Item, settings: Settings, step: Step, *, forecast: bool = True) -> Rendered:
    """Run the pipeline once over ``item``; send the output to its sink and measure it (and,
    with the limiter and ``forecast``, forecast the loudness at other gains)."""
    from mezzo.units import db_to_gain

    in_rate = item.sample_rate
    out_rate = settings.output_sample_rate or in_rate
    channels = item.channels
    dtype = np.dtype(item.dtype)
    gain = dtype.type(db_to_gain(step.gain_db))
    glue = None
    if settings.glue:
        from mezzo.processors import Compressor

        glue = Compressor.preset("mix-bus")
        glue.prepare(in_rate, channels)
    resampler = None
    if out_rate != in_rate:
        import soxr

        resampler = soxr.ResampleStream(in_rate, out_rate, channels, dtype=dtype.name, quality=RESAMPLE_QUALITY)
    quantizer = Quantizer(item.bits, seed=settings.seed) if item.bits else None
    meter = LoudnessMeter(out_rate, channels)
    stats = GainStats(out_rate)
    lossy = item.sink is not None and hasattr(item.sink, "finish")
    sections = _SectionPeaks(channels) if lossy else None
    if item.sink is not None:
        item.sink.discard()

    def emit(block: np.ndarray, gain_db: np.ndarray | None) -> None:
        if gain_db is not None:
            stats.update(gain_db, block)
        words = None
        if quantizer is not None:
            block, words = quantizer.process(block)
        meter.update(block)
        if sections is not None:
            sections.update(block)
        if item.sink is not None:
            item.sink.write(block, words)

    def resampled() -> Iterator[np.ndarray]:
        """The blocks after gain, glue and resampling (at the output rate)."""
        done = 0
        report_phase(settings.progress, "rendering", item.frames)
        for block in prefetch(item.blocks()):  # reading in a thread of its own too
            done += np.shape(block)[-1]
            if settings.progress is not None:
                settings.progress("rendering", done, max(done, item.frames or 0) or None)
            x = np.asarray(block, dtype=dtype)
            x = glue.process(x * gain) if glue is not None else x * gain
            if resampler is not None:
                x = np.ascontiguousarray(resampler.resample_chunk(np.ascontiguousarray(x.T)).T)
            yield x
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros((0, channels), dtype=dtype), last=True)
            yield np.ascontiguousarray(tail.T)

    model = None
    if step.use_limiter:  # the limiter's lookahead is taken off by the one streaming loop
        from mezzo.processing import process_blocks
        from mezzo.processors import Limiter
        from mezzo.processors.limiter import DETECTION_MARGIN_DB

        limiter = Limiter(ceiling_db=step.limiter_ceiling_db, true_peak=True)
        limiter_input = resampled()
        if forecast:  # the model of the limiter at other gains sees what the limiter sees
            model = LoudnessForecast(
                out_rate, channels, step.limiter_ceiling_db - DETECTION_MARGIN_DB, limiter.release_ms, limiter.hold_ms
            )
            limiter_input = tap(limiter_input, model)
        # the limiter (and reading, gain, resampling) in a thread of its own, the rest here
        for out, gain_db in prefetch(process_blocks(limiter, limiter_input, out_rate, return_gain=True)):
            emit(out, gain_db)
    else:
        for block in prefetch(resampled()):
            if block.shape[1]:
                emit(block, None)
    gap = 0.0
    if sections is not None:  # measure what was encoded, decoded, and how far it rose over the render
        decoded = _SectionPeaks(channels)
        report_phase(settings.progress, "encoding")
        encoded = item.sink.finish()
        report_phase(settings.progress, "checking the encoded file")
        meter = measure_file(encoded, decoded)
        gap = sections.rise_to(decoded, settings.ceiling_dbtp - ENCODER_GAP_RANGE_DB)
    return Rendered(
        meter=meter,
        result=meter.result(),
        encoder_gap_db=gap,
        max_reduction_db=stats.max_reduction_db,
        mean_reduction_db=stats.mean_reduction_db,
        limited_s=stats.reduced_time_s,
        max_reduction_time_s=stats.max_time_s,
        output_sample_rate=out_rate,
        energy=stats.energy,
        limited_energy=stats.reduced_energy,
        forecast=model,
    )


def measure_file(path: str, sections: _SectionPeaks | None = None) -> LoudnessMeter:
    """A :class:`LoudnessMeter` that has measured the file ``path`` (decoded, block by block);
    ``sections`` also gets its true peaks by section."""
    from mezzo import io

    meter = None
    with io.blocks(path, 1 << 17) as reader:
        for block in reader:
            if meter is None:
                meter = LoudnessMeter(reader.info.sample_rate, block.shape[0])
            meter.update(block)
            if sections is not None:
                sections.update(block)
    if meter is None:  # pragma: no cover - an encoder always writes some audio
        raise RuntimeError(f"{path!r}: the encoded file holds no audio")
    return meter


class _SectionPeaks:
    """True peak of every section of ``SECTION_SAMPLES`` (mezzo's meter), to compare two versions."""

    def __init__(self, channels: int) -> None:
        from mezzo.meters.peak import TruePeakMeter

        self._meter = TruePeakMeter(channels)
        self._pending = 0
        self.peaks: list[float] = []

    def update(self, block: np.ndarray) -> None:
        start = 0
        n = block.shape[1]
        while start < n:
            take = min(n - start, SECTION_SAMPLES - self._pending)
            self._meter.update(block[:, start : start + take].T)
            self._pending += take
            start += take
            if self._pending == SECTION_SAMPLES:
                self.peaks.append(float(self._meter.take().max()))
                self._pending = 0

    def rise_to(self, other: _SectionPeaks, floor_db: float) -> float:
        """Largest ``other`` peak over this one's (the larger of the section and its two
        neighbours: encoders delay and smear by a few ms), dB, over the sections of
        ``other`` above ``floor_db``; 0 when none rose."""
        mine = np.asarray(self.peaks)
        theirs = np.asarray(other.peaks)
        n = min(mine.shape[0], theirs.shape[0])
        if n == 0:
            return 0.0
        near = mine[:n].copy()
        near[1:] = np.maximum(near[1:], mine[: n - 1])
        near[:-1] = np.maximum(near[:-1], mine[1:n])
        loud = theirs[:n] >= 10.0 ** (floor_db / 20.0)
        if not np.any(loud):
            return 0.0
        with np.errstate(divide="ignore"):
            rise = 20.0 * np.log10(theirs[:n][loud] / np.maximum(near[loud], 1e-12))
        return max(0.0, float(rise.max()))


def group_loudness(meters: Sequence[LoudnessMeter]) -> tuple[float | None, float | None]:
    """Integrated loudness and LRA of one meter, or of several as one album."""
    if len(meters) == 1:
        r = meters[0].result()
        return r.integrated_lufs, r.loudness_range_lu
    album = album_loudness(meters)
    return album.integrated_lufs, album.loudness_range_lu


def _max_tp(results: Iterable[LoudnessResult]) -> float | None:
    peaks = [r.true_peak_dbtp for r in results if r.true_peak_dbtp is not None]
    return max(peaks) if peaks else None


def solve(
    items: Sequence[Item],
    before_meters: Sequence[LoudnessMeter],
    settings: Settings,
    features: Sequence[GroupFeatures | None] | None = None,
) -> Outcome:
    """Find the one gain (and limiting) that brings the group to the target under the ceiling.

    Measure (done by the caller: ``before_meters``, and ``features`` recorded on the way for
    the model of the limiter), render, re-measure, correct:

    - pure gain ``target - integrated`` when the predicted true peak stays
      ``PURE_GAIN_MARGIN_DB`` under the ceiling (always without glue);
    - otherwise gain and the limiter (``limit=True``): the limiter lowers the
      loudness, so the gain is raised by the shortfall: the first render at the gain a
      model of the limiter run on the measured ``features`` forecasts for the target
      (:mod:`mezzo.mastering.forecast`; it usually lands: one render), the next at the
      gain that model (or, without features, one run in the first render) forecasts once
      matched to the render, else by the secant method or a slope from the share of
      limited time, until the output is within ``AIM_LU`` of the target;
    - with ``limit=False`` the gain is lowered until the true peak fits;
    - any render whose true peak is above the ceiling (resampling, dither,
      lossy paths) is redone with the gain (pure gain) or the limiter's ceiling
      lowered by the overshoot.
    """
    target, ceiling = settings.target_lufs, settings.ceiling_dbtp
    before_i, _ = group_loudness(before_meters)
    before_tp = _max_tp(m.result() for m in before_meters)
    warnings: list[str] = []
    if before_i is None or before_tp is None:
        warnings.append("the input is silent or too short to measure loudness: copied without gain")
        step = Step(gain_db=0.0, use_limiter=False, limiter_ceiling_db=ceiling)
        rendered = [render(item, settings, step) for item in items]
        i, lra = group_loudness([r.meter for r in rendered])
        return Outcome(gain_db=0.0, mode="silence", renders=1, rendered=rendered, group_integrated_lufs=i,
                       group_loudness_range_lu=lra, limiter_ceiling_db=None, warnings=warnings)

    gain = nominal = target - before_i
    predicted_tp = before_tp + gain
    if settings.glue:
        mode = "limit" if settings.limit else "gain"
    elif predicted_tp <= ceiling - PURE_GAIN_MARGIN_DB:
        mode = "gain"
    elif settings.limit:
        mode = "limit"
    else:
        mode = "lowered"
        gain = ceiling - PURE_GAIN_MARGIN_DB - before_tp
    lim_ceiling = ceiling
    models = None
    if mode == "limit" and not settings.glue and features and all(f is not None and f.complete for f in features):
        models = _models_from_features(features, lim_ceiling, nominal)  # type: ignore[arg-type]
        first = first_gain(models, nominal, target + FIRST_AIM_LU)
        if first is not None:
            gain = float(np.clip(first, nominal, nominal + MAX_EXTRA_GAIN_DB))
    history: list[tuple[float, float]] = []
    rendered: list[Rendered] = []
    renders = 0
    out_i: float | None = None
    out_lra: float | None = None
    while renders < MAX_RENDERS:
        step = Step(gain_db=gain, use_limiter=mode == "limit", limiter_ceiling_db=lim_ceiling)
        # the forecast steers the first correction of a limiter search (the secant the rest): the
        # model of the measured features, else one run in the first render
        rendered = [render(item, settings, step, forecast=not history and models is None) for item in items]
        if models is not None:
            for r, model in zip(rendered, models, strict=True):
                r.forecast = model
            models = None
        renders += 1
        out_i, out_lra = group_loudness([r.meter for r in rendered])
        out_tp = _max_tp(r.result for r in rendered)
        if out_i is None or out_tp is None:
            break
        over = out_tp - ceiling
        err = target - out_i
        if over > 0.0:
            # an encoder can raise a peak that was below the rendered maximum: the gap between
            # the rendered and the decoded true peak is headroom the limiter must leave
            gap = max([over] + [r.encoder_gap_db for r in rendered])
            if mode == "gain" and settings.limit:
                # resampling, dither or an encoder put the peaks over: limit, with that as headroom
                mode = "limit"
                lim_ceiling = ceiling - gap - OVERSHOOT_STEP_DB
            elif mode == "limit":
                lowered = lim_ceiling - (min(lim_ceiling - over, ceiling - gap) - OVERSHOOT_STEP_DB)
                lim_ceiling -= lowered
                # the loudness against the gain changes with the limiter's ceiling: start afresh,
                # and correct in the same render this render's loudness error and what the lower
                # ceiling will take (the limited passages lose about that much)
                history.clear()
                share = 1.0 - _slope([], rendered)
                gain = min(gain + (err + lowered * share) / (1.0 - share), nominal + MAX_EXTRA_GAIN_DB)
            else:
                gain -= over + OVERSHOOT_STEP_DB
                if mode == "gain":
                    mode = "lowered"
            continue
        err = target - out_i
        if mode == "lowered" or abs(err) <= AIM_LU:
            break
        if mode == "gain":
            gain += err
            continue
        history.append((gain, out_i))
        proposal = _next_gain(history, rendered, target)
        if proposal > nominal + MAX_EXTRA_GAIN_DB:
            if gain >= nominal + MAX_EXTRA_GAIN_DB - 1e-9:
                warnings.append(
                    f"{target:g} LUFS is out of reach: {MAX_EXTRA_GAIN_DB:g} dB more gain than the loudness "
                    f"difference only reached {out_i:.1f} LUFS; choose a lower target"
                )
                break
            proposal = nominal + MAX_EXTRA_GAIN_DB
        gain = proposal
    else:
        if out_i is not None and abs(target - out_i) > AIM_LU and mode != "lowered":
            warnings.append(
                f"landed at {out_i:.2f} LUFS after {renders} passes, {target - out_i:+.2f} LU from the target"
            )
    return Outcome(gain_db=gain, mode=mode, renders=renders, rendered=rendered, group_integrated_lufs=out_i,
                   group_loudness_range_lu=out_lra, limiter_ceiling_db=lim_ceiling if mode == "limit" else None,
                   warnings=warnings)


def _models_from_features(features: Sequence[GroupFeatures], ceiling_db: float, gain_db: float) -> list[LoudnessForecast]:
    """The model of the limiter (at ``ceiling_db``) over each recorded input, raised by ``gain_db``."""
    from mezzo.processors import Limiter
    from mezzo.processors.limiter import DETECTION_MARGIN_DB

    limiter = Limiter(ceiling_db=ceiling_db, true_peak=True)
    return [
        LoudnessForecast.from_features(f, ceiling_db - DETECTION_MARGIN_DB, limiter.release_ms, limiter.hold_ms, gain_db)
        for f in features
    ]


def _next_gain(history: list[tuple[float, float]], rendered: list[Rendered], target: float) -> float:
    """Next gain for the limiter loop: the last render's forecast (:mod:`mezzo.mastering.forecast`)
    when it has one inside the bracket of the renders so far, else secant (regula falsi inside a
    bracket), else a slope step.

    The output loudness rises monotonically with the gain, ever more slowly as the
    limiter takes over (slope 1 without limiting, towards 0 with heavy limiting).
    """
    gain, level = history[-1]
    below = [h for h in history if h[1] < target]
    above = [h for h in history if h[1] > target]
    lo_gain = max(h[0] for h in below) if below else -np.inf
    hi_gain = min(h[0] for h in above) if above else np.inf
    forecasts = [r.forecast for r in rendered if r.forecast is not None]
    if len(forecasts) == len(rendered):
        reduction = sum(r.mean_reduction_db for r in rendered) / len(rendered)
        g = forecast_gain(forecasts, level, reduction, gain, target)
        if g is not None and (lo_gain < g < hi_gain or (g == np.inf and not above)):
            return g  # inf: out of the model's reach, the loop tries its largest gain
    if below and above:
        lo = max(below, key=lambda h: h[0])
        hi = min(above, key=lambda h: h[0])
        if hi[0] > lo[0] and hi[1] > lo[1]:
            g = lo[0] + (target - lo[1]) * (hi[0] - lo[0]) / (hi[1] - lo[1])
            # keep away from the ends of the bracket (regula falsi can crawl along one side)
            span = hi[0] - lo[0]
            return float(np.clip(g, lo[0] + 0.05 * span, hi[0] - 0.05 * span))
    return gain + (target - level) / _slope(history, rendered)


def _slope(history: list[tuple[float, float]], rendered: list[Rendered]) -> float:
    """d(output loudness)/d(gain) for the next limiter step, clipped to [0.1, 1]."""
    if len(history) >= 2:
        (g0, i0), (g1, i1) = history[-2], history[-1]
        if abs(g1 - g0) > 1e-6:
            return float(np.clip((i1 - i0) / (g1 - g0), 0.1, 1.0))
    # First step: unlimited passages rise with the gain, limited ones hardly do (the limiter
    # holds their peaks): the slope is the share of the output's energy outside limiting.
    total = sum(r.energy for r in rendered)
    limited = sum(r.limited_energy for r in rendered)
    share = limited / total if total > 0 else 0.0
    return float(np.clip(1.0 - share, MIN_SLOPE, 1.0))


def array_blocks(audio: np.ndarray, block_samples: int) -> Callable[[], Iterator[np.ndarray]]:
    """A re-startable block source over an in-memory ``(channels, samples)`` array."""

    def gen() -> Iterator[np.ndarray]:
        for start in range(0, audio.shape[1], block_samples):
            yield audio[:, start : start + block_samples]

    return gen
