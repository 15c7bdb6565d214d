"""Bad inputs to mezzo.io: every problem is a one-line AudioFileError, never a traceback.

Messages have the shape ``'<path>': <what is wrong> — <what to do>``.
All files are made here in ``tmp_path``.
"""

from __future__ import annotations

import os
import re
import struct

import numpy as np
import pytest
import soundfile as sf

from mezzo.errors import AudioFileError, MezzoError
from mezzo.io import blocks, info, read

SAMPLE_RATE = 48000
ONE_LINE = re.compile(r"^'[^\n]+': [^\n]+ — [^\n]+$")


def consume_blocks(path):
    with blocks(path, 4096) as reader:
        return [block.shape for block in reader]


def read_only(path):
    return read(path)


READERS = [
    pytest.param(info, id="info"),
    pytest.param(read_only, id="read"),
    pytest.param(consume_blocks, id="blocks"),
]
SAMPLE_READERS = READERS[1:]  # the ones that decode samples


def check_message(error: pytest.ExceptionInfo, path) -> None:
    message = str(error.value)
    assert ONE_LINE.match(message), message
    assert message.startswith(repr(str(path)) + ": ")
    assert isinstance(error.value, MezzoError)
    assert isinstance(error.value, OSError)


def wav_bytes(
    frames: int = 48000, channels: int = 2, subtype: str = "PCM_24", fmt: str = "WAV"
) -> bytes:
    """A complete file's bytes, made with soundfile."""
    import io

    buffer = io.BytesIO()
    data = np.random.default_rng(0).uniform(-0.5, 0.5, (frames, channels))
    sf.write(buffer, data, SAMPLE_RATE, format=fmt, subtype=subtype)
    return buffer.getvalue()


@pytest.mark.parametrize("reader", READERS)
def test_missing_file(tmp_path, reader):
    path = tmp_path / "nope.wav"
    with pytest.raises(AudioFileError, match="no such file — check the path") as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", READERS)
def test_directory(tmp_path, reader):
    path = tmp_path / "album.wav"
    path.mkdir()
    with pytest.raises(AudioFileError, match="is a folder, not an audio file — ") as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", READERS)
def test_empty_file(tmp_path, reader):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioFileError, match=r"is empty \(0 bytes\) — ") as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", READERS)
def test_unreadable_file(tmp_path, reader, monkeypatch):
    path = tmp_path / "locked.wav"
    path.write_bytes(wav_bytes(100))
    # Root reads anything, so the permission check itself is simulated.
    monkeypatch.setattr(os, "access", lambda p, mode: False)
    with pytest.raises(AudioFileError, match=r"permission denied\) — check the file's permissions"):
        reader(path)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("ext", "fmt"), [("wav", "WAV"), ("w64", "W64"), ("rf64", "RF64"), ("aiff", "AIFF")]
)
def test_truncated_file(tmp_path, reader, ext, fmt):
    full = wav_bytes(fmt=fmt)
    path = tmp_path / f"cut.{ext}"
    path.write_bytes(full[: len(full) * 6 // 10])
    with pytest.raises(
        AudioFileError,
        match=r"is truncated \(the header promises \d+ bytes of audio, the file holds \d+\) — ",
    ) as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", SAMPLE_READERS)
def test_truncated_flac(tmp_path, reader):
    full = wav_bytes(fmt="FLAC", subtype="PCM_16")
    path = tmp_path / "cut.flac"
    path.write_bytes(full[: len(full) * 6 // 10])
    with pytest.raises(AudioFileError, match=r"is (damaged or )?truncated") as error:
        reader(path)
    check_message(error, path)


def test_wav_missing_a_pad_byte_is_not_called_truncated(tmp_path):
    full = wav_bytes(frames=1000, channels=2, subtype="PCM_16")
    path = tmp_path / "nearly.wav"
    path.write_bytes(full[:-1])  # the last frame is incomplete
    audio, _ = read(path)
    assert audio.shape == (2, 999)


def test_streaming_wav_with_placeholder_sizes_is_read(tmp_path):
    # Writers that cannot seek back put 0xFFFFFFFF in the RIFF and data sizes.
    data = bytearray(wav_bytes(frames=1000, channels=2, subtype="PCM_16"))
    at = data.find(b"data")
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFFF)
    path = tmp_path / "stream.wav"
    path.write_bytes(bytes(data))
    audio, _ = read(path)
    assert audio.shape == (2, 1000)


@pytest.mark.parametrize("reader", READERS)
def test_unreadable_header(tmp_path, reader):
    path = tmp_path / "head.wav"
    path.write_bytes(wav_bytes()[:20])  # RIFF/WAVE and half a fmt chunk
    with pytest.raises(
        AudioFileError,
        match=r"has a damaged header or an unsupported encoding \(libsndfile: .+\) — convert it to WAV/FLAC",
    ) as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", READERS)
def test_text_file_named_wav(tmp_path, reader):
    path = tmp_path / "take3.wav"
    path.write_text("These are my notes about take 3.\n")
    with pytest.raises(
        AudioFileError,
        match=r"^'.*take3\.wav': not an audio file \(libsndfile: Format not recognised\) — convert it to WAV/FLAC$",
    ) as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", READERS)
def test_unknown_binary_format(tmp_path, reader):
    path = tmp_path / "mystery.bin"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(
        AudioFileError, match=r"not an audio file \(libsndfile: .+\) — convert it to WAV/FLAC"
    ) as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("ext", ["m4a", "aac", "wma"])
def test_format_that_needs_ffmpeg_when_it_is_missing(tmp_path, reader, ext, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    path = tmp_path / f"song.{ext}"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(500))
    with pytest.raises(
        AudioFileError,
        match=r"install ffmpeg \(e\.g\. apt-get install ffmpeg\) or convert the file to WAV/FLAC",
    ) as error:
        reader(path)
    check_message(error, path)


@pytest.mark.parametrize("reader", SAMPLE_READERS)
@pytest.mark.parametrize(
    ("ext", "fmt", "subtype"),
    [("wav", "WAV", "PCM_16"), ("w64", "W64", "PCM_24"), ("aiff", "AIFF", "FLOAT")],
)
def test_zero_frames(tmp_path, reader, ext, fmt, subtype):
    # (No FLAC case: libsndfile writes a 0-byte file for a FLAC with no frames.)
    path = tmp_path / f"silence.{ext}"
    sf.write(path, np.zeros((0, 2)), SAMPLE_RATE, format=fmt, subtype=subtype)
    with pytest.raises(AudioFileError, match=r"contains no audio \(0 samples\) — ") as error:
        reader(path)
    check_message(error, path)


def test_zero_frames_info_describes_the_file(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros((0, 2)), SAMPLE_RATE, subtype="PCM_16")
    header = info(path)
    assert (header.frames, header.duration_s, header.channels) == (0, 0.0, 2)


def test_not_a_path():
    with pytest.raises(AudioFileError, match="is not a path"):
        read(12.5)


def test_errors_are_catchable_as_oserror(tmp_path):
    with pytest.raises(OSError):
        read(tmp_path / "nope.wav")
