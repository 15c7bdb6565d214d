"""``fix_buried``: the lead-under-pad case is fixed, smoothly, within the loudness rule.

The mix loudness is checked with pyloudnorm (an independent BS.1770 implementation), the
smoothness on the samples themselves (processed / original), not on mezzo's own curves.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
import stem_signals as sig

from mezzo.errors import ParameterError
from mezzo.mixing import FixError, fix_buried
from mezzo.mixing.fix import MAX_LOUDNESS_CHANGE_LU, RAMP_S

D = 30.0


@pytest.fixture(scope="module")
def lead_under_pad() -> dict[str, np.ndarray]:
    lead = sig.ride(sig.lead(D, -32.0), [(10.0, 0.0), (10.2, -24.0), (20.0, -24.0), (20.2, 0.0)])
    return {"lead": lead, "pad": sig.pad(D, -20.0)}


@pytest.fixture(scope="module")
def fixed(lead_under_pad):
    return fix_buried(lead_under_pad, sig.SR, stem="lead")


def test_the_fix_leaves_at_most_a_quarter_of_the_buried_time(fixed) -> None:
    assert fixed.ok
    assert fixed.buried_before_s >= 9.0
    assert fixed.buried_after_s <= 0.25 * fixed.buried_before_s
    assert fixed.after.stem("lead").buried_s == fixed.buried_after_s


def test_the_fix_keeps_the_mix_loudness_within_the_rule_measured_by_pyloudnorm(lead_under_pad, fixed) -> None:
    meter = pyloudnorm.Meter(sig.SR)
    before = meter.integrated_loudness((lead_under_pad["lead"] + lead_under_pad["pad"]).T)
    after = meter.integrated_loudness(fixed.audio["mix"].T.astype(np.float64))
    assert abs(after - before) <= MAX_LOUDNESS_CHANGE_LU
    assert fixed.loudness_change_lu == pytest.approx(after - before, abs=0.05)


def test_the_fix_buries_no_other_stem(fixed) -> None:
    assert fixed.after.stem("pad").buried == ()
    assert all(v < 0.5 for v in fixed.newly_buried_s.values())


def test_the_gain_automation_is_smooth_and_limited_to_the_span_and_its_ramps(lead_under_pad, fixed) -> None:
    original = lead_under_pad["lead"][0]
    processed = fixed.audio["lead"][0].astype(np.float64)
    t = np.arange(original.size) / sig.SR
    ok = np.abs(original) > 1e-4
    gain_db = 20 * np.log10(np.abs(processed[ok]) / np.abs(original[ok]))
    (change,) = fixed.changes
    outside = (t[ok] < change.start_s - RAMP_S - 0.01) | (t[ok] > change.end_s + RAMP_S + 0.01)
    assert np.abs(gain_db[outside]).max() < 0.01  # 0 dB (float32 rounding) away from the span
    inside = (t[ok] > change.start_s + 0.01) & (t[ok] < change.end_s - 0.01)
    assert gain_db[inside] == pytest.approx(change.raise_db, abs=0.01)
    # No steps: between neighbouring samples the gain moves at most as fast as the ramp.
    slope_db_per_sample = change.raise_db / (RAMP_S * sig.SR)
    steps = np.abs(np.diff(gain_db))[np.diff(np.flatnonzero(ok)) == 1]
    assert steps.max() <= slope_db_per_sample * 1.1 + 0.01


def test_the_mix_is_the_sum_of_the_fixed_stems(fixed) -> None:
    total = fixed.audio["lead"].astype(np.float64) + fixed.audio["pad"]
    assert np.max(np.abs(total - fixed.audio["mix"])) < 1e-5


def test_a_stem_that_is_not_buried_needs_no_fix(lead_under_pad) -> None:
    result = fix_buried(lead_under_pad, sig.SR, stem="pad")
    assert result.action == "none" and result.changes == () and result.ok
    np.testing.assert_array_equal(result.audio["pad"], lead_under_pad["pad"])


def test_an_unknown_stem_is_refused(lead_under_pad) -> None:
    with pytest.raises(ParameterError, match="stem='vocal'"):
        fix_buried(lead_under_pad, sig.SR, stem="vocal")


def test_no_fix_when_every_candidate_breaks_a_rule() -> None:
    # A lead 60 dB under a second voice with its spectrum: freeing it needs more than the
    # 40 dB a fix may raise it, and ducking the voice that far wrecks the mix's loudness.
    stems = {"lead": sig.lead(10.0, -70.0), "voice": sig.lead(10.0, -10.0, transpose=3.0)}
    with pytest.raises(FixError, match="nothing written"):
        fix_buried(stems, sig.SR, stem="lead")
    best = fix_buried(stems, sig.SR, stem="lead", strict=False)
    assert not best.ok and best.audio is None and best.outputs == ()
    assert best.buried_after_s > 0.25 * best.buried_before_s
