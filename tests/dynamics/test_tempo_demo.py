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
