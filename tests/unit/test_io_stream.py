"""mezzo.io.open_writer / AudioWriter: streaming atomic writes, same rules as mezzo.io.write."""

from __future__ import annotations

import gc
import importlib
import os
import stat
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from mezzo.errors import AudioFileError, AudioInputError, ParameterError
from mezzo.io import AudioWriter, check_output, open_writer, output_format, write

write_module = importlib.import_module("mezzo.io.write")
formats_module = importlib.import_module("mezzo.io.formats")

FS = 48000


def noise(frames: int, channels: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    return (0.5 * np.random.default_rng(seed).uniform(-1, 1, (channels, frames))).astype(dtype)


def split(x: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    cuts = np.cumsum(sizes)[:-1]
    return np.split(x, cuts, axis=1)


def test_blocks_are_written_in_order_and_exactly(tmp_path):
    x = noise(10_000, 2)
    out = tmp_path / "out.wav"
    with open_writer(out, FS, 2, subtype="FLOAT") as writer:
        for block in split(x, [1, 0, 4095, 5000, 904]):
            writer.write(block)
        assert not out.exists()  # nothing at the path before commit
        (part,) = os.listdir(tmp_path)
        assert part.startswith(".out.wav.") and part.endswith(".mezzo-part")
    assert writer.state == "committed" and writer.frames_written == 10_000
    y, fs = sf.read(out, dtype="float32", always_2d=True)
    assert fs == FS and sf.info(out).subtype == "FLOAT"
    np.testing.assert_array_equal(y.T, x)
    assert os.listdir(tmp_path) == ["out.wav"]


def test_mono_blocks_may_be_1d(tmp_path):
    x = noise(3000, 1, dtype=np.float64)[0]
    with open_writer(tmp_path / "m.flac", FS, 1) as writer:
        writer.write(x[:1000])
        writer.write(x[1000:])
    y, _ = sf.read(tmp_path / "m.flac")
    assert sf.info(tmp_path / "m.flac").subtype == "PCM_24"
    np.testing.assert_allclose(y, x, atol=2.0**-23)


def test_same_bytes_as_io_write(tmp_path):
    x = noise(20_000, 2)
    write(tmp_path / "a.wav", x, FS, subtype="PCM_16")
    with open_writer(tmp_path / "b.wav", FS, 2, subtype="PCM_16") as writer:
        for block in split(x, [7000, 7000, 6000]):
            writer.write(block)
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def test_integer_words_are_written_unchanged(tmp_path):
    q = np.random.default_rng(3).integers(-32768, 32768, size=(2, 5000)).astype(np.int32)
    with open_writer(tmp_path / "w.wav", FS, 2, subtype="PCM_16") as writer:
        writer.write(q << 16)  # 16-bit words left-justified in int32
    y, _ = sf.read(tmp_path / "w.wav", dtype="int16", always_2d=True)
    np.testing.assert_array_equal(y.T, q)


def test_exception_in_with_block_discards(tmp_path):
    out = tmp_path / "out.wav"
    with pytest.raises(KeyError), open_writer(out, FS, 2) as writer:
        writer.write(noise(100, 2))
        raise KeyError("boom")
    assert writer.state == "discarded"
    assert os.listdir(tmp_path) == []


def test_discard_keeps_the_old_file(tmp_path):
    out = tmp_path / "out.wav"
    sf.write(out, noise(100, 2).T, FS, subtype="PCM_16")
    before = out.read_bytes()
    writer = open_writer(out, FS, 2, overwrite=True)
    writer.write(noise(5000, 2))
    writer.discard()
    writer.discard()  # twice is fine
    assert os.listdir(tmp_path) == ["out.wav"] and out.read_bytes() == before
    with pytest.raises(AudioFileError, match="writer is discarded"):
        writer.write(noise(10, 2))
    with pytest.raises(AudioFileError, match="writer is discarded"):
        writer.commit()


def test_interrupted_commit_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "out.wav"
    sf.write(out, noise(100, 2).T, FS, subtype="PCM_16")
    before = out.read_bytes()
    writer = open_writer(out, FS, 2, overwrite=True)
    writer.write(noise(5000, 2))

    def failing_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        writer.commit()
    assert os.listdir(tmp_path) == ["out.wav"] and out.read_bytes() == before


def test_os_failure_mid_stream_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    real_write = sf.SoundFile.write
    calls = []

    def failing_write(self, data):
        calls.append(len(data))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(sf.SoundFile, "write", failing_write)
    writer = open_writer(tmp_path / "out.wav", FS, 2)
    writer.write(noise(100, 2))
    writer.write(noise(100, 2))
    with pytest.raises(
        AudioFileError, match=r"no space left on device in .* while writing .*out\.wav.* — free space"
    ) as caught:
        writer.write(noise(100, 2))
    assert "\n" not in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_libsndfile_refusal_at_open_is_one_line(tmp_path):
    with pytest.raises(
        AudioFileError, match=r"cannot be written as FLAC PCM_24 \(libsndfile: .*\) — "
    ) as caught:
        open_writer(tmp_path / "out.flac", FS, 9)  # FLAC holds at most 8 channels
    assert "\n" not in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_commit_without_samples_is_refused(tmp_path):
    writer = open_writer(tmp_path / "out.wav", FS, 2)
    writer.write(np.zeros((2, 0), dtype=np.float32))
    with pytest.raises(AudioFileError, match="no samples were written — write at least one block"):
        writer.commit()
    assert os.listdir(tmp_path) == []


def test_forgotten_writer_leaves_nothing(tmp_path):
    writer = open_writer(tmp_path / "out.wav", FS, 2)
    writer.write(noise(100, 2))
    del writer
    gc.collect()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (np.zeros((100, 2), dtype=np.float32), r"shape \(100, 2\).*pass block\.T"),
        (np.zeros((3, 100), dtype=np.float32), r"expected \(2, samples\)"),
        (np.zeros((2, 100), dtype=np.int64), "dtype int64"),
        (np.full((2, 100), np.nan, dtype=np.float32), "NaN or Inf"),
        ([[0.0], [0.0]], "expected a numpy array"),
    ],
)
def test_bad_blocks_are_refused_and_the_writer_stays_usable(tmp_path, block, message):
    with open_writer(tmp_path / "out.wav", FS, 2) as writer:
        with pytest.raises(AudioInputError, match=message):
            writer.write(block)
        writer.write(noise(10, 2))
    assert sf.info(tmp_path / "out.wav").frames == 10


@pytest.mark.parametrize("overwrite", [False, True])
def test_same_target_checks_as_write(tmp_path, overwrite):
    source = tmp_path / "in.wav"
    sf.write(source, noise(100, 2).T, FS)
    with pytest.raises(AudioFileError, match="is one of the input files"):
        open_writer(source, FS, 2, inputs=[source], overwrite=overwrite)
    with pytest.raises(AudioFileError, match="is one of the input files"):
        check_output(source, inputs=[str(source)], overwrite=overwrite)
    (tmp_path / "dir.wav").mkdir()
    with pytest.raises(AudioFileError, match="is a folder"):
        open_writer(tmp_path / "dir.wav", FS, 2, overwrite=overwrite)
    with pytest.raises(AudioFileError, match=r"folder .* does not exist"):
        open_writer(tmp_path / "missing" / "o.wav", FS, 2, overwrite=overwrite)


def test_existing_output_needs_overwrite_and_keeps_its_mode(tmp_path):
    out = tmp_path / "out.wav"
    sf.write(out, noise(100, 2).T, FS)
    out.chmod(0o640)
    with pytest.raises(AudioFileError, match="already exists — pass overwrite=True"):
        open_writer(out, FS, 2)
    with open_writer(out, FS, 2, overwrite=True) as writer:
        writer.write(noise(500, 2))
    assert sf.info(out).frames == 500
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_format_choice_follows_write(tmp_path):
    like = tmp_path / "like.wav"
    sf.write(like, noise(100, 2).T, FS, subtype="PCM_16")
    assert output_format(tmp_path / "o.wav", like=like) == ("WAV", "PCM_16")
    assert output_format(tmp_path / "o.flac", like=like) == ("FLAC", "PCM_16")
    assert output_format(tmp_path / "o.ogg") == ("OGG", "VORBIS")
    assert output_format(tmp_path / "o.out", format="wav", subtype="float") == ("WAV", "FLOAT")
    with open_writer(tmp_path / "o.aiff", FS, 2, like=like) as writer:
        writer.write(noise(10, 2))
    assert (writer.format, writer.subtype) == ("AIFF", "PCM_16")
    with pytest.raises(AudioFileError, match=r"the extension \.xyz names no audio format mezzo writes"):
        open_writer(tmp_path / "o.xyz", FS, 2)
    with pytest.raises(ParameterError, match="subtype='VORBIS' is not supported by format 'WAV'"):
        open_writer(tmp_path / "o.wav", FS, 2, subtype="VORBIS")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sample_rate": 100}, "sample_rate"),
        ({"channels": 0}, "channels"),
        ({"channels": 1.5}, "channels"),
        ({"frames_hint": -1}, "frames_hint"),
    ],
)
def test_bad_parameters(tmp_path, kwargs, name):
    args = {"sample_rate": FS, "channels": 2, **kwargs}
    with pytest.raises(ParameterError, match=name):
        open_writer(tmp_path / "o.wav", args.pop("sample_rate"), args.pop("channels"), **args)
    assert os.listdir(tmp_path) == []


def test_direct_writer_needs_a_valid_pair(tmp_path):
    with pytest.raises(ParameterError, match="format='WAV' with subtype='VORBIS' is not supported"):
        AudioWriter(tmp_path / "o.wav", FS, 2, format="WAV", subtype="VORBIS")


def test_large_wav_hint_switches_to_rf64(tmp_path, monkeypatch):
    monkeypatch.setattr(formats_module, "RIFF_LIMIT_BYTES", 1000)
    with open_writer(tmp_path / "big.wav", FS, 2, frames_hint=1000) as writer:
        writer.write(noise(1000, 2))
    assert writer.format == "RF64" and sf.info(tmp_path / "big.wav").format == "RF64"
    with open_writer(tmp_path / "small.wav", FS, 2, frames_hint=100) as writer:
        writer.write(noise(100, 2))
    assert sf.info(tmp_path / "small.wav").format == "WAV"


def test_memory_is_one_block_however_long(tmp_path):
    block = noise(65536, 2)  # 0.5 MB
    tracemalloc.start()
    try:
        with open_writer(tmp_path / "long.wav", FS, 2, subtype="PCM_16") as writer:
            for _ in range(64):  # 32 MB of float32 samples in all
                writer.write(block)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sf.info(tmp_path / "long.wav").frames == 64 * 65536
    assert peak < 4 * block.nbytes
