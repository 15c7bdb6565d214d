"""Independent true-peak reference: band-limited (sinc) interpolation of the whole signal.

Test-suite only (numpy/scipy; never imports mezzo, and mezzo never imports it). It
is the yardstick of every true-peak promise: the limiter's ceiling, the files that
mastering writes, the meter's accuracy.

Definition. A sampled signal ``x[0..N-1]``, silent before and after, stands for
the function ``y(t) = sum_n x[n] K(t - n)``; its true peak is ``max |y(t)|`` over
all real ``t``, including the ringing before the first and after the last sample.
Two kernels:

- ``"sinc"``: the ideal band-limited interpolation, ``K = sinc`` (what an ideal DAC
  would play). Content held at or within a few hundredths of Nyquist makes this
  reading grow without bound with the length of the content (the sinc's tail
  decays as ``1 / t``: a tone at exactly fs/2 that starts abruptly and lasts ``T``
  samples rings to ``(ln T + 1.96) / pi`` times its amplitude at its onset), so no
  processor with a finite lookahead can bound it there.
- ``"windowed"``: the sinc, exact within ``FLAT = 40``
  samples of the centre and tapered by a raised cosine to zero at ``HALF = 160``
  (a long reconstruction filter, as every real one is finite). Its passband is
  flat within 0.0023 dB up to 0.47 fs, so it reads sines there within
  0.005 dB, and it reads the ``sign(sinc)`` worst case (64 samples) exactly.
  It is also mezzo's own definition (:mod:`mezzo.meters.peak`), so it is never
  the only instrument a promise is tested with.
- ``"kaiser5"``, ``"kaiser8"``: the instrument of issue 13, as a user would build it
  with scipy: 16x interpolation by ``firwin(2 * 64 * 16 + 1, 1 / 16,
  window=('kaiser', beta)) * 16`` (a Kaiser-windowed sinc with 64 input samples
  each side, beta 5 or 8), i.e. ``K(u) = g sinc(u) I0(beta sqrt(1 - (u / 64)**2)) /
  I0(beta)`` for ``|u| <= 64``, 0 beyond, with ``g`` firwin's unit-DC-gain scaling.
  :func:`kaiser_taps` gives the taps from scipy itself (a self-check compares).

Computation (:func:`reference_peak`):

1. ``y(m + p / L)`` for every integer ``m`` from ``-S`` to ``N + S`` and every phase
   ``p`` of ``L = 16``: a linear convolution of ``x`` with ``K(k + p / L)``,
   ``|k| <= S``, by FFT, in chunks of ``CHUNK_SAMPLES`` positions so that memory
   stays bounded. ``"windowed"``: ``S = HALF``, exact; Kaiser: ``S = 64``, exact. ``"sinc"``: signals up to
   ``EXACT_SAMPLES`` long use ``S = N``: every sample is in every sum, so this is
   the definition's finite sum up to float rounding. Longer signals use ``S =
   LONG_SUPPORT``; the terms left out (samples farther than ``S``) add up like
   noise for audio, about
   ``rms * sqrt(2 / (pi**2 S))``, 1.8e-3 of the rms for ``S = 2**16`` (white
   noise, the worst case for audio: 0.003 dB at a crest factor of 4).
2. Maximum: on that grid the largest value is within ``1 - cos(pi / (2 L))`` of the
   true one (0.042 dB at L = 16 for content at Nyquist; Bernstein's inequality
   ``|y''| <= pi**2 max|y|``). Every local maximum of ``|y|`` on the grid within
   that margin of the largest is refined by a parabola through it and its two
   neighbours; for band-limited ``y`` the parabola is off by about
   ``(pi / L)**4 / 24`` of the peak at most (6e-5, 5e-4 dB); measured on sines up
   to 0.47 fs: below 1e-4 dB.

Checked against closed forms in ``tests/reference/test_true_peak_reference.py``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import fft as sfft

#: grid oversampling (phases per sample)
OVERSAMPLING = 16
#: signals up to this many samples get the exact finite sum (S = N)
EXACT_SAMPLES = 1 << 17
#: support of the sinc for longer signals, samples each side
LONG_SUPPORT = 1 << 16
#: grid positions (input samples) per chunk of work
CHUNK_SAMPLES = 1 << 17
#: the windowed kernel: exact sinc within FLAT samples, raised-cosine taper to 0 at HALF
FLAT = 40
HALF = 160
#: the Kaiser instruments: input samples each side, and beta per kernel name
KAISER_HALF = 64
KAISER_BETAS = {"kaiser5": 5.0, "kaiser8": 8.0}
KERNELS = ("sinc", "windowed", "kaiser5", "kaiser8")
#: every instrument a limiter or mastering promise is measured with
INSTRUMENTS = KERNELS


@lru_cache(maxsize=4)
def _kaiser_gain(beta: float) -> float:
    """firwin's scaling: the 16x taps ``sinc(k / 16) w(k / 16)`` sum to 16 after it."""
    u = np.arange(-KAISER_HALF * 16, KAISER_HALF * 16 + 1) / 16.0
    return 16.0 / float(np.sum(np.sinc(u) * _kaiser_window(u, beta)))


def _kaiser_window(u: np.ndarray, beta: float) -> np.ndarray:
    r = np.clip(1.0 - (u / KAISER_HALF) ** 2, 0.0, None)
    return np.where(np.abs(u) <= KAISER_HALF, np.i0(beta * np.sqrt(r)) / np.i0(beta), 0.0)


def kaiser_taps(beta: float) -> np.ndarray:
    """The issue's 16x filter built by scipy: ``firwin(2049, 1/16, window=('kaiser', beta)) * 16``."""
    from scipy.signal import firwin

    return firwin(2 * KAISER_HALF * 16 + 1, 1.0 / 16, window=("kaiser", beta)) * 16


def kernel_value(u: np.ndarray, which: str) -> np.ndarray:
    """The interpolation kernel ``K(u)`` (``u`` in samples) of ``which``."""
    u = np.asarray(u, dtype=np.float64)
    if which == "sinc":
        return np.sinc(u)
    if which in KAISER_BETAS:
        beta = KAISER_BETAS[which]
        return _kaiser_gain(beta) * np.sinc(u) * _kaiser_window(u, beta)
    a = np.abs(u)
    taper = 0.5 + 0.5 * np.cos(np.pi * np.clip((a - FLAT) / (HALF - FLAT), 0.0, 1.0))
    return np.sinc(u) * np.where(a >= HALF, 0.0, taper)


def sinc_sum(x: np.ndarray, t: np.ndarray, which: str = "sinc") -> np.ndarray:
    """``y(t) = sum_n x[n] K(t - n)`` evaluated directly, over every sample (slow, exact)."""
    x = np.asarray(x, dtype=np.float64)
    n = np.arange(x.shape[0], dtype=np.float64)
    return np.array([float(np.dot(x, kernel_value(ti - n, which))) for ti in np.atleast_1d(t)])


@lru_cache(maxsize=4)
def _phase_spectra(support: int, nfft: int, oversampling: int, which: str) -> np.ndarray:
    """Spectra (length ``nfft``) of ``K(k + p / L)``, ``k = -S .. S``, for ``p = 1 .. L - 1``."""
    k = np.arange(-support, support + 1, dtype=np.float64)
    taps = kernel_value(k[None, :] + np.arange(1, oversampling)[:, None] / oversampling, which)
    return sfft.rfft(taps, nfft, axis=1)


def _chunk_grid(
    x: np.ndarray, a: int, b: int, support: int, oversampling: int, which: str = "sinc"
) -> np.ndarray:
    """``|y(m + p / L)|`` for ``m`` in ``[a, b)``, as a flat array in time order."""
    n = x.shape[0]
    lo, hi = a - support, b + support
    seg = np.zeros(hi - lo)
    s0, s1 = max(lo, 0), min(hi, n)
    if s1 > s0:
        seg[s0 - lo : s1 - lo] = x[s0:s1]
    # linear convolution of seg with each phase's taps (2 S + 1 of them), by FFT;
    # full[i] = sum_j seg[i - j] sinc(j - S + p / L), and i = 2 S + (m - a) gives
    # sum_k x[m - k] sinc(k + p / L) = y(m + p / L)
    nfft = sfft.next_fast_len(seg.shape[0] + 2 * support, real=True)
    spec = sfft.rfft(seg, nfft)
    full = sfft.irfft(_phase_spectra(support, nfft, oversampling, which) * spec, nfft, axis=1)
    grid = np.empty((b - a, oversampling))
    grid[:, 0] = seg[support : support + (b - a)] * float(kernel_value(np.zeros(1), which)[0])  # phase 0
    grid[:, 1:] = full[:, 2 * support : 2 * support + (b - a)].T
    return np.abs(grid).reshape(-1)


def reference_peak(
    x: np.ndarray, *, kernel: str = "windowed", oversampling: int = OVERSAMPLING
) -> tuple[float, float]:
    """True peak of one channel: ``(max |y(t)|, the t of it in samples)``, linear.

    ``kernel`` is ``"sinc"`` or ``"windowed"``; see the module notes for the
    definitions and the accuracy.
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel={kernel!r}: expected one of {KERNELS}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("reference_peak takes one channel (1-D)")
    n = x.shape[0]
    if n == 0 or not np.any(x):
        return 0.0, 0.0
    exact = max(n, 64) if n <= EXACT_SAMPLES else LONG_SUPPORT
    support = {"windowed": HALF, "sinc": exact}.get(kernel, KAISER_HALF)
    margin = 1.0 - math.cos(math.pi / (2 * oversampling))
    start, stop = -support, n + support
    best, best_t = 0.0, 0.0
    a = start
    while a < stop:
        b = min(a + CHUNK_SAMPLES, stop)
        # one extra position on each side so that every local maximum has two neighbours
        ea, eb = a - 1, b + 1
        g = _chunk_grid(x, ea, eb, support, oversampling, kernel)
        inner = slice(oversampling, g.shape[0] - oversampling)  # the positions of [a, b)
        gi = g[inner]
        top = float(gi.max())
        if top / (1.0 - margin) > best:
            idx = np.flatnonzero(gi >= top * (1.0 - margin)) + oversampling
            left, mid, right = g[idx - 1], g[idx], g[idx + 1]
            keep = (mid >= left) & (mid >= right)
            idx, left, mid, right = idx[keep], left[keep], mid[keep], right[keep]
            den = left - 2.0 * mid + right
            off = np.where(den < 0.0, 0.5 * (left - right) / np.where(den < 0.0, den, -1.0), 0.0)
            val = mid - 0.25 * (left - right) * off
            k = int(np.argmax(val)) if val.shape[0] else -1
            if k >= 0 and float(val[k]) > best:
                best = float(val[k])
                best_t = ea + (idx[k] + off[k]) / oversampling
        a = b
    return best, best_t


def true_peak_reference(audio: np.ndarray, kernel: str = "windowed") -> float:
    """Largest reference true peak over the channels of ``audio`` (``(channels, samples)``
    or 1-D), linear; ``kernel`` as for :func:`reference_peak` (default: the limiter's
    yardstick)."""
    a = np.atleast_2d(np.asarray(audio, dtype=np.float64))
    return max(reference_peak(ch, kernel=kernel)[0] for ch in a)


def true_peak_reference_db(audio: np.ndarray, kernel: str = "windowed") -> float | None:
    """:func:`true_peak_reference` in dB (``None`` for digital silence)."""
    peak = true_peak_reference(audio, kernel)
    return None if peak <= 0.0 else 20.0 * math.log10(peak)


def instrument_readings_db(audio: np.ndarray) -> dict[str, float | None]:
    """:func:`true_peak_reference_db` by every instrument (:data:`INSTRUMENTS`)."""
    return {kernel: true_peak_reference_db(audio, kernel) for kernel in INSTRUMENTS}


def highest_reading_db(audio: np.ndarray) -> float | None:
    """The highest true peak of ``audio`` by any instrument, dB (``None`` for silence): what a
    promise "at most the ceiling + 0.1 dB" is checked against."""
    readings = [v for v in instrument_readings_db(audio).values() if v is not None]
    return max(readings) if readings else None
