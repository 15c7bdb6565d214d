"""Piecewise constant/line fits and ramps (meters/segments.py) against a naive reference."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mezzo.kernels.dynamics import piecewise_fit
from mezzo.meters.segments import fit_segments, ramps


def _naive_cost(x, y, w, pen_c, pen_l, max_points, min_points, min_line):
    """Brute force over every partition (tiny n): the optimal total cost."""
    n = x.size
    best = math.inf
    for k in range(n):
        for cuts in itertools.combinations(range(1, n), k):
            bounds = [0, *cuts, n]
            total = 0.0
            ok = True
            for a, b in itertools.pairwise(bounds):
                m = b - a
                if m > max_points or m < min_points:
                    ok = False
                    break
                xs, ys, ws = x[a:b], y[a:b], w[a:b]
                ym = np.sum(ws * ys) / np.sum(ws)
                c = np.sum(ws * (ys - ym) ** 2) + pen_c
                if m >= min_line:
                    coef = np.polyfit(xs, ys, 1, w=np.sqrt(ws))
                    c = min(c, np.sum(ws * (ys - np.polyval(coef, xs)) ** 2) + pen_l)
                total += c
            if ok:
                best = min(best, total)
    return best


def _kernel_cost(x, y, w, pen_c, pen_l, max_points, min_points, min_line):
    n = x.size
    starts = np.zeros(n, dtype=np.int64)
    kinds = np.zeros(n, dtype=np.int64)
    count = piecewise_fit(x, y, w, pen_c, pen_l, max_points, min_points, min_line, starts, kinds)
    bounds = [*starts[:count].tolist(), n]
    total = 0.0
    for k in range(count):
        a, b = bounds[k], bounds[k + 1]
        xs, ys, ws = x[a:b], y[a:b], w[a:b]
        ym = np.sum(ws * ys) / np.sum(ws)
        if kinds[k] == 0:
            total += np.sum(ws * (ys - ym) ** 2) + pen_c
        else:
            coef = np.polyfit(xs, ys, 1, w=np.sqrt(ws))
            total += np.sum(ws * (ys - np.polyval(coef, xs)) ** 2) + pen_l
    return total


@pytest.mark.parametrize("seed", range(6))
def test_piecewise_fit_finds_the_optimal_partition(seed):
    rng = np.random.default_rng(seed)
    n = 9
    x = np.sort(rng.uniform(0, 10, n))
    y = np.where(x < 4, 0.0, 3.0) + np.where(x > 7, (x - 7) * 2, 0.0) + rng.normal(0, 0.3, n)
    w = rng.uniform(0.5, 2.0, n)
    args = (2.0, 3.0, 6, 1, 3)
    assert _kernel_cost(x, y, w, *args) == pytest.approx(_naive_cost(x, y, w, *args), rel=1e-9, abs=1e-9)
    # the compiled kernel and its Python source agree
    s1, k1 = np.zeros(n, np.int64), np.zeros(n, np.int64)
    s2, k2 = np.zeros(n, np.int64), np.zeros(n, np.int64)
    c1 = piecewise_fit(x, y, w, *args, s1, k1)
    c2 = piecewise_fit.py_func(x, y, w, *args, s2, k2)
    assert c1 == c2 and np.array_equal(s1[:c1], s2[:c2]) and np.array_equal(k1[:c1], k2[:c2])


def test_fit_finds_step_and_ramp_and_a_staircase_of_small_steps_is_one_ramp():
    rng = np.random.default_rng(1)
    x = np.arange(0.0, 60.0, 0.25)
    # flat, a 10-unit rise in five small steps of 2 (a staircase), flat, a sudden fall of 8
    y = np.clip(np.floor((x - 10.0) / 4.0) + 1, 0, 5) * 2.0 - np.where(x >= 45.0, 8.0, 0.0)
    y = y + rng.normal(0.0, 0.3, x.size)
    segs = fit_segments(x, y, sigma=0.3, max_points=400)
    found = ramps(x, y, segs, sigma=0.3, min_change=3.0, min_duration=2.0, max_step=4.0)
    assert len(found) == 1
    r = found[0]
    assert r.change == pytest.approx(10.0, abs=1.5)
    assert x[r.start] == pytest.approx(10.0, abs=1.5) and x[r.end] == pytest.approx(26.0, abs=1.5)
    assert r.confidence > 0.99


def test_noise_alone_gives_no_confident_ramp():
    rng = np.random.default_rng(2)
    x = np.arange(0.0, 120.0, 0.25)
    y = rng.normal(0.0, 1.0, x.size)
    segs = fit_segments(x, y, sigma=1.0, max_points=400)
    assert [r for r in ramps(x, y, segs, sigma=1.0, min_change=3.0, min_duration=1.0, max_step=4.0)
            if r.confidence >= 0.5] == []


def _naive_linear_path(emit, max_slope, cost):
    """Brute force over every (value, slope) sequence (tiny inputs): the best total score."""
    n, nb = emit.shape
    best = -math.inf
    for bins in itertools.product(range(nb), repeat=n):
        slopes = np.diff(bins)
        if np.any(np.abs(slopes) > max_slope):
            continue
        # the first step's slope is free (any start state); later changes cost one knot each
        changes = np.diff(slopes)
        total = float(sum(emit[t, b] for t, b in enumerate(bins))) - cost * int(np.count_nonzero(changes))
        best = max(best, total)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_linear_path_dp_finds_the_best_continuous_path(seed):
    from mezzo.kernels.dynamics import linear_path_dp

    rng = np.random.default_rng(seed)
    emit = rng.normal(0.0, 1.0, size=(5, 6))
    back = np.zeros((5, 6, 5), dtype=np.int8)
    path = linear_path_dp(emit, 2, 0.7, back)
    slopes = np.diff(path)
    assert np.all(np.abs(slopes) <= 2)
    got = float(emit[np.arange(5), path].sum()) - 0.7 * int(np.count_nonzero(np.diff(slopes)))
    assert got == pytest.approx(_naive_linear_path(emit, 2, 0.7))


def test_continuous_fit_bends_at_the_ends_of_a_ramp_and_holds_still_elsewhere():
    from mezzo.meters.segments import fit_continuous

    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0.0, 60.0, 240))
    truth = np.interp(x, [0.0, 20.0, 30.0, 60.0], [0.0, 0.0, 0.3, 0.3])  # hold, ramp, hold
    sigma = 0.03
    y = truth + rng.normal(0.0, sigma, x.size)
    t, v = fit_continuous(x, y, sigma=sigma, step=0.5, value_step=0.005, max_slope=10)
    # within a few noise standard errors of the truth everywhere, flat where the truth is
    assert np.max(np.abs(v - np.interp(t, [0.0, 20.0, 30.0, 60.0], [0.0, 0.0, 0.3, 0.3]))) < 0.06
    moving = t[np.flatnonzero(np.diff(v) != 0)]
    assert moving.min() > 17.0 and moving.max() < 33.0


def test_continuous_fit_of_noise_is_flat():
    from mezzo.meters.segments import fit_continuous

    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(0.0, 60.0, 240))
    y = rng.normal(0.0, 0.03, x.size)
    _, v = fit_continuous(x, y, sigma=0.03, step=0.5, value_step=0.005, max_slope=10)
    assert np.ptp(v) <= 0.01


def _naive_hold_ramp_hold(x, y, sigma, knots):
    """Every pair of knots, each fitted by numpy's weighted least squares: the best (chi2, start, end)."""
    best = (math.inf, None, None)
    for a, b in itertools.combinations(knots, 2):
        u = np.clip((x - a) / (b - a), 0.0, 1.0)
        design = np.stack([1.0 - u, u], axis=1) / sigma[:, None]
        coef, *_ = np.linalg.lstsq(design, y / sigma, rcond=None)
        chi = float(np.sum((design @ coef - y / sigma) ** 2))
        if chi < best[0]:
            best = (chi, a, b)
    return best


@pytest.mark.parametrize("seed", range(4))
def test_hold_ramp_hold_is_the_least_squares_span(seed):
    from mezzo.meters.segments import hold_ramp_hold

    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 20.0, 60))
    y = np.interp(x, [0.0, 6.0, 11.0, 20.0], [1.0, 1.0, 1.4, 1.4]) + rng.normal(0.0, 0.05, x.size)
    sigma = rng.uniform(0.03, 0.1, x.size)
    knots = np.arange(0.0, 20.01, 1.0)
    start, end, first, last, conf = hold_ramp_hold(x, y, sigma, knots)
    _, a, b = _naive_hold_ramp_hold(x, y, sigma, knots)
    assert (start, end) == (a, b)
    assert abs(start - 6.0) <= 1.0 and abs(end - 11.0) <= 1.0
    assert first == pytest.approx(1.0, abs=0.05) and last == pytest.approx(1.4, abs=0.05)
    assert conf > 0.99


def test_hold_ramp_hold_finds_the_exact_ends_without_noise_and_no_change_in_noise():
    from mezzo.meters.segments import hold_ramp_hold

    x = np.linspace(0.0, 30.0, 121)
    knots = np.arange(0.0, 30.01, 0.5)
    start, end, first, last, _ = hold_ramp_hold(x, np.interp(x, [0.0, 12.5, 17.0, 30.0], [0.0, 0.0, -0.3, -0.3]),
                                                0.01, knots)
    assert (start, end) == (12.5, 17.0)
    assert first == pytest.approx(0.0, abs=1e-9) and last == pytest.approx(-0.3, abs=1e-9)
    rng = np.random.default_rng(5)
    *_, conf = hold_ramp_hold(x, rng.normal(0.0, 0.05, x.size), 0.05, knots)
    assert conf < 0.5
