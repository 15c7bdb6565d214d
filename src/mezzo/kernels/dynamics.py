"""Kernels of the dynamics map and tempo: flat runs of a loudness series, piecewise line fits,
a banded filterbank.

Per-frame loops (a few thousand values per minute of audio); numba keeps them
linear-time with no Python overhead. Private to the package.
"""

from __future__ import annotations

import numpy as np

from mezzo.kernels._jit import kernel


@kernel
def flat_runs(values, max_spread, min_length, starts, ends):
    """Find maximal runs of ``values`` whose max - min stays within ``max_spread``.

    Greedy from the left: each run is extended as far as the band allows; runs of at
    least ``min_length`` values are written to ``starts``/``ends`` (end exclusive) and
    the search resumes after them; otherwise it resumes one value later. NaN breaks
    a run.

    Parameters
    ----------
    values : float64 (n,)
    max_spread : float
    min_length : int
    starts, ends : int64 (n,) outputs

    Returns
    -------
    int
        Number of runs written.
    """
    n = values.shape[0]
    count = 0
    # Monotonic deques of indices (as arrays with head/tail pointers).
    qmax = np.empty(n, dtype=np.int64)
    qmin = np.empty(n, dtype=np.int64)
    i = 0
    while i < n:
        if values[i] != values[i]:
            i += 1
            continue
        hmax = 0
        tmax = 0
        hmin = 0
        tmin = 0
        j = i
        while j < n:
            v = values[j]
            if v != v:
                break
            while tmax > hmax and values[qmax[tmax - 1]] <= v:
                tmax -= 1
            qmax[tmax] = j
            tmax += 1
            while tmin > hmin and values[qmin[tmin - 1]] >= v:
                tmin -= 1
            qmin[tmin] = j
            tmin += 1
            if values[qmax[hmax]] - values[qmin[hmin]] > max_spread:
                break
            j += 1
        if j - i >= min_length:
            starts[count] = i
            ends[count] = j
            count += 1
            i = j
        else:
            i += 1
    return count


@kernel
def piecewise_fit(x, y, w, pen_const, pen_line, max_points, min_points, min_line_points, starts, kinds):
    """Optimal partition of a series into constant and straight-line segments (least squares).

    Minimises ``sum over segments of (weighted SSE + penalty)`` by dynamic programming,
    where each segment is either a constant (``pen_const``) or a straight line in ``x``
    (``pen_line``, at least ``min_line_points`` points); segments hold at most
    ``max_points`` points. The weighted SSE of a segment comes from prefix sums in O(1),
    so the whole fit is O(n * max_points).

    Parameters
    ----------
    x, y, w : float64 (n,)
        Positions (increasing), values and weights (> 0; 1 / variance for a chi-square cost).
    pen_const, pen_line : float
        Cost of opening a constant or a straight-line segment.
    max_points, min_points, min_line_points : int
    starts : int64 (n,) output
        Start index of each segment, in order.
    kinds : int64 (n,) output
        0 for a constant segment, 1 for a straight line.

    Returns
    -------
    int
        Number of segments written.
    """
    n = x.shape[0]
    sw = np.zeros(n + 1)
    sx = np.zeros(n + 1)
    sy = np.zeros(n + 1)
    sxx = np.zeros(n + 1)
    sxy = np.zeros(n + 1)
    syy = np.zeros(n + 1)
    x0 = x[0] if n > 0 else 0.0
    for i in range(n):
        xi = x[i] - x0
        sw[i + 1] = sw[i] + w[i]
        sx[i + 1] = sx[i] + w[i] * xi
        sy[i + 1] = sy[i] + w[i] * y[i]
        sxx[i + 1] = sxx[i] + w[i] * xi * xi
        sxy[i + 1] = sxy[i] + w[i] * xi * y[i]
        syy[i + 1] = syy[i] + w[i] * y[i] * y[i]
    best = np.full(n + 1, np.inf)
    prev = np.zeros(n + 1, dtype=np.int64)
    kind = np.zeros(n + 1, dtype=np.int64)
    best[0] = 0.0
    for j in range(1, n + 1):
        lo = j - max_points
        if lo < 0:
            lo = 0
        hi = j - min_points
        if hi < 0:
            hi = 0
        for i in range(lo, hi + 1):
            if best[i] == np.inf:
                continue
            W = sw[j] - sw[i]
            Y = sy[j] - sy[i]
            YY = syy[j] - syy[i]
            sse_c = YY - Y * Y / W
            if sse_c < 0.0:
                sse_c = 0.0
            cost = best[i] + sse_c + pen_const
            k = 0
            if j - i >= min_line_points:
                X = sx[j] - sx[i]
                XX = sxx[j] - sxx[i]
                XY = sxy[j] - sxy[i]
                d = W * XX - X * X
                if d > 1e-12 * W * W:
                    b = (W * XY - X * Y) / d
                    # SSE of the weighted line: SSE_const - b^2 * Sxx_centred
                    sse_l = sse_c - b * b * (XX - X * X / W)
                    if sse_l < 0.0:
                        sse_l = 0.0
                    c_l = best[i] + sse_l + pen_line
                    if c_l < cost:
                        cost = c_l
                        k = 1
            if cost < best[j]:
                best[j] = cost
                prev[j] = i
                kind[j] = k
    # walk back
    count = 0
    j = n
    while j > 0:
        starts[count] = prev[j]
        kinds[count] = kind[j]
        count += 1
        j = prev[j]
    # reverse in place
    for a in range(count // 2):
        b = count - 1 - a
        t = starts[a]
        starts[a] = starts[b]
        starts[b] = t
        t = kinds[a]
        kinds[a] = kinds[b]
        kinds[b] = t
    return count


@kernel
def beat_dp(local, frames_per_beat, tightness, cumscore, backlink):
    """Dynamic-programming beat tracker (Ellis 2007, as in ``librosa.beat.beat_track``).

    ``cumscore[i] = local[i] + max over j in [i - 2P, i - P/2] of
    (cumscore[j] - tightness * (log(i - j) - log P)**2)`` with ``P = frames_per_beat[i]``
    (a tempo per frame); ``backlink[i]`` is the best ``j``, or -1 before the first beat
    (while ``local`` stays under 1 % of its maximum, as librosa does).

    Parameters
    ----------
    local : float64 (n,)
        Local score: onset strength smoothed around each frame.
    frames_per_beat : float64 (n,)
    tightness : float
    cumscore : float64 (n,) output
    backlink : int64 (n,) output
    """
    n = local.shape[0]
    top = 0.0
    for i in range(n):
        if local[i] > top:
            top = local[i]
    threshold = 0.01 * top
    first = True
    for i in range(n):
        p = frames_per_beat[i]
        lo = i - int(np.round(2.0 * p))
        hi = i - int(np.round(p / 2.0))
        best = -np.inf
        best_j = -1
        log_p = np.log(p)
        if lo < 0:
            lo = 0
        for j in range(lo, hi + 1):
            d = np.log(i - j) - log_p
            s = cumscore[j] - tightness * d * d
            if s > best:
                best = s
                best_j = j
        if best_j < 0:
            best = 0.0
        cumscore[i] = local[i] + best
        if first and local[i] < threshold:
            backlink[i] = -1
        else:
            backlink[i] = best_j
            first = False


@kernel
def one_pole_filter(x, b0, b1, a1, state, y):
    """``y[n] = b0 x[n] + b1 x[n-1] - a1 y[n-1]``; ``state`` holds (x[-1], y[-1]) in and out.

    Parameters
    ----------
    x : float64 (n,)
    b0, b1, a1 : float
    state : float64 (2,)
    y : float64 (n,) output
    """
    x1 = state[0]
    y1 = state[1]
    for i in range(x.shape[0]):
        v = b0 * x[i] + b1 * x1 - a1 * y1
        x1 = x[i]
        y1 = v
        y[i] = v
    state[0] = x1
    state[1] = y1


@kernel
def linear_path_dp(emit, max_slope, knot_cost, back):
    """Viterbi path of a value that moves at a steady rate between rare changes of rate.

    The state is (value bin ``i``, rate ``s`` in bins per step, ``-max_slope..max_slope``);
    from one step to the next the value moves by the rate, and the rate may change to any
    other at a knot, which costs ``knot_cost``. A straight ramp thus costs only where it
    starts and where it ends, whatever its length and slope (a constant-velocity model; a
    random walk would charge every step of it). The path is continuous and piecewise linear.

    Parameters
    ----------
    emit : float64 (steps, bins)
        Log-likelihood of each value bin at each step.
    max_slope : int
    knot_cost : float
    back : int8 (steps, bins, 2 * max_slope + 1) output
        The rate (index) the path had at the step before, for each state.

    Returns
    -------
    int64 (steps,)
        Value bin of the best path at each step.
    """
    n, nb = emit.shape
    ns = 2 * max_slope + 1
    score = np.empty((nb, ns))
    new = np.empty((nb, ns))
    row_best = np.empty(nb)
    row_arg = np.empty(nb, dtype=np.int64)
    for i in range(nb):
        for k in range(ns):
            score[i, k] = emit[0, i]
    for t in range(1, n):
        for i in range(nb):
            best = -np.inf
            arg = 0
            for k in range(ns):
                if score[i, k] > best:
                    best = score[i, k]
                    arg = k
            row_best[i] = best
            row_arg[i] = arg
        for i in range(nb):
            for k in range(ns):
                prev = i - (k - max_slope)
                if prev < 0 or prev >= nb:
                    new[i, k] = -np.inf
                    back[t, i, k] = k
                    continue
                stay = score[prev, k]
                turn = row_best[prev] - knot_cost
                if stay >= turn:
                    new[i, k] = stay + emit[t, i]
                    back[t, i, k] = k
                else:
                    new[i, k] = turn + emit[t, i]
                    back[t, i, k] = row_arg[prev]
        for i in range(nb):
            for k in range(ns):
                score[i, k] = new[i, k]
    bi = 0
    bk = max_slope
    best = -np.inf
    for i in range(nb):
        for k in range(ns):
            if score[i, k] > best:
                best = score[i, k]
                bi = i
                bk = k
    path = np.empty(n, dtype=np.int64)
    for t in range(n - 1, -1, -1):
        path[t] = bi
        if t > 0:
            k_prev = back[t, bi, bk]
            bi = bi - (bk - max_slope)
            bk = k_prev
    return path


@kernel
def banded_filterbank(mag, starts, stops, offsets, weights, out):
    """``out[i, j]`` = sum of ``mag[i, k] * w_j[k - starts[j]]`` over bins ``starts[j] <= k < stops[j]``.

    ``mag`` is (frames, bins); filter ``j``'s weights are ``weights[offsets[j] : offsets[j] +
    stops[j] - starts[j]]``. The product of ``mag`` with a filterbank whose filters each cover
    one run of bins, with no BLAS call: a multithreaded matrix product slows down many times
    when other processes hold the cores.
    """
    for i in range(mag.shape[0]):
        for j in range(starts.size):
            acc = 0.0
            o = offsets[j] - starts[j]
            for k in range(starts[j], stops[j]):
                acc += mag[i, k] * weights[o + k]
            out[i, j] = acc
