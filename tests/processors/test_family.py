"""Expander, Gate and Ducker: static curves and behaviour against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mezzo.processors import Ducker, Expander, Gate

FS = 48000
STATIC_DB = 0.1
TIME_CONSTANT_REL = 0.05


def square(level_dbfs: float | None, seconds: float, freq_hz: float = 100.0) -> np.ndarray:
    n = round(seconds * FS)
    if level_dbfs is None:
        return np.zeros(n)
    phase = np.floor(2 * freq_hz * np.arange(n) / FS) % 2
    return 10 ** (level_dbfs / 20) * np.where(phase == 0, 1.0, -1.0)


def level_db(x: np.ndarray) -> float:
    return 20 * math.log10(float(np.max(np.abs(x))))


def expander_curve(x_db: float, t: float, r: float, w: float, range_db: float) -> float:
    """Downward expander static output (Giannoulis et al. section 2.2, eq. 4 mirrored)."""
    if 2 * (x_db - t) > w:
        y = x_db
    elif w > 0 and 2 * abs(x_db - t) <= w:
        y = x_db + (1 - r) * (x_db - t - w / 2) ** 2 / (2 * w)
    else:
        y = t + r * (x_db - t)
    return max(y, x_db - range_db)


@pytest.mark.parametrize(("ratio", "knee_db", "range_db"), [(2.0, 0.0, 40.0), (4.0, 6.0, 30.0), (1.5, 12.0, 80.0)])
def test_expander_static_curve(ratio, knee_db, range_db):
    exp = Expander(threshold_db=-30, ratio=ratio, knee_db=knee_db, range_db=range_db, attack_ms=1, release_ms=5, hold_ms=0)
    for x_db in np.arange(-70.0, 0.1, 4.0):
        y = exp(square(x_db, 0.2), FS)
        assert level_db(y[-2000:]) == pytest.approx(expander_curve(x_db, -30, ratio, knee_db, range_db), abs=STATIC_DB)


def test_gate_closes_below_threshold_by_range():
    gate = Gate(threshold_db=-40, range_db=60, hysteresis_db=0, attack_ms=0.5, release_ms=5, hold_ms=0)
    assert level_db(gate(square(-30, 0.2), FS)[-2000:]) == pytest.approx(-30, abs=1e-9)
    assert level_db(gate(square(-50, 0.3), FS)[-2000:]) == pytest.approx(-110, abs=STATIC_DB)


def test_gate_hysteresis_keeps_it_open_between_thresholds():
    x = np.concatenate([square(-30, 0.2), square(-43, 0.3)])  # above T, then between T-h and T
    open_ = Gate(threshold_db=-40, hysteresis_db=6, release_ms=5, hold_ms=0)(x, FS)
    closed = Gate(threshold_db=-40, hysteresis_db=0, release_ms=5, hold_ms=0)(x, FS)
    assert level_db(open_[-2000:]) == pytest.approx(-43, abs=1e-6)
    assert level_db(closed[-2000:]) < -100
    # starting below T, the same -43 dB never opens it
    assert level_db(Gate(threshold_db=-40, hysteresis_db=6)(square(-43, 0.3), FS)[-2000:]) < -100


def test_gate_hold_and_release_time_constant():
    release_ms, hold_ms = 50.0, 20.0
    x = np.concatenate([square(-20, 0.2), square(-60, 1.0)])
    _, g = Gate(threshold_db=-40, range_db=40, release_ms=release_ms, hold_ms=hold_ms, hysteresis_db=0)(x, FS, return_gain=True)
    n1 = round(0.2 * FS)
    hold = round(hold_ms / 1000 * FS)
    assert np.all(g[0, n1 : n1 + hold] == 0)
    goal = -40 * (1 - math.exp(-1))
    t = (np.flatnonzero(g[0, n1 + hold :] <= goal)[0] + 1) / FS * 1000
    assert t == pytest.approx(release_ms, rel=TIME_CONSTANT_REL)


def test_gate_attack_is_opening_time_constant():
    attack_ms = 5.0
    x = np.concatenate([square(-60, 0.5), square(-20, 0.2)])
    _, g = Gate(threshold_db=-40, range_db=40, attack_ms=attack_ms, release_ms=20, hysteresis_db=0)(x, FS, return_gain=True)
    n1 = round(0.5 * FS)
    assert g[0, n1 - 1] == pytest.approx(-40, abs=1e-6)
    goal = -40 * math.exp(-1)
    t = (np.flatnonzero(g[0, n1:] >= goal)[0] + 1) / FS * 1000
    assert t == pytest.approx(attack_ms, rel=TIME_CONSTANT_REL)


def test_gate_lookahead_opens_before_the_transient():
    x = np.concatenate([square(None, 0.2), square(-10, 0.1, 1000)])
    gate = Gate(threshold_db=-40, attack_ms=1, lookahead_ms=2)
    y = gate(x, FS)
    onset = round(0.2 * FS)
    assert abs(y[onset]) == pytest.approx(abs(x[onset]), rel=0.01)  # already open at the onset
    assert abs(Gate(threshold_db=-40, attack_ms=1)(x, FS)[onset]) < 0.1 * abs(x[onset])


def test_gate_of_silence_is_silence():
    assert np.all(Gate()(np.zeros((2, 5000), dtype=np.float32), FS) == 0)


def test_ducker_ducks_by_depth_while_key_sounds(rng):
    music = rng.uniform(-0.3, 0.3, size=(2, 3 * FS))
    voice = np.concatenate([np.zeros(FS), 0.5 * np.sin(2 * np.pi * 300 * np.arange(FS) / FS), np.zeros(FS)])
    duck = Ducker(threshold_db=-30, depth_db=12, attack_ms=5, hold_ms=50, release_ms=200)
    y, g = duck(music, FS, key=voice, return_gain=True)
    np.testing.assert_array_equal(y[:, : FS - 10], music[:, : FS - 10])
    mid = slice(round(1.5 * FS), round(1.9 * FS))
    assert np.allclose(g[:, mid], -12.0, atol=1e-6)
    np.testing.assert_allclose(y[:, mid], music[:, mid] * 10 ** (-12 / 20), rtol=1e-9)
    # released by the end: 950 ms after the hold = 4.75 release time constants
    assert g[0, -1] == pytest.approx(-12 * math.exp(-(1000 - 50) / 200), abs=0.01)


def test_ducker_ratio_gives_partial_duck():
    key = square(-25, 0.5)
    _, g = Ducker(threshold_db=-30, depth_db=40, ratio=2, knee_db=0, attack_ms=1)(np.zeros(key.size), FS, key=key, return_gain=True)
    assert g[0, -1] == pytest.approx(-2.5, abs=1e-6)  # (x - T)(1/R - 1)


def test_ducker_needs_key():
    from mezzo.errors import ParameterError

    with pytest.raises(ParameterError, match="key"):
        Ducker()(np.zeros(10), FS)
