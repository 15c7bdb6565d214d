"""Dynamic-range figures against closed forms and a naive DR reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mezzo.meters.dynamic_range import dynamic_range

SR = 48000
#: Closed-form figures are exact up to float rounding and window edges.
CLOSED_FORM_DB = 0.01


def _naive_dr(x: np.ndarray, sr: int) -> float:
    """TT DR by its published description, written independently (one channel at a time)."""
    block = 3 * sr
    values = []
    for ch in x:
        blocks = [ch[i : i + block] for i in range(0, ch.size, block)]
        rms = sorted((math.sqrt(2 * float(np.mean(b.astype(float) ** 2))) for b in blocks), reverse=True)
        peaks = sorted((float(np.max(np.abs(b))) for b in blocks), reverse=True)
        top = rms[: max(1, round(0.2 * len(rms)))]
        r = math.sqrt(sum(v * v for v in top) / len(top))
        values.append(20 * math.log10(peaks[1] / r))
    return sum(values) / len(values)


def test_sine_crest_factor_is_3_db_and_dr_zero():
    t = np.arange(SR * 9) / SR
    r = dynamic_range(0.5 * np.sin(2 * np.pi * 997 * t), SR)
    assert r.crest_factor_db == pytest.approx(20 * math.log10(math.sqrt(2)), abs=CLOSED_FORM_DB)
    assert r.dr_score == 0


def test_dr_matches_naive_reference(rng):
    t = np.arange(SR * 30) / SR
    env = np.where(np.mod(t, 6.0) < 3.0, 1.0, 0.2)
    x = (rng.standard_normal((2, t.size)) * 0.1 * env).astype(np.float32)
    r = dynamic_range(x, SR)
    assert r.dr_db == pytest.approx(_naive_dr(x, SR), abs=CLOSED_FORM_DB)
    assert r.dr_score == round(_naive_dr(x, SR))


def test_psr_of_steady_sine_equals_plr():
    t = np.arange(SR * 10) / SR
    r = dynamic_range(0.3 * np.sin(2 * np.pi * 997 * t), SR)
    assert r.psr_median_db == pytest.approx(r.plr_db, abs=0.05)
    assert r.psr_min_db <= r.psr_median_db


def test_dynamic_complexity_grows_with_level_changes(rng):
    t = np.arange(SR * 20) / SR
    steady = 0.1 * rng.standard_normal(t.size)
    alternating = steady * np.where(np.mod(t, 4.0) < 2.0, 1.0, 0.1)  # 20 dB steps
    flat = dynamic_range(steady, SR).dynamic_complexity_db
    moving = dynamic_range(alternating, SR).dynamic_complexity_db
    assert flat < 1.0
    assert moving > 5.0


def test_silence_gives_none():
    r = dynamic_range(np.zeros((2, SR * 4)), SR)
    assert r.crest_factor_db is None and r.dr_score is None and r.psr_median_db is None
    assert r.to_dict()["psr_db"] == {"median": None, "min": None}
