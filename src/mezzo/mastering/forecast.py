"""Forecast of a limited master's loudness at other gains, from the render that measured it.

Near a loud target the output loudness hardly moves with the gain (the limiter
takes back most of it: slope 0.03 to 0.3 LU/dB), and how it moves changes with
the gain, so one measured point and a slope guess land far off. A render
therefore also runs a cheap model of the limiter on its input, at a grid of
extra gains (``OFFSETS_DB``): per group of about 1.3 ms the sample peak and the
K-weighted energy; the reduction each group needs is how far the peaks around
it (about +-4 ms, the limiter's window) rise over the ceiling, with the
limiter's instant attack, hold and release (one-pole in dB); the output energy
is gated as BS.1770 integrated loudness. The model misses what the true-peak
detector adds and the ramp, so it is used for differences only: it is matched
to the render by the limiter's measured mean reduction (the offset ``u0`` of the
model that reduces as much on average), and the forecast of the output at ``Δ``
dB more gain is the measured loudness plus the model's rise from ``u0`` to ``u0 +
Δ``. Memory is fixed (histograms of block loudness).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from mezzo.kernels.loudness_forecast import HIST_FLOOR_LUFS, HIST_PER_LU, LOOK, forecast_block

#: extra gains (over the rendered one) the model limiter runs at, dB
OFFSETS_DB = np.arange(-8.0, 20.5, 1.0)
#: a group of samples of the model, s (48 samples at 48 kHz: seven groups span the limiter's window)
GROUP_S = 48 / 48000
#: histogram range of block loudness, LU above HIST_FLOOR_LUFS
HIST_RANGE_LU = 100.0
#: relative gate of BS.1770 integrated loudness, LU
RELATIVE_GATE_LU = -10.0
#: below this mean reduction of the render, dB, the model is not matched to it (hardly limited)
MATCH_MIN_DB = 0.02


class LoudnessForecast:
    """Runs the model limiters over the blocks fed to :meth:`update` (the limiter's input)."""

    def __init__(self, sample_rate: int, channels: int, ceiling_db: float, release_ms: float, hold_ms: float) -> None:
        from mezzo.meters.kweighting import k_weighting_sos
        from mezzo.meters.layout import channel_weights
        from mezzo.processors.compressor import time_constant_coef

        self.group = max(1, round(GROUP_S * sample_rate))
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
            block, self.weights, self.sos, self.zk, self.group, self.sub_groups, self.hold, self.release_coef,
            OFFSETS_DB, self.ceiling_db, self.acc, self.peaks, self.energies, self.reduction_db, self.hold_left,
            self.sub_energy, self.sub_ring, self.reduction_sum, self.hist_e, self.hist_n, self.counts,
        )  # fmt: skip

    def tap(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Pass ``blocks`` through unchanged, feeding each to :meth:`update` on the way."""
        for block in blocks:
            self.update(block)
            yield block

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


def forecast_gain(
    forecasts: list[LoudnessForecast], measured_lufs: float, reduction_db: float, gain_db: float, target: float
) -> float | None:
    """The gain whose output the forecasts put at ``target`` LUFS, given a render at ``gain_db``
    that measured ``measured_lufs`` and a mean reduction of ``reduction_db`` (dB, over the
    samples): ``inf`` when even the largest offset falls short, ``None`` when the model cannot
    tell (silence, or a target below its smallest offset)."""
    level = integrated_from_histograms(sum(f.hist_e for f in forecasts), sum(f.hist_n for f in forecasts))
    if not np.all(np.isfinite(level)):
        return None
    level = np.maximum.accumulate(level)  # rising with the gain (the histogram's rounding aside)
    # the model's offset that limits as much as the render did (its detector reads sample
    # peaks, the limiter true peaks with a margin): the render is that offset of the model
    reduction = np.mean([f.mean_reduction_db() for f in forecasts], axis=0)
    u0 = 0.0
    if reduction_db > MATCH_MIN_DB and reduction[-1] > reduction[0]:
        u0 = float(np.interp(reduction_db, reduction, OFFSETS_DB))
    want = level - float(np.interp(u0, OFFSETS_DB, level)) + measured_lufs
    if target > want[-1]:
        return math.inf
    if target < want[0]:
        return None
    return gain_db + float(np.interp(target, want, OFFSETS_DB)) - u0
