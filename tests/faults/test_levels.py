"""Extreme levels through the command line (issue 16, case 5): measured, warned about, never silent.

Float files holding +/-1000.0 (int16 values saved as float without scaling) are measured
(the yardstick: the same file scaled to full scale, plus 20 log10 of the factor), the warning
names the likely cause on one line, and master brings them to the target. -200 dBFS is below
BS.1770's absolute gate: undefined loudness, said as such.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf
from faultkit import FS, Scratch, debris, music

from mezzo.meters.loudness import loudness


@pytest.fixture
def scaled(scratch: Scratch) -> tuple[Scratch, float]:
    """``scaled.wav``: good music at about +/-1000 in a float WAV; returns the scale factor."""
    x = music(4.0)
    factor = 1000.0 / np.abs(x).max()
    sf.write(scratch.root / "scaled.wav", (x * factor).astype(np.float32), FS, subtype="FLOAT")
    sf.write(scratch.root / "unit.wav", x.astype(np.float32), FS, subtype="FLOAT")
    return scratch, factor


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("mezzo: warning: ")]


def test_analyze_measures_samples_of_plus_minus_1000_and_says_why(scaled, main) -> None:
    scratch, factor = scaled
    code, out, err = main("analyze", scratch.root / "scaled.wav", "--loudness-only", "--json")
    assert code == 0, err
    got = json.loads(out)["integrated_lufs"]
    unit = loudness(sf.read(scratch.root / "unit.wav", dtype="float32")[0].T, FS).integrated_lufs
    assert got == pytest.approx(unit + 20 * math.log10(factor), abs=0.01)
    (line,) = warnings_in(err)
    assert "integer samples saved as float without scaling" in line and len(err.splitlines()) == 1


def test_master_brings_plus_minus_1000_to_the_target(scaled, main) -> None:
    scratch, _ = scaled
    out = scratch.out / "m.wav"
    code, stdout, err = main("master", scratch.root / "scaled.wav", "-o", out, "--json")
    assert code == 0, err
    report = json.loads(stdout)
    assert report["mode"] != "silence" and report["gain_db"] < -40.0
    assert report["after"]["integrated_lufs"] == pytest.approx(-14.0, abs=0.5)
    assert report["target_reached"] is True
    written = loudness(sf.read(out, dtype="float32")[0].T, FS)
    assert written.integrated_lufs == pytest.approx(-14.0, abs=0.5)
    assert any("without scaling" in line for line in warnings_in(err))
    assert debris(scratch.root) == []


def test_minus_200_dbfs_is_below_the_gate(scratch: Scratch, main) -> None:
    tiny = scratch.root / "tiny.wav"
    sf.write(tiny, (music(4.0) * 1e-10).astype(np.float32), FS, subtype="FLOAT")  # about -200 dBFS
    code, out, err = main("analyze", tiny, "--loudness-only", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["integrated_lufs"] is None and result["sample_peak_dbfs"] < -180.0
    assert warnings_in(err) == []
    code, out, err = main("master", tiny, "-o", scratch.out / "t.wav", "--json")
    assert code == 0, err
    assert json.loads(out)["mode"] == "silence"
    assert sf.info(scratch.out / "t.wav").frames == 4 * FS
