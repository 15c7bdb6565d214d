"""`mezzo demo` writes every promised output, and they say what they should."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from matplotlib.image import imread


def test_demo_writes_track_analysis_plots_and_compressed_lead(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    proc = subprocess.run(
        [sys.executable, "-m", "mezzo.cli.app", "demo", "--out-dir", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {
        "demo.wav", "demo-analysis.json", "demo-loudness.png",
        "lead.wav", "lead-compressed.wav", "lead-compression.png",
        "demo-master.wav", "demo-master.json", "report.html", "demo-stems.json", "demo-stems.png",
    }
    assert proc.stdout.strip().splitlines()[-1] == f"report: {out / 'report.html'}"
    mastered = json.loads((out / "demo-master.json").read_text())
    # Spotify preset: -14 LUFS within ±0.1 LU, true peak at most -1 dBTP (issue 5's promise)
    assert abs(mastered["after"]["integrated_lufs"] + 14.0) <= 0.1
    assert mastered["after"]["true_peak_dbtp"] <= -1.0
    analysis = json.loads((out / "demo-analysis.json").read_text())
    assert analysis["integrated_lufs"] < -10 and analysis["true_peak_dbtp"] <= -1.0
    assert {"markings", "hairpins", "tempo_bpm", "drops"} <= set(analysis)
    # the written crescendo into the drop (15 s -> 30 s) is found as one
    assert any(h["kind"] == "crescendo" and h["start_s"] < 28 and h["end_s"] > 20 for h in analysis["hairpins"])
    # the stems section: who is buried, by what, and a fix that keeps the rules (issue 15)
    stems = json.loads((out / "demo-stems.json").read_text())
    assert [s["name"] for s in stems["stems"]] == ["drums", "bass", "pad", "lead"]
    assert any(s["buried"] for s in stems["stems"])
    assert stems["fix"]["ok"] and stems["fix"]["buried_after_s"] <= 0.25 * stems["fix"]["buried_before_s"]
    assert abs(stems["fix"]["loudness_change_lu"]) <= 1.5
    assert 'id="stems"' in (out / "report.html").read_text()
    for png in ("demo-loudness.png", "lead-compression.png", "demo-stems.png"):
        image = imread(out / png)
        assert image.shape[1] == 1400 and image.std() > 0
    lead, rate = sf.read(out / "lead.wav")
    squeezed, _ = sf.read(out / "lead-compressed.wav")
    assert rate == 48000 and lead.shape == squeezed.shape
    # a downward compressor with makeup lifts quiet phrases relative to loud ones:
    # the crest between the loudest and a quiet phrase shrinks
    def rms_db(x: np.ndarray, start_s: float, stop_s: float) -> float:
        seg = x[int(start_s * rate) : int(stop_s * rate)]
        return 10 * np.log10(np.mean(seg**2))
    loud, quiet = (31, 34), (41, 44)
    spread_before = rms_db(lead, *loud) - rms_db(lead, *quiet)
    spread_after = rms_db(squeezed, *loud) - rms_db(squeezed, *quiet)
    assert spread_after < spread_before - 1.0
