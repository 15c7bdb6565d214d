"""``mezzo dynamics`` on real files, through the real CLI entry point."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from cli_runner import run_main
from mezzo.marks import LEVELS_DB

FS = 48000


@pytest.fixture
def run(capsys):
    """The real CLI entry point, in-process."""
    return lambda *args: run_main(capsys, *args)


@pytest.fixture
def tone(tmp_path):
    t = np.arange(4 * FS) / FS
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "in.wav"
    sf.write(path, np.stack([x, x], axis=1).astype(np.float32), FS, subtype="FLOAT")
    return path, x


def test_writes_the_markings(run, tone, tmp_path):
    path, x = tone
    out = tmp_path / "out.wav"
    code, stdout, _ = run("dynamics", str(path), "-o", str(out), "--marks", "0:p 1:< 3:ff", "--json")
    assert code == 0
    summary = json.loads(stdout)
    assert summary["mode"] == "relative" and [m["text"] for m in summary["marks"]] == ["0:p", "1:<", "3:ff"]
    y, fs = sf.read(out, always_2d=True)
    assert fs == FS and y.shape == (4 * FS, 2)
    gain_db = lambda n: 20 * np.log10(abs(y[n, 0] / x[n]))  # noqa: E731
    n = FS // 2 + 17  # a sample where the sine is not near zero
    assert gain_db(n) == pytest.approx(LEVELS_DB["p"], abs=1e-4)
    slope_db_per_s = (LEVELS_DB["ff"] - LEVELS_DB["p"]) / 2.0
    assert gain_db(2 * FS + 17) == pytest.approx(LEVELS_DB["p"] + slope_db_per_s * (1.0 + 17 / FS), abs=1e-4)
    assert gain_db(3 * FS + 100) == pytest.approx(LEVELS_DB["ff"], abs=1e-4)


def test_levels_bpm_and_match(run, tone, tmp_path):
    path, x = tone
    out = tmp_path / "out.wav"
    code, _, _ = run("dynamics", str(path), "-o", str(out), "-m", "1|1:p 2|1:ff", "--bpm", "120",
                     "--levels", "p=-10", "--match", "--json")
    assert code == 0
    y, _ = sf.read(out, always_2d=True)
    # flat input: match equals relative; bar 2 starts at 2 s
    assert 20 * np.log10(abs(y[FS + 17, 0] / x[FS + 17])) == pytest.approx(-10.0, abs=0.05)


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["-m", "0:p 8:x"], 2, 'marks: position 7: expected a marking after "8:", got "x"'),
        (["-m", "1|1:p"], 2, "give a tempo"),
        (["-m", " "], 2, "--marks is empty"),
        (["-m", "0:p", "--levels", "p=5"], 2, "louder than"),
    ],
)
def test_errors_are_one_line(run, tone, tmp_path, args, code, fragment):
    path, _ = tone
    rc, _, err = run("dynamics", str(path), "-o", str(tmp_path / "o.wav"), *args)
    assert rc == code
    assert err.startswith("mezzo: error: ") and fragment in err and err.count("\n") == 1
    assert not (tmp_path / "o.wav").exists()


def test_missing_input_and_marks_past_end(run, tone, tmp_path):
    rc, _, err = run("dynamics", str(tmp_path / "nope.wav"), "-o", str(tmp_path / "o.wav"), "-m", "0:p")
    assert rc == 1 and err.startswith("mezzo: error: ")
    path, _ = tone
    rc, _, err = run("dynamics", str(path), "-o", str(tmp_path / "o.wav"), "-m", "0:p 60:f")
    assert rc == 0 and "mezzo: warning: marks: 1 item(s) after the end" in err
    rc, _, err = run("dynamics", str(path), "-o", str(tmp_path / "o.wav"), "-m", "0:p")
    assert rc == 1 and "already exists" in err
