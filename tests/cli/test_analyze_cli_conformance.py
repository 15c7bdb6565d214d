"""`mezzo analyze --json` on EBU Tech 3341/3342 signals written to files: every value in tolerance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from signals import sine_segments
from tolerances import EBU3341_LU, EBU3342_LRA_LU

# (file name, levels dBFS, durations s, JSON key, expected, tolerance) — EBU Tech 3341 v4 / 3342 Table 1
CASES = [
    ("3341-1", [-23], [20], "integrated_lufs", -23.0, EBU3341_LU),
    ("3341-2", [-33], [20], "integrated_lufs", -33.0, EBU3341_LU),
    ("3341-3", [-36, -23, -36], [10, 60, 10], "integrated_lufs", -23.0, EBU3341_LU),
    ("3341-4", [-72, -36, -23, -36, -72], [10, 10, 60, 10, 10], "integrated_lufs", -23.0, EBU3341_LU),
    ("3341-5", [-26, -20, -26], [20, 20.1, 20], "integrated_lufs", -23.0, EBU3341_LU),
    ("3342-1", [-20, -30], [20, 20], "loudness_range_lu", 10.0, EBU3342_LRA_LU),
    ("3342-2", [-20, -15], [20, 20], "loudness_range_lu", 5.0, EBU3342_LRA_LU),
    ("3342-3", [-40, -20], [20, 20], "loudness_range_lu", 20.0, EBU3342_LRA_LU),
    ("3342-4", [-50, -35, -20, -35, -50], [20] * 5, "loudness_range_lu", 15.0, EBU3342_LRA_LU),
]


def test_cli_json_on_ebu_signals(tmp_path: Path) -> None:
    paths = []
    for name, levels, durations, *_ in CASES:
        path = tmp_path / f"seq-{name}.wav"
        sf.write(path, sine_segments(levels, durations, 48000).T, 48000, subtype="PCM_24")
        paths.append(str(path))
    proc = subprocess.run(
        [sys.executable, "-m", "mezzo.cli.app", "analyze", "--json", *paths],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    for (name, _levels, _durations, key, expected, tolerance), result in zip(CASES, results, strict=True):
        assert result[key] == pytest.approx(expected, abs=tolerance), name
