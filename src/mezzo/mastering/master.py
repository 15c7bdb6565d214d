"""Loudness normalisation and mastering to a target: :func:`normalize`, :func:`master`.

Both bring audio to an integrated loudness target (BS.1770-4) with the true peak
under a ceiling, and report what they did (:class:`MasterReport`):

- **pure gain** when the gain alone keeps the true peak under the ceiling (nothing
  else changes: the loudness range stays as it was);
- otherwise **gain and the true-peak limiter** (:class:`~mezzo.processors.Limiter`),
  and the report says how much limiting that took; with ``limit=False`` the gain is
  **lowered** instead until the peaks fit, and the report says the target was missed;
- :func:`master` adds platform presets (:data:`PRESETS`, sources in
  ``docs/platforms.md``) and an optional ``glue`` mix-bus compressor before the limiter.

The result is measured after processing and corrected until it lands within
0.08 LU of the target (the promise is 0.1 LU) with the true peak at or under the
ceiling (see :func:`mezzo.mastering.engine.solve`). The file functions
(:func:`master_file`, :func:`normalize_files`) stream: one pass measures, the next
processes and writes while measuring what is written (after resampling with soxr
and TPDF dither to integer PCM), so the check holds on the file itself; memory
does not grow with the file's length. Album mode (``album=True``) gives a group of
files one gain from their loudness measured together
(:func:`mezzo.mastering.album.album_loudness`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo._validate import check_audio, check_sample_rate
from mezzo.before_after import BeforeAfter, Levels
from mezzo.errors import AudioFileError, ParameterError
from mezzo.mastering import engine
from mezzo.mastering.forecast import GroupFeatures, tap
from mezzo.mastering.presets import PRESETS, Preset
from mezzo.mastering.targets import Targets
from mezzo.prefetch import prefetch
from mezzo.progress import Progress, report_phase
from mezzo.results import to_dict

__all__ = [
    "PRESETS",
    "Levels",
    "MasterReport",
    "Preset",
    "Targets",
    "master",
    "master_file",
    "normalize",
    "normalize_files",
]

#: Block size of the file passes, samples per channel.
BLOCK_SAMPLES = 1 << 17
#: The promise: the output's integrated loudness is within this of the target, LU.
TOLERANCE_LU = 0.1
#: Loudness the limiter is assumed to cost at the advised amount of limiting, LU, with the
#: limiter's headroom for content near Nyquist (up to a few tenths of a dB on bright,
#: noisy material; see mezzo.processors.limiter.NEAR_NYQUIST_WEIGHT).
ADVICE_COST_LU = 0.35


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterReport(BeforeAfter):
    """What :func:`normalize` / :func:`master` did, before and after.

    A :class:`~mezzo.before_after.BeforeAfter` (``input``, ``output``, ``before`` and
    ``after`` levels as written — after resampling and dither —, the limiter's gain
    reduction figures: ``max_gain_reduction_db``, ``mean_gain_reduction_db``,
    ``gain_reduced_time_s``, ``max_gain_reduction_time_s``, and ``warnings``:
    heavy limiting, target missed, lossy output...), and:

    Attributes
    ----------
    preset : str or None
        Preset name, if one was used.
    target_lufs, ceiling_dbtp : float
        The target loudness (LUFS) and true-peak ceiling (dBTP) aimed at.
    gain_db : float
        Static gain applied, dB (before the glue compressor and the limiter).
    mode : str
        ``'gain'`` (pure gain), ``'limit'`` (gain and limiter), ``'lowered'`` (gain
        lowered to fit the ceiling, ``limit=False``) or ``'silence'``.
    limiting_needed_db : float
        How far the true peak would have gone over the ceiling with ``gain_db``
        and no limiter, dB (0 when pure gain fits).
    limiter_loudness_cost_lu : float or None
        Loudness the limiter took away: input + gain - output, LU (``None`` with
        glue, whose share cannot be told apart, or without limiting).
    glue : bool
        Whether the mix-bus compressor ran.
    target_reached : bool
        Output within 0.1 LU of the target with the true peak at or under the ceiling.
    renders : int
        Processing passes needed to land on the target.
    sample_rate, output_sample_rate : int
        Input and output sample rates, Hz.
    output_subtype : str or None
        Written encoding (``'PCM_16'``, ``'PCM_24'``, ``'FLOAT'``..., or the lossy codec:
        ``'MP3'``, ``'VORBIS'``, ``'OPUS'``, ``'AAC'``); ``None`` for arrays returned as floats.
    output_bitrate_kbps : float or None
        Bit rate a lossy output was encoded at, kb/s (``None`` for PCM and arrays). Its
        ``after`` figures are those of the decoded file.
    dither : bool
        Whether TPDF dither was added (reduction to integer PCM).
    album_integrated_lufs : float or None
        Album mode: loudness of the whole group after processing, LUFS.
    dry_run : bool
        Nothing was written.
    summary : str
        What was done, in one sentence.
    """

    preset: str | None
    target_lufs: float
    ceiling_dbtp: float
    gain_db: float
    mode: str
    limiting_needed_db: float
    limiter_loudness_cost_lu: float | None
    glue: bool
    target_reached: bool
    renders: int
    sample_rate: int
    output_sample_rate: int
    output_subtype: str | None
    output_bitrate_kbps: float | None
    dither: bool
    album_integrated_lufs: float | None
    dry_run: bool
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (nested ``before`` / ``after``)."""
        return to_dict(self)


# --------------------------------------------------------------------------- parameters


def _check_output_rate(output_sample_rate: Any) -> int | None:
    return None if output_sample_rate is None else check_sample_rate(output_sample_rate)


def _array_bits(bit_depth: Any) -> int | None:
    from mezzo.mastering.files import check_bit_depth

    depth = check_bit_depth(bit_depth)
    return {"16": 16, "24": 24}.get(depth) if depth else None


# --------------------------------------------------------------------------- arrays


def normalize(
    audio: np.ndarray,
    sample_rate: int,
    *,
    target_lufs: float | None = None,
    ceiling_dbtp: float | None = None,
    targets: Targets | None = None,
    limit: bool = True,
    output_sample_rate: int | None = None,
    bit_depth: int | str | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, MasterReport]:
    """Bring ``audio`` to ``target_lufs`` with its true peak at or under ``ceiling_dbtp``.

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        float32 or float64 audio, full scale 1.0; the result has the same shape
        (1-D stays 1-D) and dtype, at ``output_sample_rate`` if given.
    sample_rate : int, Hz
        Sample rate of ``audio``.
    target_lufs : float, -70 to ``ceiling_dbtp``, optional
        Integrated loudness target, LUFS (BS.1770-4). Default -14.
    ceiling_dbtp : float, -60 to 0, optional
        Highest true peak of the output, dBTP. Default -1.
    targets : Targets, optional
        Target and ceiling as one checked value (:class:`~mezzo.mastering.targets.Targets`),
        instead of ``target_lufs`` and ``ceiling_dbtp``.
    limit : bool
        When the gain would push the true peak over the ceiling: ``True`` limits the
        peaks (true-peak limiter), ``False`` lowers the gain instead (the target is
        then missed, and the report says by how much).
    output_sample_rate : int, Hz, optional
        Resample the output (soxr, very high quality) before limiting.
    bit_depth : {16, 24, '32f'}, optional
        Quantise to 16- or 24-bit values with TPDF dither (the floats returned are
        exactly the integer samples a file would hold); ``'32f'`` or ``None``: floats.
    seed : int
        Seed of the dither noise.

    Returns
    -------
    audio : ndarray
        The normalised audio.
    report : MasterReport
        Before/after levels, gain, limiting and warnings.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 10) / 48000
    >>> x = 0.1 * np.sin(2 * np.pi * 440 * t)
    >>> y, report = normalize(x, 48000, target_lufs=-16.0)
    >>> report.mode, round(report.after.integrated_lufs, 1)
    ('gain', -16.0)
    """
    aim = _targets(targets, None, target_lufs, ceiling_dbtp, default_preset=None)
    return _run_array(audio, sample_rate, aim, limit=bool(limit), glue=False,
                      output_sample_rate=output_sample_rate, bit_depth=bit_depth, seed=seed)


def master(
    audio: np.ndarray,
    sample_rate: int,
    *,
    preset: str | None = None,
    target_lufs: float | None = None,
    ceiling_dbtp: float | None = None,
    targets: Targets | None = None,
    glue: bool = False,
    limit: bool = True,
    output_sample_rate: int | None = None,
    bit_depth: int | str | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, MasterReport]:
    """Master ``audio`` to a platform's loudness target (default: the ``'spotify'`` preset).

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        float32 or float64 audio, full scale 1.0.
    sample_rate : int, Hz
        Sample rate of ``audio``.
    preset : str, optional
        One of :data:`PRESETS` (spotify, apple, youtube, tidal, amazon, deezer, ebu,
        atsc, podcast); ``target_lufs`` and ``ceiling_dbtp`` override its values.
        Without preset, target and ceiling: ``'spotify'`` (-14 LUFS, -1 dBTP).
    target_lufs : float, -70 to ``ceiling_dbtp``, optional
        Integrated loudness target, LUFS.
    ceiling_dbtp : float, -60 to 0, optional
        Highest true peak, dBTP.
    targets : Targets, optional
        Preset, target and ceiling already resolved (:meth:`Targets.resolve
        <mezzo.mastering.targets.Targets.resolve>`), instead of the three above.
    glue : bool
        Run the ``'mix-bus'`` compressor preset (2:1 above -12 dBFS RMS, 30 ms
        attack, 300 ms release) after the gain and before the limiter.
    limit, output_sample_rate, bit_depth, seed
        As for :func:`normalize`.

    Returns
    -------
    audio : ndarray
        The mastered audio (same shape and dtype as the input).
    report : MasterReport

    Examples
    --------
    >>> import mezzo.demo
    >>> audio, fs = mezzo.demo.track()
    >>> out, report = master(audio, fs, preset="apple")
    >>> abs(report.after.integrated_lufs + 16.0) <= 0.1, report.after.true_peak_dbtp <= -1.0
    (True, True)
    """
    aim = _targets(targets, preset, target_lufs, ceiling_dbtp)
    return _run_array(audio, sample_rate, aim, limit=bool(limit), glue=bool(glue),
                      output_sample_rate=output_sample_rate, bit_depth=bit_depth, seed=seed)


def _targets(
    targets: Any, preset: str | None, target_lufs: float | None, ceiling_dbtp: float | None, *,
    default_preset: str | None = "spotify",
) -> Targets:
    """``targets`` as given, or resolved from the preset and figures (never both)."""
    if targets is None:
        return Targets.resolve(preset, target_lufs, ceiling_dbtp, default_preset=default_preset)
    if not isinstance(targets, Targets):
        raise ParameterError(f"targets={targets!r} is not a Targets: make one with mezzo.Targets.resolve(...)")
    if preset is not None or target_lufs is not None or ceiling_dbtp is not None:
        raise ParameterError("targets is given with preset, target_lufs or ceiling_dbtp: give one or the other")
    return targets


def _run_array(
    audio: np.ndarray, sample_rate: int, targets: Targets, *,
    limit: bool, glue: bool, output_sample_rate: Any, bit_depth: Any, seed: int,
) -> tuple[np.ndarray, MasterReport]:
    from mezzo.mastering.files import MemorySink
    from mezzo.meters.loudness import LoudnessMeter

    mono = isinstance(audio, np.ndarray) and audio.ndim == 1
    x = check_audio(audio)
    fs = check_sample_rate(sample_rate)
    out_rate = _check_output_rate(output_sample_rate)
    bits = _array_bits(bit_depth)
    meter = LoudnessMeter(fs, x.shape[0])
    meter.update(x)
    features = GroupFeatures(fs, x.shape[0]) if limit else None
    if features is not None:
        features.update(x)
    sink = MemorySink(x.dtype)
    item = engine.Item(
        blocks=engine.array_blocks(x, BLOCK_SAMPLES), sample_rate=fs, channels=x.shape[0], sink=sink,
        dtype=x.dtype, bits=bits,
    )
    settings = engine.Settings(targets=targets, limit=limit, glue=glue, output_sample_rate=out_rate, seed=int(seed))
    outcome = engine.solve([item], [meter], settings, [features])
    report = _report(
        outcome, 0, meter, settings, input=None, output=None, sample_rate=fs,
        subtype=None, bits=bits, dry_run=False, album=False,
    )
    out = sink.result(x.shape[0])
    return (out[0] if mono else out), report


# --------------------------------------------------------------------------- files


def master_file(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    preset: str | None = None,
    target_lufs: float | None = None,
    ceiling_dbtp: float | None = None,
    targets: Targets | None = None,
    glue: bool = False,
    limit: bool = True,
    output_sample_rate: int | None = None,
    bit_depth: int | str | None = None,
    bitrate_kbps: float | None = None,
    overwrite: bool = False,
    dry_run: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
) -> MasterReport:
    """Master a file to a preset or target, streaming (see :func:`master` for the options).

    The output has the input's format, subtype and rate unless its extension,
    ``bit_depth`` or ``output_sample_rate`` say otherwise, and the input's text tags
    (title, artist, album...: :data:`mezzo.io.stream.TAGS`, in lossy outputs too);
    integer PCM gets TPDF dither. Written atomically; ``dry_run=True`` does all the work but writes nothing.

    Lossy outputs (``.mp3``, ``.ogg``, ``.opus``, ``.m4a``, ``.aac``) are encoded by
    ffmpeg at ``bitrate_kbps`` (6 to 512 kb/s; default: the input's bit rate when the
    input is lossy, else 256 for MP3 and AAC, 192 for Vorbis, 160 for Opus). The
    encoded file is decoded and measured, and the job corrects for what the encoder
    changed (a render with the encoder's overshoot as extra headroom); the report's
    ``after`` is the decoded file, and ``target_reached`` is false if it still misses.

    ``progress(phase, done, total)`` (:mod:`mezzo.progress`), if given, is told the
    phases in order: ``'measuring'`` (samples read of the input's length), then for
    each processing pass ``'rendering pass N'`` (samples rendered; the file is written
    and measured as it renders), for lossy outputs ``'encoding'`` and ``'checking the
    encoded file'`` (the decoded file measured), and ``'writing'`` (the output renamed
    into place).

    Raises
    ------
    AudioFileError
        Missing or unreadable input, output equal to the input, existing output
        without ``overwrite``, missing or unwritable folder.
    ParameterError
        Unknown preset, ceiling above 0 dBTP, target above the ceiling, bad rate or depth.
    """
    aim = _targets(targets, preset, target_lufs, ceiling_dbtp)
    return _run_files(
        [os.fspath(input)], [os.fspath(output)], aim, limit=bool(limit), glue=bool(glue),
        album=False, output_sample_rate=output_sample_rate, bit_depth=bit_depth, bitrate_kbps=bitrate_kbps,
        overwrite=overwrite, dry_run=dry_run, seed=seed, progress=progress,
    )[0]


def normalize_files(
    inputs: Sequence[str | os.PathLike[str]],
    outputs: Sequence[str | os.PathLike[str]],
    *,
    target_lufs: float | None = None,
    ceiling_dbtp: float | None = None,
    targets: Targets | None = None,
    limit: bool = True,
    album: bool = False,
    output_sample_rate: int | None = None,
    bit_depth: int | str | None = None,
    bitrate_kbps: float | None = None,
    overwrite: bool = False,
    dry_run: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[MasterReport]:
    """Normalise files (see :func:`normalize`); ``album=True`` gives them one gain.

    Parameters
    ----------
    inputs, outputs : sequence of paths
        One output per input, in the same order; all are checked before anything
        is processed, and with ``album`` no output is written unless all succeed.
    album : bool
        One gain for all files, from their loudness measured together (BS.1770
        gating over the blocks of every file), so their relative loudness is kept;
        each file is limited only if its own peaks need it.
    target_lufs, ceiling_dbtp, targets, limit, output_sample_rate, bit_depth, seed
        As for :func:`normalize`.
    bitrate_kbps, overwrite, dry_run, progress
        As for :func:`master_file` (progress phases of several files without
        ``album`` start with the file's name).
    """
    aim = _targets(targets, None, target_lufs, ceiling_dbtp, default_preset=None)
    ins = [os.fspath(p) for p in inputs]
    outs = [os.fspath(p) for p in outputs]
    if len(ins) != len(outs):
        raise ParameterError(f"got {len(ins)} inputs and {len(outs)} outputs: give one output per input")
    if not ins:
        raise ParameterError("inputs is empty: give at least one file")
    return _run_files(
        ins, outs, aim, limit=bool(limit), glue=False, album=bool(album),
        output_sample_rate=output_sample_rate, bit_depth=bit_depth, bitrate_kbps=bitrate_kbps, overwrite=overwrite,
        dry_run=dry_run, seed=seed, progress=progress,
    )


def _run_files(
    inputs: list[str], outputs: list[str], targets: Targets, *,
    limit: bool, glue: bool, album: bool, output_sample_rate: Any, bit_depth: Any, bitrate_kbps: Any,
    overwrite: bool, dry_run: bool, seed: int, progress: Progress | None,
) -> list[MasterReport]:
    from mezzo import io
    from mezzo.io import encode
    from mezzo.io.stream import read_tags
    from mezzo.mastering import files
    from mezzo.meters.loudness import LoudnessMeter

    out_rate = _check_output_rate(output_sample_rate)
    depth = files.check_bit_depth(bit_depth)
    kbps = encode.check_bitrate(bitrate_kbps)
    # Check everything before touching anything.
    infos = [io.info(p) for p in inputs]
    seen: set[str] = set()
    formats: list[tuple[str, str]] = []
    bitrates: list[float | None] = []
    for inp, out in zip(inputs, outputs, strict=True):
        key = os.path.realpath(out)
        if key in seen:
            raise AudioFileError(f"{out!r}: is the output of two inputs — give each input its own output")
        seen.add(key)
        files.check_target(out, overwrite=overwrite, inputs=inputs)
        if encode.is_lossy(out):
            if depth is not None:
                raise ParameterError(f"bit_depth={bit_depth!r} applies to PCM outputs, not {out!r}: leave it out")
            codec = encode.codec_of(out)
            formats.append(("LOSSY", codec.upper()))
            bitrates.append(kbps or encode.input_bitrate_kbps(inp) or encode.DEFAULT_BITRATE_KBPS[codec])
        else:
            formats.append(files.output_format(out, inp, depth))
            bitrates.append(None)
    if any(b is not None for b in bitrates):
        encode.require_ffmpeg(next(o for o, b in zip(outputs, bitrates, strict=True) if b is not None))

    def source(path: str):
        def gen():
            with io.blocks(path, BLOCK_SAMPLES) as reader:
                yield from reader

        return gen

    # Pass 1: measure (and record what the model of the limiter needs).
    before = []
    recorded = []
    total = sum(inf.frames for inf in infos)
    done = 0
    report_phase(progress, "measuring", total)
    for inf in infos:
        meter = LoudnessMeter(inf.sample_rate, inf.channels)
        features = GroupFeatures(inf.sample_rate, inf.channels) if limit else None
        # reading and the record in a thread of their own, the meter here (two cores)
        for block in prefetch(tap(prefetch(source(inf.path)()), features)):
            meter.update(block)
            done += block.shape[1]
            if progress is not None:
                progress("measuring", done, max(done, total))
        before.append(meter)
        recorded.append(features)

    items, sinks = [], []
    sink: Any
    for inf, out, (fmt, sub), rate_kbps in zip(infos, outputs, formats, bitrates, strict=True):
        rate = out_rate or inf.sample_rate
        frames = math.ceil(inf.frames * rate / inf.sample_rate)
        if rate_kbps is not None:  # encoded and measured even in a dry run (then discarded)
            sink = files.LossySink(out, rate, inf.channels, frames, rate_kbps, overwrite=overwrite, tags=read_tags(inf.path))
            bits = None
        else:
            sink = None if dry_run else files.FileSink(
                out, fmt, sub, rate, inf.channels, frames, overwrite=overwrite, tags=read_tags(inf.path)
            )
            bits = files.pcm_bits(sub)
        sinks.append(sink)
        items.append(engine.Item(
            blocks=source(inf.path), sample_rate=inf.sample_rate, channels=inf.channels, sink=sink,
            dtype=np.float32, bits=bits, frames=inf.frames,
        ))

    groups = [list(range(len(items)))] if album else [[i] for i in range(len(items))]
    settings = engine.Settings(targets=targets, limit=limit, glue=glue, output_sample_rate=out_rate, seed=int(seed))
    reports: list[MasterReport] = []
    try:
        for group in groups:
            name = f"{os.path.basename(inputs[group[0]])}: " if len(groups) > 1 else ""
            labels = None if progress is None else _PassLabels(progress, len(group), name)
            outcome = engine.solve(
                [items[i] for i in group], [before[i] for i in group], dataclasses.replace(settings, progress=labels),
                [recorded[i] for i in group],
            )
            for k, i in enumerate(group):
                reports.append(_report(
                    outcome, k, before[i], settings, input=inputs[i], output=outputs[i],
                    sample_rate=infos[i].sample_rate, subtype=formats[i][1], bits=items[i].bits,
                    dry_run=dry_run, album=album, bitrate_kbps=bitrates[i],
                ))
        if not dry_run:
            report_phase(progress, "writing")
            for sink in sinks:
                sink.commit()
    finally:
        for sink in sinks:
            if sink is not None:
                sink.discard()
    return reports


class _PassLabels:
    """The engine's progress with the render passes numbered: ``'rendering pass 2'``.

    Every pass renders each item of the group once (an album: all its files), and
    each render starts with ``('rendering', 0, ...)``.
    """

    def __init__(self, progress: Progress, items_per_pass: int, prefix: str = "") -> None:
        self._progress = progress
        self._per_pass = max(1, items_per_pass)
        self._prefix = prefix
        self._renders = 0
        self._label = ""

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase == "rendering":
            if done == 0:
                self._renders += 1
            label = f"rendering pass {(self._renders - 1) // self._per_pass + 1}"
            if self._per_pass > 1:
                label += f" (file {(self._renders - 1) % self._per_pass + 1} of {self._per_pass})"
        else:
            label = phase
        self._progress(self._prefix + label, done, total)


# --------------------------------------------------------------------------- report


def suggested_target_lufs(before: Levels, ceiling_dbtp: float, limiting_db: float) -> float | None:
    """The loudest target (a multiple of 0.1 LUFS) that needs at most ``limiting_db`` of limiting.

    With a gain ``g`` the input's true peak becomes ``true_peak + g`` and the limiter
    takes ``true_peak + g - ceiling`` off the loudest peak; the loudness rises by ``g``
    less what limiting costs, which at a few dB of peak limiting is a small part of
    that (``ADVICE_COST_LU`` is allowed for it, and for the limiter's headroom near
    Nyquist). So the target is ``integrated +
    ceiling + limiting_db - true_peak - 0.1``, rounded down. ``None`` for silence.
    """
    if before.integrated_lufs is None or before.true_peak_dbtp is None:
        return None
    loudest = before.integrated_lufs + ceiling_dbtp + limiting_db - before.true_peak_dbtp - ADVICE_COST_LU
    return math.floor(loudest * 10.0 + 1e-9) / 10.0


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _report(
    outcome: engine.Outcome, index: int, before_meter: Any, settings: engine.Settings, *,
    input: str | None, output: str | None, sample_rate: int, subtype: str | None,
    bits: int | None, dry_run: bool, album: bool, bitrate_kbps: float | None = None,
) -> MasterReport:
    from mezzo.mastering import files

    rendered = outcome.rendered[index]
    before = Levels.of(before_meter.result())
    after = Levels.of(rendered.result)
    target, ceiling = settings.target_lufs, settings.ceiling_dbtp
    gain = outcome.gain_db
    warnings = list(outcome.warnings)
    needed = 0.0
    if before.true_peak_dbtp is not None:
        needed = max(0.0, before.true_peak_dbtp + gain - ceiling)
    limited = outcome.mode == "limit" and rendered.max_reduction_db > 0.0
    cost = None
    if limited and not settings.glue and before.integrated_lufs is not None and after.integrated_lufs is not None:
        cost = before.integrated_lufs + gain - after.integrated_lufs
    landed = outcome.group_integrated_lufs if album else after.integrated_lufs
    reached = (
        landed is not None
        and abs(landed - target) <= TOLERANCE_LU
        and after.true_peak_dbtp is not None
        and after.true_peak_dbtp <= ceiling
    )
    if outcome.mode == "silence":
        summary = "silent input: copied without gain"
    elif outcome.mode == "gain":
        summary = f"pure gain {gain:+.2f} dB: the true peak stays under {ceiling:g} dBTP without limiting"
    elif outcome.mode == "limit":
        summary = (
            f"gain {gain:+.2f} dB and the true-peak limiter at {ceiling:g} dBTP: "
            f"{rendered.max_reduction_db:.1f} dB of limiting at most, {rendered.limited_s:.1f} s limited"
        )
        if settings.glue:
            summary = "mix-bus glue compressor, " + summary
    else:
        summary = f"gain lowered to {gain:+.2f} dB so that the true peak fits under {ceiling:g} dBTP (limiting off)"
    if outcome.mode == "lowered" and landed is not None:
        warnings.append(
            f"limiting is off: the gain was lowered to keep the true peak under {ceiling:g} dBTP, so the output "
            f"is {landed:.1f} LUFS, {target - landed:.1f} LU under the {target:g} LUFS target; "
            "allow limiting or choose a lower target"
        )
    if limited and rendered.max_reduction_db > engine.HEAVY_LIMITING_DB:
        where = (
            f" (deepest at {_clock(rendered.max_reduction_time_s)})"
            if rendered.max_reduction_time_s is not None
            else ""
        )
        advice = ""
        suggestion = suggested_target_lufs(before, ceiling, engine.HEAVY_LIMITING_DB)
        if suggestion is not None and suggestion < target:
            advice = (
                f"; consider {suggestion:g} LUFS, the loudest target that needs at most "
                f"{engine.HEAVY_LIMITING_DB:g} dB of limiting"
            )
        warnings.append(
            f"reaching {target:g} LUFS needs {rendered.max_reduction_db:.0f} dB of limiting{where}; "
            f"the loudest passages will lose their punch{advice}"
        )
    if bitrate_kbps is not None:
        if not reached and outcome.mode != "silence":
            tp = after.true_peak_dbtp
            warnings.append(
                f"the {subtype} encoder's output, decoded, is at {landed if landed is None else round(landed, 2)} LUFS"
                f" / {tp if tp is None else round(tp, 2)} dBTP after {outcome.renders} renders: choose a higher "
                "bit rate, a lower ceiling, or write WAV/FLAC"
            )
    elif subtype is not None and not files.is_exact(subtype):
        warnings.append(
            f"{subtype} is a lossy encoding: its decoder can put peaks above {ceiling:g} dBTP that were not "
            "in the audio mezzo checked; write WAV or FLAC for a guaranteed ceiling"
        )
    dither = bool(bits)
    return MasterReport(
        input=input,
        output=output,
        preset=settings.targets.preset,
        target_lufs=target,
        ceiling_dbtp=ceiling,
        before=before,
        after=after,
        gain_db=gain,
        mode=outcome.mode,
        limiting_needed_db=needed,
        max_gain_reduction_db=rendered.max_reduction_db,
        mean_gain_reduction_db=rendered.mean_reduction_db,
        gain_reduced_time_s=rendered.limited_s,
        max_gain_reduction_time_s=rendered.max_reduction_time_s,
        max_gain_db=0.0,
        limiter_loudness_cost_lu=cost,
        glue=settings.glue,
        target_reached=bool(reached) or outcome.mode == "silence",
        renders=outcome.renders,
        sample_rate=sample_rate,
        output_sample_rate=rendered.output_sample_rate,
        output_subtype=subtype,
        output_bitrate_kbps=bitrate_kbps,
        dither=dither,
        album_integrated_lufs=outcome.group_integrated_lufs if album else None,
        dry_run=dry_run,
        summary=summary,
        warnings=tuple(warnings),
    )
