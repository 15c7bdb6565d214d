"""``mezzo compress | expand | gate | duck | level``: summaries, JSON, one-line errors, exit codes.

Runs ``mezzo.cli.app.main`` in-process (``tests/cli_runner.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cli_runner import run_main

FS = 48000


def run(capsys, *args: str) -> tuple[int, str, str]:
    return run_main(capsys, *args)


@pytest.fixture
def music(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    n = 4 * FS
    env = np.repeat(10 ** (rng.uniform(-30, 0, size=n // 4800 + 1) / 20), 4800)[:n]
    x = 0.5 * env * rng.uniform(-1, 1, size=(2, n))
    path = tmp_path / "music.wav"
    sf.write(path, x.T, FS, subtype="PCM_24")
    return path


@pytest.fixture
def voice(tmp_path: Path) -> Path:
    t = np.arange(4 * FS) / FS
    x = 0.5 * np.sin(2 * np.pi * 220 * t) * (t > 1) * (t < 3)
    path = tmp_path / "voice.wav"
    sf.write(path, x, FS, subtype="PCM_24")
    return path


SUMMARY_KEYS = {  # "command", then mezzo.processing.ProcessReport (a mezzo.before_after.BeforeAfter)
    "command", "input", "output", "key", "processor", "parameters", "before", "after",
    "max_gain_reduction_db", "mean_gain_reduction_db", "gain_reduced_time_s", "max_gain_reduction_time_s",
    "max_gain_db", "latency_samples", "sample_rate", "warnings",
}


def test_compress_json_summary(capsys, music, tmp_path):
    out = tmp_path / "out.wav"
    code, stdout, err = run(
        capsys, "compress", str(music), "-o", str(out), "--threshold-db", "-20", "--ratio", "4",
        "--knee-db", "6", "--attack-ms", "10", "--release-ms", "100", "--lookahead-ms", "0",
        "--mix", "1", "--makeup-db", "auto", "--json",
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert set(summary) == SUMMARY_KEYS
    assert summary["parameters"]["ratio"] == 4.0 and summary["parameters"]["makeup_db"] == "auto"
    assert summary["max_gain_reduction_db"] > 3
    assert summary["after"]["loudness_range_lu"] < summary["before"]["loudness_range_lu"]
    y, fs = sf.read(out)
    assert fs == FS and y.shape == (4 * FS, 2)
    assert sf.info(out).subtype == "PCM_24"


def test_compress_preset_and_table(capsys, music, tmp_path):
    code, stdout, err = run(capsys, "compress", str(music), "-o", str(tmp_path / "o.wav"), "--preset", "vocal", "--ratio", "6")
    assert code == 0, err
    assert "Gain reduction" in stdout and "Integrated" in stdout


def test_compress_with_key_and_highpass(capsys, music, voice, tmp_path):
    code, stdout, err = run(
        capsys, "compress", str(music), "-o", str(tmp_path / "o.wav"), "--key", str(voice),
        "--key-highpass-hz", "100", "--json",
    )
    assert code == 0, err
    assert json.loads(stdout)["key"] == str(voice)


@pytest.mark.parametrize("cmd", ["expand", "gate"])
def test_expand_and_gate(capsys, music, tmp_path, cmd):
    code, stdout, err = run(capsys, cmd, str(music), "-o", str(tmp_path / "o.wav"), "--threshold-db", "-30", "--json")
    assert code == 0, err
    assert json.loads(stdout)["command"] == cmd


def test_duck(capsys, music, voice, tmp_path):
    code, stdout, err = run(capsys, "duck", str(music), "--key", str(voice), "-o", str(tmp_path / "o.wav"), "--depth-db", "10", "--json")
    assert code == 0, err
    assert json.loads(stdout)["max_gain_reduction_db"] == pytest.approx(10, abs=0.01)


def test_level(capsys, music, tmp_path):
    code, stdout, err = run(capsys, "level", str(music), "-o", str(tmp_path / "o.wav"), "--target-lufs", "-18", "--json")
    assert code == 0, err
    assert json.loads(stdout)["latency_samples"] == round(1.5 * FS)


def test_bad_parameter_is_one_line(capsys, music, tmp_path):
    out = tmp_path / "o.wav"
    code, _, err = run(capsys, "compress", str(music), "-o", str(out), "--attack-ms", "-5")
    assert code == 2  # a bad parameter is a usage error (ParameterError)
    assert err.count("\n") == 1 and err.startswith("mezzo: error: --attack-ms -5.0")
    assert not out.exists()


def test_bad_makeup_is_one_line(capsys, music, tmp_path):
    code, _, err = run(capsys, "compress", str(music), "-o", str(tmp_path / "o.wav"), "--makeup-db", "loud")
    assert code == 2 and "--makeup-db" in err and err.count("\n") == 1


def test_bad_file_is_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    code, _, err = run(capsys, "compress", str(bad), "-o", str(tmp_path / "o.wav"))
    assert code == 1 and err.startswith("mezzo: error:") and err.count("\n") == 1


def test_refuses_to_overwrite(capsys, music, tmp_path):
    out = tmp_path / "o.wav"
    out.write_bytes(b"keep")
    code, _, err = run(capsys, "gate", str(music), "-o", str(out))
    assert code == 1 and out.read_bytes() == b"keep"
    code, _, err = run(capsys, "gate", str(music), "-o", str(out), "--overwrite")
    assert code == 0, err
    code, _, err = run(capsys, "gate", str(music), "-o", str(music), "--overwrite")
    assert code == 1  # never over the input


def test_missing_output_is_usage_error(capsys, music):
    code, _, _ = run(capsys, "compress", str(music))
    assert code == 2


def test_duck_needs_key(capsys, music, tmp_path):
    code, _, _ = run(capsys, "duck", str(music), "-o", str(tmp_path / "o.wav"))
    assert code == 2


def test_key_rate_mismatch(capsys, music, tmp_path):
    key = tmp_path / "k.wav"
    sf.write(key, np.zeros(44100), 44100)
    code, _, err = run(capsys, "duck", str(music), "--key", str(key), "-o", str(tmp_path / "o.wav"))
    assert code == 1 and "44100" in err


def test_clipping_output_warns_on_stderr(capsys, music, tmp_path):
    code, stdout, err = run(
        capsys, "compress", str(music), "-o", str(tmp_path / "o.wav"), "--makeup-db", "20", "--json"
    )
    assert code == 0
    json.loads(stdout)  # stdout stays pure JSON
    assert "clip" in err and err.startswith("mezzo: warning:")


def test_file_names_with_brackets_print_as_they_are(capsys, music, tmp_path):
    # rich reads "[...]" as markup and wraps a table's title: the names are printed whole and as given
    folder = tmp_path / ("a folder whose name is long enough to pass eighty columns" + "x" * 30)
    folder.mkdir()
    source = folder / "mix [bold] v2.wav"
    source.write_bytes(music.read_bytes())
    out = folder / "mix [red] compressed.wav"
    code, stdout, err = run(capsys, "compress", str(source), "-o", str(out), "--preset", "vocal")
    assert code == 0, err
    assert f"{source} -> {out}" in stdout.splitlines()[0]
