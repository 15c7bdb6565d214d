"""EBU Tech 3342 v4 (loudness range) conformance cases, plus closed-form ramps.

Cases 1-4 are synthesised from their definitions (stereo 1 kHz sines, level = peak
amplitude in dBFS per channel); expected LRA and the +/-1 LU tolerance are Tech 3342
Table 1. Two further cases have closed-form answers (derivation in
:func:`ramp_lra_closed_form`), checked more tightly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import signals as sg
from reference import naive_bs1770 as naive
from tolerances import EBU3342_LRA_LU, LRA_CLOSED_FORM_LU, NAIVE_REFERENCE_LRA_LU

lm = pytest.importorskip("mezzo.meters.loudness")

FS = 48000

CASES = {
    "case1": ([-20.0, -30.0], [20.0, 20.0], 10.0),
    "case2": ([-20.0, -15.0], [20.0, 20.0], 5.0),
    "case3": ([-40.0, -20.0], [20.0, 20.0], 20.0),
    "case4": ([-50.0, -35.0, -20.0, -35.0, -50.0], [20.0] * 5, 15.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_ebu3342_cases_1_to_4(case, sample_rate):
    levels, durations, expected = CASES[case]
    res = lm.loudness(sg.sine_segments(levels, durations, sample_rate), sample_rate)
    got = res.loudness_range_lu
    assert got is not None, f"EBU 3342 {case}: LRA is None, expected {expected}"
    assert abs(got - expected) <= EBU3342_LRA_LU, (
        f"EBU 3342 {case} at {sample_rate} Hz: got {got:.3f} LU, expected {expected} +/- {EBU3342_LRA_LU}"
    )


def ramp_lra_closed_form(span_db: float) -> float:
    """LRA of short-term values spread uniformly over ``span_db`` (closed form).

    Derivation. A stereo 1 kHz sine whose level rises linearly in dB,
    L(t) = L0 + s*t for 0 <= t <= T, has short-term loudness
    S(t) = 10*log10((1/3) * integral_{t-3}^{t} 10**(L(u)/10) du) = L(t - 3) + c for
    3 <= t <= T, with c = 10*log10((10**(0.3*s) - 1) / (0.3*s*ln 10)) a constant
    (K(1 kHz) cancels -0.691 for a stereo sine). So the short-term values on the
    100 ms grid form an arithmetic sequence from a to b = a + s*(T - 3).

    Gates (Tech 3342): the absolute gate (-70 LUFS) is far away. The relative gate is
    20 LU below the power mean of the values; for values uniform on [a, b] that mean is
    P = b + 10*log10((1 - 10**(-D/10)) / (D * ln(10)/10)), D = b - a. Values below
    g = P - 20 are dropped, leaving a uniform spread over [max(a, g), b].

    Percentiles: numpy's linear percentile of an arithmetic sequence is exact,
    q-th percentile = min + q*(max - min), so LRA = (0.95 - 0.10) * (b - max(a, g)).
    The only discretisation is where the first kept grid value falls, within one
    grid step s * 0.1 s of g.
    """
    d = span_db
    power_mean_rel_b = 10.0 * math.log10((1.0 - 10.0 ** (-d / 10.0)) / (d * math.log(10.0) / 10.0))
    gate_rel_b = power_mean_rel_b - 20.0
    kept = min(d, -gate_rel_b)
    return 0.85 * kept


RAMPS = {
    # name: (start level dBFS, rise in dB over the duration, duration s)
    "ramp12dB_ungated": (-32.0, 12.0, 60.0),  # D = 11.4 dB, no value gated: LRA = 9.69
    "ramp40dB_gated": (-50.0, 40.0, 60.0),  # D = 38 dB, relative gate bites: LRA = 25.0
}


@pytest.mark.parametrize("name", sorted(RAMPS))
def test_lra_of_linear_db_ramp_closed_form(name):
    start, rise, duration = RAMPS[name]
    slope = rise / duration
    span = slope * (duration - 3.0)
    expected = ramp_lra_closed_form(span)
    audio = sg.level_ramp_sine(start, slope, duration, FS)
    got = lm.loudness(audio, FS).loudness_range_lu
    assert got is not None
    assert abs(got - expected) <= LRA_CLOSED_FORM_LU, (
        f"{name}: got {got:.3f} LU, closed form {expected:.3f} +/- {LRA_CLOSED_FORM_LU}"
    )
    # the naive reference agrees with the closed form (checks the derivation itself)
    ref = naive.loudness_range(audio, FS)
    assert abs(ref - expected) <= LRA_CLOSED_FORM_LU, (
        f"naive {ref:.3f} vs closed form {expected:.3f}"
    )


def test_lra_of_steady_signal_is_zero():
    """A steady sine has identical short-term values, so LRA = 0 exactly (up to ripple)."""
    got = lm.loudness(sg.sine(1000.0, -20.0, 30.0, FS), FS).loudness_range_lu
    assert got is not None
    assert abs(got) <= LRA_CLOSED_FORM_LU, f"steady sine: LRA {got:.3f} LU, expected 0"


def test_lra_undefined_for_short_or_silent_input():
    """Fewer than one 3 s window, or digital silence: LRA is None."""
    assert lm.loudness(sg.sine(1000.0, -20.0, 2.5, FS), FS).loudness_range_lu is None
    assert lm.loudness(np.zeros((2, 10 * FS)), FS).loudness_range_lu is None


@pytest.mark.parametrize("kind", sg.MUSIC_KINDS)
def test_lra_matches_naive_reference(kind, rng):
    """Same windows (3 s every 100 ms), same gates, same percentiles as the naive reference."""
    audio = sg.music_like(kind, 40.0, FS, rng)
    expected = naive.loudness_range(audio, FS)
    got = lm.loudness(audio, FS).loudness_range_lu
    assert got is not None and expected is not None
    assert abs(got - expected) <= NAIVE_REFERENCE_LRA_LU, (
        f"{kind}: LRA {got:.3f} LU, naive reference {expected:.3f} +/- {NAIVE_REFERENCE_LRA_LU}"
    )
