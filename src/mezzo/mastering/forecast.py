"""Forecast of a limited master's loudness at other gains, from the render that measured it.

Near a loud target the output loudness hardly moves with the gain (the limiter
takes back most of it: slope 0.03 to 0.3 LU/dB), and how it moves changes with
the gain, so one measured point and a slope guess land far off. A render
therefore also runs a cheap model of the limiter on its input, at a grid of
extra gains (``OFFSETS_DB``): per group of about 1 ms the sample peak and the
K-weighted energy; the reduction each group needs is how far the peaks around
it (about +-4 ms, the limiter's window) rise over the ceiling, with the
limiter's instant attack, hold and release (one-pole in dB); the output energy
is gated as BS.1770 integrated loudness. The model misses what the true-peak
detector adds and the ramp, so it is used for differences only: it is matched
to the render by the limiter's measured mean reduction (the offset ``u0`` of the
model that reduces as much on average), and the forecast of the output at ``Δ``
dB more gain is the measured loudness plus the model's rise from ``u0`` to ``u0 +
Δ``. Memory is fixed (histograms of block loudness).

The model can also run before any render: the measuring pass records each group's
peak and energy (:class:`GroupFeatures`, 8 bytes per group: 4.8 MB for 10 minutes
at 48 kHz, up to ``MAX_RECORDED_GROUPS``), and once the input's loudness gives the
nominal gain the model replays them at offsets around it
(:meth:`LoudnessForecast.from_features`). Unmatched, its curve puts the first render
near the target (:func:`first_gain`: within a few hundredths of an LU on music,
measured); matched to that render, it steers the correction as above.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from mezzo.kernels.loudness_forecast import (
    HIST_FLOOR_LUFS,
    HIST_PER_LU,
    LOOK,
    forecast_block,
    forecast_groups,
    group_features,
)

#: extra gains (over the rendered one) the model limiter runs at, dB
OFFSETS_DB = np.arange(-8.0, 20.5, 1.0)
#: a group of samples of the model, s (48 samples at 48 kHz: seven groups span the limiter's window)
GROUP_S = 48 / 48000
#: the model's peaks include the values half way between samples (the limiter reads true
#: peaks): a Kaiser-windowed sinc of 8 samples each side, folded (``h[j]`` multiplies the
#: samples ``j`` before and after the half-sample point), unit gain at DC
HALF_SAMPLE_TAPS = np.sinc(np.arange(8) + 0.5) * np.kaiser(16, 6.0)[8:]
HALF_SAMPLE_TAPS /= 2.0 * HALF_SAMPLE_TAPS.sum()
#: histogram range of block loudness, LU above HIST_FLOOR_LUFS
HIST_RANGE_LU = 100.0
#: relative gate of BS.1770 integrated loudness, LU
RELATIVE_GATE_LU = -10.0
#: below this mean reduction of the render, dB, the model is not matched to it (hardly limited)
MATCH_MIN_DB = 0.02
#: groups a measuring pass records at most (70 minutes, 32 MB); longer inputs are
#: forecast from their first render instead
MAX_RECORDED_GROUPS = 1 << 22


def group_samples(sample_rate: int) -> int:
    """Samples per group of the model at ``sample_rate``."""
    return max(1, round(GROUP_S * sample_rate))


def tap(blocks: Iterable[np.ndarray], recorder: GroupFeatures | LoudnessForecast | None) -> Iterator[np.ndarray]:
    """Pass ``blocks`` through unchanged, feeding each to ``recorder.update`` on the way (none: as is)."""
    for block in blocks:
        if recorder is not None:
            recorder.update(block)
        yield block


class GroupFeatures:
    """Per group of the model, the sample peak and the weighted K energy of a stream (the
    measuring pass's record, replayed by :meth:`LoudnessForecast.from_features`)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        from mezzo.meters.kweighting import k_weighting_sos
        from mezzo.meters.layout import channel_weights

        self.sample_rate = sample_rate
        self.channels = channels
        self.group = group_samples(sample_rate)
        self.weights = np.array(channel_weights(channels), dtype=np.float64)
        self.sos = k_weighting_sos(sample_rate)
        self.zk = np.zeros((channels, 2, 2))
        self.tail = np.zeros((channels, 2 * HALF_SAMPLE_TAPS.shape[0] - 1))  # the interpolator's last samples
        self.acc = np.zeros(2)
        self.counts = np.zeros(4, dtype=np.int64)
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self.groups = 0
        #: False once the stream passed ``MAX_RECORDED_GROUPS`` (the record is dropped)
        self.complete = True

    def update(self, block: np.ndarray) -> None:
        """Record the groups of the next ``(channels, n)`` block."""
        if not self.complete or block.shape[1] == 0:
            return
        peaks, energies = group_features(
            block, self.weights, self.sos, self.zk, self.tail, HALF_SAMPLE_TAPS, self.group, self.acc, self.counts
        )
        self.groups += peaks.shape[0]
        if self.groups > MAX_RECORDED_GROUPS:
            self.complete = False
            self.chunks = []
            return
        self.chunks.append((peaks, energies))


class LoudnessForecast:
    """Runs the model limiters over the blocks fed to :meth:`update` (the limiter's input)."""

    def __init__(
        self, sample_rate: int, channels: int, ceiling_db: float, release_ms: float, hold_ms: float,
        *, base_gain_db: float = 0.0,
    ) -> None:  # fmt: skip
        from mezzo.meters.kweighting import k_weighting_sos
        from mezzo.meters.layout import channel_weights
        from mezzo.processors.compressor import time_constant_coef

        #: the model's gains over its input, dB: ``OFFSETS_DB`` around ``base_gain_db``
        self.gains_db = OFFSETS_DB + float(base_gain_db)
        self.group = group_samples(sample_rate)
        group_ms = 1000.0 * self.group / sample_rate
        self.sub_groups = max(1, round(100.0 / group_ms))
        self.release_coef = time_constant_coef(release_ms / group_ms, 1000)
        self.hold = round(hold_ms / group_ms)
        self.ceiling_db = float(ceiling_db)
        self.weights = np.array(channel_weights(channels), dtype=np.float64)
        self.sos = k_weighting_sos(sample_rate)
        u = OFFSETS_DB.shape[0]
        bins = round(HIST_RANGE_LU * HIST_PER_LU)
        self.zk = np.zeros((channels, 2, 2))
        self.tail = np.zeros((channels, 2 * HALF_SAMPLE_TAPS.shape[0] - 1))  # the interpolator's last samples
        self.acc = np.zeros(2)
        self.peaks = np.zeros(2 * LOOK + 1)
        self.energies = np.zeros(2 * LOOK + 1)
        self.reduction_db = np.zeros(u)
        self.hold_left = np.zeros(u, dtype=np.int64)
        self.sub_energy = np.zeros(u)
        self.sub_ring = np.zeros((u, 3))
        self.reduction_sum = np.zeros(u)
        self.hist_e = np.zeros((u, bins))
        self.hist_n = np.zeros((u, bins))
        self.counts = np.zeros(4, dtype=np.int64)

    def update(self, block: np.ndarray) -> None:
        """Feed the next ``(channels, n)`` block of the limiter's input."""
        if block.shape[1] == 0:
            return
        forecast_block(
            block, self.weights, self.sos, self.zk, self.tail, HALF_SAMPLE_TAPS, self.group, self.sub_groups, self.hold, self.release_coef,
            self.gains_db, self.ceiling_db, self.acc, self.peaks, self.energies, self.reduction_db, self.hold_left,
            self.sub_energy, self.sub_ring, self.reduction_sum, self.hist_e, self.hist_n, self.counts,
        )  # fmt: skip

    @classmethod
    def from_features(
        cls, features: GroupFeatures, ceiling_db: float, release_ms: float, hold_ms: float, base_gain_db: float
    ) -> LoudnessForecast:
        """The model fed with a recorded stream raised by ``base_gain_db`` (its offsets are around it)."""
        model = cls(
            features.sample_rate, features.channels, ceiling_db, release_ms, hold_ms, base_gain_db=base_gain_db
        )
        for peaks, energies in features.chunks:
            forecast_groups(
                peaks, energies, model.group, model.sub_groups, model.hold, model.release_coef, model.gains_db,
                model.ceiling_db, model.peaks, model.energies, model.reduction_db, model.hold_left,
                model.sub_energy, model.sub_ring, model.reduction_sum, model.hist_e, model.hist_n, model.counts,
            )  # fmt: skip
        return model

    def curve(self) -> np.ndarray:
        """The model's integrated loudness per offset, LUFS (NaN when silent)."""
        return integrated_from_histograms(self.hist_e, self.hist_n)

    def mean_reduction_db(self) -> np.ndarray:
        """The model's mean reduction per offset over the groups so far, dB."""
        return self.reduction_sum / max(1, int(self.counts[1]) - 2 * LOOK)


def integrated_from_histograms(hist_e: np.ndarray, hist_n: np.ndarray) -> np.ndarray:
    """BS.1770 gated loudness (LUFS) per row of block-loudness histograms (energy sums and counts
    per bin of ``1 / HIST_PER_LU`` LU from ``HIST_FLOOR_LUFS``, absolute gate applied); NaN for none."""
    out = np.full(hist_e.shape[0], np.nan)
    centres = HIST_FLOOR_LUFS + (np.arange(hist_e.shape[1]) + 0.5) / HIST_PER_LU
    for u in range(hist_e.shape[0]):
        n = hist_n[u].sum()
        if n == 0:
            continue
        gate = -0.691 + 10.0 * math.log10(hist_e[u].sum() / n) + RELATIVE_GATE_LU
        keep = centres > gate
        kn = hist_n[u, keep].sum()
        if kn > 0:
            out[u] = -0.691 + 10.0 * math.log10(hist_e[u, keep].sum() / kn)
    return out


def first_gain(forecasts: list[LoudnessForecast], base_gain_db: float, target: float) -> float | None:
    """The gain whose output the (unmatched) models put at ``target`` LUFS, for models fed at
    ``base_gain_db``: ``inf`` when even the largest offset falls short, ``None`` when the
    models cannot tell (silence, or a target below the smallest offset)."""
    level = _level_curve(forecasts)
    if level is None:
        return None
    offset = _offset_for(target, level)
    return None if offset is None else base_gain_db + offset


def forecast_gain(
    forecasts: list[LoudnessForecast], measured_lufs: float, reduction_db: float, gain_db: float, target: float
) -> float | None:
    """The gain whose output the forecasts put at ``target`` LUFS, given a render at ``gain_db``
    that measured ``measured_lufs`` and a mean reduction of ``reduction_db`` (dB, over the
    samples): ``inf`` when even the largest offset falls short, ``None`` when the model cannot
    tell (silence, or a target below its smallest offset)."""
    level = _level_curve(forecasts)
    if level is None:
        return None
    # the model's offset that limits as much as the render did (its detector reads sample and
    # half-sample peaks, the limiter true peaks with a margin): the render is that offset of the model
    reduction = np.mean([f.mean_reduction_db() for f in forecasts], axis=0)
    u0 = 0.0
    if reduction_db > MATCH_MIN_DB and reduction[-1] > reduction[0]:
        u0 = float(np.interp(reduction_db, reduction, OFFSETS_DB))
    offset = _offset_for(target, level - float(np.interp(u0, OFFSETS_DB, level)) + measured_lufs)
    return None if offset is None else gain_db + offset - u0


def _level_curve(forecasts: list[LoudnessForecast]) -> np.ndarray | None:
    """The models' integrated loudness per offset, LUFS, made rising with the gain (the
    histogram's rounding aside); ``None`` when any offset is silent."""
    level = integrated_from_histograms(sum(f.hist_e for f in forecasts), sum(f.hist_n for f in forecasts))
    if not np.all(np.isfinite(level)):
        return None
    return np.maximum.accumulate(level)


def _offset_for(target: float, curve: np.ndarray) -> float | None:
    """The offset (``OFFSETS_DB``) where the rising ``curve`` reaches ``target``: ``inf`` past
    its top, ``None`` below its bottom."""
    if target > curve[-1]:
        return math.inf
    if target < curve[0]:
        return None
    return float(np.interp(target, curve, OFFSETS_DB))
