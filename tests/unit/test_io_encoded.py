"""Lossy outputs of every command go through ffmpeg (mezzo.io.stream.EncodedWriter), atomically."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from mezzo.errors import AudioFileError
from mezzo.io import info, open_writer, output_format, read, write
from mezzo.io.encode import encode, input_bitrate_kbps
from mezzo.io.stream import AudioWriter, EncodedWriter

FS = 48000

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (make ffmpeg)")


def tone(seconds: float = 1.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    return np.tile(0.3 * np.sin(2 * np.pi * 440.0 * t), (channels, 1)).astype(np.float32)


@pytest.mark.parametrize(
    ("name", "fmt", "subtype"),
    [("o.mp3", "MP3", "MPEG_LAYER_III"), ("o.ogg", "OGG", "VORBIS"), ("o.opus", "OGG", "OPUS"),
     ("o.m4a", "M4A", "AAC"), ("o.aac", "AAC", "AAC")],
)
def test_lossy_extensions_are_encoded_by_ffmpeg_and_read_back(tmp_path, name, fmt, subtype):
    out = tmp_path / name
    with open_writer(out, FS, 2) as writer:
        assert isinstance(writer, EncodedWriter)
        writer.write(tone()[:, :20000])
        writer.write(tone()[:, 20000:])
        assert [p for p in os.listdir(tmp_path) if not p.endswith(".mezzo-part")] == []
    assert (writer.format, writer.subtype) == (fmt, subtype) == output_format(out)
    back, rate = read(out)
    assert rate == FS and back.shape[0] == 2
    # 440 Hz at 0.3 comes back at the same level (the codec keeps a tone within 0.2 dB)
    rms = np.sqrt(np.mean(back[:, 5000:40000] ** 2))
    assert 20 * np.log10(rms / (0.3 / np.sqrt(2))) == pytest.approx(0.0, abs=0.2)
    assert os.listdir(tmp_path) == [name]  # no scratch, no temporary left


def test_bit_rate_is_asked_for_or_kept_from_a_lossy_input(tmp_path):
    write(tmp_path / "in.ogg", tone(3.0), FS, bitrate_kbps=96)
    kept = input_bitrate_kbps(tmp_path / "in.ogg")
    assert kept == pytest.approx(96, rel=0.02)
    write(tmp_path / "out.ogg", tone(3.0), FS, like=tmp_path / "in.ogg")
    assert input_bitrate_kbps(tmp_path / "out.ogg") == pytest.approx(kept, rel=0.02)
    write(tmp_path / "out.mp3", tone(3.0), FS, bitrate_kbps=128)
    assert input_bitrate_kbps(tmp_path / "out.mp3") == pytest.approx(128, rel=0.02)


def test_an_explicit_subtype_still_uses_libsndfile(tmp_path):
    with open_writer(tmp_path / "o.ogg", FS, 2, subtype="VORBIS") as writer:
        writer.write(tone())
    assert type(writer) is AudioWriter
    assert info(tmp_path / "o.ogg").subtype == "VORBIS"


def test_failed_encode_leaves_nothing_and_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "o.mp3"
    out.write_bytes(b"old")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ffmpeg").write_text("#!/bin/sh\necho 'Encoder exploded' >&2\nexit 3\n")
    (fake / "ffmpeg").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    with pytest.raises(AudioFileError, match=r"ffmpeg could not encode it \(Encoder exploded\)") as error:
        write(out, tone(), FS, overwrite=True)
    assert "\n" not in str(error.value)
    assert out.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["bin", "o.mp3"]


def test_without_ffmpeg_mp3_falls_back_to_libsndfile_and_m4a_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg there
    with open_writer(tmp_path / "o.mp3", FS, 2) as writer:
        writer.write(tone())
    assert type(writer) is AudioWriter
    with pytest.raises(AudioFileError, match="ffmpeg, which is not installed") as error:
        write(tmp_path / "o.m4a", tone(), FS)
    assert "\n" not in str(error.value)
    assert sorted(os.listdir(tmp_path)) == ["o.mp3"]


def test_encode_refuses_to_replace_its_source(tmp_path):
    write(tmp_path / "in.wav", tone(), FS)
    encode(tmp_path / "in.wav", tmp_path / "o.opus", bitrate_kbps=64)
    with pytest.raises(AudioFileError, match="input"):
        encode(tmp_path / "o.opus", tmp_path / "o.opus", overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["in.wav", "o.opus"]
