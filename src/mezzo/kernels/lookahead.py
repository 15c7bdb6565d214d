"""Lookahead limiter kernel: lazy exact true-peak detection, sliding maximum, ramp, release.

Private to mezzo. One kernel call per block; the whole state lives in arrays
handed in, so any split of a signal into blocks gives bit-identical output.
Each block is processed in chunks of ``CHUNK`` samples, in four passes, one
kernel each (small functions keep the compiled loops in registers); the small
helpers of the detection are inlined into them (a call with many array
arguments costs more than the work of a helper).

Detection interpolates with the kernel ``K`` of the limiter's Notes (a sinc,
flat-windowed over 40 samples each side and tapered to zero at ``H = 160``), in
two stages: the half-sample values ``Y[j] = y(j + 1/2) = sum_k K(k + 1/2)
(x[j - k] + x[j + 1 + k])`` (``H`` folded taps), then the 2x sequence ``x[j],
Y[j], x[j + 1], ...`` interpolated to 16x by a short windowed sinc (12 taps at
the 2x rate: the 2x sequence holds the band below a quarter of its rate, so a
short filter is exact to 1e-4 of the signal). Intervals are keyed by the index
of their newest input: interval ``(j, j + 1)`` has key ``a = j + D``, ``D = H +
3`` (its 14 stage-2 values read ``Y[j - 3 .. j + 3]``; ``Y`` of key ``a`` reads
inputs up to ``x[a - 3]``).

1. **Detection bound**, per channel, of sample ``j = i - D`` (``i`` the newest
   input; 0 for sample peak). The detected peak of ``j`` is ``peak[j] =
   max(|x[j-1]|, |x[j]|, |x[j+1]|, I[j - 1], I[j])`` where ``I[j]`` is the largest
   magnitude of the 15 interpolated values strictly between samples ``j`` and
   ``j + 1``. Every phase ``h`` of ``K`` splits exactly as ``h = q * [1, -2, 1] + r0
   d[x[j + 1]] + r1 d[x[j]]``, so ``I[j] <= c_bound max(|x[j]|, |x[j+1]|) +
   sum_k q_near[k] |d2[j + 20 - k]| + q_far max|d2|`` (``d2[i] = x[i] - 2 x[i-1] +
   x[i-2]``; 39 near taps weighted one by one, vectorised over the chunk, the
   other 279 bounded by their sum times the largest ``|d2|`` of their span).
   That bound is kept as final when it is within ``accept`` of ``max(|x[j-1]|,
   |x[j]|, |x[j+1]|)``.
2. **Window maximum**, per gain channel: ``S[i] = min(1, c / M[i])`` with
   ``M[i]`` the maximum of the detected peaks over the last ``win`` samples, by
   the van Herk / Gil-Werman algorithm (suffix maxima of the previous block of
   ``win`` samples, prefix maxima of the current one). Values are bounds or
   final values. Suffix maxima above the ceiling are refined when a block is
   complete; the prefix maximum is refined while it is the window's maximum
   and above the ceiling. Refining means: the half-sample values give a better
   lower bound (a bound within ``accept`` of it is kept), else the exact peak
   (``I`` of one interval at a time; after a chunk where at least ``1 /
   DENSE_FRACTION`` of the samples needed it, those of the next chunk's
   stretches of bounds above the ceiling, vectorised). Channels of a linked
   group are refined in the order of their lower bounds, largest first:
   another channel's bound at or below the exact peak found needs no exact
   peak. So ``M[i]`` is the exact maximum or a bound at most ``accept`` above
   it, never below, and the same whatever the block splits (every value is the
   same sums in the same order, however computed).
3. **Hold and release**: ``V`` falls instantly to ``S``; it rises towards it by
   a one-pole in dB (after ``hold`` samples), never above it. **Ramp**: the
   gain is the moving average of ``V`` over ``ramp + 1`` samples (at most
   ``r[m']`` for every ``m'`` in ``[m - post, m + pre]``, see the limiter's
   Notes; it never moves by more than ``1 / (ramp + 1)`` per sample).
4. The gain multiplies the audio delayed by ``latency`` samples.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from mezzo.kernels._jit import kernel
from mezzo.kernels.true_peak import half_value, interval_maxima, stage2_max

#: samples per pass of the block loop
CHUNK = 1024
#: a chunk follows one where at least 1 / DENSE_FRACTION of the samples needed exact peaks:
#: its exact peaks are computed in one vectorised run (dense content such as loud noise)
DENSE_FRACTION = 4
#: samples at or below the ceiling that end a stretch of the dense prefill (shorter gaps
#: are computed with it: one long vectorised run is cheaper than several short ones)
MERGE_GAP = 32
#: a floor for the window maximum (no division by zero; far below any ceiling)
TINY = 1e-300
#: the weighted sum of the bound is computed in float32 (twice the lanes): a sum of 39
#: non-negative terms, each rounded, is within 3e-6 of the exact one; this covers it
WSUM_SLACK = 1.0 + 1e-5
#: relative slack on the bound: covers float rounding and the stage-2 interpolation's
#: departure from the kernel (at most 1.3e-4 of the signal's peak on full-band noise)
BOUND_SLACK = 1e-3
#: near taps of the bound (weighted one by one) reach this far after ``x[j]``
NEAR_AHEAD = 20
#: the far span of the bound's second differences: newest indices ``[j - FAR_BACK, j + H]``
FAR_BACK = 157
#: values of the 2x sequence around one interval read by the stage 2 (see _exact_interval)
S2_TAPS = 12

# counter slots (``counters`` is an int64 array of 8)
#: samples processed so far (the index of the next input)
C_INDEX = 0
#: position in the delay line
C_DELAY_POS = 1
#: offset in the current van Herk block of the window maximum
C_VH_OFF = 2
#: which half of ``vh`` holds the current van Herk block (0 or 1)
C_VH_PARITY = 3
#: refinements (statistic)
C_REFINED = 4
#: ``index % R`` (position of the next input in the history ring)
C_RING_POS = 5
#: ``index % (ramp + 1)`` (position in the ramp's moving average)
C_BOX_POS = 6
#: refinements that needed exact peaks (statistic; steers the dense prefill)
C_EXACT = 7


class LimiterState(NamedTuple):
    """The limiter kernel's state arrays, by name (see :func:`limiter_block`, State)."""

    hist: np.ndarray
    hist32: np.ndarray
    d2hist: np.ndarray
    ub_prev: np.ndarray
    ycache: np.ndarray
    ytag: np.ndarray
    icache: np.ndarray
    itag: np.ndarray
    vh: np.ndarray
    vflag: np.ndarray
    vch: np.ndarray
    vchx: np.ndarray
    suf_v: np.ndarray
    suf_a: np.ndarray
    pre_v: np.ndarray
    pre_a: np.ndarray
    box_buf: np.ndarray
    box_sum: np.ndarray
    box_low: np.ndarray
    rel_db: np.ndarray
    hold_state: np.ndarray
    delay_buf: np.ndarray
    counters: np.ndarray


@kernel(inline=True)
def _half_value(key, c, hist32, ring, half_t, ycache, ytag):
    """Half-sample value ``Y[j]`` (``j = key - D``, newest input ``x[key - 3]``), cached (float32 sums)."""
    size = ytag.shape[1]
    slot = key & (size - 1)
    if ytag[c, slot] == key:
        return ycache[c, slot]
    n_half = half_t.shape[0]
    p = (key - 3 - n_half) & (ring - 1)  # x[j], with room for x[j - H + 1 .. j + H]
    if p < n_half:
        p += ring
    val = float(half_value(hist32, c, p, half_t))
    ycache[c, slot] = val
    ytag[c, slot] = key
    return val


@kernel(inline=True)
def _half_abs(key, c, hist32, ring, half_t, ycache, ytag):
    """``|Y|`` of interval key ``key``: a lower bound of its peak."""
    return abs(_half_value(key, c, hist32, ring, half_t, ycache, ytag))


@kernel(inline=True)
def _exact_interval(
    key, c, detect_delay, hist32, ring, half_t, s2p, s2m, zbuf, ycache, ytag, icache, itag
):
    """Exact ``I`` of the interval of key ``key`` (cached per channel): the largest magnitude
    of ``Y[j]`` and of the 14 stage-2 values (7 in each half of the interval).

    ``zbuf`` (13,) float32 scratch gets the 2x sequence ``Y[j-3], x[j-2], Y[j-2], ..., x[j+3], Y[j+3]``.
    """
    size = itag.shape[1]
    slot = key & (size - 1)
    if itag[c, slot] == key:
        return icache[c, slot]
    px = (key - detect_delay) & (ring - 1)  # x[j], with room for x[j - 2 .. j + 3]
    if px < 2:
        px += ring
    for u in range(7):
        zbuf[2 * u] = _half_value(key - 3 + u, c, hist32, ring, half_t, ycache, ytag)
    for u in range(6):
        zbuf[2 * u + 1] = hist32[c, px - 2 + u]
    best = max(abs(zbuf[6]), stage2_max(zbuf, 0, s2p, s2m), stage2_max(zbuf, 1, s2p, s2m))
    val = float(best)
    icache[c, slot] = val
    itag[c, slot] = key
    return val


@kernel(refcount=False)
def _exact_batch(first, m, c, detect_delay, half_t, s2p, s2m, state, yb, sbuf, dbuf, best):
    """Exact ``I`` of the ``m`` intervals of keys ``first .. first + m - 1`` and the
    half-sample values they read, into the caches of ``state`` (dense content: vectorised
    over the run by :func:`~mezzo.kernels.true_peak.interval_maxima`, the same sums in the
    same order as :func:`_exact_interval`, so bit-identical).

    Scratch: ``yb`` >= m + 6, ``sbuf``, ``dbuf`` and ``best`` >= m.
    """
    hist32, ycache, ytag, icache, itag = state.hist32, state.ycache, state.ytag, state.icache, state.itag
    ring = hist32.shape[1] // 2
    n_half = half_t.shape[0]
    # position of x[first - D] such that every read stays inside the doubled ring
    bx = ((first - detect_delay) & (ring - 1)) + ring
    if bx + m + n_half + 8 > 2 * ring:
        bx -= ring
    interval_maxima(hist32[c], bx, m, half_t, s2p, s2m, yb, sbuf, dbuf, best)
    ysz = ytag.shape[1]
    for u in range(m + 6):
        key = first - 3 + u
        slot = key & (ysz - 1)
        ycache[c, slot] = yb[u]
        ytag[c, slot] = key
    size = itag.shape[1]
    for t in range(m):
        slot = (first + t) & (size - 1)
        icache[c, slot] = best[t]
        itag[c, slot] = first + t


@kernel(inline=True)
def _three_samples(hist, c, p):
    """Largest of ``|hist[c, p - 2]|``, ``|hist[c, p - 1]|``, ``|hist[c, p]|``."""
    return max(abs(hist[c, p - 2]), abs(hist[c, p - 1]), abs(hist[c, p]))


@kernel(inline=True)
def _final_value(
    a_idx,
    c,
    bound,
    detect_delay,
    accept,
    hist,
    hist32,
    ring,
    half_t,
    s2p,
    s2m,
    zbuf,
    ycache,
    ytag,
    icache,
    itag,
    counters,
):
    """Final detected value of sample ``a_idx`` of channel ``c`` whose upper bound is ``bound``.

    The bound is kept when it is within ``accept`` of the lower bound ``max`` of the
    samples ``j - 1 .. j + 1`` and the half-sample values of the intervals on each
    side (so it is at most ``accept`` above the exact peak); otherwise the exact peak.
    """
    three = _three_samples(hist, c, ((a_idx - detect_delay + 1) & (ring - 1)) + ring)
    lo = max(three, _half_abs(a_idx - 1, c, hist32, ring, half_t, ycache, ytag))
    lo = max(lo, _half_abs(a_idx, c, hist32, ring, half_t, ycache, ytag))
    if bound <= accept * lo:
        return bound
    counters[C_EXACT] += 1
    e0 = _exact_interval(
        a_idx - 1, c, detect_delay, hist32, ring, half_t, s2p, s2m, zbuf, ycache, ytag, icache, itag
    )
    e1 = _exact_interval(
        a_idx, c, detect_delay, hist32, ring, half_t, s2p, s2m, zbuf, ycache, ytag, icache, itag
    )
    return max(three, e0, e1)


@kernel(refcount=False)
def _finalize(first, m, c, ceiling, detect_delay, accept, state):
    """Final values of the samples of keys ``first .. first + m - 1`` of channel ``c`` whose
    bounds are above the ceiling, after :func:`_exact_batch` (every value it needs is
    cached: the decision of :func:`_final_value`, read from the caches)."""
    hist, vch, vchx, ycache, icache, counters = state.hist, state.vch, state.vchx, state.ycache, state.icache, state.counters
    ring = hist.shape[1] // 2
    kmask = vch.shape[1] - 1
    for a_idx in range(first, first + m):
        slot = a_idx & kmask
        bound = vch[c, slot]
        if vchx[c, slot] == 0 and bound > ceiling:
            prev = (a_idx - 1) & kmask
            three = _three_samples(hist, c, ((a_idx - detect_delay + 1) & (ring - 1)) + ring)
            lo = max(three, abs(ycache[c, prev]), abs(ycache[c, slot]))
            if bound > accept * lo:
                counters[C_EXACT] += 1
                bound = max(three, icache[c, prev], icache[c, slot])
            vch[c, slot] = bound
            vchx[c, slot] = 1


@kernel(inline=True)
def _refine(
    g,
    a_idx,
    n_gain,
    n_ch,
    detect_delay,
    accept,
    hist,
    hist32,
    ring,
    half_t,
    s2p,
    s2m,
    zbuf,
    vch,
    vchx,
    ycache,
    ytag,
    icache,
    itag,
    counters,
):
    """Final value of detected sample ``a_idx`` of gain channel ``g``: the largest final
    value (:func:`_final_value`) over the group's channels.

    A channel whose bound is at or below the largest final value found so far cannot
    raise it and is left as it is (the channel with the largest bound goes first).
    ``vch``/``vchx`` are the per-channel bounds or final values and their flags, by
    key (``a_idx % K``).
    """
    c_lo = 0 if n_gain == 1 else g
    c_hi = n_ch if n_gain == 1 else g + 1
    cslot = a_idx & (vch.shape[1] - 1)
    c_first = c_lo
    for c in range(c_lo + 1, c_hi):
        if vch[c, cslot] > vch[c_first, cslot]:
            c_first = c
    best = 0.0
    for i in range(c_lo - 1, c_hi):
        c = c_first if i < c_lo else i
        if i >= c_lo and c == c_first:
            continue
        hc = vch[c, cslot]
        if vchx[c, cslot] == 1:
            val = hc
        elif hc <= best:
            continue
        else:
            val = _final_value(
                a_idx,
                c,
                hc,
                detect_delay,
                accept,
                hist,
                hist32,
                ring,
                half_t,
                s2p,
                s2m,
                zbuf,
                ycache,
                ytag,
                icache,
                itag,
                counters,
            )
            vch[c, cslot] = val
            vchx[c, cslot] = 1
        if val > best:
            best = val
    return best


@kernel(refcount=False)
def _bounds_pass(
    x,
    i0,
    m,
    true_peak,
    hist,
    hist32,
    d2hist,
    r0,
    index0,
    detect_delay,
    c_bound,
    q_near,
    q_far,
    accept,
    ub_prev,
    vch,
    vchx,
    wsum,
    ubuf,
    fbuf,
    fsuf,
):
    """Pass 1, per channel: store ``x[:, i0:i0 + m]`` in the ring; upper bound of each detected sample.

    The bound of the interval of key ``i`` (interval ``(j, j + 1)``, ``j = i - D``) is
    ``c_bound max(|x[j]|, |x[j + 1]|) + sum_k q_near[k] |d2[j + 20 - k]| + q_far F[i]``
    with ``d2[i] = x[i] - 2 x[i - 1] + x[i - 2]`` and ``F[i]`` the largest ``|d2|`` with
    newest index in ``[j - 157, j + 160]``. Every loop runs over a stretch where neither
    ring wraps, on slices, so that it vectorises; ``wsum``, ``ubuf``, ``fbuf``, ``fsuf`` are
    scratch of ``>= m``, ``>= m + 1``, ``>= m``, ``(2, >= m + D + FAR_BACK)``. The weighted sum is float32
    (``d2hist``, ``q_near`` and ``wsum``: twice the lanes); ``WSUM_SLACK`` covers its
    rounding.
    """
    n_ch = x.shape[0]
    ring = hist.shape[1] // 2
    ksize = vch.shape[1]
    slack = 1.0 + BOUND_SLACK
    n_q = q_near.shape[0]
    near_shift = detect_delay - NEAR_AHEAD  # d2 of key i's first near tap: newest index i - shift
    far_lo = detect_delay + FAR_BACK  # the far span: newest indices [i - far_lo, i - far_hi]
    far_hi = 3  # newest: j + H = i - 3 (D = H + 3)
    span = far_lo - far_hi + 1
    for c in range(n_ch):
        h = hist[c]
        h32 = hist32[c]
        dh = d2hist[c]
        xc = x[c]
        # 1. store the inputs (float64 and float32, and the magnitudes of their second
        # differences), both halves
        t = 0
        while t < m:
            r = (r0 + t) % ring
            seg = min(m - t, ring - r)
            xs = xc[i0 + t : i0 + t + seg]
            hl = h[r : r + seg]
            hu = h[r + ring : r + ring + seg]
            for u in range(seg):
                v = float(xs[u])
                hl[u] = v
                hu[u] = v
            if true_peak:
                gl = h32[r : r + seg]
                gu = h32[r + ring : r + ring + seg]
                for u in range(seg):
                    v32 = np.float32(xs[u])
                    gl[u] = v32
                    gu[u] = v32
                h1 = h[r + ring - 1 : r + ring - 1 + seg]
                h2 = h[r + ring - 2 : r + ring - 2 + seg]
                dl = dh[r : r + seg]
                du = dh[r + ring : r + ring + seg]
                for u in range(seg):
                    d = abs(hu[u] - 2.0 * h1[u] + h2[u])
                    dl[u] = d
                    du[u] = d
            t += seg
        if true_peak:
            # position of x[i0's index] such that the chunk's reads are contiguous
            start = r0 + ring if r0 + m <= ring else r0
            # 2. the weighted sums of |d2| over the near taps, four taps per sweep added
            # one after the other (the same order for every sample, whatever the chunk)
            for t in range(m):
                wsum[t] = np.float32(0.0)
            base = start - near_shift
            k = 0
            while k + 4 <= n_q:
                w0 = q_near[k]
                w1 = q_near[k + 1]
                w2 = q_near[k + 2]
                w3 = q_near[k + 3]
                s0 = dh[base - k : base - k + m]
                s1 = dh[base - k - 1 : base - k - 1 + m]
                s2 = dh[base - k - 2 : base - k - 2 + m]
                s3 = dh[base - k - 3 : base - k - 3 + m]
                for t in range(m):
                    wsum[t] = (((wsum[t] + w0 * s0[t]) + w1 * s1[t]) + w2 * s2[t]) + w3 * s3[t]
                k += 4
            while k < n_q:
                w0 = q_near[k]
                s0 = dh[base - k : base - k + m]
                for t in range(m):
                    wsum[t] += w0 * s0[t]
                k += 1
            # 3. the far maxima F[t] = max dh[e_t - span + 1 .. e_t], e_t = start - far_hi + t, by
            # doubling: P holds the maxima over windows of ``width`` values (1, 2, 4, ...; the
            # two rows of ``fsuf`` in turn, so that every loop vectorises), F gathers the windows
            # of the bits of ``span`` (exact maxima, so the same whatever the chunk). The values
            # are >= 0, so 0 is the maximum of an empty window.
            lo = start - far_hi - span + 1
            valid = m + span - 1  # P is valid on [0, valid)
            pbuf = fsuf[0]
            src = dh[lo : lo + valid]
            for t in range(valid):
                pbuf[t] = src[t]
            for t in range(m):
                fbuf[t] = 0.0
            width = 1
            acc = 0  # F's window so far
            row = 0
            while acc < span:
                pbuf = fsuf[row]
                if span & width:
                    pb = pbuf[acc : acc + m]
                    for t in range(m):
                        fbuf[t] = max(fbuf[t], pb[t])
                    acc += width
                if acc < span:
                    valid -= width
                    head = pbuf[:valid]
                    tail = pbuf[width : width + valid]
                    nxt = fsuf[1 - row]
                    for t in range(valid):
                        nxt[t] = max(head[t], tail[t])
                    width *= 2
                    row = 1 - row
        # 4. per detected sample ``j = i - D``: the bound and whether it is final
        vc = vch[c]
        vxc = vchx[c]
        ubuf[0] = ub_prev[c]  # the bound of the interval before the chunk's first
        t = 0
        while t < m:
            r = (r0 + t) % ring
            kk = (index0 + t) & (ksize - 1)
            seg = min(m - t, ring - r, ksize - kk)
            pj = r + ring - detect_delay  # x[j] of the stretch's first sample
            a1 = h[pj : pj + seg]
            vcs = vc[kk : kk + seg]
            vxs = vxc[kk : kk + seg]
            if true_peak:
                a0 = h[pj - 1 : pj - 1 + seg]
                a2 = h[pj + 1 : pj + 1 + seg]
                ws = wsum[t : t + seg]
                fs = fbuf[t : t + seg]
                up = ubuf[t : t + seg]
                un = ubuf[t + 1 : t + 1 + seg]
                for u in range(seg):
                    far = q_far * float(fs[u])
                    un[u] = (
                        c_bound * max(abs(a1[u]), abs(a2[u])) + (ws[u] + far) * WSUM_SLACK
                    ) * slack
                for u in range(seg):
                    near = max(abs(a1[u]), abs(a2[u]))
                    # the samples j - 1, j and j + 1 are part of the peak of j: a lower bound
                    lo = max(near, abs(a0[u]))
                    hb = max(lo, up[u], un[u])
                    vcs[u] = hb
                    # within ``accept`` of the lower bound: the bound is final
                    vxs[u] = 1 if hb <= accept * lo else 0
            else:
                for u in range(seg):
                    vcs[u] = abs(a1[u])
                    vxs[u] = 1
            t += seg
        if true_peak:
            ub_prev[c] = ubuf[m]


@kernel(inline=True)
def _refine_slot(g, a_idx, slot, n_gain, n_ch, detect_delay, accept, half_t, s2p, s2m, zbuf, state):
    """:func:`_refine` of detected sample ``a_idx`` of gain channel ``g``, stored as final at
    ``vh[g, slot]`` (and counted); returns it."""
    hist = state.hist
    val = _refine(
        g,
        a_idx,
        n_gain,
        n_ch,
        detect_delay,
        accept,
        hist,
        state.hist32,
        hist.shape[1] // 2,
        half_t,
        s2p,
        s2m,
        zbuf,
        state.vch,
        state.vchx,
        state.ycache,
        state.ytag,
        state.icache,
        state.itag,
        state.counters,
    )
    state.vh[g, slot] = val
    state.vflag[g, slot] = 1
    state.counters[C_REFINED] += 1
    return val


@kernel(refcount=False)
def _suffix_maxima(
    g, index, prev, win, n_gain, n_ch, detect_delay, accept, ceiling, half_t, s2p, s2m, zbuf, state
):
    """Suffix maxima of the van Herk block just completed (at ``vh[g, prev:prev + win]``),
    refining each record above the ceiling; once per block, so kept out of the
    per-sample loop (which then keeps its values in registers)."""
    vh = state.vh
    vflag = state.vflag
    suf_v = state.suf_v
    suf_a = state.suf_a
    run = 0.0
    ra = win - 1
    for o in range(win - 1, -1, -1):
        val = vh[g, prev + o]
        if val > run and val > ceiling and vflag[g, prev + o] == 0:
            val = _refine_slot(
                g,
                index - win + o,
                prev + o,
                n_gain,
                n_ch,
                detect_delay,
                accept,
                half_t,
                s2p,
                s2m,
                zbuf,
                state,
            )
        if val > run:
            run = val
            ra = o
        suf_v[g, o] = run
        suf_a[g, o] = ra


@kernel(refcount=False)
def _refine_window(
    g,
    index,
    off,
    cur,
    prev,
    win,
    thr,
    pmax,
    parg,
    sm,
    n_gain,
    n_ch,
    detect_delay,
    accept,
    half_t,
    s2p,
    s2m,
    zbuf,
    state,
):
    """Refine the window maximum of sample ``index`` (offset ``off`` in its van Herk block)
    until it is a final value or at most ``thr``: the prefix maximum ``pmax`` (offset
    ``parg``) or the suffix maximum ``sm``, whichever is the window's, while it is still a
    bound above ``thr``. Returns the new ``(pmax, parg, sm)``. Out of the per-sample loop
    of :func:`_window_pass` (rare: it keeps that loop's values in registers)."""
    vh = state.vh
    vflag = state.vflag
    pre_v = state.pre_v
    pre_a = state.pre_a
    suf_v = state.suf_v
    suf_a = state.suf_a
    while True:
        # the prefix maximum while it is the window maximum above the threshold and a bound
        while (pmax > sm) & (pmax > thr) & (vflag[g, cur + parg] == 0):
            _refine_slot(
                g,
                index - off + parg,
                cur + parg,
                n_gain,
                n_ch,
                detect_delay,
                accept,
                half_t,
                s2p,
                s2m,
                zbuf,
                state,
            )
            # the prefix maxima from the refined sample on
            for o in range(parg, off + 1):
                if o == 0 or vh[g, cur + o] > pre_v[g, o - 1]:
                    pre_v[g, o] = vh[g, cur + o]
                    pre_a[g, o] = o
                else:
                    pre_v[g, o] = pre_v[g, o - 1]
                    pre_a[g, o] = pre_a[g, o - 1]
            pmax = pre_v[g, off]
            parg = pre_a[g, off]
        # then the suffix maximum, the same way (it was refined against an earlier threshold
        # when its block completed)
        sa = suf_a[g, off + 1] if off < win - 1 else 0
        if not ((off < win - 1) & (sm >= pmax) & (sm > thr) & (vflag[g, prev + sa] == 0)):
            break
        _refine_slot(
            g,
            index - off - win + sa,
            prev + sa,
            n_gain,
            n_ch,
            detect_delay,
            accept,
            half_t,
            s2p,
            s2m,
            zbuf,
            state,
        )
        run = suf_v[g, sa + 1] if sa < win - 1 else 0.0
        ra = suf_a[g, sa + 1] if sa < win - 1 else sa
        for o in range(sa, -1, -1):
            if vh[g, prev + o] > run:
                run = vh[g, prev + o]
                ra = o
            suf_v[g, o] = run
            suf_a[g, o] = ra
        sm = suf_v[g, off + 1]
    return pmax, parg, sm


@kernel(float_division=True, refcount=False)
def _window_pass(
    m,
    index0,
    n_ch,
    hig,
    exg,
    sbuf,
    detect_delay,
    accept,
    ceiling,
    near_nyquist,
    i0,
    win,
    half_t,
    s2p,
    s2m,
    zbuf,
    state,
):
    """Pass 2, per gain channel: sliding maximum of the detected peaks -> ``sbuf``.

    ``near_nyquist[g, i0 + t]`` (linear, >= 0) is added to the window maximum before it
    becomes a gain (the spread of other long interpolators on content near Nyquist, see
    the limiter's Notes); a window maximum is refined when it is above the ceiling less it.
    """
    n_gain = sbuf.shape[0]
    vh = state.vh
    vflag = state.vflag
    vch = state.vch
    vchx = state.vchx
    pre_v = state.pre_v
    pre_a = state.pre_a
    suf_v = state.suf_v
    suf_a = state.suf_a
    counters = state.counters
    ksize = vch.shape[1]
    # van Herk / Gil-Werman over blocks of ``win``: the window [index - win + 1, index]
    # is a suffix of the previous block and a prefix of the current one. A sample is
    # refined (its bound replaced by its final value) when it would become a prefix
    # maximum or a suffix maximum above the ceiling, so both maxima are final values.
    new_off = counters[C_VH_OFF]
    new_parity = counters[C_VH_PARITY]
    last = win - 1
    for g in range(n_gain):
        index = index0
        off = counters[C_VH_OFF]
        parity = counters[C_VH_PARITY]
        c_lo = 0 if n_gain == 1 else g
        c_hi = n_ch if n_gain == 1 else g + 1
        # the group's bound: the largest over its channels (final if that channel's is)
        for t in range(m):
            hig[t] = vch[c_lo, (index0 + t) & (ksize - 1)]
            exg[t] = vchx[c_lo, (index0 + t) & (ksize - 1)]
        for c in range(c_lo + 1, c_hi):
            for t in range(m):
                kt = (index0 + t) & (ksize - 1)
                if vch[c, kt] > hig[t]:
                    hig[t] = vch[c, kt]
                    exg[t] = vchx[c, kt]
        vhg = vh[g]
        vfg = vflag[g]
        preg = pre_v[g]
        prea = pre_a[g]
        sufg = suf_v[g]
        sufa = suf_a[g]
        sbg = sbuf[g]
        nng = near_nyquist[g]
        # the prefix maximum of the current block so far (any value at offset 0)
        pmax = preg[off - 1] if off > 0 else 0.0
        parg = prea[off - 1] if off > 0 else 0
        t = 0
        while t < m:
            cur = parity * win
            prev = win - cur
            if off == 0:
                # the previous block is complete: its suffix maxima, refining each record
                _suffix_maxima(
                    g,
                    index,
                    prev,
                    win,
                    n_gain,
                    n_ch,
                    detect_delay,
                    accept,
                    ceiling - nng[i0 + t],
                    half_t,
                    s2p,
                    s2m,
                    zbuf,
                    state,
                )
                # a new block: its first value is the prefix maximum (whatever it is)
                pmax = hig[t]
                parg = 0
            # a stretch inside one van Herk block, on views (loop indices need no wraparound):
            # the per-sample loop keeps its values in registers, the refinements (rare) are
            # one call out of it; ``n_suf`` samples have a suffix (all but the block's last)
            seg = min(m - t, win - off)
            n_suf = min(seg, last - off)
            hs = hig[t : t + seg]
            es = exg[t : t + seg]
            vs = vhg[cur + off : cur + off + seg]
            fs = vfg[cur + off : cur + off + seg]
            ps = preg[off : off + seg]
            pa = prea[off : off + seg]
            ns = nng[i0 + t : i0 + t + seg]
            sb = sbg[t : t + seg]
            ss = sufg[off + 1 : off + 1 + n_suf]
            sas = sufa[off + 1 : off + 1 + n_suf]
            for u in range(seg):
                hi = hs[u]
                vs[u] = hi
                fs[u] = es[u]
                # branch-free where the data decide (music makes those branches unpredictable)
                new_max = hi > pmax
                pmax = hi if new_max else pmax
                parg = off + u if new_max else parg
                ps[u] = pmax
                pa[u] = parg
                thr = ceiling - ns[u]
                # the window maximum is max(prefix, suffix); either is refined when it is the
                # window maximum above the threshold and still a bound (the threshold moves with
                # the near-Nyquist term, so a suffix maximum kept as a bound may need it later)
                if u < n_suf:
                    sm = ss[u]
                    need = ((pmax > sm) & (pmax > thr) & (vfg[cur + parg] == 0)) | (
                        (sm >= pmax) & (sm > thr) & (vfg[prev + sas[u]] == 0)
                    )
                else:
                    sm = 0.0
                    need = (pmax > thr) & (vfg[cur + parg] == 0)
                if need:
                    pmax, parg, sm = _refine_window(
                        g,
                        index + u,
                        off + u,
                        cur,
                        prev,
                        win,
                        thr,
                        pmax,
                        parg,
                        sm,
                        n_gain,
                        n_ch,
                        detect_delay,
                        accept,
                        half_t,
                        s2p,
                        s2m,
                        zbuf,
                        state,
                    )
                sb[u] = max(pmax, sm, TINY)  # the window maximum; turned into a gain below
            t += seg
            index += seg
            off += seg
            if off == win:
                off = 0
                parity = 1 - parity
        # the gain each window maximum needs, in one vectorised loop (a division in the
        # loop above would sit on its critical path); exactly 1.0 at or below the ceiling
        for t in range(m):
            sbg[t] = min(1.0, ceiling / (sbg[t] + nng[i0 + t]))
        new_off = off
        new_parity = parity
    counters[C_VH_OFF] = new_off
    counters[C_VH_PARITY] = new_parity


@kernel(refcount=False)
def _gain_pass(
    m,
    i0,
    sbuf,
    gbuf,
    gain_out,
    record_gain,
    ramp,
    hold_samples,
    release_coef,
    box_buf,
    box_sum,
    box_low,
    rel_db,
    hold_state,
    counters,
):
    """Pass 3, per gain channel: hold, release and ramp of ``sbuf`` -> ``gbuf`` (linear)."""
    n_gain = sbuf.shape[0]
    box_len = ramp + 1
    db_per_ln = 20.0 / math.log(10.0)
    ln_per_db = math.log(10.0) / 20.0
    last_s = 1.0
    last_s_db = 0.0
    last_cur_db = 0.0
    last_v = 1.0
    inv_len = 1.0 / box_len
    for g in range(n_gain):
        bpos = counters[C_BOX_POS]
        cur_db = rel_db[g]
        hold = hold_state[g]
        low = box_low[g]
        bsum = box_sum[g]
        # rows as views (free without reference counting): no index wraparound in the loop
        sg = sbuf[g]
        gg = gbuf[g]
        bb = box_buf[g]
        for t in range(m):
            s = sg[t]
            if s == 1.0 and cur_db == 0.0 and low == 0:
                # idle: every box entry is 1.0, the gain is 1
                hold = hold_samples
                if bpos == box_len - 1:
                    bsum = float(box_len)
                gg[t] = 1.0
                if record_gain:
                    gain_out[g, i0 + t] = 0.0
                bpos += 1
                if bpos == box_len:
                    bpos = 0
                continue
            # hold and release towards s (instant fall, one-pole rise in dB, never above s)
            if s != last_s:
                last_s = s
                last_s_db = 0.0 if s == 1.0 else db_per_ln * math.log(s)
            s_db = last_s_db
            # falling or steady (ties within rounding): follow, re-arm the hold
            if s_db <= cur_db + 1e-9:
                cur_db = s_db
                hold = hold_samples
            elif hold > 0:
                hold -= 1
            else:
                cur_db = s_db + release_coef * (cur_db - s_db)
                if s_db - cur_db < 1e-7:  # within 1e-7 dB of the target: snap (ends the tail)
                    cur_db = s_db
            if cur_db == 0.0:
                v = 1.0
            elif cur_db == s_db:
                v = s
            else:
                if cur_db != last_cur_db:  # held: the same level as the sample before
                    last_cur_db = cur_db
                    last_v = math.exp(cur_db * ln_per_db)
                v = min(last_v, s)
            # ramp: moving average of v over ramp + 1 samples (bpos = index % box_len)
            old = bb[bpos]
            if old < 1.0:
                low -= 1
            if v < 1.0:
                low += 1
            bb[bpos] = v
            bsum += v - old
            if bpos == box_len - 1:  # exact re-sum once per window: no drift
                total = 0.0
                for k in range(box_len):
                    total += bb[k]
                bsum = total
            lin = 1.0 if low == 0 else min(bsum * inv_len, 1.0)
            gg[t] = lin
            if record_gain:
                gain_out[g, i0 + t] = 0.0 if lin == 1.0 else db_per_ln * math.log(lin)
            bpos += 1
            if bpos == box_len:
                bpos = 0
        rel_db[g] = cur_db
        hold_state[g] = hold
        box_low[g] = low
        box_sum[g] = bsum


@kernel(refcount=False)
def _apply_pass(x, out, i0, m, gbuf, latency, delay_buf, counters):
    """Pass 4, per channel: multiply the audio delayed by ``latency`` by the gain ``gbuf``."""
    n_ch = x.shape[0]
    n_gain = gbuf.shape[0]
    for c in range(n_ch):
        gr = gbuf[0 if n_gain == 1 else c]
        xc = x[c, i0 : i0 + m]
        oc = out[c, i0 : i0 + m]
        # ``dry * 1.0`` is ``dry``: no branch, so that the loops vectorise
        if latency == 0:
            for t in range(m):
                oc[t] = float(xc[t]) * gr[t]
            continue
        dc = delay_buf[c]
        pos = counters[C_DELAY_POS]
        t = 0
        while t < m:
            # a run without wrapping of the delay line
            run = min(m - t, latency - pos)
            ds = dc[pos : pos + run]
            xs = xc[t : t + run]
            os_ = oc[t : t + run]
            gs = gr[t : t + run]
            for u in range(run):
                os_[u] = ds[u] * gs[u]
            for u in range(run):
                ds[u] = float(xs[u])
            t += run
            pos += run
            if pos == latency:
                pos = 0


@kernel
def limiter_block(
    x,
    i_start,
    i_stop,
    out,
    gain_out,
    record_gain,
    true_peak,
    half_t,
    s2p,
    s2m,
    q_near,
    q_far,
    c_bound,
    accept,
    detect_delay,
    ceiling,
    near_nyquist,
    win,
    ramp,
    hold_samples,
    release_coef,
    latency,
    state,
):
    """Run one block of the lookahead limiter.

    Runs the samples ``i_start .. i_stop - 1`` of ``x`` into ``out`` (and ``gain_out``): a
    long signal goes in slices without copies.

    Arrays
    ------
    x : (C, n) float32/float64 audio in; out : (C, n) like ``x``.
    gain_out : (G, n) float64 when ``record_gain`` else (G, 0): applied gain, dB.
    ``G`` is 1 (linked) or C. half_t : (H,) float64, ``K(k + 1/2)`` for ``k < H``;
    s2p (6, 4), s2m (6, 3) float32: the stage-2 interpolator folded on its symmetry
    (see :mod:`mezzo.kernels.true_peak`); half_t is float32 too.

    Scalars
    -------
    q_near (39,) float32, q_far, c_bound: the bound's constants (``max|q[k]|``
    over the phases for the near taps, the largest sum of the other ``|q|``, the
    largest ``|r0| + |r1|``; see the module notes); accept (>= 1): an upper
    bound within this factor of the lower bound is kept as the detected peak;
    detect_delay ``D = H + 3`` (0 for sample peak); ceiling (linear, margin
    applied); near_nyquist (G, >= i_stop - i_start) float64, linear, >= 0, its column 0
    at sample ``i_start``: added to each window maximum before it becomes a gain (zeros
    for none); win (>= 1), ramp (>= 0) samples; hold_samples; release_coef
    ``exp(-1/(tau fs))``; latency (samples).

    State (after reset): ``state``, a :class:`LimiterState` of these arrays
    -------------------
    hist (C, 2R) float64 doubled ring of the inputs, ``x[m]`` at ``m % R`` and
    ``m % R + R``, ``R`` a power of two ``>= max(win + 2D + CHUNK + 8, 1024)``
    (zeros); hist32 (C, 2R) float32 the same (0); d2hist (C, 2R) float32 the same
    for ``|d2|`` (0); ub_prev (C,)
    bound of the previous interval (0); ycache/icache (C, K) float64, ytag/itag
    (C, K) int64: half-sample values ``Y`` and exact ``I`` by interval key, ``K`` a
    power of two ``>= win + CHUNK + 8`` (0 / -2**62); vh (G, 2 win) float64 upper
    bound or final peak per detected sample of the current and previous van Herk
    block (0), vflag (G, 2 win) int8 final (1); vch (C, K) / vchx (C, K) the
    same per channel, by key ``% K`` (0 / 1); suf_v (G, win) float64 suffix maxima, suf_a (G, win) int64 their offsets
    of the previous block (0); pre_v (G, win) float64 / pre_a (G, win) int64
    prefix maxima of the current block (bounds or final values) and their offsets
    (0); rel_db (G,) ``V`` in dB (0); box_buf (G, ramp + 1) float64 (1.0),
    box_sum (G,) (ramp + 1), box_low (G,) int64 count of box entries below 1 (0);
    hold_state (G,) int64 (0); delay_buf (C, max(latency, 1)) float64 (0);
    counters (8,) int64, slots ``C_*`` (0; the refinement counts are statistics
    that also steer the dense prefill: they change how much work is done, never
    the output).
    """
    # the state's arrays by name (a named tuple: free at run time, numba unpacks it when compiling)
    hist = state.hist
    hist32 = state.hist32
    d2hist = state.d2hist
    ub_prev = state.ub_prev
    vch = state.vch
    vchx = state.vchx
    box_buf = state.box_buf
    box_sum = state.box_sum
    box_low = state.box_low
    rel_db = state.rel_db
    hold_state = state.hold_state
    delay_buf = state.delay_buf
    counters = state.counters
    n_ch = x.shape[0]
    n_gain = rel_db.shape[0]
    ring = hist.shape[1] // 2
    box_len = ramp + 1
    chunk = min(i_stop - i_start, CHUNK)
    sbuf = np.empty((n_gain, chunk))
    hig = np.empty(chunk)
    exg = np.empty(chunk, dtype=np.int8)
    gbuf = np.empty((n_gain, chunk))
    yb = np.empty(chunk + 8, dtype=np.float32)
    zbuf = np.empty(S2_TAPS + 1, dtype=np.float32)
    runs = np.empty((12, chunk + 8), dtype=np.float32)
    rund = np.empty(chunk + 2, dtype=np.float32)
    runbest = np.empty(chunk + 2, dtype=np.float32)
    fbuf = np.empty(chunk, dtype=np.float32)
    fsuf = np.empty((2, chunk + detect_delay + FAR_BACK), dtype=np.float32)
    wsum = np.empty(chunk, dtype=np.float32)
    ubuf = np.empty(chunk + 1)
    kmask = vch.shape[1] - 1
    dense = False
    i0 = i_start
    while i0 < i_stop:
        m = min(chunk, i_stop - i0)
        index0 = counters[C_INDEX]
        r0 = counters[C_RING_POS]
        _bounds_pass(
            x,
            i0,
            m,
            true_peak,
            hist,
            hist32,
            d2hist,
            r0,
            index0,
            detect_delay,
            c_bound,
            q_near,
            q_far,
            accept,
            ub_prev,
            vch,
            vchx,
            wsum,
            ubuf,
            fbuf,
            fsuf,
        )
        exact_before = counters[C_EXACT]
        if true_peak and dense:
            # dense content (many windows needed exact peaks in the last chunk): the exact
            # peaks of the intervals next to this chunk's samples whose bound is above the
            # ceiling (the only ones a refinement can ask for), one vectorised run per
            # stretch of such samples
            for c in range(n_ch):
                t = 0
                while t < m:
                    while t < m and vch[c, (index0 + t) & kmask] <= ceiling:
                        t += 1
                    start = t
                    # a stretch ends after MERGE_GAP samples at or below the ceiling
                    last = t
                    while t < m and t - last <= MERGE_GAP:
                        if vch[c, (index0 + t) & kmask] > ceiling:
                            last = t
                        t += 1
                    t = last + 1
                    if last >= start and start < m:
                        _exact_batch(index0 + start - 1, last - start + 2, c, detect_delay, half_t, s2p, s2m, state,
                                     yb, runs, rund, runbest)
                        # every sample of the stretch gets its final value now (all cached):
                        # the window pass then has nothing to refine there
                        _finalize(index0 + start, last - start + 1, c, ceiling, detect_delay, accept, state)
        _window_pass(
            m,
            index0,
            n_ch,
            hig,
            exg,
            sbuf,
            detect_delay,
            accept,
            ceiling,
            near_nyquist,
            i0 - i_start,
            win,
            half_t,
            s2p,
            s2m,
            zbuf,
            state,
        )
        dense = (counters[C_EXACT] - exact_before) * DENSE_FRACTION >= m
        _gain_pass(
            m,
            i0,
            sbuf,
            gbuf,
            gain_out,
            record_gain,
            ramp,
            hold_samples,
            release_coef,
            box_buf,
            box_sum,
            box_low,
            rel_db,
            hold_state,
            counters,
        )
        _apply_pass(x, out, i0, m, gbuf, latency, delay_buf, counters)
        # --- advance the counters ---
        if latency > 0:
            counters[C_DELAY_POS] = (counters[C_DELAY_POS] + m) % latency
        counters[C_INDEX] = index0 + m
        counters[C_RING_POS] = (r0 + m) % ring
        counters[C_BOX_POS] = (counters[C_BOX_POS] + m) % box_len
        i0 += m
