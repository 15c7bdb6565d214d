"""Dynamics map: markings, hairpins, flat sections on generated signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mezzo.meters.dynamics_map import MARKINGS, dynamics_map

SR = 16000
#: A marking change found within this many seconds of the designed step (the level
#: curve looks 0.2 s ahead and the momentary window is 0.4 s long).
STEP_TIME_S = 0.5
#: Hairpin ends within this of the designed ramp (smoothing of 0.3-0.5 s either side).
HAIRPIN_EDGE_S = 1.0


def _tone(db: np.ndarray, sr: int = SR) -> np.ndarray:
    t = np.arange(db.size) / sr
    x = np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 440 * t) + 0.25 * np.sin(2 * np.pi * 880 * t)
    return (0.5 * np.power(10.0, db / 20.0) * x).astype(np.float32)


def test_step_from_p_to_ff_found_at_the_right_time():
    t = np.arange(SR * 16) / SR
    db = np.where(t < 8.0, -24.0, -8.0)  # 16 dB = four steps, p -> ff
    m = dynamics_map(_tone(db), SR)
    assert len(m.markings) == 2
    first, second = m.markings
    assert MARKINGS.index(second.marking) - MARKINGS.index(first.marking) >= 3
    assert abs(second.start_s - 8.0) <= STEP_TIME_S
    assert m.hairpins == ()  # a sudden step is not a hairpin


def test_linear_6_db_swell_over_4_s_is_one_crescendo():
    t = np.arange(SR * 14) / SR
    db = np.interp(t, [0, 5, 9, 14], [-26, -26, -20, -20])
    m = dynamics_map(_tone(db), SR)
    assert [h.kind for h in m.hairpins] == ["crescendo"]
    h = m.hairpins[0]
    assert abs(h.start_s - 5.0) <= HAIRPIN_EDGE_S
    assert abs(h.end_s - 9.0) <= HAIRPIN_EDGE_S


def test_fall_with_repeated_notes_is_one_decrescendo():
    t = np.arange(SR * 14) / SR
    db = np.interp(t, [0, 5, 9, 14], [-14, -14, -24, -24])
    gate = (np.mod(t, 0.25) < 0.2).astype(float)  # repeated notes, 4 per second
    m = dynamics_map(_tone(db) * gate.astype(np.float32), SR)
    assert [h.kind for h in m.hairpins] == ["decrescendo"]


def test_constant_level_loop_is_one_flat_section():
    t = np.arange(SR * 40) / SR
    beat = np.exp(-np.mod(t, 0.5) / 0.1)  # a steady pulse, constant short-term loudness
    m = dynamics_map(_tone(np.full(t.size, -20.0)) * beat.astype(np.float32), SR)
    assert len(m.flat_sections) == 1
    flat = m.flat_sections[0]
    assert flat.start_s <= 0.5 and flat.end_s >= 39.5
    assert flat.spread_lu <= 2.0
    assert m.variation.flat_fraction == pytest.approx(1.0, abs=0.05)


def test_varied_level_has_no_flat_section():
    t = np.arange(SR * 40) / SR
    db = -20.0 + 6.0 * np.sin(2 * np.pi * t / 8.0)
    m = dynamics_map(_tone(db), SR)
    assert m.flat_sections == ()


def test_markings_do_not_flicker_on_notes():
    t = np.arange(SR * 20) / SR
    gate = (np.mod(t, 0.5) < 0.3).astype(np.float32)  # detached notes at one level
    m = dynamics_map(_tone(np.full(t.size, -18.0)) * gate, SR)
    assert len(m.markings) == 1


def test_silence_gives_empty_lists_and_none():
    m = dynamics_map(np.zeros((2, SR * 5), dtype=np.float32), SR)
    assert m.markings == () and m.hairpins == () and m.flat_sections == ()
    assert m.variation.short_term_std_lu is None
    d = m.to_dict()
    assert d["markings"] == [] and d["hairpins"] == [] and d["flat_sections"] == []


def test_to_dict_keys():
    t = np.arange(SR * 6) / SR
    d = dynamics_map(_tone(np.full(t.size, -20.0)), SR).to_dict()
    assert set(d) == {"markings", "hairpins", "flat_sections", "variation"}
    assert set(d["markings"][0]) == {"start_s", "end_s", "marking"}


def _notes(starts_s: np.ndarray, peaks_db: np.ndarray, duration_s: float, sr: int = SR) -> np.ndarray:
    """Piano-like notes: instant attack, 0.4 s exponential decay, at the given peak levels."""
    x = np.zeros(int(duration_s * sr))
    n = int(1.2 * sr)
    t = np.arange(n) / sr
    note = np.sin(2 * np.pi * 330 * t) * np.exp(-t / 0.4)
    for s, db in zip(starts_s, peaks_db, strict=True):
        i = int(s * sr)
        x[i : i + n] += 10 ** (db / 20) * note[: x.size - i]
    return (0.3 * x).astype(np.float32)


def test_repeated_notes_at_one_level_have_no_hairpins():
    """Quarter notes at 72 BPM, all at one level: their attacks and decays are not hairpins."""
    starts = np.arange(0.0, 20.0, 60.0 / 72.0)
    m = dynamics_map(_notes(starts, np.zeros(starts.size), 21.0), SR)
    assert m.hairpins == ()


def test_step_then_ramp_is_one_crescendo_after_the_step():
    """A subito step up (8 dB) at 4 s, steady, then a linear 8 dB ramp from 10 s to 16 s."""
    t = np.arange(int(22 * SR)) / SR
    db = np.where(t < 4, -24.0, -16.0) + np.clip((t - 10.0) / 6.0, 0, 1) * 8.0
    m = dynamics_map(_tone(db), SR)
    assert [h.kind for h in m.hairpins] == ["crescendo"]
    h = m.hairpins[0]
    assert h.start_s == pytest.approx(10.0, abs=HAIRPIN_EDGE_S)
    assert h.end_s == pytest.approx(16.0, abs=HAIRPIN_EDGE_S)
