"""Piecewise fits of a noisy series into constant stretches and straight-line ramps.

The dynamics map (note levels in dB) and tempo (log tempo per beat) both ask the same
question: where does the series hold still, and where does it move steadily one way? Both
answer it with one model: the series is a sequence of segments, each either a constant or a
straight line, plus independent noise of standard deviation ``sigma``. The partition that
minimises the chi-square of the fit plus a BIC penalty per segment (``ln n`` per parameter:
1 for a constant, 2 for a line, 1 for the change point) is found exactly by dynamic
programming (:func:`mezzo.kernels.dynamics.piecewise_fit`).

:func:`fit_continuous` fits the other model a tempo curve needs: one continuous line whose
slope changes at a few knots (a tempo does not jump when an accelerando starts or ends),
found by a Viterbi search over quantised values and slopes, each knot costing the BIC
penalty ``ln n``.

A ramp's *confidence* is the BIC approximation of the posterior probability (equal prior
odds) that a line explains its points better than a constant:
``1 / (1 + exp(-dBIC / 2))`` with ``dBIC = chi2_constant - chi2_line - ln m`` for a segment
of ``m`` points (chi-square: squared residuals over each point's noise variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Ramp", "Segment", "fit_continuous", "fit_segments", "hold_ramp_hold", "line_confidence", "noise_sigma", "ramps"]


@dataclass(frozen=True, slots=True)
class Segment:
    """One fitted segment: points ``start`` to ``end`` (exclusive) of the series.

    ``first``/``last`` are the fitted values at its first and last point; ``confidence``
    is the probability that it is a ramp rather than a constant (0 for constants).
    """

    start: int
    end: int
    is_line: bool
    first: float
    last: float
    confidence: float


def noise_sigma(y: np.ndarray) -> float:
    """Robust noise level of a series: the MAD of its successive differences over sqrt(2)."""
    if y.size < 3:
        return 1.0
    d = np.diff(y)
    mad = float(np.median(np.abs(d - np.median(d))))
    return max(1.4826 * mad / math.sqrt(2.0), 1e-9)


def _line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    """(slope, intercept, chi-square of the line, chi-square of the constant), weights ``w`` = 1/variance."""
    sw = float(w.sum())
    xm, ym = float(w @ x) / sw, float(w @ y) / sw
    sxx = float(w @ (x - xm) ** 2)
    sse_c = float(w @ (y - ym) ** 2)
    if sxx <= 0:
        return 0.0, ym, sse_c, sse_c
    b = float(w @ ((x - xm) * (y - ym))) / sxx
    sse_l = max(0.0, sse_c - b * b * sxx)
    return b, ym - b * xm, sse_l, sse_c


def _weights(sigma: float | np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(1.0 / np.square(np.asarray(sigma, dtype=np.float64)), (n,)).astype(np.float64)


def fit_segments(
    x: np.ndarray,
    y: np.ndarray,
    *,
    sigma: float,
    max_points: int,
    penalty_scale: float = 1.0,
    min_points: int = 1,
    min_line_points: int = 3,
) -> list[Segment]:
    """Fit constants and straight lines to ``y`` over ``x`` (see the module notes).

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Positions (increasing, e.g. seconds) and values.
    sigma : float or ndarray, > 0
        Noise standard deviation of ``y`` (in its unit), one for all points or one per point.
    max_points : int
        Longest segment, in points.
    penalty_scale : float, > 0
        Multiplies the BIC penalty (1 = BIC).
    min_points : int
        Fewest points of any segment (a shorter series is one segment).
    min_line_points : int
        Fewest points of a straight-line segment.

    Returns
    -------
    list of Segment
        In order, covering every point.
    """
    from mezzo.kernels.dynamics import piecewise_fit

    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    n = x.size
    if n == 0:
        return []
    w = _weights(sigma, n)
    log_n = math.log(max(n, 2))
    starts = np.zeros(n, dtype=np.int64)
    kinds = np.zeros(n, dtype=np.int64)
    count = piecewise_fit(x, y, w, 2.0 * log_n * penalty_scale, 3.0 * log_n * penalty_scale,
                          max(2, int(max_points)), max(1, min(int(min_points), n)), int(min_line_points),
                          starts, kinds)
    out = []
    bounds = [*starts[:count].tolist(), n]
    for k in range(count):
        a, b = bounds[k], bounds[k + 1]
        xs, ys = x[a:b], y[a:b]
        slope, icpt, sse_l, sse_c = _line(xs, ys, w[a:b])
        if kinds[k] == 1:
            d_bic = sse_c - sse_l - math.log(max(b - a, 2))
            conf = 1.0 / (1.0 + math.exp(-min(50.0, max(-50.0, d_bic / 2.0))))
            out.append(Segment(a, b, True, slope * xs[0] + icpt, slope * xs[-1] + icpt, conf))
        else:
            m = float(w[a:b] @ ys) / float(w[a:b].sum())
            out.append(Segment(a, b, False, m, m, 0.0))
    return out


@dataclass(frozen=True, slots=True)
class Ramp:
    """A gradual move of the series one way: points ``start`` to ``end`` (inclusive).

    ``change`` is the fitted rise (negative for a fall), ``confidence`` the BIC posterior that
    a straight line over the ramp's points beats a constant (see the module notes).
    """

    start: int
    end: int
    change: float
    confidence: float


def ramps(
    x: np.ndarray,
    y: np.ndarray,
    segments: list[Segment],
    *,
    sigma: float | np.ndarray,
    min_change: float,
    min_duration: float,
    max_step: float,
    step_span: float = 0.5,
    max_hold: float = 4.0,
) -> list[Ramp]:
    """Gradual rises and falls made of consecutive fitted segments.

    Consecutive segments whose fitted values move one way form a run: straight lines, and
    the small steps between segments of a staircase. A run ends where the fit turns back, or
    jumps by more than ``max_step`` between two segments or within ``step_span`` along a line
    (a sudden step is not gradual). A run that holds still inside (a constant longer than
    ``max_hold``) stays one ramp when one straight line over all its points explains them as
    well as its segments do (BIC); otherwise it is split at its longest hold (a step, a
    plateau, then a crescendo are two things). The ramp goes from the point where the run
    starts to move to the point where it stops; it is kept when its fitted change is at least
    ``min_change`` and it lasts at least ``min_duration`` (``x`` units throughout).
    """
    n_seg = len(segments)
    w = _weights(sigma, x.size)

    def sudden(s: Segment) -> bool:
        span = x[s.end - 1] - x[s.start]
        return s.is_line and span > 0 and abs(s.last - s.first) / span * step_span > max_step

    def bounds(k: int, j: int) -> tuple[int, int]:
        first, last = segments[k], segments[j]
        a_i = first.end - 1 if not first.is_line and j > k else first.start
        b_i = last.start if not last.is_line and j > k else last.end - 1
        return a_i, b_i

    def fitted(k: int, j: int, a_i: int, b_i: int) -> np.ndarray:
        out = np.empty(b_i - a_i + 1)
        for s in segments[k : j + 1]:
            lo, hi = max(s.start, a_i), min(s.end - 1, b_i)
            if hi < lo:
                continue
            if s.is_line and s.end - s.start > 1:
                out[lo - a_i : hi - a_i + 1] = np.interp(x[lo : hi + 1], [x[s.start], x[s.end - 1]], [s.first, s.last])
            else:
                out[lo - a_i : hi - a_i + 1] = s.first
        return out

    def settle(k: int, j: int) -> list[tuple[int, int]]:
        holds = [h for h in range(k + 1, j) if not segments[h].is_line
                 and x[segments[h].end - 1] - x[segments[h].start] > max_hold]
        if not holds:
            return [(k, j)]
        a_i, b_i = bounds(k, j)
        xs, ys, ws = x[a_i : b_i + 1], y[a_i : b_i + 1], w[a_i : b_i + 1]
        _, _, chi_line, _ = _line(xs, ys, ws)
        chi_piece = float(ws @ (ys - fitted(k, j, a_i, b_i)) ** 2)
        params = sum(2 if s.is_line else 1 for s in segments[k : j + 1]) + (j - k)
        log_m = math.log(max(xs.size, 2))
        if chi_line + 2.0 * log_m <= chi_piece + params * log_m:
            return [(k, j)]
        h = max(holds, key=lambda i: x[segments[i].end - 1] - x[segments[i].start])
        return settle(k, h) + settle(h, j)

    runs: list[tuple[int, int]] = []
    k = 0
    while k < n_seg:
        # a run may start with a constant (it then starts where that constant ends)
        direction = 0
        j = k
        while j + 1 < n_seg:
            a, b = segments[j], segments[j + 1]
            if sudden(b) or abs(b.first - a.last) > max_step:
                break
            inner = b.last - b.first if b.is_line else 0.0
            move = (b.first - a.last) + inner
            step_dir = 0 if abs(move) <= 1e-12 else (1 if move > 0 else -1)
            if direction == 0:
                direction = step_dir
            if step_dir != 0 and step_dir != direction:
                break
            if b.is_line and inner * direction < 0:
                break
            j += 1
        runs.append((k, j))
        # the next run may start on this run's last segment when it is a constant (a plateau)
        k = j if j > k and not segments[j].is_line else j + 1
    out: list[Ramp] = []
    for k, j in runs:
        for kk, jj in settle(k, j):
            first, last = segments[kk], segments[jj]
            a_i, b_i = bounds(kk, jj)
            v0 = first.last if not first.is_line else first.first
            v1 = last.first if not last.is_line else last.last
            change = v1 - v0
            ok = (jj > kk or first.is_line) and not sudden(first) and b_i > a_i
            if ok and abs(change) >= min_change and x[b_i] - x[a_i] >= min_duration:
                xs, ys = x[a_i : b_i + 1], y[a_i : b_i + 1]
                _, _, sse_l, sse_c = _line(xs, ys, w[a_i : b_i + 1])
                d_bic = sse_c - sse_l - math.log(max(xs.size, 2))
                conf = 1.0 / (1.0 + math.exp(-min(50.0, max(-50.0, d_bic / 2.0))))
                out.append(Ramp(a_i, b_i, float(change), conf))
    return out


def line_confidence(x: np.ndarray, y: np.ndarray, sigma: float | np.ndarray) -> float:
    """BIC posterior (0-1, equal prior odds) that a straight line explains ``y`` over ``x`` better than a constant."""
    if x.size < 3:
        return 0.0
    _, _, sse_l, sse_c = _line(np.asarray(x, np.float64), np.asarray(y, np.float64), _weights(sigma, x.size))
    d_bic = sse_c - sse_l - math.log(x.size)
    return 1.0 / (1.0 + math.exp(-min(50.0, max(-50.0, d_bic / 2.0))))


def hold_ramp_hold(
    x: np.ndarray, y: np.ndarray, sigma: float | np.ndarray, knots: np.ndarray,
) -> tuple[float, float, float, float, float]:
    """Least-squares hold, straight ramp, hold: ``(start, end, first, last, confidence)`` of the ramp.

    The model of one change between two steady values: ``first`` up to ``start``, a straight
    line to ``last`` at ``end``, ``last`` after it (continuous). ``start < end`` are chosen
    among ``knots`` (increasing, ``x`` units, at least two) to minimise the chi-square of
    ``y`` over ``x`` (increasing; noise ``sigma``); for each pair the two levels are a
    weighted linear least-squares fit, so the search is exact on the knot grid (prefix sums:
    time O(knots**2 + points), memory O(knots + points)). ``confidence`` is the BIC posterior (equal prior odds) that this
    change explains the points better than a constant (three more parameters: the ramp's
    two ends and the second level).
    """
    if np.size(knots) < 2 or np.size(x) == 0:
        raise ValueError("hold_ramp_hold needs points and at least two knots")
    x = np.asarray(x, dtype=np.float64)
    w = _weights(sigma, x.size)
    sw = float(w.sum())
    mean = float(w @ np.asarray(y, dtype=np.float64)) / sw
    y = np.asarray(y, dtype=np.float64) - mean  # centred: the sums below keep their precision
    origin = float(x[0])
    x = x - origin
    knots = np.asarray(knots, dtype=np.float64) - origin

    # prefix sums over the points: every pair of knots costs O(1)
    def cum(v: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(v)])

    c_w, c_wx, c_wxx, c_wy, c_wxy = cum(w), cum(w * x), cum(w * x * x), cum(w * y), cum(w * x * y)
    swy, swyy = float(c_wy[-1]), float(w @ (y * y))
    at = np.searchsorted(x, knots, side="left")
    best = (math.inf, 0, 1, 0.0, 0.0)
    for i in range(knots.size - 1):
        a, b, ia, ib = knots[i], knots[i + 1:], at[i], at[i + 1:]
        span = b - a
        # share of the change reached at each point: 0 before the ramp, (x - a) / span on it, 1 after it
        inner_w, inner_wx, inner_wxx = c_w[ib] - c_w[ia], c_wx[ib] - c_wx[ia], c_wxx[ib] - c_wxx[ia]
        after_w, after_wy = c_w[-1] - c_w[ib], c_wy[-1] - c_wy[ib]
        su = (inner_wx - a * inner_w) / span + after_w
        suu = (inner_wxx - 2.0 * a * inner_wx + a * a * inner_w) / span**2 + after_w
        suy = (c_wxy[ib] - c_wxy[ia] - a * (c_wy[ib] - c_wy[ia])) / span + after_wy
        det = sw * suu - su * su
        ok = det > 1e-12 * sw * np.maximum(suu, 1e-12)
        det = np.where(ok, det, 1.0)
        first = (suu * swy - su * suy) / det
        rise = (sw * suy - su * swy) / det
        # chi-square of the least-squares fit: sum w y^2 minus the explained part
        chi = np.where(ok, swyy - first * swy - rise * suy, np.inf)
        j = int(np.argmin(chi))
        if chi[j] < best[0]:
            best = (float(chi[j]), i, i + 1 + j, float(first[j]), float(first[j] + rise[j]))
    chi_best, i, j, first_best, last_best = best
    sse_c = swyy - swy * swy / sw
    d_bic = sse_c - chi_best - 3.0 * math.log(max(x.size, 2))
    conf = 1.0 / (1.0 + math.exp(-min(50.0, max(-50.0, d_bic / 2.0))))
    return (float(knots[i] + origin), float(knots[j] + origin), first_best + mean, last_best + mean, conf)


def fit_continuous(
    x: np.ndarray,
    y: np.ndarray,
    *,
    sigma: float | np.ndarray,
    step: float,
    value_step: float,
    max_slope: int,
    huber_z: float = 1.345,
) -> tuple[np.ndarray, np.ndarray]:
    """Continuous piecewise-linear fit of ``y`` over ``x`` with few knots (see the module notes).

    The curve is sampled every ``step`` (``x`` units) on values quantised to ``value_step``;
    its slope may change at any sample, each change (a knot) costing ``ln n`` (BIC: a knot
    adds a position and a slope) against the points' misfit around the curve: half their
    squared z-score, growing only linearly beyond ``huber_z`` (Huber's loss, 1.345 being his
    95 %-efficiency constant), so that a few stray points cannot buy a knot.

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Positions (increasing) and values.
    sigma : float or ndarray, > 0
        Noise standard deviation of ``y``, one for all points or one per point.
    step : float, > 0
        Spacing of the curve's samples, ``x`` units.
    value_step : float, > 0
        Resolution of the curve's values, ``y`` units.
    max_slope : int, >= 1
        Steepest slope, in ``value_step`` per ``step``.
    huber_z : float, > 0
        Where the misfit turns from quadratic to linear, in noise standard deviations.

    Returns
    -------
    (ndarray, ndarray)
        The sample positions (the centre of each step) and the curve's value there.
    """
    from mezzo.kernels.dynamics import linear_path_dp

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0), np.zeros(0)
    cell = np.floor((x - x[0]) / step).astype(np.int64)
    n_steps = int(cell[-1]) + 1
    values = np.arange(y.min() - 2 * value_step, y.max() + 3 * value_step, value_step)
    w = _weights(sigma, x.size)
    emit = np.zeros((n_steps, values.size))
    # Gaussian log-likelihood of the points of each step, for each candidate value
    # Huber's loss of each point's z-score, for each candidate value
    z = np.sqrt(w)[:, None] * np.abs(y[:, None] - values[None, :])
    loss = np.where(z <= huber_z, 0.5 * z * z, huber_z * z - 0.5 * huber_z * huber_z)
    np.add.at(emit, cell, -loss)
    back = np.zeros((n_steps, values.size, 2 * max_slope + 1), dtype=np.int8)
    path = linear_path_dp(emit, int(max_slope), math.log(max(x.size, 2)), back)
    return x[0] + (np.arange(n_steps) + 0.5) * step, values[path]
