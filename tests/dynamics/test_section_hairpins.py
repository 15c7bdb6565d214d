"""Section-long hairpins (mezzo.meters.hairpins.find_section_hairpins) on level curves built in
closed form: a phrase-level wave of known size over a known straight ramp, a step, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from mezzo.meters.hairpins import Hairpin, find_section_hairpins, merge_hairpins

HOP = 0.1


def _curve(total_s: float, knots_s: list[float], knots_db: list[float], wave_db: float = 0.0,
           period_s: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Times and level: straight lines through the knots plus a sine wave of +-wave_db (the phrases)."""
    t = np.arange(0.0, total_s, HOP)
    return t, np.interp(t, knots_s, knots_db) + wave_db * np.sin(2 * np.pi * t / period_s)


def test_a_two_minute_ramp_under_phrases_that_swing_more_than_it_gains_per_phrase_is_one_crescendo():
    # 15 dB over 120 s is 1 dB per 8 s phrase; the phrases swing by +-5 dB
    t, level = _curve(160.0, [0, 20, 140, 160], [-35, -35, -20, -20], wave_db=5.0)
    (h,) = find_section_hairpins(t, level, np.ones(t.size, dtype=bool))
    assert h.kind == "crescendo"
    covered = min(h.end_s, 140.0) - max(h.start_s, 20.0)
    assert covered >= 0.8 * 120.0 and h.end_s - h.start_s <= 1.2 * 120.0
    assert h.confidence > 0.99


def test_a_fall_is_a_decrescendo_and_confidence_grows_with_the_change_against_the_phrases():
    t, level = _curve(130.0, [0, 20, 110, 130], [-10, -10, -22, -22], wave_db=2.0)
    (h,) = find_section_hairpins(t, level, np.ones(t.size, dtype=bool))
    assert h.kind == "decrescendo" and h.confidence > 0.99
    t, level = _curve(80.0, [0, 20, 45, 80], [-20, -20, -13.5, -13.5], wave_db=6.0)
    weak = find_section_hairpins(t, level, np.ones(t.size, dtype=bool), min_confidence=0.0)
    assert len(weak) == 1 and weak[0].confidence < h.confidence


def test_phrases_alone_a_change_under_6_db_and_a_step_are_no_section_hairpin():
    sounding = np.ones(int(200 / HOP), dtype=bool)
    t, level = _curve(200.0, [0, 200], [-20, -20], wave_db=5.0)  # phrases only
    assert find_section_hairpins(t, level, sounding, min_confidence=0.0) == []
    t, level = _curve(200.0, [0, 40, 160, 200], [-20, -20, -15, -15], wave_db=1.0)  # 5 dB
    assert find_section_hairpins(t, level, sounding, min_confidence=0.0) == []
    t, level = _curve(200.0, [0, 99.9, 100, 200], [-25, -25, -13, -13], wave_db=1.0)  # subito p -> f
    assert find_section_hairpins(t, level, sounding, min_confidence=0.0) == []


def test_rests_up_to_3_s_do_not_cut_a_crescendo_and_longer_silence_does():
    t, level = _curve(160.0, [0, 20, 140, 160], [-30, -30, -18, -18], wave_db=2.0)
    rests = (t % 20.0) < 2.0  # a 2 s rest every 20 s
    (h,) = find_section_hairpins(t, level, ~rests)
    assert h.kind == "crescendo" and min(h.end_s, 140.0) - max(h.start_s, 20.0) >= 0.8 * 120.0
    split = ~((t > 75.0) & (t < 85.0))  # 10 s of silence in the middle
    found = find_section_hairpins(t, level, split)
    assert all(h.end_s <= 75.0 or h.start_s >= 85.0 for h in found)


def test_a_note_level_hairpin_that_covers_a_section_one_keeps_its_place():
    notes = [Hairpin(10.0, 60.0, "crescendo", 0.9), Hairpin(70.0, 75.0, "decrescendo", 1.0)]
    sections = [Hairpin(12.0, 70.0, "crescendo", 1.0), Hairpin(80.0, 150.0, "crescendo", 1.0),
                Hairpin(20.0, 50.0, "decrescendo", 0.8)]
    merged = merge_hairpins(notes, sections)
    assert merged == sorted([*notes, sections[1], sections[2]], key=lambda h: h.start_s)


@pytest.mark.parametrize("wave_db", [0.0, 3.0])
def test_the_curve_may_hold_any_spacing_of_times(wave_db):
    # the same ramp at a 0.05 s hop reads the same span
    t, level = _curve(160.0, [0, 20, 140, 160], [-35, -35, -20, -20], wave_db=wave_db)
    t2 = np.arange(0.0, 160.0, 0.05)
    level2 = np.interp(t2, t, level)
    (a,) = find_section_hairpins(t, level, np.ones(t.size, dtype=bool))
    (b,) = find_section_hairpins(t2, level2, np.ones(t2.size, dtype=bool))
    assert abs(a.start_s - b.start_s) <= 2.0 and abs(a.end_s - b.end_s) <= 2.0
