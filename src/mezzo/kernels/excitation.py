"""Excitation patterns with level-dependent auditory filters (ANSI S3.4-2007, sec. 3.5).

One kernel computes, frame by frame, the level per ERB of the *whole mix* at each
component, the roex(p) filter weights it implies (lower skirts widen with that level) and
applies the same filters to every source of the mix. Matrix products stay inside the
kernel: BLAS threads fight over the cores of a busy machine for products this small.
"""

from __future__ import annotations

import math

import numpy as np

from mezzo.kernels._jit import kernel

#: Lower slope floor of ANSI S3.4-2007 (p can reach 0 at very high levels).
P_LOWER_FLOOR = 0.1
#: Weights below exp(-_MAX_PG) (about 4e-18) are skipped.
_MAX_PG = 40.0


@kernel
def excitation(power, level_weights, upper_weights, centre_hz, p_upper, p_lower_coef, out):
    """Write the excitation of every source at every filter into ``out``.

    Parameters
    ----------
    power : ndarray, shape (frames, sources, bands), float
        Intensity of each component band of each source (after the outer and middle ear),
        relative to 0 dB SPL. Component bands and filters share the centres ``centre_hz``.
    level_weights : ndarray, shape (bands, bands)
        Level-independent roex weights ``W[j, k]`` of component ``k`` in the filter centred
        on component ``j`` (``p = 4 f / ERB(f)`` on both sides): the level per ERB.
    upper_weights : ndarray, shape (bands, bands)
        Weights ``W[i, j]`` of components at or above the centre of filter ``i`` (the
        level-independent upper side), 0 below it.
    centre_hz : ndarray, shape (bands,)
        Centre frequencies, Hz (ascending).
    p_upper, p_lower_coef : ndarray, shape (bands,)
        ``p_u = 4 fc / ERB(fc)`` and the level coefficient ``0.35 p_u / p_u(1 kHz)``.
    out : ndarray, shape (frames, sources, bands), float64
        The excitation, relative to 0 dB SPL (overwritten).

    Notes
    -----
    For a component at ``f < fc`` whose mix level per ERB is ``X`` dB, the weight is
    ``W(g) = (1 + p g) exp(-p g)`` with ``g = (fc - f) / fc`` and
    ``p = max(0.1, p_u - 0.35 (p_u / p_u(1 kHz)) (X - 51))``: the skirt widens as the
    level rises, so masking spreads upward more the louder the masker.
    """
    frames, sources, bands = power.shape
    mix = np.empty(bands)
    level_db = np.empty(bands)
    for t in range(frames):
        for j in range(bands):
            acc = 0.0
            for s in range(sources):
                acc += power[t, s, j]
            mix[j] = acc
        for j in range(bands):
            acc = 0.0
            for k in range(bands):
                acc += level_weights[j, k] * mix[k]
            level_db[j] = 10.0 * math.log10(max(acc, 1e-10))
        for i in range(bands):
            for s in range(sources):
                out[t, s, i] = 0.0
            fc = centre_hz[i]
            for j in range(bands):
                f = centre_hz[j]
                if f >= fc:
                    w = upper_weights[i, j]
                    if w < 1e-18:
                        break
                else:
                    p = p_upper[i] - p_lower_coef[i] * (level_db[j] - 51.0)
                    if p < P_LOWER_FLOOR:
                        p = P_LOWER_FLOOR
                    pg = p * (fc - f) / fc
                    if pg > _MAX_PG:
                        continue
                    w = (1.0 + pg) * math.exp(-pg)
                for s in range(sources):
                    out[t, s, i] += w * power[t, s, j]
