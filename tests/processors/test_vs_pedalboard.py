"""Side by side with pedalboard's ``Compressor`` (JUCE ``dsp::Compressor``) at the same settings.

This file documents measured differences rather than asserting equality.

Measured (48 kHz, threshold -30 dBFS, ratio 4, step -40 -> -10 dBFS square wave):

============================  =============  ==================  ==================
quantity                      mezzo          pedalboard          why
============================  =============  ==================  ==================
static curve, hard knee       paper eq. 4    same within 0.01 dB both: gain = (1/R - 1)(x - T)
knee                          ``knee_db``    none (hard only)    JUCE has no knee
attack 10 ms: 63 % of dB gain 10.0 ms        ~0.83 ms            JUCE: one-pole on the linear
                                                                 envelope, coef exp(-2 pi 1000/(t fs)),
                                                                 i.e. tau = t / (2 pi); and the
                                                                 log of a rising envelope moves fast
release 100 ms                100 ms         ~25 ms              same cause
detector                      peak or RMS    peak (JUCE default) --
============================  =============  ==================  ==================

To match pedalboard's feel, multiply its times by about 1/12 (attack) and 1/4
(release) for these steps; the ratio depends on the step size because JUCE smooths
the linear level, mezzo the gain in dB.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pedalboard = pytest.importorskip("pedalboard")

from mezzo.processors import Compressor  # noqa: E402

FS = 48000
#: hard-knee static curves agree closely (both implement eq. 4 on a peak level)
STATIC_AGREEMENT_DB = 0.05


def square(level_dbfs: float, seconds: float, freq_hz: float = 100.0) -> np.ndarray:
    n = round(seconds * FS)
    phase = np.floor(2 * freq_hz * np.arange(n) / FS) % 2
    return (10 ** (level_dbfs / 20) * np.where(phase == 0, 1.0, -1.0)).astype(np.float32)


def gain_trace_db(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.maximum(np.abs(y), 1e-12)) - 20 * np.log10(np.abs(x))


def time_to_63_percent_ms(g: np.ndarray, start: int, g0: float, g1: float) -> float:
    goal = g0 + (1 - math.exp(-1)) * (g1 - g0)
    seg = g[start:]
    return float(np.flatnonzero((seg <= goal) if g1 < g0 else (seg >= goal))[0] / FS * 1000)


@pytest.mark.parametrize("level_dbfs", [-40.0, -25.0, -10.0, -3.0, 0.0])
def test_hard_knee_static_curves_agree(level_dbfs):
    x = square(level_dbfs, 0.5)
    ours = Compressor(threshold_db=-20, ratio=4, knee_db=0, attack_ms=1, release_ms=5)(x, FS)
    theirs = pedalboard.Compressor(threshold_db=-20, ratio=4, attack_ms=1, release_ms=5)(x[np.newaxis], FS)[0]
    settled = [20 * math.log10(float(np.max(np.abs(y[-2000:])))) for y in (ours, theirs)]
    assert settled[0] == pytest.approx(settled[1], abs=STATIC_AGREEMENT_DB)


@pytest.mark.parametrize(("attack_ms", "release_ms"), [(10.0, 100.0), (30.0, 300.0)])
def test_time_constants_differ_as_documented(attack_ms, release_ms):
    x = np.concatenate([square(-40, 0.5), square(-10, 1.0), square(-40, 2.0)])
    n1, n2 = round(0.5 * FS), round(1.5 * FS)
    ours = Compressor(threshold_db=-30, ratio=4, knee_db=0, attack_ms=attack_ms, release_ms=release_ms)(x, FS)
    theirs = pedalboard.Compressor(threshold_db=-30, ratio=4, attack_ms=attack_ms, release_ms=release_ms)(x[np.newaxis], FS)[0]
    measured = {}
    for name, y in (("mezzo", ours), ("pedalboard", theirs)):
        g = gain_trace_db(y, x)
        target = float(g[n2 - 1])
        measured[name] = (
            time_to_63_percent_ms(g, n1, 0.0, target),
            time_to_63_percent_ms(g, n2, target, 0.0),
        )
    # mezzo: the set times are the 63 % times of the dB gain (DESIGN.md definition)
    assert measured["mezzo"][0] == pytest.approx(attack_ms, rel=0.05)
    assert measured["mezzo"][1] == pytest.approx(release_ms, rel=0.05)
    # pedalboard: much faster for the same numbers (documented above: ~1/12 and ~1/4)
    assert 0.03 * attack_ms < measured["pedalboard"][0] < 0.2 * attack_ms
    assert 0.15 * release_ms < measured["pedalboard"][1] < 0.4 * release_ms
