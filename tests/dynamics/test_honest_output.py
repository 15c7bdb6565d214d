"""Issue 14, honest output: confidences, one hairpin for a long crescendo, no drops or tempo
changes where the music has none (generated signals whose answer is known by construction)."""

from __future__ import annotations

import numpy as np

import mezzo

SR = 22050


def _note(freq: float, dur: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(dur * sr)) / sr
    tone = np.sin(2 * np.pi * freq * t) + 0.4 * np.sin(4 * np.pi * freq * t) + 0.2 * np.sin(6 * np.pi * freq * t)
    return tone * np.exp(-t / 0.35) * np.minimum(1.0, t / 0.005)


def _notes(onsets: np.ndarray, gains_db: np.ndarray, total_s: float, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(int(total_s * SR))
    scale = [220.0, 246.9, 261.6, 293.7, 329.6, 349.2, 392.0]
    for t, g in zip(onsets, gains_db, strict=True):
        n = _note(float(rng.choice(scale)), 0.9)
        i = int(t * SR)
        x[i : i + n.size] += 10 ** (g / 20) * n[: x.size - i]
    return (0.2 * x).astype(np.float32)


def test_a_two_minute_crescendo_is_one_hairpin():
    """15 s at one level, a 15 dB crescendo over 120 s (notes every 0.5 s, +-1 dB jitter), 15 s held."""
    rng = np.random.default_rng(4)
    onsets = np.arange(0.0, 150.0, 0.5)
    level = np.interp(onsets, [0, 15, 135, 150], [-20, -20, -5, -5]) + rng.normal(0, 1.0, onsets.size)
    audio = _notes(onsets, level, 151.0, rng)
    result = mezzo.analyze(audio, SR, dynamics=True)
    crescendos = [h for h in result.dynamics.hairpins if h.kind == "crescendo"]
    assert len(crescendos) == 1
    h = crescendos[0]
    covered = min(h.end_s, 135.0) - max(h.start_s, 15.0)
    assert covered >= 0.8 * 120.0
    assert h.confidence >= 0.9
    assert [x for x in result.dynamics.hairpins if x.kind == "decrescendo"] == []


def test_a_two_minute_crescendo_under_phrases_that_swell_and_fade_is_one_hairpin():
    """The same crescendo with the music's own dynamics over it: each 8 s phrase swells and fades by +-5 dB."""
    rng = np.random.default_rng(7)
    onsets = np.arange(0.0, 160.0, 0.5)
    phrase = 5.0 * np.sin(2 * np.pi * onsets / 8.0)
    level = np.interp(onsets, [0, 20, 140, 160], [-22, -22, -7, -7]) + phrase + rng.normal(0, 1.0, onsets.size)
    audio = _notes(onsets, level, 161.0, rng)
    hairpins = mezzo.analyze(audio, SR, dynamics=True).dynamics.hairpins
    covering = [h for h in hairpins if h.kind == "crescendo" and min(h.end_s, 140.0) - max(h.start_s, 20.0) >= 0.8 * 120.0]
    assert len(covering) == 1, hairpins
    assert covering[0].end_s - covering[0].start_s <= 1.2 * 120.0
    assert not [h for h in hairpins if h.kind == "decrescendo" and h.end_s - h.start_s >= 20.0]


def test_no_pulse_no_tempo_change_and_no_drops():
    """Notes at random times (no pulse) whose bass comes and goes: no tempo change, no drop."""
    rng = np.random.default_rng(5)
    total = 90.0
    onsets = np.sort(rng.uniform(0.0, total - 1.0, 160))
    audio = _notes(onsets, rng.normal(-10, 2, onsets.size), total, rng)
    t = np.arange(audio.size) / SR
    bass_on = (np.floor(t / 8.0) % 2 == 1).astype(np.float32)  # a held bass returning every other 8 s
    audio = audio + 0.15 * bass_on * np.sin(2 * np.pi * 55.0 * t).astype(np.float32)
    d = mezzo.analyze(audio, SR, dynamics=True).to_dict()
    assert d["tempo_changes"] == []
    assert d["drops"] == [] and d["buildups"] == []
    assert d["tempo_confidence"] < 0.5


def test_every_reading_carries_a_confidence_and_min_confidence_zero_reports_more():
    rng = np.random.default_rng(6)
    onsets = np.arange(0.0, 40.0, 0.4)
    level = np.interp(onsets, [0, 10, 20, 30, 40], [-20, -10, -20, -12, -20]) + rng.normal(0, 1.5, onsets.size)
    audio = _notes(onsets, level, 41.0, rng)
    default = mezzo.analyze(audio, SR, dynamics=True).to_dict()
    everything = mezzo.analyze(audio, SR, dynamics=True, min_confidence=0.0).to_dict()
    for key in ("hairpins", "tempo_changes", "buildups", "drops"):
        assert len(everything[key]) >= len(default[key])
        for reading in everything[key]:
            assert 0.0 <= reading["confidence"] <= 1.0
        assert all(r["confidence"] >= 0.5 for r in default[key])
    assert 0.0 <= default["tempo_confidence"] <= 1.0
