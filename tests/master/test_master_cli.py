"""``mezzo normalize`` / ``mezzo master`` on files: the promise holds on the written file (issue 5).

Written files are read back with soundfile (not mezzo.io) and measured with mezzo's meter,
the naive BS.1770 reference and an independent 16x interpolation.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

import mezzo.demo
import signals
from cli_runner import run_main
from mezzo.meters.loudness import loudness
from reference import naive_bs1770 as naive
from reference.true_peak import highest_reading_db
from tolerances import LIMITER_REFERENCE_DB

TARGET_LU = 0.1  # issue 5 §3
NAIVE_LU = 0.05  # tests/tolerances.py NAIVE_REFERENCE_LU



def run(args, capsys):
    return run_main(capsys, *args)


@pytest.fixture(scope="module")
def demo_wav(tmp_path_factory):
    audio, fs = mezzo.demo.track()
    audio = audio[:, 30 * fs : 55 * fs]  # 25 s around the drop (the loudest part): keeps the test short
    path = tmp_path_factory.mktemp("in") / "demo.wav"
    sf.write(path, audio.T, fs, subtype="PCM_24")
    return path


def _read(path):
    data, fs = sf.read(path, always_2d=True, dtype="float64")
    return data.T, fs


@pytest.mark.parametrize(("depth", "rate", "subtype"), [("16", None, "PCM_16"), ("24", None, "PCM_24"),
                                                        ("16", 44100, "PCM_16"), ("32f", 44100, "FLOAT")])
def test_written_file_holds_the_promise(demo_wav, tmp_path, capsys, depth, rate, subtype):
    out = tmp_path / "out.wav"
    args = ["master", demo_wav, "-o", out, "--preset", "spotify", "--bit-depth", depth, "--json"]
    if rate:
        args += ["--sample-rate", rate]
    code, stdout, _ = run(args, capsys)
    assert code == 0
    report = json.loads(stdout)
    assert sf.info(out).subtype == subtype
    y, fs = _read(out)
    assert fs == (rate or 48000)
    res = loudness(y, fs)
    assert abs(res.integrated_lufs + 14.0) <= TARGET_LU
    assert abs(naive.integrated_loudness(y, fs) + 14.0) <= TARGET_LU + NAIVE_LU
    assert res.true_peak_dbtp <= -1.0
    assert highest_reading_db(y) <= -1.0 + LIMITER_REFERENCE_DB
    assert report["after"]["true_peak_dbtp"] == pytest.approx(res.true_peak_dbtp, abs=1e-6)
    assert report["dither"] is (depth != "32f")


def test_same_format_as_the_input_by_default(demo_wav, tmp_path, capsys):
    out = tmp_path / "out.flac"
    code, _, _ = run(["normalize", demo_wav, "-o", out, "--target-lufs", "-18"], capsys)
    assert code == 0
    assert sf.info(out).subtype == "PCM_24" and sf.info(out).samplerate == 48000


def test_album_keeps_relative_loudness(tmp_path, capsys):
    fs = 48000
    rng = np.random.default_rng(4)
    paths = []
    for name, level in (("a.wav", -20.0), ("b.wav", -28.0)):
        x = signals.music_like("pink_envelope", 12.0, fs, rng, level_dbfs=level, max_peak_dbfs=-12.0)
        sf.write(tmp_path / name, x.T, fs, subtype="FLOAT")
        paths.append(tmp_path / name)
    outdir = tmp_path / "out"
    outdir.mkdir()
    code, stdout, _ = run(["normalize", *paths, "--out-dir", outdir, "--album", "--target-lufs", "-24", "--json"],
                          capsys)
    assert code == 0
    reports = json.loads(stdout)
    before = [naive.integrated_loudness(_read(p)[0], fs) for p in paths]
    after = [naive.integrated_loudness(_read(outdir / p.name)[0], fs) for p in paths]
    assert after[0] - after[1] == pytest.approx(before[0] - before[1], abs=0.01)
    assert reports[0]["gain_db"] == reports[1]["gain_db"]
    assert [r["mode"] for r in reports] == ["gain", "gain"]
    assert abs(reports[0]["album_integrated_lufs"] + 24.0) <= TARGET_LU
    # separately, each file lands on the target
    sep = tmp_path / "sep"
    sep.mkdir()
    assert run(["normalize", *paths, "--out-dir", sep, "--target-lufs", "-24"], capsys)[0] == 0
    for p in paths:
        assert abs(naive.integrated_loudness(_read(sep / p.name)[0], fs) + 24.0) <= TARGET_LU + NAIVE_LU


def test_dry_run_writes_nothing(demo_wav, tmp_path, capsys):
    out = tmp_path / "out.wav"
    code, stdout, _ = run(["master", demo_wav, "-o", out, "--dry-run", "--json"], capsys)
    assert code == 0
    assert json.loads(stdout)["dry_run"] is True
    assert os.listdir(tmp_path) == []


def test_no_limit_says_so(demo_wav, tmp_path, capsys):
    code, _, err = run(["normalize", demo_wav, "-o", tmp_path / "o.wav", "--target-lufs", "-10", "--no-limit"], capsys)
    assert code == 0
    assert "limiting is off" in err


@pytest.mark.parametrize(
    ("extra", "exit_code", "words"),
    [
        (["--ceiling-dbtp", "0.5"], 2, "--ceiling-dbtp 0.5"),
        (["--target-lufs", "-0.5"], 2, "above --ceiling-dbtp"),
        (["--preset", "loud"], 2, "--preset 'loud'"),
        (["--bit-depth", "12"], 2, "--bit-depth"),
    ],
)
def test_bad_parameters_are_one_line(demo_wav, tmp_path, capsys, extra, exit_code, words):
    code, _stdout, err = run(["master", demo_wav, "-o", tmp_path / "o.wav", *extra], capsys)
    assert code == exit_code
    assert err.count("\n") == 1 and err.startswith("mezzo: error:") and words in err
    assert os.listdir(tmp_path) == []


def test_output_equal_to_input(demo_wav, capsys):
    before = demo_wav.stat().st_mtime_ns
    code, _, err = run(["master", demo_wav, "-o", demo_wav, "--overwrite"], capsys)
    assert code == 1 and "input" in err and err.count("\n") == 1
    assert demo_wav.stat().st_mtime_ns == before


def test_unwritable_folder(demo_wav, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        code, _, err = run(["master", demo_wav, "-o", folder / "o.wav"], capsys)
        assert code == 1 and "not writable" in err and err.count("\n") == 1
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def test_missing_folder_and_existing_output(demo_wav, tmp_path, capsys):
    code, _, err = run(["master", demo_wav, "-o", tmp_path / "nope" / "o.wav"], capsys)
    assert code == 1 and "does not exist" in err
    existing = tmp_path / "o.wav"
    existing.write_bytes(b"keep")
    code, _, err = run(["master", demo_wav, "-o", existing], capsys)
    assert code == 1 and "already exists" in err
    assert existing.read_bytes() == b"keep"
    assert sorted(os.listdir(tmp_path)) == ["o.wav"]


def test_table_output(demo_wav, tmp_path, capsys):
    code, stdout, _ = run(["master", demo_wav, "-o", tmp_path / "o.wav", "--preset", "apple"], capsys)
    assert code == 0
    assert "Integrated" in stdout and "True peak" in stdout and "apple" in stdout
