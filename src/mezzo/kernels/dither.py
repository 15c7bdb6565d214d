"""TPDF dither and quantisation in one pass (see :mod:`mezzo.mastering.dither`).

Private to mezzo. The noise comes from splitmix64 (Steele, Lea & Flood 2014: a
64-bit state advanced by the golden-ratio increment, then mixed), two uniform
variables on [0, 1) per sample from the top 53 bits of two outputs; their
difference is the triangular dither. Samples are visited channel by channel.
"""

from __future__ import annotations

import numpy as np

from mezzo.kernels._jit import kernel

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_UNIT = 2.0**-53


@kernel(inline=True)
def _mix(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@kernel
def tpdf_quantize(block, scale, shift, state, values, words):
    """Dither ``block`` (C, n) by TPDF noise of 1 LSB (``1 / scale``), round and clip to the
    signed range ``[-scale, scale - 1]``: ``values`` (C, n) float32 the quantised samples,
    ``words`` (C, n) int32 the integers shifted left by ``shift``; ``state`` (1,) uint64."""
    n_ch, n = block.shape
    s = state[0]
    inv = 1.0 / scale
    top = scale - 1.0
    for ch in range(n_ch):
        for t in range(n):
            s += _GOLDEN
            u1 = float(_mix(s) >> _S11) * _UNIT
            s += _GOLDEN
            u2 = float(_mix(s) >> _S11) * _UNIT
            q = np.rint(float(block[ch, t]) * scale + (u1 - u2))
            q = min(max(q, -scale), top)
            values[ch, t] = q * inv
            words[ch, t] = np.int32(q) << shift
    state[0] = s
