"""True-peak kernels: the interpolation of mezzo's true peak, and BS.1770-4's Annex 2 filter.

mezzo's true peak interpolates with a kernel ``K`` (see
:mod:`mezzo.meters.peak`): a sinc, exact within 40 samples of its centre and
tapered to zero at ``H = 160``, read on a 16x grid. It is computed in two
stages:

1. the half-sample values ``Y[j] = y(j + 1/2) = sum_k K(k + 1/2) (x[j - k] +
   x[j + 1 + k])`` (``H`` folded taps, float32);
2. the 2x sequence ``..., x[j], Y[j], x[j + 1], ...`` holds the band below a
   quarter of its rate, so a short windowed sinc (12 taps at the 2x rate)
   interpolates it to 16x within 1e-4 of the signal. Each interval ``(j, j + 1)``
   gets 14 such values (7 in each half) besides ``Y[j]``; the 12-tap
   filter is symmetric, so each pair of mirrored phases ``q``, ``8 - q`` is one
   sum ``S`` over the pair sums ``z[m] + z[11 - m]`` and one ``D`` over the
   differences, and ``max(|value_q|, |value_(8-q)|) = |S| + |D|`` (the taps are
   halved in advance).

The same sums, in the same order, are done one interval at a time (inlined
helpers, for the limiter's lazy refinement) and vectorised over runs of
intervals (:func:`interval_maxima`), so both give bit-identical values.

``ANNEX2_PHASES`` is the example filter of BS.1770-4 Annex 2 (kept for the
tests and for the report's per-column peaks).
"""

from __future__ import annotations

import numpy as np

from mezzo.kernels._jit import kernel

#: BS.1770-4 Annex 2, Table: 48-tap interpolator as 4 phases x 12 taps.
#: Phase p gives y[4n + p] = sum_k H[p, k] * x[n - k].
ANNEX2_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)

#: values of the 2x sequence the stage 2 reads per half interval, and its pair count
S2_WINDOW = 12
S2_PAIRS = 6
#: the true-peak meter's chunk of intervals (one bound decides whether it is computed)
METER_CHUNK = 32


@kernel(inline=True)
def half_value(h, c, p, half_t):
    """``Y`` between ``h[c, p]`` and ``h[c, p + 1]``: ``sum_k half_t[k] (h[c, p - k] + h[c, p + 1 + k])``
    (float32, ``H`` a multiple of 4). Four partial sums, of the taps ``k = r (mod 4)`` each,
    added as ``(s0 + s1) + (s2 + s3)``: four independent chains of additions instead of one
    (a quarter of the latency). Rows are indexed in place: a row view would cost a
    reference count per value."""
    # unsigned indices: numba adds no negative-index wraparound (p - k >= 0 here)
    u1 = np.uint64(1)
    u2 = np.uint64(2)
    u3 = np.uint64(3)
    u4 = np.uint64(4)
    pu = np.uint64(p)
    n = np.uint64(half_t.shape[0])
    a0 = np.float32(0.0)
    a1 = np.float32(0.0)
    a2 = np.float32(0.0)
    a3 = np.float32(0.0)
    k = np.uint64(0)
    while k < n:
        lo = pu - k
        hi = pu + u1 + k
        a0 += half_t[k] * (h[c, lo] + h[c, hi])
        a1 += half_t[k + u1] * (h[c, lo - u1] + h[c, hi + u1])
        a2 += half_t[k + u2] * (h[c, lo - u2] + h[c, hi + u2])
        a3 += half_t[k + u3] * (h[c, lo - u3] + h[c, hi + u3])
        k += u4
    return (a0 + a1) + (a2 + a3)


@kernel(inline=True)
def stage2_max(z, base, s2p, s2m):
    """Largest magnitude of the 7 stage-2 values between ``z[base + 5]`` and ``z[base + 6]``."""
    best = np.float32(0.0)
    for q in range(s2m.shape[1]):
        s = np.float32(0.0)
        d = np.float32(0.0)
        for m in range(S2_PAIRS):
            a = z[base + m]
            b = z[base + S2_WINDOW - 1 - m]
            s += s2p[m, q] * (a + b)
            d += s2m[m, q] * (a - b)
        best = max(best, abs(s) + abs(d))
    s = np.float32(0.0)
    for m in range(S2_PAIRS):
        s += s2p[m, s2m.shape[1]] * (z[base + m] + z[base + S2_WINDOW - 1 - m])
    return max(best, abs(s))


@kernel
def interval_maxima(h, bx, m, half_t, s2p, s2m, yb, sbuf, dbuf, best):
    """Exact interval peaks of ``m`` consecutive intervals, vectorised over them.

    ``h`` float32, ``x[j_t]`` at ``h[bx + t]`` for the intervals ``(j_t, j_t + 1)``,
    ``t < m``; reads ``h[bx - H - 2 .. bx + m + H + 2]``. Writes ``yb[u] = Y[j_0 - 3 +
    u]`` for ``u < m + 6`` and ``best[t]``: the largest magnitude of ``Y[j_t]`` and the
    14 stage-2 values of the interval. Scratch ``sbuf`` (12, >= m + 6), ``dbuf`` >= m.
    Sums run in the order of :func:`half_value` (its four partial sums) and
    :func:`stage2_max` (several terms per sweep, added one after the other), so the
    values are bit-identical.
    """
    n_y = m + 6
    # the four partial sums of half_value in yb and three rows of sbuf (free until the stage 2)
    acc1 = sbuf[0]
    acc2 = sbuf[1]
    acc3 = sbuf[2]
    for u in range(n_y):
        yb[u] = 0.0
        acc1[u] = 0.0
        acc2[u] = 0.0
        acc3[u] = 0.0
    n_half = half_t.shape[0]
    for k in range(0, n_half, 4):
        w0 = half_t[k]
        w1 = half_t[k + 1]
        w2 = half_t[k + 2]
        w3 = half_t[k + 3]
        l0 = h[bx - 3 - k : bx - 3 - k + n_y]
        l1 = h[bx - 4 - k : bx - 4 - k + n_y]
        l2 = h[bx - 5 - k : bx - 5 - k + n_y]
        l3 = h[bx - 6 - k : bx - 6 - k + n_y]
        u0 = h[bx - 2 + k : bx - 2 + k + n_y]
        u1 = h[bx - 1 + k : bx - 1 + k + n_y]
        u2 = h[bx + k : bx + k + n_y]
        u3 = h[bx + 1 + k : bx + 1 + k + n_y]
        for u in range(n_y):
            yb[u] += w0 * (l0[u] + u0[u])
            acc1[u] += w1 * (l1[u] + u1[u])
            acc2[u] += w2 * (l2[u] + u2[u])
            acc3[u] += w3 * (l3[u] + u3[u])
    for u in range(n_y):
        yb[u] = (yb[u] + acc1[u]) + (acc2[u] + acc3[u])
    for t in range(m):
        best[t] = abs(yb[t + 3])
    n_q = s2m.shape[1]
    for base in range(2):
        # z_t[i] = Y[j_t - 3 + i / 2] = yb[t + i / 2] (i even), x[j_t - 2 + (i - 1) / 2] (i odd):
        # pair sums and differences z_t[base + mm] +- z_t[base + 11 - mm] into sbuf[mm], sbuf[6 + mm]
        for mm in range(S2_PAIRS):
            ia = base + mm
            ib = base + S2_WINDOW - 1 - mm
            if ia % 2 == 0:  # noqa: SIM108 (numba: one slice type per branch)
                a = yb[ia // 2 : ia // 2 + m]
            else:
                a = h[bx - 2 + ia // 2 : bx - 2 + ia // 2 + m]
            if ib % 2 == 0:  # noqa: SIM108
                b = yb[ib // 2 : ib // 2 + m]
            else:
                b = h[bx - 2 + ib // 2 : bx - 2 + ib // 2 + m]
            ps = sbuf[mm]
            ds = sbuf[S2_PAIRS + mm]
            for t in range(m):
                ps[t] = a[t] + b[t]
                ds[t] = a[t] - b[t]
        p0 = sbuf[0]
        p1 = sbuf[1]
        p2 = sbuf[2]
        p3 = sbuf[3]
        p4 = sbuf[4]
        p5 = sbuf[5]
        d0 = sbuf[6]
        d1 = sbuf[7]
        d2 = sbuf[8]
        d3 = sbuf[9]
        d4 = sbuf[10]
        d5 = sbuf[11]
        for q in range(n_q + 1):
            a0 = s2p[0, q]
            a1 = s2p[1, q]
            a2 = s2p[2, q]
            a3 = s2p[3, q]
            a4 = s2p[4, q]
            a5 = s2p[5, q]
            for t in range(m):
                dbuf[t] = abs(
                    (((((np.float32(0.0) + a0 * p0[t]) + a1 * p1[t]) + a2 * p2[t]) + a3 * p3[t]) + a4 * p4[t])
                    + a5 * p5[t]
                )
            if q < n_q:
                b0 = s2m[0, q]
                b1 = s2m[1, q]
                b2 = s2m[2, q]
                b3 = s2m[3, q]
                b4 = s2m[4, q]
                b5 = s2m[5, q]
                for t in range(m):
                    dbuf[t] += abs(
                        (((((np.float32(0.0) + b0 * d0[t]) + b1 * d1[t]) + b2 * d2[t]) + b3 * d3[t]) + b4 * d4[t])
                        + b5 * d5[t]
                    )
            for t in range(m):
                if dbuf[t] > best[t]:
                    best[t] = dbuf[t]


@kernel
def true_peak_update(x, half_t, s2p, s2m, c_bound, q_sum, hist, peaks, work, yb, sbuf, dbuf, best, bmax):
    """Raise ``peaks[c]`` to the true peak (samples and every interval) of channel c.

    Parameters
    ----------
    x : float array, shape (samples, channels), any layout
    half_t, s2p, s2m : float32 filters (see the module notes)
    c_bound, q_sum : the cheap bound's constants: an interval's values are at most
        ``c_bound max(|x[j]|, |x[j + 1]|) + q_sum max|d2|`` over ``x[j - H - 2 .. j + H + 3]``
        (``d2`` the second differences; the limiter's near and far weights summed)
    hist : float32 (channels, 2H + 5) the last inputs of the previous block (zeros at first)
    peaks : float64 (channels,) running true peak, linear
    work : float32 (>= samples + 2H + 5,) scratch; yb, sbuf, dbuf, best, bmax : scratch of
        >= METER_CHUNK + 6, (12, METER_CHUNK + 6), METER_CHUNK, METER_CHUNK, work.size // 32 + 2

    Intervals are computed a chunk of ``METER_CHUNK`` at a time, only where the bound
    can raise the peak found so far.
    """
    n = x.shape[0]
    channels = x.shape[1]
    hl = hist.shape[1]
    n_half = half_t.shape[0]
    total = hl + n
    first = n_half + 2  # the first interval whose inputs are all in work
    last = total - n_half - 4  # the last one
    slack = np.float32(1.0 + 1e-3)
    for c in range(channels):
        for j in range(hl):
            work[j] = hist[c, j]
        peak = peaks[c]
        for i in range(n):
            v = np.float32(x[i, c])
            work[hl + i] = v
            a = abs(float(x[i, c]))
            if a > peak:
                peak = a
        # maxima of |d2| (newest index) per block of 32
        nb = (total + 31) // 32
        for b in range(nb):
            bmax[b] = 0.0
        for i in range(2, total):
            d = abs(work[i] - 2.0 * work[i - 1] + work[i - 2])
            if d > bmax[i // 32]:
                bmax[i // 32] = d
        j0 = first
        while j0 <= last:
            m = min(METER_CHUNK, last - j0 + 1)
            near = np.float32(0.0)
            for i in range(j0, j0 + m + 1):
                if abs(work[i]) > near:
                    near = abs(work[i])
            far = np.float32(0.0)
            for b in range(max(j0 - n_half - 2, 2) // 32, (j0 + m - 1 + n_half + 3) // 32 + 1):
                if bmax[b] > far:
                    far = bmax[b]
            if (c_bound * near + q_sum * far) * slack > peak:
                interval_maxima(work, j0, m, half_t, s2p, s2m, yb, sbuf, dbuf, best)
                for t in range(m):
                    if best[t] > peak:
                        peak = float(best[t])
            j0 += m
        peaks[c] = peak
        for j in range(hl):
            hist[c, j] = work[total - hl + j]
