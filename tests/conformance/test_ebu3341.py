"""EBU Tech 3341 v4 ("EBU Mode" loudness metering) conformance cases.

The EBU test files are not redistributable, so each case is synthesised from its
definition: 1 kHz sines, stereo unless said, a level in dBFS being the sine's peak
amplitude 10**(dB/20) in each channel. Expected values and tolerances are the ones
of Tech 3341 v4, Table 1 (+/-0.1 LU), or their closed form where the case is
designed around one (the stated value rounded to 0.1 in the spec).

Closed forms: a stereo 1 kHz sine of peak amplitude A has K-weighted energy
2 * A**2 / 2 * |K(1 kHz)|**2, and |K(1 kHz)|**2 = 10**(0.691/10) (that is what the
-0.691 in BS.1770-4 eq. 2 cancels), so its loudness is 20*log10(A) LUFS exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import signals as sg
from tolerances import EBU3341_LU

lm = pytest.importorskip("mezzo.meters.loudness")

FS = 48000


def power_mean_db(levels_dbfs, durations_s) -> float:
    """10*log10 of the time-weighted mean of 10**(L/10) (the loudness of a stereo sine mix)."""
    energy = sum(
        d * 10.0 ** (level / 10.0) for level, d in zip(levels_dbfs, durations_s, strict=True)
    )
    return 10.0 * math.log10(energy / sum(durations_s))


def assert_lu(got, expected, tol, what):
    assert got is not None, f"{what}: got None, expected {expected:.3f}"
    assert abs(got - expected) <= tol, f"{what}: got {got:.4f}, expected {expected:.4f} +/- {tol}"


# --- cases 1-6: integrated loudness (also at 44.1 and 96 kHz) ---------------------------

INTEGRATED_CASES = {
    "case1": ([-23.0], [20.0], -23.0),
    "case2": ([-33.0], [20.0], -33.0),
    "case3": ([-36.0, -23.0, -36.0], [10.0, 60.0, 10.0], -23.0),
    "case4": ([-72.0, -36.0, -23.0, -36.0, -72.0], [10.0, 10.0, 60.0, 10.0, 10.0], -23.0),
    "case5": ([-26.0, -20.0, -26.0], [20.0, 20.1, 20.0], -23.0),
}


@pytest.mark.parametrize("case", sorted(INTEGRATED_CASES))
def test_integrated_cases_1_to_5(case, sample_rate):
    levels, durations, expected = INTEGRATED_CASES[case]
    audio = sg.sine_segments(levels, durations, sample_rate)
    res = lm.loudness(audio, sample_rate)
    assert_lu(res.integrated_lufs, expected, EBU3341_LU, f"EBU 3341 {case} I at {sample_rate} Hz")


@pytest.mark.parametrize("level_dbfs", [-23.0, -33.0], ids=["case1", "case2"])
def test_cases_1_2_momentary_and_short_term(level_dbfs):
    """Steady sine: every M and S value (and their maxima) reads the level (Table 1)."""
    audio = sg.sine(1000.0, level_dbfs, 20.0, FS)
    res = lm.loudness(audio, FS)
    for name in ("momentary", "short_term"):
        series = np.asarray(getattr(res, f"{name}_lufs"))
        assert series.size > 0, f"{name}_lufs is empty"
        assert_lu(float(series[-1]), level_dbfs, EBU3341_LU, f"last {name} value")
        worst = float(series[np.argmax(np.abs(series - level_dbfs))])
        assert_lu(worst, level_dbfs, EBU3341_LU, f"worst {name} value")
        assert_lu(getattr(res, f"{name}_max_lufs"), level_dbfs, EBU3341_LU, f"{name}_max_lufs")


CASE6_LEVELS = [-28.0, -28.0, -24.0, -30.0, -30.0]  # L R C Ls Rs


def case6_expected() -> float:
    """Sum over channels of G_i * A_i**2 / 2, K(1 kHz) cancelling the -0.691."""
    weights = [1.0, 1.0, 1.0, 1.41, 1.41]
    energy = sum(g * 10.0 ** (lv / 10.0) / 2.0 for g, lv in zip(weights, CASE6_LEVELS, strict=True))
    return 10.0 * math.log10(energy)  # -23.02


@pytest.mark.parametrize(
    ("with_lfe", "layout"),
    [
        (False, None),
        (False, "5.0"),
        (False, "L,R,C,Ls,Rs"),
        (True, None),
        (True, "5.1"),
        (True, "L,R,C,LFE,Ls,Rs"),
    ],
)
def test_case6_five_channels(sample_rate, with_lfe, layout):
    levels = list(CASE6_LEVELS)
    if with_lfe:
        levels.insert(3, None)  # silent LFE in position 4
    audio = sg.per_channel_sines(levels, 20.0, sample_rate)
    res = lm.loudness(audio, sample_rate, layout=layout)
    assert abs(case6_expected() - (-23.0)) < 0.05
    assert_lu(res.integrated_lufs, -23.0, EBU3341_LU, f"EBU 3341 case 6 ({layout=}, {with_lfe=})")


def test_case6_lfe_is_not_counted():
    """BS.1770-4: the LFE channel has weight 0, so a loud LFE changes nothing."""
    quiet = sg.per_channel_sines([-28.0, -28.0, -24.0, None, -30.0, -30.0], 20.0, FS)
    loud_lfe = sg.per_channel_sines([-28.0, -28.0, -24.0, -3.0, -30.0, -30.0], 20.0, FS)
    a = lm.loudness(quiet, FS, layout="5.1").integrated_lufs
    b = lm.loudness(loud_lfe, FS, layout="5.1").integrated_lufs
    assert_lu(b, a, 1e-6, "5.1 with a loud LFE vs a silent one")


# --- case 9: short-term loudness of a 3 s-periodic signal ----------------------------


def test_case9_short_term_constant_after_3s():
    levels, durations = [-20.0, -30.0] * 5, [1.34, 1.66] * 5
    audio = sg.sine_segments(levels, durations, FS)
    expected = power_mean_db([-20.0, -30.0], [1.34, 1.66])  # -22.99, "S = -23.0"
    res = lm.loudness(audio, FS)
    times = np.asarray(res.short_term_times_s)
    values = np.asarray(res.short_term_lufs)
    sel = times >= 3.0 - 1e-9
    assert np.count_nonzero(sel) >= 100, f"only {np.count_nonzero(sel)} short-term values after 3 s"
    for t, v in zip(times[sel], values[sel], strict=True):
        assert_lu(float(v), expected, EBU3341_LU, f"EBU 3341 case 9 S at t={t:.2f} s")


# --- case 12: momentary loudness of a 0.4 s-periodic signal ---------------------------


def test_case12_momentary_constant_after_1s():
    levels, durations = [-20.0, -30.0] * 25, [0.18, 0.22] * 25
    audio = sg.sine_segments(levels, durations, FS)
    expected = 10.0 * math.log10((0.18 * 10**-2 + 0.22 * 10**-3) / 0.4)  # -22.97
    assert abs(expected - power_mean_db([-20.0, -30.0], [0.18, 0.22])) < 1e-12
    res = lm.loudness(audio, FS)
    times = np.asarray(res.momentary_times_s)
    values = np.asarray(res.momentary_lufs)
    sel = times >= 1.0 - 1e-9
    assert np.count_nonzero(sel) >= 85, f"only {np.count_nonzero(sel)} momentary values after 1 s"
    for t, v in zip(times[sel], values[sel], strict=True):
        assert_lu(float(v), expected, EBU3341_LU, f"EBU 3341 case 12 M at t={t:.2f} s")


# --- cases 10 and 13: maxima of S and M for bursts at sub-hop offsets -------------------

OFFSETS_10 = [k * 0.1 + k * 0.007 for k in range(20)]  # 0 .. 2.033 s, sub-hop part 0..133 ms
OFFSETS_13 = [0.5 + k * 0.1 + k * 0.0047 for k in range(20)]  # sub-hop part 0 .. 89 ms


@pytest.mark.parametrize("offset_s", OFFSETS_10, ids=[f"{o * 1000:.0f}ms" for o in OFFSETS_10])
def test_case10_short_term_max_of_3s_burst(offset_s):
    audio = sg.burst(-23.0, 3.0, offset_s, offset_s + 4.0, FS)
    res = lm.loudness(audio, FS)
    assert_lu(
        res.short_term_max_lufs, -23.0, EBU3341_LU, f"EBU 3341 case 10, offset {offset_s:.3f} s"
    )


@pytest.mark.parametrize("offset_s", OFFSETS_13, ids=[f"{o * 1000:.1f}ms" for o in OFFSETS_13])
def test_case13_momentary_max_of_400ms_burst(offset_s):
    audio = sg.burst(-23.0, 0.4, offset_s, offset_s + 0.9, FS)
    res = lm.loudness(audio, FS)
    assert_lu(
        res.momentary_max_lufs, -23.0, EBU3341_LU, f"EBU 3341 case 13, offset {offset_s:.4f} s"
    )


# --- cases 11 and 14: running maxima over consecutive segments, streamed ----------------


def test_case11_running_short_term_max():
    meter = lm.LoudnessMeter(FS, 2)
    for k in range(20):
        level = -38.0 + k
        offset = (k * 0.1 + k * 0.0137) % 3.0  # the 3 s burst ends inside its 6 s segment
        meter.update(sg.burst(level, 3.0, offset, 6.0, FS))
        got = meter.result().short_term_max_lufs
        assert_lu(
            got,
            level,
            EBU3341_LU,
            f"EBU 3341 case 11 after segment {k + 1} (offset {offset:.3f} s)",
        )


def test_case14_running_momentary_max():
    meter = lm.LoudnessMeter(FS, 2)
    for k in range(20):
        level = -38.0 + k
        offset = (k * 0.0173) % 0.4  # the 0.4 s burst ends inside its 0.8 s segment
        meter.update(sg.burst(level, 0.4, offset, 0.8, FS))
        got = meter.result().momentary_max_lufs
        assert_lu(
            got,
            level,
            EBU3341_LU,
            f"EBU 3341 case 14 after segment {k + 1} (offset {offset:.4f} s)",
        )


# --- series conventions (contract) ------------------------------------------------------


def test_series_time_grid():
    """Windows every hop_s from the first full window; value at t = window ending at t."""
    audio = sg.sine(1000.0, -23.0, 10.0, FS)
    res = lm.loudness(audio, FS)
    m_t = np.asarray(res.momentary_times_s)
    s_t = np.asarray(res.short_term_times_s)
    np.testing.assert_allclose(m_t, 0.4 + 0.1 * np.arange(97), atol=1e-9)
    np.testing.assert_allclose(s_t, 3.0 + 0.1 * np.arange(71), atol=1e-9)
    assert np.asarray(res.momentary_lufs).shape == m_t.shape
    assert np.asarray(res.short_term_lufs).shape == s_t.shape
