"""``mezzo analyze`` with the dynamics: JSON keys, --loudness-only, --plot, silence."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from mezzo.cli.analyze_cmd import _timeline
from mezzo.cli.app import app
from mezzo.meters.tempo import pulse_description

KEYS = {
    "markings", "hairpins", "tempo_bpm", "tempo_curve", "tempo_changes", "buildups", "drops",
    "crest_factor_db", "plr_db", "psr_db", "dr_score", "dynamic_complexity_db", "flat_sections",
    "variation",
}  # fmt: skip


@pytest.fixture(scope="module")
def music_wav(tmp_path_factory) -> Path:
    sr = 22050
    t = np.arange(sr * 12) / sr
    level = np.where(t < 6, 0.05, 0.4)
    pulse = np.exp(-np.mod(t, 0.5) / 0.08)
    x = level * pulse * np.sin(2 * np.pi * 220 * t)
    path = tmp_path_factory.mktemp("dyn") / "music.wav"
    sf.write(path, np.stack([x, x]).T.astype(np.float32), sr, subtype="FLOAT")
    return path


def test_json_has_the_issue_keys(music_wav):
    res = CliRunner().invoke(app, ["analyze", str(music_wav), "--json", "-q"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert set(payload) >= KEYS
    assert payload["markings"] and {"start_s", "end_s", "marking"} == set(payload["markings"][0])
    assert set(payload["psr_db"]) == {"median", "min"}
    assert payload["tempo_bpm"] == pytest.approx(120.0, rel=0.04)


def test_loudness_only_skips_the_dynamics(music_wav):
    res = CliRunner().invoke(app, ["analyze", str(music_wav), "--json", "--loudness-only"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert "integrated_lufs" in payload
    assert not (KEYS - {"plr_db"}) & set(payload)


def test_loudness_only_does_not_import_librosa(music_wav):
    code = (
        "import sys\n"
        "from mezzo.cli.app import main\n"
        f"sys.argv = ['mezzo', 'analyze', {str(music_wav)!r}, '--json', '--loudness-only']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LIBROSA', 'librosa' in sys.modules, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "LIBROSA False" in out.stderr


def test_human_output_has_a_timeline_and_plot(music_wav, tmp_path):
    png = tmp_path / "out.png"
    res = CliRunner().invoke(app, ["analyze", str(music_wav), "-q", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert "Timeline" in res.stdout
    assert re.search(r"1[12]\d\.\d BPM \(pulse confidence (0\.[5-9]\d|1\.00)\)", res.stdout), res.stdout  # a clear pulse
    assert png.stat().st_size > 10_000


def test_pulse_description_says_a_weak_pulse_in_words():
    assert pulse_description(0.92) == "pulse confidence 0.92"
    assert pulse_description(0.5) == "pulse confidence 0.50"  # the default min_confidence of a tempo change
    assert pulse_description(0.21) == "weak pulse, confidence 0.21"


def test_timeline_shows_the_confidence_of_readings_less_than_sure():
    dmap = SimpleNamespace(markings=[], flat_sections=[], hairpins=[
        SimpleNamespace(start_s=1.0, end_s=3.0, kind="crescendo", confidence=0.62),
        SimpleNamespace(start_s=5.0, end_s=7.0, kind="decrescendo", confidence=1.0),
    ])
    tempo = SimpleNamespace(
        tempo_changes=[SimpleNamespace(start_s=2.0, end_s=6.0, kind="ritardando", confidence=0.3)],
        buildups=[SimpleNamespace(start_s=8.0, end_s=16.0, confidence=0.999)],
        drops=[SimpleNamespace(time_s=16.0, confidence=0.5)],
    )
    lines = _timeline(dmap, tempo).splitlines()
    assert lines[1].endswith("<    crescendo until 0:03.0 (confidence 0.62)")
    assert lines[2].endswith("~    ritardando until 0:06.0 (confidence 0.30)")
    assert lines[3].endswith(">    decrescendo until 0:07.0")  # sure: nothing added
    assert lines[4].endswith("/    build-up until 0:16.0")
    assert lines[5].endswith("!    DROP (confidence 0.50)")


def test_silent_file_gives_empty_lists_and_nulls(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros((22050 * 5, 2), dtype=np.float32), 22050, subtype="FLOAT")
    res = CliRunner().invoke(app, ["analyze", str(path), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    for key in ("markings", "hairpins", "tempo_curve", "tempo_changes", "buildups", "drops", "flat_sections"):
        assert payload[key] == []
    for key in ("tempo_bpm", "crest_factor_db", "dr_score", "dynamic_complexity_db"):
        assert payload[key] is None
