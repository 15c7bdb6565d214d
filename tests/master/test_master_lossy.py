"""Mastering to lossy files: the promise holds on the decoded file, and the bit rate is kept.

The inputs are encoded here with ffmpeg from the demo track (lossy inputs, like the game
soundtracks of issue 13); the outputs are decoded by ffmpeg (independently of mezzo's
reading) and measured with the independent references: the naive BS.1770 meter for the
loudness and ``reference/true_peak.py`` for the true peak.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

import mezzo.demo
from cli_runner import run_main
from mezzo.errors import AudioFileError, ParameterError
from mezzo.io.encode import encode, input_bitrate_kbps
from reference import naive_bs1770 as naive
from reference.true_peak import highest_reading_db
from tolerances import LIMITER_REFERENCE_DB

pytestmark = [pytest.mark.needs_ffmpeg, pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")]

TARGET_LU = 0.1


def decode(path) -> tuple[np.ndarray, int]:
    """The file as ffmpeg decodes it (float32, channels first)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate,channels",
         "-of", "json", str(path)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    stream = json.loads(probe.stdout)["streams"][0]
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-c:a", "pcm_f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    ch = int(stream["channels"])
    return np.frombuffer(raw, dtype="<f4").reshape(-1, ch).T.astype(np.float64), int(stream["sample_rate"])


@pytest.fixture(scope="module")
def demo_wav(tmp_path_factory):
    audio, fs = mezzo.demo.track()
    audio = audio[:, 32 * fs : 50 * fs]  # the drop, the loudest part
    path = tmp_path_factory.mktemp("in") / "demo.wav"
    sf.write(path, audio.T, fs, subtype="PCM_24")
    return path


@pytest.mark.parametrize(("ext", "kbps"), [("ogg", 112), ("mp3", 160), ("opus", 64), ("m4a", 128)])
def test_lossy_input_to_lossy_output_keeps_the_promise_and_the_bit_rate(demo_wav, tmp_path, capsys, ext, kbps):
    src = tmp_path / f"in.{ext}"
    encode(demo_wav, src, bitrate_kbps=kbps)
    out = tmp_path / f"out.{ext}"
    code, stdout, _ = run_main(capsys, "master", src, "-o", out, "--preset", "spotify", "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["output_bitrate_kbps"] == pytest.approx(input_bitrate_kbps(src))
    assert report["output_subtype"] in ("VORBIS", "MP3", "OPUS", "AAC")
    y, fs = decode(out)
    got_i = naive.integrated_loudness(y, fs)
    got_tp = highest_reading_db(y)
    # the report gives the decoded file's figures
    assert report["after"]["integrated_lufs"] == pytest.approx(got_i, abs=0.05)
    if report["target_reached"]:
        assert abs(got_i + 14.0) <= TARGET_LU
        assert got_tp <= -1.0 + LIMITER_REFERENCE_DB
    else:
        assert any("encoder" in w for w in report["warnings"])
    assert sorted(os.listdir(tmp_path)) == sorted([src.name, out.name])  # no temporary file left


def test_bit_rate_flag_and_defaults(demo_wav, tmp_path):
    from mezzo.mastering.master import master_file

    out = tmp_path / "a.mp3"
    report = master_file(demo_wav, out, preset="spotify", bitrate_kbps=96)
    assert report.output_bitrate_kbps == 96
    assert input_bitrate_kbps(out) == pytest.approx(96, abs=1)
    out2 = tmp_path / "b.ogg"  # lossless input: the codec's default
    assert master_file(demo_wav, out2, preset="spotify").output_bitrate_kbps == 192
    with pytest.raises(ParameterError, match="bitrate_kbps"):
        master_file(demo_wav, tmp_path / "c.mp3", bitrate_kbps=2)
    with pytest.raises(ParameterError, match="bit_depth"):
        master_file(demo_wav, tmp_path / "d.mp3", bit_depth=16)


def test_dry_run_writes_nothing_but_measures_the_encode(demo_wav, tmp_path):
    from mezzo.mastering.master import master_file

    out = tmp_path / "a.opus"
    report = master_file(demo_wav, out, preset="spotify", dry_run=True)
    assert report.output_bitrate_kbps == 160
    assert report.after.integrated_lufs is not None
    assert os.listdir(tmp_path) == []


def test_missing_ffmpeg_is_a_one_line_error(demo_wav, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg there
    with pytest.raises(AudioFileError, match="ffmpeg, which is not installed"):
        encode(demo_wav, tmp_path / "x.mp3")
    code, _, err = run_main(capsys, "master", demo_wav, "-o", tmp_path / "y.mp3")
    assert code == 1
    assert "ffmpeg" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_encode_is_atomic_and_refuses_what_it_should(tmp_path):
    x = 0.1 * np.random.default_rng(0).standard_normal((2, 4800))
    wav = tmp_path / "x.wav"
    sf.write(wav, x.T, 48000, subtype="FLOAT")
    out = tmp_path / "x.mp3"
    assert encode(wav, out) == 256
    with pytest.raises(AudioFileError, match="already exists"):
        encode(wav, out)
    with pytest.raises(AudioFileError, match="not a lossy format"):
        encode(wav, tmp_path / "x.flac")
    with pytest.raises(AudioFileError, match="input"):
        encode(out, out, overwrite=True, inputs=[out])
    assert sorted(os.listdir(tmp_path)) == ["x.mp3", "x.wav"]
