"""The loudness meter's measurements of a complete signal in numpy, without numba.

A whole short file measured at once does not need the per-sample kernels of
:mod:`mezzo.kernels.loudness`: the same
quantities come from vectorised numpy, and the process is spared loading the loudness
kernels' compiled code (about 1 s, more than the measurement of a short file
itself). :meth:`mezzo.meters.loudness.LoudnessMeter.measure_whole` uses it; the
results equal the streaming kernels' to within float rounding.

- K-weighting: the two biquads applied as their exact frequency response, by FFT
  blocks (:func:`mezzo.meters.fft_filter.overlap_save`). Each block's history
  outlasts the filter's memory (its impulse response decays below 1e-18 of its
  start), so the blocks equal the causal filter with zero initial state; before the
  first non-zero sample of a channel the output is set to exact zeros, as the
  recursion gives.
- Every-sample maxima of the 400 ms and 3 s windows from a cumulative sum; the
  10 ms sub-blocks, the 100 ms gating steps and the series exactly as the kernel
  forms them (same sub-block boundaries ``floor(k * rate / 100)``).
- True peak: :func:`mezzo.meters.peak.whole_true_peaks`, mezzo's one definition (the
  windowed-sinc kernel of :mod:`mezzo.meters.peak`) computed in numpy with the FFT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mezzo.kernels import loudness as _k
from mezzo.meters.fft_filter import fft_size, overlap_save
from mezzo.units import LOUDNESS_OFFSET_DB

#: The impulse response of the K-weighting filter is cut where it has decayed by this.
_TAIL = 1e-18
#: FFT blocks of the K-weighting span this many times the filter's reach (about 4/3 of the work
#: of one FFT of the whole signal, in fixed memory)
_BLOCKS_PER_REACH = 4


@dataclass
class WholeSignal:
    """What the streaming kernels would have accumulated over the whole signal."""

    samples: int
    sub_blocks: int
    peaks: np.ndarray  # (channels,) sample peak, linear
    gate_energies: np.ndarray  # 400 ms gating-block energies (every 100 ms, full windows)
    short_energies: np.ndarray  # 3 s block energies (every 100 ms, full windows)
    series: np.ndarray  # (rows, 3): sub-block index, 400 ms energy, 3 s energy (-1: no full window)
    max_momentary: float  # largest 400 ms energy sum over every sample position (0 if none)
    max_short: float  # the same over 3 s


def kweighted_energy(frames: np.ndarray, weights: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Channel-weighted K-weighted energy per sample, ``z = sum_i G_i * y_i**2``.

    ``frames`` is (samples, channels); ``sos`` is :func:`mezzo.meters.kweighting.k_weighting_sos`.
    """
    n, channels = frames.shape
    radius = max(float(np.abs(np.roots(section[3:])).max()) for section in sos)
    reach = math.ceil(math.log(_TAIL) / math.log(radius)) if radius > 0 else 8
    size = fft_size(_BLOCKS_PER_REACH * (reach + 1))
    w = np.exp(-1j * np.pi * np.arange(size // 2 + 1) / (size / 2))  # e^{-j omega} on the rfft grid
    response = np.ones(size // 2 + 1, dtype=np.complex128)
    for b0, b1, b2, a0, a1, a2 in sos:
        response *= (b0 + b1 * w + b2 * w * w) / (a0 + a1 * w + a2 * w * w)
    z = np.zeros(n)
    for c in range(channels):
        x = np.asarray(frames[:, c], dtype=np.float64)
        first = int(np.argmax(x != 0.0))
        if x[first] == 0.0:  # a silent channel
            continue
        y = overlap_save(x, response, reach, n)
        y[:first] = 0.0  # causal filter, zero state: exact zeros before the first sample
        y *= y
        y *= weights[c]
        z += y
    return z


def measure(frames: np.ndarray, weights: np.ndarray, sos: np.ndarray, sample_rate: int, hop_sub_blocks: int) -> WholeSignal:
    """The loudness kernel's accumulations over ``frames`` (samples, channels) from a fresh state."""
    n = frames.shape[0]
    peaks = np.abs(frames).max(axis=0).astype(np.float64) if n else np.zeros(frames.shape[1])
    z = kweighted_energy(frames, weights, sos)
    window_m, window_s = sample_rate * 4 // 10, sample_rate * 3
    cumulative = np.concatenate([[0.0], np.cumsum(z)])
    max_m = _window_max(cumulative, window_m)
    max_s = _window_max(cumulative, window_s)
    # 10 ms sub-blocks completed: k with floor(k * rate / 100) <= n
    count = (_k.SUB_BLOCKS_PER_S * (n + 1) - 1) // sample_rate
    bounds = np.arange(count + 1, dtype=np.int64) * sample_rate // _k.SUB_BLOCKS_PER_S
    sub = np.add.reduceat(z[: bounds[-1]], bounds[:-1]) if count else np.zeros(0)
    k = np.arange(1, count + 1)  # sub-blocks completed after each one
    e_m = _block_energy(sub, bounds, _k.MOMENTARY_SUB_BLOCKS)
    e_s = _block_energy(sub, bounds, _k.SHORT_TERM_SUB_BLOCKS)
    gate = k % _k.GATE_STEP_SUB_BLOCKS == 0
    rows = (k % hop_sub_blocks == 0) & (e_m >= 0.0)
    return WholeSignal(
        samples=n,
        sub_blocks=count,
        peaks=peaks,
        gate_energies=e_m[gate & (e_m >= 0.0)],
        short_energies=e_s[gate & (e_s >= 0.0)],
        series=np.stack([k[rows].astype(np.float64), e_m[rows], e_s[rows]], axis=1),
        max_momentary=max_m,
        max_short=max_s,
    )


def histogram_add(hist: np.ndarray, energies: np.ndarray) -> np.ndarray:
    """Count ``energies`` into a dense (2, HIST_BINS) histogram as the kernel does; return those above its top."""
    energies = energies[energies > 0.0]
    lufs = LOUDNESS_OFFSET_DB + 10.0 * np.log10(energies)
    energies, lufs = energies[lufs > _k.HIST_FLOOR_LUFS], lufs[lufs > _k.HIST_FLOOR_LUFS]
    position = (lufs - _k.HIST_FLOOR_LUFS) * _k.HIST_BINS_PER_LU
    inside = position < hist.shape[1]
    idx = position[inside].astype(np.int64)
    np.add.at(hist[0], idx, 1.0)
    np.add.at(hist[1], idx, energies[inside])
    return energies[~inside]


def _window_max(cumulative: np.ndarray, window: int) -> float:
    """Largest sum over ``window`` consecutive samples ending anywhere (0 if the signal is shorter)."""
    if cumulative.size - 1 < window:
        return 0.0
    return max(0.0, float((cumulative[window:] - cumulative[:-window]).max()))


def _block_energy(sub: np.ndarray, bounds: np.ndarray, blocks: int) -> np.ndarray:
    """Mean-square energy of the ``blocks`` sub-blocks ending at each completed sub-block (-1 before)."""
    out = np.full(sub.size, -1.0)
    if sub.size >= blocks:
        sums = np.convolve(sub, np.ones(blocks), mode="valid")
        out[blocks - 1 :] = sums / (bounds[blocks:] - bounds[: -blocks])
    return out
