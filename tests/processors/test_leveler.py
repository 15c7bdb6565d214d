"""Leveler: rides speech-like phrases of varying level to a steady short-term loudness."""

from __future__ import annotations

import numpy as np
import pytest

from mezzo.meters.loudness import loudness
from mezzo.processors import Leveler

FS = 48000
#: issue 4: short-term loudness spread (10th-95th percentile of sounding blocks) after levelling
SPREAD_AFTER_LU = 3.0


def speech_like(rng: np.random.Generator, levels_db: list[float], phrase_s: float = 8.0, gap_s: float = 0.4) -> np.ndarray:
    """Noise with a 4 Hz syllable envelope in phrases at ``levels_db`` (relative), gaps between."""
    parts = []
    for lvl in levels_db:
        n = round(phrase_s * FS)
        t = np.arange(n) / FS
        syllables = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)), 0, None) ** 0.5
        parts.append(10 ** ((lvl - 20) / 20) * syllables * rng.standard_normal(n))
        parts.append(np.zeros(round(gap_s * FS)))
    x = np.concatenate(parts)
    return np.stack([x, x])


def spread_lu(x: np.ndarray) -> float:
    """EBU Tech 3342 loudness range: 10th-95th percentile of gated short-term loudness."""
    return loudness(x, FS, true_peak=False).loudness_range_lu


@pytest.fixture
def phrases(rng):
    levels = [0, -10, 8, -6, 10, -10, 3, -8, 6, 0, -4, 9]
    return speech_like(rng, levels)


def test_spread_shrinks_within_range(phrases):
    before = spread_lu(phrases)
    lev = Leveler(target_lufs=-20, range_db=15, speed_ms=500)
    y, g = lev(phrases, FS, return_gain=True)
    after = spread_lu(y)
    assert before > 12
    assert after <= SPREAD_AFTER_LU
    assert np.all(np.abs(g) <= 15 + 1e-9)
    assert lev.gain_db is g and g.shape == phrases.shape
    assert loudness(y, FS).integrated_lufs == pytest.approx(-20, abs=1.5)


def test_range_limits_the_gain(phrases):
    _, g = Leveler(target_lufs=-5, range_db=6, speed_ms=200)(phrases, FS, return_gain=True)
    assert g.max() == pytest.approx(6, abs=0.01) and g.min() >= -6


def test_steady_signal_reaches_target(rng):
    x = 0.01 * rng.standard_normal((2, 20 * FS))
    y = Leveler(target_lufs=-23, range_db=30, speed_ms=300)(x, FS)
    assert loudness(y[:, 8 * FS :], FS).integrated_lufs == pytest.approx(-23, abs=0.2)


def test_floor_holds_gain_in_pauses(rng):
    x = np.concatenate([0.05 * rng.standard_normal(10 * FS), 1e-5 * rng.standard_normal(10 * FS)])
    _, g = Leveler(target_lufs=-20, range_db=20, floor_lufs=-60, speed_ms=300)(x, FS, return_gain=True)
    # once the centred 3 s window holds only the quiet part (about -97 LUFS, below the
    # floor), the gain is frozen: not raised to +20 dB over the remaining 8 s
    frozen = g[0, 12 * FS :]
    assert np.all(frozen == frozen[0])
    assert frozen[0] < 20 - 1


def test_key_rides_relative_to_the_bed(rng):
    voice = 0.05 * rng.standard_normal(20 * FS)
    bed = 0.02 * rng.standard_normal(20 * FS)
    lev = Leveler(range_db=30, speed_ms=300, key_offset_db=6)
    y = lev(voice, FS, key=bed)
    want = loudness(bed[8 * FS :], FS).integrated_lufs + 6
    assert loudness(y[8 * FS :], FS).integrated_lufs == pytest.approx(want, abs=0.3)


def test_latency_is_half_the_short_term_window():
    lev = Leveler()
    lev.prepare(FS, 2)
    assert lev.latency_samples == round(1.5 * FS)
