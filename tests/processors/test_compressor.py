"""Compressor: static curve, time constants, identities, lookahead, sidechain, presets.

Expected values come from the closed forms of Giannoulis, Massberg & Reiss (JAES 2012),
written out again here (``paper_curve``), never from the code's earlier output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mezzo.errors import ParameterError
from mezzo.processors import PRESETS, Compressor

FS = 48000
#: settled static-curve output level vs the paper's formula, dB (issue 4)
STATIC_DB = 0.1
#: time constants: 63 % point within +/-5 % of the set time (issue 4)
TIME_CONSTANT_REL = 0.05
#: lookahead >= attack: overshoot above the static target on a hard transient, dB (issue 4)
LOOKAHEAD_OVERSHOOT_DB = 0.5


def paper_curve(x_db: float, threshold_db: float, ratio: float, knee_db: float) -> float:
    """Giannoulis et al. eq. (4): static output level y_G for input level x_G (dB)."""
    t, r, w = threshold_db, ratio, knee_db
    if 2 * (x_db - t) < -w:
        return x_db
    if 2 * abs(x_db - t) <= w and w > 0:
        return x_db + (1 / r - 1) * (x_db - t + w / 2) ** 2 / (2 * w)
    return t + (x_db - t) / r


def square(level_dbfs: float, seconds: float, freq_hz: float = 100.0) -> np.ndarray:
    n = round(seconds * FS)
    phase = np.floor(2 * freq_hz * np.arange(n) / FS) % 2
    return 10 ** (level_dbfs / 20) * np.where(phase == 0, 1.0, -1.0)


def level_db(x: np.ndarray) -> float:
    return 20 * math.log10(float(np.max(np.abs(x))))


@pytest.mark.parametrize("threshold_db", [-40.0, -20.0, -6.0])
@pytest.mark.parametrize(("ratio", "knee_db"), [(2.0, 0.0), (4.0, 6.0), (10.0, 12.0), (math.inf, 0.0), (3.0, 24.0)])
def test_static_curve_peak_detector_square_waves(threshold_db, ratio, knee_db):
    comp = Compressor(threshold_db=threshold_db, ratio=ratio, knee_db=knee_db, attack_ms=1, release_ms=5)
    for x_db in np.arange(-60.0, 0.1, 3.0):
        y = comp(square(x_db, 0.1), FS)
        settled = level_db(y[-2000:])
        assert settled == pytest.approx(paper_curve(x_db, threshold_db, ratio, knee_db), abs=STATIC_DB)


@pytest.mark.parametrize(("threshold_db", "ratio", "knee_db"), [(-30.0, 4.0, 0.0), (-20.0, 2.0, 10.0), (-12.0, 8.0, 6.0)])
def test_static_curve_rms_detector_sines(threshold_db, ratio, knee_db):
    """RMS detector: a sine of peak A reads 20 log10 A (AES17-style dBFS)."""
    comp = Compressor(
        threshold_db=threshold_db, ratio=ratio, knee_db=knee_db, detector="rms", rms_window_ms=20,
        attack_ms=5, release_ms=50,
    )
    t = np.arange(round(0.6 * FS)) / FS
    for x_db in np.arange(-60.0, 0.1, 4.0):
        x = 10 ** (x_db / 20) * np.sin(2 * np.pi * 1000 * t)
        y = comp(x, FS)
        tail = y[-round(0.1 * FS):]
        out_db = 20 * math.log10(math.sqrt(2 * np.mean(tail**2)))
        assert out_db == pytest.approx(paper_curve(x_db, threshold_db, ratio, knee_db), abs=STATIC_DB)


def _crossing_ms(g: np.ndarray, start: int, g0: float, g1: float) -> float:
    """Time after ``start`` when g has covered 1 - 1/e of the way from g0 to g1, ms."""
    goal = g0 + (1 - math.exp(-1)) * (g1 - g0)
    seg = g[start:]
    idx = np.flatnonzero((seg <= goal) if g1 < g0 else (seg >= goal))[0]
    return (idx + 1) / FS * 1000


@pytest.mark.parametrize(("attack_ms", "release_ms"), [(10.0, 100.0), (1.0, 50.0), (30.0, 500.0)])
def test_time_constants_are_63_percent_in_db(attack_ms, release_ms):
    comp = Compressor(threshold_db=-30, ratio=4, knee_db=0, attack_ms=attack_ms, release_ms=release_ms)
    n1 = round(0.5 * FS)
    x = np.concatenate([square(-40, 0.5), square(-10, 3.0), square(-40, 5.0)])
    _, g = comp(x, FS, return_gain=True)
    g = g[0]
    target = paper_curve(-10, -30, 4, 0) - (-10)  # -15 dB
    t_att = _crossing_ms(g, n1, 0.0, target)
    assert t_att == pytest.approx(attack_ms, rel=TIME_CONSTANT_REL)
    n2 = n1 + round(3.0 * FS)
    assert g[n2 - 1] == pytest.approx(target, abs=1e-3)
    t_rel = _crossing_ms(g, n2, target, 0.0)
    assert t_rel == pytest.approx(release_ms, rel=TIME_CONSTANT_REL)


def test_hold_delays_release():
    x = np.concatenate([square(-40, 0.2), square(-10, 0.5), square(-40, 1.0)])
    _, g0 = Compressor(threshold_db=-30, attack_ms=1, release_ms=50, knee_db=0)(x, FS, return_gain=True)
    _, g1 = Compressor(threshold_db=-30, attack_ms=1, release_ms=50, knee_db=0, hold_ms=40)(x, FS, return_gain=True)
    n2 = round(0.7 * FS)
    hold = round(0.04 * FS)
    assert np.all(g1[0, n2 : n2 + hold - 1] == g1[0, n2 - 1])
    np.testing.assert_allclose(g1[0, n2 + hold : n2 + hold + 1000], g0[0, n2 : n2 + 1000], atol=1e-9)


# --- identities ------------------------------------------------------------------------------


def test_ratio_one_is_exact_identity(rng):
    x = rng.uniform(-1, 1, size=(2, 10000)).astype(np.float32)
    np.testing.assert_array_equal(Compressor(ratio=1, threshold_db=-60, makeup_db="auto")(x, FS), x)


def test_mix_zero_is_exact_identity_latency_aligned(rng):
    x = rng.uniform(-1, 1, size=(2, 10000))
    comp = Compressor(ratio=8, threshold_db=-40, lookahead_ms=5, mix=0.0)
    np.testing.assert_array_equal(comp(x, FS), x)
    assert comp.latency_samples == 240


def test_silent_key_gives_no_gain_reduction(rng):
    x = rng.uniform(-1, 1, size=(2, 10000))
    y, g = Compressor(threshold_db=-40)(x, FS, key=np.zeros(10000), return_gain=True)
    np.testing.assert_array_equal(y, x)
    assert np.all(g == 0)


def test_fully_linked_stereo_same_gain(rng):
    x = np.stack([rng.uniform(-1, 1, 20000), 0.05 * rng.uniform(-1, 1, 20000)])
    y, g = Compressor(threshold_db=-30, link=1.0)(x, FS, return_gain=True)
    np.testing.assert_array_equal(g[0], g[1])
    np.testing.assert_allclose(y[0] / x[0], y[1] / x[1], rtol=1e-12)


def test_unlinked_stereo_independent_channels(rng):
    loud = rng.uniform(-1, 1, 20000)
    x = np.stack([loud, 0.001 * loud])
    _, g = Compressor(threshold_db=-30, link=0.0)(x, FS, return_gain=True)
    assert g[1].max() == 0 and g[0].min() < -10
    mono_y = Compressor(threshold_db=-30)(loud, FS)
    np.testing.assert_allclose(Compressor(threshold_db=-30, link=0.0)(x, FS)[0], mono_y, rtol=1e-12)


def test_partial_link_rule_in_db():
    """link 0.5: detector level = 0.5 * max + 0.5 * own, in dB (documented rule)."""
    x = np.stack([square(-10, 0.3), square(-40, 0.3)])
    _, g = Compressor(threshold_db=-30, ratio=2, knee_db=0, link=0.5, attack_ms=0.5)(x, FS, return_gain=True)
    lvl1 = 0.5 * -10 + 0.5 * -40  # -25 dB: above threshold by 5
    assert g[1, -1] == pytest.approx(paper_curve(lvl1, -30, 2, 0) - lvl1, abs=1e-6)
    assert g[0, -1] == pytest.approx(paper_curve(-10, -30, 2, 0) + 10, abs=1e-6)


# --- lookahead -------------------------------------------------------------------------------


def test_lookahead_starts_before_transient_and_holds_the_curve():
    attack_ms = 5.0
    comp = Compressor(threshold_db=-20, ratio=4, knee_db=0, attack_ms=attack_ms, lookahead_ms=attack_ms)
    onset = round(0.2 * FS)
    x = np.concatenate([square(-60, 0.2, 1000), square(0, 0.3, 1000)])
    y, g = comp(x, FS, return_gain=True)
    assert g[0, onset - 10] < -1.0  # reduction already under way before the transient
    assert np.all(g[0, : onset - comp.latency_samples - 1] == 0)
    target = paper_curve(0, -20, 4, 0)  # -15 dBFS
    assert level_db(y[onset:]) <= target + LOOKAHEAD_OVERSHOOT_DB


def test_without_lookahead_the_transient_overshoots():
    x = np.concatenate([square(-60, 0.2, 1000), square(0, 0.3, 1000)])
    y = Compressor(threshold_db=-20, ratio=4, knee_db=0, attack_ms=5)(x, FS)
    assert level_db(y) > paper_curve(0, -20, 4, 0) + 5


# --- modes, makeup, sidechain, presets -------------------------------------------------------


def test_upward_mode_lifts_quiet_parts_capped():
    comp = Compressor(mode="up", threshold_db=-30, ratio=2, knee_db=0, max_gain_db=12, attack_ms=1, release_ms=5)
    for x_db, want in [(-40.0, -35.0), (-60.0, -48.0), (-20.0, -20.0)]:
        y = comp(square(x_db, 0.3), FS)
        expected = max(min(want, x_db + 12), x_db)
        assert level_db(y[-2000:]) == pytest.approx(expected, abs=STATIC_DB)


def test_auto_makeup_is_half_the_reduction_at_0dbfs():
    comp = Compressor(threshold_db=-20, ratio=4, knee_db=0, makeup_db="auto", attack_ms=1)
    assert comp.auto_makeup_db() == pytest.approx(7.5)
    y = comp(square(-30, 0.2), FS)  # below threshold: only the makeup
    assert level_db(y[-1000:]) == pytest.approx(-30 + 7.5, abs=1e-6)


def test_key_highpass_ignores_bass_in_the_key():
    t = np.arange(FS) / FS
    bass = 0.9 * np.sin(2 * np.pi * 30 * t)
    x = 0.1 * np.sin(2 * np.pi * 1000 * t)
    _, g_plain = Compressor(threshold_db=-20)(x, FS, key=bass, return_gain=True)
    _, g_hp = Compressor(threshold_db=-20, key_highpass_hz=300)(x, FS, key=bass, return_gain=True)
    assert g_plain.min() < -10
    assert g_hp.min() > -1


def test_stereo_key_on_stereo_audio_and_mono_key_broadcast(rng):
    x = rng.uniform(-0.1, 0.1, size=(2, 5000))
    key = np.stack([np.full(5000, 0.9), np.zeros(5000)])
    _, g = Compressor(threshold_db=-20, link=0.0)(x, FS, key=key, return_gain=True)
    assert g[0].min() < -5 and np.all(g[1] == 0)
    _, g = Compressor(threshold_db=-20, link=0.0)(x, FS, key=key[0], return_gain=True)
    np.testing.assert_array_equal(g[0], g[1])


def test_presets_table_and_overrides():
    assert set(PRESETS) == {"vocal", "drum-bus", "mix-bus", "gentle"}
    for name, values in PRESETS.items():
        comp = Compressor.preset(name)
        for k, v in values.items():
            assert getattr(comp, k) == v
    assert Compressor.preset("vocal", ratio=6).ratio == 6
    with pytest.raises(ParameterError, match="preset"):
        Compressor.preset("loud")


def test_key_highpass_above_nyquist_refused():
    with pytest.raises(ParameterError, match="key_highpass_hz"):
        Compressor(key_highpass_hz=15000)(np.zeros(100), 16000)


def test_gain_attribute_after_call(rng):
    comp = Compressor(threshold_db=-30)
    x = rng.uniform(-1, 1, size=(2, 1000))
    _, g = comp(x, FS, return_gain=True)
    assert comp.gain_db is g and g.shape == (2, 1000)
