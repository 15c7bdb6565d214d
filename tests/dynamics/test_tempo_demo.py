"""Tempo of the demo track (128 BPM, four-on-the-floor drop), with and without written dynamics."""

from __future__ import annotations

import pytest

import mezzo
from mezzo.demo import TEMPO_BPM


@pytest.mark.parametrize("marks", [None, "0:mf 15:< 30:ff 60:mf"])
def test_demo_tempo_is_found_at_the_right_metrical_level(marks: str | None) -> None:
    audio, sample_rate = mezzo.demo.track()
    if marks is not None:
        audio = mezzo.apply_marks(audio, sample_rate, marks)
    found = mezzo.tempo(audio, sample_rate).tempo_bpm
    assert found == pytest.approx(TEMPO_BPM, rel=0.04)  # issue 6: tempo within 4 %


@pytest.mark.parametrize("marks", [None, "0:mf 15:< 30:ff 60:mf"])
def test_demo_reads_its_tempo_throughout_with_no_tempo_change(marks: str | None) -> None:
    """Issue 14: the demo (a constant 128 BPM track) reads 128 BPM everywhere and reports no
    accelerando or ritardando, as ``mezzo analyze`` shows it (default options)."""
    import numpy as np

    audio, sample_rate = mezzo.demo.track()
    if marks is not None:
        audio = mezzo.apply_marks(audio, sample_rate, marks)
    result = mezzo.analyze(audio, sample_rate, dynamics=True).to_dict()
    curve = np.array([p["bpm"] for p in result["tempo_curve"]])
    assert curve.size > 50
    assert np.all(np.abs(curve / TEMPO_BPM - 1.0) <= 0.04)
    assert result["tempo_changes"] == []
    with_all = mezzo.analyze(audio, sample_rate, dynamics=True, min_confidence=0.0).to_dict()
    assert all(c["confidence"] < 0.5 for c in with_all["tempo_changes"])
