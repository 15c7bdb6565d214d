"""Filtering a complete signal with the FFT, block by block (overlap-save).

Used by the numpy measurements of a whole short signal (:mod:`mezzo.meters.whole_signal`,
:func:`mezzo.meters.peak.whole_true_peaks`): fixed-size blocks keep the scratch memory
small and independent of the signal's length, which on a fresh process is also time
(every new page of memory is a page fault).
"""

from __future__ import annotations

import numpy as np


def fft_size(n: int) -> int:
    """The smallest 2**a or 3 * 2**a not below ``n``."""
    power = 1 << max(0, (n - 1).bit_length())
    return power * 3 // 4 if power * 3 // 4 >= n else power


def overlap_save(x: np.ndarray, spectrum: np.ndarray, reach: int, count: int, out: np.ndarray | None = None) -> np.ndarray:
    """``y[i] = sum_k h[k] x[i - k]`` for ``i < count``, with ``x`` zero outside its samples.

    ``spectrum`` is ``numpy.fft.rfft(h, size)`` for a block size ``size > reach``; each
    block's output sample ``t`` sees ``x[t - reach .. t]`` exactly, and its terms
    ``h[k]`` for ``k > reach`` wrap around onto later samples: exact for a filter of
    ``reach + 1`` taps, and for an infinite impulse response (its exact frequency response
    sampled at ``size`` points) within the size of ``h`` beyond ``reach``. ``x`` float64
    (1-D); writes into ``out`` (``count`` values, any stride) when given.
    """
    size = 2 * (spectrum.shape[0] - 1)
    step = size - reach
    if step <= 0:
        raise ValueError(f"overlap_save: block size {size} must exceed the filter's reach {reach}")
    if out is None:
        out = np.empty(count)
    segment = np.zeros(size)
    for start in range(0, count, step):
        done = min(step, count - start)
        lo, hi = max(start - reach, 0), min(start - reach + size, x.shape[0])
        segment[:] = 0.0
        if hi > lo:
            segment[lo - (start - reach) : hi - (start - reach)] = x[lo:hi]
        y = np.fft.irfft(np.fft.rfft(segment) * spectrum, size)
        out[start : start + done] = y[reach : reach + done]
    return out
