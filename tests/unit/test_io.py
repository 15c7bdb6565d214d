"""Tests for mezzo.io: reading, block iteration, atomic writing, ffmpeg decoding.

Files are generated in ``tmp_path`` by the tests. Expected values are
independent of mezzo: the known samples written, quantised to the subtype's
integer step (1 LSB = 2**-(bits-1) of full scale), or soundfile's own reading.
"""

from __future__ import annotations

import importlib
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from mezzo.errors import AudioFileError, AudioInputError, ParameterError
from mezzo.io import AudioInfo, BlockReader, blocks, info, read, write

SAMPLE_RATE = 48000

# mezzo.io.write is the function; the module holds the constants some tests patch.
write_module = importlib.import_module("mezzo.io.write")
formats_module = importlib.import_module("mezzo.io.formats")

requires_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
    reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg)",
)


def noise(frames: int, channels: int, *, seed: int = 0, peak: float = 0.9) -> np.ndarray:
    """Uniform noise shaped (channels, frames), float64, within ±peak."""
    return np.random.default_rng(seed).uniform(-peak, peak, (channels, frames))


def lsb(subtype: str) -> float:
    """One integer step of ``subtype`` relative to full scale 1.0 (0.0 for float subtypes)."""
    bits = {"PCM_U8": 8, "PCM_S8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32}
    return 2.0 ** -(bits[subtype] - 1) if subtype in bits else 0.0


#: float32 rounding of a value below 1.0 in magnitude: at most half of 2**-23.
FLOAT32_ROUNDING = 2.0**-24


# (extension, libsndfile format, subtype)
LOSSLESS_CASES = [
    ("wav", "WAV", "PCM_U8"),
    ("wav", "WAV", "PCM_16"),
    ("wav", "WAV", "PCM_24"),
    ("wav", "WAV", "PCM_32"),
    ("wav", "WAV", "FLOAT"),
    ("wav", "WAV", "DOUBLE"),
    ("wav", "WAVEX", "PCM_24"),
    ("flac", "FLAC", "PCM_16"),
    ("flac", "FLAC", "PCM_24"),
    ("aiff", "AIFF", "PCM_S8"),
    ("aiff", "AIFF", "PCM_16"),
    ("aiff", "AIFF", "PCM_24"),
    ("aiff", "AIFF", "FLOAT"),
    ("w64", "W64", "PCM_24"),
    ("w64", "W64", "FLOAT"),
    ("rf64", "RF64", "PCM_16"),
    ("rf64", "RF64", "FLOAT"),
]


# --- reading -----------------------------------------------------------------


@pytest.mark.parametrize(("ext", "fmt", "subtype"), LOSSLESS_CASES)
def test_read_matches_written_samples_within_one_lsb(tmp_path, ext, fmt, subtype):
    x = noise(5000, 2)
    path = tmp_path / f"x.{ext}"
    sf.write(path, x.T, SAMPLE_RATE, format=fmt, subtype=subtype)

    audio, sample_rate = read(path)

    assert sample_rate == SAMPLE_RATE
    assert audio.shape == (2, 5000)
    assert audio.dtype == np.float32
    assert audio.flags.c_contiguous
    step = lsb(subtype)
    if step:
        assert np.max(np.abs(audio - x)) <= step + FLOAT32_ROUNDING
    else:
        assert np.array_equal(audio, x.astype(np.float32))


@pytest.mark.parametrize(("ext", "fmt", "subtype"), LOSSLESS_CASES)
def test_info_reports_header(tmp_path, ext, fmt, subtype):
    path = tmp_path / f"x.{ext}"
    sf.write(path, noise(4800, 3).T, 44100, format=fmt, subtype=subtype)

    result = info(path)

    assert result == AudioInfo(
        path=str(path),
        sample_rate=44100,
        channels=3,
        frames=4800,
        duration_s=4800 / 44100,
        format=fmt,
        subtype=subtype,
    )
    assert result.to_dict()["duration_s"] == pytest.approx(4800 / 44100)


def test_read_float64_keeps_float_samples_exactly(tmp_path):
    x = noise(3000, 2)
    path = tmp_path / "x.wav"
    sf.write(path, x.T, SAMPLE_RATE, subtype="DOUBLE")

    audio, _ = read(path, dtype="float64")

    assert audio.dtype == np.float64
    assert np.array_equal(audio, x)


def test_read_integer_pcm_is_scaled_to_full_scale(tmp_path):
    # PCM_16 codes written directly: -32768 is -1.0, 16384 is 0.5, 1 is 2**-15.
    codes = np.array([[-32768], [16384], [1], [0], [32767]], dtype=np.int16)
    path = tmp_path / "codes.wav"
    sf.write(path, codes, SAMPLE_RATE, subtype="PCM_16")

    audio, _ = read(path)

    expected = np.array([-1.0, 0.5, 2.0**-15, 0.0, 32767 / 32768], dtype=np.float32)
    assert np.array_equal(audio[0], expected)


def test_read_is_channels_first(tmp_path):
    levels = np.array([0.125, -0.25, 0.5])  # exact in 16 bits
    frames = np.tile(levels, (1000, 1))  # (frames, channels) as soundfile writes
    path = tmp_path / "three.wav"
    sf.write(path, frames, SAMPLE_RATE, subtype="PCM_16")

    audio, _ = read(path)

    assert audio.shape == (3, 1000)
    for channel, level in enumerate(levels):
        assert np.all(audio[channel] == level)


def test_read_mono_file_is_one_row(tmp_path):
    x = noise(700, 1)[0]
    path = tmp_path / "mono.flac"
    sf.write(path, x, SAMPLE_RATE, subtype="PCM_24")

    audio, _ = read(path)

    assert audio.shape == (1, 700)
    assert np.max(np.abs(audio[0] - x)) <= lsb("PCM_24")


def test_read_ogg_vorbis_is_close_to_the_sine_written(tmp_path):
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    sine = 0.5 * np.sin(2 * np.pi * 1000.0 * t)
    path = tmp_path / "sine.ogg"
    sf.write(path, np.stack([sine, -sine]).T, SAMPLE_RATE, format="OGG", subtype="VORBIS")

    audio, sample_rate = read(path)

    assert sample_rate == SAMPLE_RATE
    assert audio.shape == (2, SAMPLE_RATE)
    # Lossy codec: the error is small next to the signal (better than -26 dB).
    for channel, reference in enumerate([sine, -sine]):
        error = np.sqrt(np.mean((audio[channel] - reference) ** 2))
        assert error < 0.05 * np.sqrt(np.mean(reference**2))


def test_read_accepts_str_and_pathlib(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(100, 2).T, SAMPLE_RATE, subtype="FLOAT")
    a, _ = read(path)
    b, _ = read(str(path))
    assert np.array_equal(a, b)


def test_read_refuses_integer_dtype(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(100, 2).T, SAMPLE_RATE)
    with pytest.raises(ParameterError, match="dtype"):
        read(path, dtype="int16")


# --- blocks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ext", "subtype"), [("wav", "PCM_24"), ("flac", "PCM_16"), ("w64", "FLOAT")]
)
@pytest.mark.parametrize("block_samples", [7, 777, 4096, 10000])
def test_blocks_concatenate_to_the_whole_read(tmp_path, ext, subtype, block_samples):
    path = tmp_path / f"x.{ext}"
    sf.write(path, noise(10000, 2).T, SAMPLE_RATE, subtype=subtype)
    whole, _ = read(path)

    with blocks(path, block_samples) as reader:
        parts = list(reader)

    assert all(part.shape[0] == 2 for part in parts)
    assert all(part.dtype == np.float32 for part in parts)
    assert [part.shape[1] for part in parts[:-1]] == [block_samples] * (len(parts) - 1)
    assert 0 < parts[-1].shape[1] <= block_samples
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


def test_blocks_are_new_transposed_arrays(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(300, 2).T, SAMPLE_RATE, subtype="FLOAT")
    with blocks(path, 100) as reader:
        parts = list(reader)
    # Documented: (channels, n) transposes of libsndfile's (n, channels) buffers.
    assert all(part.flags.f_contiguous for part in parts)
    assert len({id(part.base) for part in parts}) == len(parts)


def test_blocks_attributes(tmp_path):
    path = tmp_path / "x.aiff"
    sf.write(path, noise(1000, 3).T, 44100, subtype="PCM_16")
    with blocks(path) as reader:
        assert isinstance(reader, BlockReader)
        assert reader.sample_rate == 44100
        assert reader.channels == 3
        assert reader.info == info(path)
        assert not reader.closed
    assert reader.closed


def test_blocks_with_overlap_start_every_step(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(1000, 2).T, SAMPLE_RATE, subtype="FLOAT")
    whole, _ = read(path)

    with blocks(path, 300, overlap_samples=100) as reader:
        parts = list(reader)

    step = 200
    for k, part in enumerate(parts):
        assert np.array_equal(part, whole[:, k * step : k * step + 300])
    # The last block reaches the end of the file; no block is only overlap.
    assert parts[-1].shape[1] > 100
    assert len(parts) * step + 100 >= 1000


def test_blocks_float64(tmp_path):
    x = noise(500, 1)
    path = tmp_path / "x.wav"
    sf.write(path, x.T, SAMPLE_RATE, subtype="DOUBLE")
    with blocks(path, 128, dtype="float64") as reader:
        parts = list(reader)
    assert parts[0].dtype == np.float64
    assert np.array_equal(np.concatenate(parts, axis=1), x)


def test_blocks_closed_early_closes_the_file(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(10000, 2).T, SAMPLE_RATE)

    reader = blocks(path, 1000)
    generator = iter(reader)
    next(generator)
    assert not reader.closed
    generator.close()
    assert reader.closed


def test_blocks_break_out_of_with_closes_the_file(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(10000, 2).T, SAMPLE_RATE)
    with blocks(path, 1000) as reader:
        for _block in reader:
            break
    assert reader.closed


def test_blocks_exception_in_with_closes_the_file(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(10000, 2).T, SAMPLE_RATE)
    with pytest.raises(KeyError), blocks(path, 1000) as reader:
        next(iter(reader))
        raise KeyError("consumer failed")
    assert reader.closed


def test_blocks_cannot_iterate_twice(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, noise(1000, 2).T, SAMPLE_RATE)
    with blocks(path, 512) as reader:
        list(reader)
        with pytest.raises(AudioFileError, match="open it again"):
            list(reader)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"block_samples": 0}, "block_samples"),
        ({"block_samples": 2.5}, "block_samples"),
        ({"block_samples": 100, "overlap_samples": 100}, "overlap_samples"),
        ({"block_samples": 100, "overlap_samples": -1}, "overlap_samples"),
        ({"dtype": "int32"}, "dtype"),
    ],
)
def test_blocks_refuses_bad_parameters(tmp_path, kwargs, name):
    path = tmp_path / "x.wav"
    sf.write(path, noise(100, 1).T, SAMPLE_RATE)
    with pytest.raises(ParameterError, match=name):
        blocks(path, **kwargs)


def _write_long_file(path, minutes: float) -> int:
    """Write a stereo 16-bit sine of ``minutes`` chunk by chunk; return the frame count."""
    frames = int(minutes * 60 * SAMPLE_RATE)
    chunk = SAMPLE_RATE * 10
    with sf.SoundFile(path, "w", SAMPLE_RATE, 2, subtype="PCM_16") as handle:
        for start in range(0, frames, chunk):
            n = np.arange(start, min(start + chunk, frames))
            sine = 0.5 * np.sin(2 * np.pi * 997.0 * n / SAMPLE_RATE)
            handle.write(np.stack([sine, -sine], axis=1))
    return frames


def test_blocks_memory_stays_flat_for_a_ten_minute_file(tmp_path):
    path = tmp_path / "long.wav"
    frames = _write_long_file(path, 10.0)  # 57.6 M samples, 230 MB as float32

    tracemalloc.start()
    try:
        counted = 0
        peak_abs = 0.0
        with blocks(path) as reader:
            for block in reader:
                counted += block.shape[1]
                peak_abs = max(peak_abs, float(np.max(np.abs(block))))
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert counted == frames
    assert peak_abs == pytest.approx(0.5, abs=1e-3)
    assert peak_bytes < 20 * 2**20


# --- writing -----------------------------------------------------------------


@pytest.mark.parametrize(("ext", "fmt", "subtype"), LOSSLESS_CASES)
def test_write_round_trip_within_one_lsb(tmp_path, ext, fmt, subtype):
    x = noise(4000, 2).astype(np.float32)
    path = tmp_path / f"out.{ext}"

    write(path, x, SAMPLE_RATE, format=fmt, subtype=subtype)

    header = sf.info(path)
    assert (header.format, header.subtype, header.samplerate) == (fmt, subtype, SAMPLE_RATE)
    back, _ = sf.read(path, dtype="float64", always_2d=True)  # independent reader
    step = lsb(subtype)
    if step:
        assert np.max(np.abs(back.T - x)) <= step
    else:
        assert np.array_equal(back.T, x.astype(np.float64))


def test_write_then_read_float_is_exact(tmp_path):
    x = noise(1234, 2).astype(np.float32)
    path = tmp_path / "out.wav"
    write(path, x, SAMPLE_RATE, subtype="FLOAT")
    back, sample_rate = read(path)
    assert sample_rate == SAMPLE_RATE
    assert np.array_equal(back, x)


def test_write_mono_1d(tmp_path):
    x = noise(800, 1)[0]
    path = tmp_path / "mono.wav"
    write(path, x, SAMPLE_RATE)
    back, _ = sf.read(path, always_2d=True)
    assert back.shape == (800, 1)
    assert np.max(np.abs(back[:, 0] - x)) <= lsb("PCM_24")


def test_write_ogg_vorbis(tmp_path):
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    sine = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    path = tmp_path / "out.ogg"
    write(path, np.stack([sine, sine]), SAMPLE_RATE)
    header = sf.info(path)
    assert (header.format, header.subtype, header.channels) == ("OGG", "VORBIS", 2)


@pytest.mark.parametrize(
    ("name", "fmt", "subtype"),
    [
        ("out.wav", "WAV", "PCM_24"),
        ("out.WAV", "WAV", "PCM_24"),
        ("out.flac", "FLAC", "PCM_24"),
        ("out.aiff", "AIFF", "PCM_24"),
        ("out.aif", "AIFF", "PCM_24"),
        ("out.w64", "W64", "PCM_24"),
        ("out.rf64", "RF64", "PCM_24"),
        ("out.ogg", "OGG", "VORBIS"),
    ],
)
def test_write_default_format_from_extension(tmp_path, name, fmt, subtype):
    path = tmp_path / name
    write(path, noise(2000, 2), SAMPLE_RATE)
    header = sf.info(path)
    assert (header.format, header.subtype) == (fmt, subtype)


@pytest.mark.parametrize(
    ("like_name", "like_subtype", "out_name", "fmt", "subtype"),
    [
        ("in.wav", "PCM_16", "out.wav", "WAV", "PCM_16"),
        ("in.wav", "PCM_24", "out.wav", "WAV", "PCM_24"),
        ("in.wav", "FLOAT", "out.wav", "WAV", "FLOAT"),
        ("in.flac", "PCM_16", "out.flac", "FLAC", "PCM_16"),
        # The extension decides the container, like's subtype is kept if it fits.
        ("in.flac", "PCM_16", "out.wav", "WAV", "PCM_16"),
        ("in.wav", "FLOAT", "out.flac", "FLAC", "PCM_24"),
        ("in.ogg", "VORBIS", "out.wav", "WAV", "PCM_24"),
    ],
)
def test_write_like_keeps_format_and_subtype(
    tmp_path, like_name, like_subtype, out_name, fmt, subtype
):
    like = tmp_path / like_name
    sf.write(like, noise(1000, 2).T, SAMPLE_RATE, subtype=like_subtype)
    out = tmp_path / out_name

    write(out, noise(1000, 2, seed=1), SAMPLE_RATE, like=like)

    header = sf.info(out)
    assert (header.format, header.subtype) == (fmt, subtype)


@pytest.mark.parametrize("name", ["out.take1", "out", "out.wma", "out.xyz"])
def test_write_refuses_an_extension_that_names_no_writable_format(tmp_path, name):
    # The extension decides the container, never the input's format (issue 16, case 8).
    like = tmp_path / "in.flac"
    sf.write(like, noise(1000, 2).T, SAMPLE_RATE, subtype="PCM_16")
    with pytest.raises(AudioFileError, match=r"\.wav, \.flac") as info:
        write(tmp_path / name, noise(1000, 2), SAMPLE_RATE, like=like)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.flac"]


def test_write_explicit_format_still_writes_any_name(tmp_path):
    out = tmp_path / "out.take1"
    write(out, noise(1000, 2), SAMPLE_RATE, format="FLAC")
    assert sf.info(out).format == "FLAC"


def test_write_keeps_a_plain_subtype_across_containers(tmp_path):
    like = tmp_path / "in.flac"
    sf.write(like, noise(1000, 2).T, SAMPLE_RATE, subtype="PCM_16")
    write(tmp_path / "out.wav", noise(1000, 2), SAMPLE_RATE, like=like)
    assert (sf.info(tmp_path / "out.wav").format, sf.info(tmp_path / "out.wav").subtype) == ("WAV", "PCM_16")


def test_write_never_carries_a_codec_into_another_container(tmp_path):
    # An MP3 input must give PCM in a WAV, not "WAV MPEG_LAYER_III" (issue 16, case 7).
    like = tmp_path / "in.mp3"
    sf.write(like, noise(4800, 2).T * 0.1, SAMPLE_RATE)
    for name, fmt, subtype in [("o.wav", "WAV", "PCM_24"), ("o.flac", "FLAC", "PCM_24"), ("o.aiff", "AIFF", "PCM_24")]:
        write(tmp_path / name, noise(1000, 2) * 0.1, SAMPLE_RATE, like=like)
        assert (sf.info(tmp_path / name).format, sf.info(tmp_path / name).subtype) == (fmt, subtype)


def test_write_explicit_subtype_wins_over_like(tmp_path):
    like = tmp_path / "in.wav"
    sf.write(like, noise(100, 2).T, SAMPLE_RATE, subtype="PCM_16")
    out = tmp_path / "out.wav"
    write(out, noise(100, 2), SAMPLE_RATE, like=like, subtype="FLOAT")
    assert sf.info(out).subtype == "FLOAT"


def test_write_refuses_unknown_extension(tmp_path):
    with pytest.raises(AudioFileError, match=r"names no audio format mezzo writes — use \.wav"):
        write(tmp_path / "out.xyz", noise(100, 2), SAMPLE_RATE)
    write(tmp_path / "out.xyz", noise(100, 2), SAMPLE_RATE, format="wav")
    assert sf.info(tmp_path / "out.xyz").format == "WAV"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"format": "NOPE"}, "format='NOPE'"),
        ({"subtype": "VORBIS"}, "subtype='VORBIS'"),
        ({"subtype": "PCM_99"}, "subtype='PCM_99'"),
    ],
)
def test_write_refuses_bad_format_or_subtype(tmp_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        write(tmp_path / "out.wav", noise(100, 2), SAMPLE_RATE, **kwargs)
    assert os.listdir(tmp_path) == []


def test_write_refuses_empty_and_bad_audio(tmp_path):
    out = tmp_path / "out.wav"
    with pytest.raises(AudioInputError, match="empty"):
        write(out, np.zeros((2, 0), np.float32), SAMPLE_RATE)
    with pytest.raises(AudioInputError, match="NaN"):
        write(out, np.array([0.0, np.nan]), SAMPLE_RATE)
    with pytest.raises(AudioInputError, match="dtype"):
        write(out, np.zeros(10, np.int16), SAMPLE_RATE)
    with pytest.raises(ParameterError, match="sample_rate"):
        write(out, np.zeros(10), 0)
    assert os.listdir(tmp_path) == []


def test_write_refuses_existing_output_without_overwrite(tmp_path):
    out = tmp_path / "out.wav"
    out.write_bytes(b"keep me")
    with pytest.raises(AudioFileError, match=r"already exists — pass overwrite=True"):
        write(out, noise(100, 2), SAMPLE_RATE)
    assert out.read_bytes() == b"keep me"


def test_write_overwrite_replaces_and_keeps_permissions(tmp_path):
    out = tmp_path / "out.wav"
    out.write_bytes(b"old")
    os.chmod(out, 0o640)
    write(out, noise(100, 2), SAMPLE_RATE, overwrite=True)
    assert sf.info(out).frames == 100
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640


def test_write_new_file_gets_umask_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        write(tmp_path / "out.wav", noise(100, 2), SAMPLE_RATE)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "out.wav").st_mode) == 0o640


@pytest.mark.parametrize("overwrite", [False, True])
def test_write_refuses_to_replace_an_input(tmp_path, overwrite):
    source = tmp_path / "in.wav"
    sf.write(source, noise(100, 2).T, SAMPLE_RATE)
    before = source.read_bytes()
    other_spelling = tmp_path / "sub" / ".." / "in.wav"
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.wav"
    link.symlink_to(source)

    for target in (source, str(source), other_spelling, link):
        with pytest.raises(AudioFileError, match="is one of the input files"):
            write(target, noise(100, 2), SAMPLE_RATE, inputs=[source], overwrite=overwrite)
    assert source.read_bytes() == before


def test_write_atomic_failure_mid_write_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out.wav"
    calls = []
    real_write = sf.SoundFile.write

    def failing_write(self, data):
        calls.append(len(data))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(write_module, "WRITE_CHUNK_FRAMES", 1000)
    monkeypatch.setattr(sf.SoundFile, "write", failing_write)

    with pytest.raises(AudioFileError, match=r"no space left on device in .* while writing"):
        write(out, noise(5000, 2), SAMPLE_RATE)
    assert len(calls) == 2
    assert os.listdir(tmp_path) == []


def test_write_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "out.wav"
    sf.write(out, noise(100, 2).T, SAMPLE_RATE, subtype="PCM_16")
    before = out.read_bytes()

    def failing_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        write(out, noise(5000, 2), SAMPLE_RATE, overwrite=True)
    assert os.listdir(tmp_path) == ["out.wav"]
    assert out.read_bytes() == before


def test_write_libsndfile_failure_is_one_line_and_leaves_nothing(tmp_path):
    # FLAC holds at most 8 channels.
    with pytest.raises(
        AudioFileError, match=r"cannot be written as FLAC PCM_24 \(libsndfile: .*\) — "
    ) as caught:
        write(tmp_path / "out.flac", noise(100, 9), SAMPLE_RATE)
    assert "\n" not in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_write_refuses_missing_folder(tmp_path):
    with pytest.raises(AudioFileError, match=r"folder .*missing.* does not exist — create it"):
        write(tmp_path / "missing" / "out.wav", noise(100, 2), SAMPLE_RATE)


def test_write_refuses_a_folder_as_output(tmp_path):
    (tmp_path / "out.wav").mkdir()
    with pytest.raises(AudioFileError, match="is a folder — give a file name"):
        write(tmp_path / "out.wav", noise(100, 2), SAMPLE_RATE, overwrite=True)


def test_write_refuses_unwritable_folder(tmp_path, monkeypatch):
    # Root ignores permission bits, so the check itself is simulated.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(AudioFileError, match=r"cannot write in the folder .* \(permission denied\) — choose another folder"):
        write(tmp_path / "out.wav", noise(100, 2), SAMPLE_RATE)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_write_into_read_only_folder_is_refused(tmp_path):  # pragma: no cover - non-root only
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(AudioFileError, match="not writable"):
            write(folder / "out.wav", noise(100, 2), SAMPLE_RATE)
    finally:
        folder.chmod(0o755)


def test_write_large_wav_switches_to_rf64(tmp_path, monkeypatch):
    monkeypatch.setattr(formats_module, "RIFF_LIMIT_BYTES", 1000)
    write(tmp_path / "big.wav", noise(1000, 2), SAMPLE_RATE)
    assert sf.info(tmp_path / "big.wav").format == "RF64"


# --- ffmpeg --------------------------------------------------------------------


def test_ffmpeg_missing_gives_install_hint(tmp_path, monkeypatch):
    path = tmp_path / "song.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(200))
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    for call in (info, read, blocks):
        with pytest.raises(
            AudioFileError,
            match=r"ffmpeg is not installed — install ffmpeg \(e\.g\. apt-get install ffmpeg\) or convert",
        ):
            call(path)


def test_ffprobe_missing_is_named(tmp_path, monkeypatch):
    path = tmp_path / "song.aac"
    path.write_bytes(bytes(200))
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: None if name == "ffprobe" else "/x/ffmpeg"
    )
    with pytest.raises(AudioFileError, match="ffprobe is not installed"):
        read(path)


FAKE_FFPROBE = """\
    import json, sys
    assert sys.argv[1:3] == ["-v", "error"], sys.argv
    assert "-select_streams" in sys.argv and sys.argv[-1].startswith("file:/"), sys.argv
    if "broken" in sys.argv[-1]:
        sys.stderr.write("Invalid data found when processing input\\n")
        sys.exit(1)
    print(json.dumps({"streams": [{"codec_name": "aac", "sample_rate": "44100",
                                   "channels": 2, "duration": "0.500000"}],
                      "format": {"format_name": "mov,mp4,m4a", "duration": "0.500000"}}))
"""

# Writes a known ramp as f32le: left n / 2**20, right -n / 2**20, for n < FRAMES.
FAKE_FFMPEG = """\
    import struct, sys
    args = sys.argv[1:]
    assert args[args.index("-f") + 1] == "f32le" and args[-1] == "pipe:1", args
    assert args[args.index("-ac") + 1] == "2" and args[args.index("-ar") + 1] == "44100", args
    assert args[args.index("-i") + 1].startswith("file:/"), args
    path = args[args.index("-i") + 1][5:]
    frames = int(open(path).read().split()[1])
    out = sys.stdout.buffer
    if "fail" in path:
        out.write(struct.pack("<4f", 0.1, 0.2, 0.3, 0.4))
        out.flush()
        sys.stderr.write("Error while decoding stream #0:0: Invalid data\\n")
        sys.exit(1)
    for start in range(0, frames, 1000):
        n = range(start, min(start + 1000, frames))
        out.write(b"".join(struct.pack("<2f", k / 2**20, -k / 2**20) for k in n))
    out.flush()
"""


@pytest.fixture
def fake_ffmpeg(tmp_path, monkeypatch):
    """Put stand-ins for ffmpeg and ffprobe on PATH (tests the pipe plumbing only)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("ffprobe", FAKE_FFPROBE), ("ffmpeg", FAKE_FFMPEG)):
        script = bin_dir / name
        script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bin_dir


def _fake_m4a(tmp_path, name: str, frames: int):
    path = tmp_path / name
    path.write_text(f"FAKE {frames}\n")  # soundfile cannot open it
    return path


def _ramp(frames: int) -> np.ndarray:
    k = np.arange(frames) / 2**20
    return np.stack([k, -k]).astype(np.float32)


def test_ffmpeg_read_and_info_through_the_pipe(tmp_path, fake_ffmpeg):
    path = _fake_m4a(tmp_path, "song.m4a", 22050)

    assert info(path) == AudioInfo(
        path=str(path), sample_rate=44100, channels=2, frames=22050,
        duration_s=0.5, format="M4A", subtype="AAC",
    )  # fmt: skip
    audio, sample_rate = read(path)
    assert sample_rate == 44100
    assert audio.flags.c_contiguous
    assert np.array_equal(audio, _ramp(22050))


def test_ffmpeg_blocks_stream_and_concatenate(tmp_path, fake_ffmpeg):
    path = _fake_m4a(tmp_path, "song.m4a", 5000)
    with blocks(path, 1234) as reader:
        assert (reader.sample_rate, reader.channels) == (44100, 2)
        parts = list(reader)
    assert [p.shape[1] for p in parts] == [1234, 1234, 1234, 1234, 64]
    assert np.array_equal(np.concatenate(parts, axis=1), _ramp(5000))


def test_ffmpeg_blocks_closed_early_stops_the_process(tmp_path, fake_ffmpeg):
    path = _fake_m4a(tmp_path, "long.m4a", 2_000_000)  # more than a pipe buffer
    reader = blocks(path, 1000)
    generator = iter(reader)
    first = next(generator)
    assert np.array_equal(first, _ramp(1000))
    process = reader._source._proc
    generator.close()
    assert reader.closed
    assert process.poll() is not None  # killed and reaped


def test_ffmpeg_decode_failure_is_one_line(tmp_path, fake_ffmpeg):
    path = _fake_m4a(tmp_path, "fail.m4a", 100)
    with pytest.raises(
        AudioFileError, match=r"cannot be decoded \(ffmpeg: Error while decoding .*\) — "
    ):
        read(path)
    with pytest.raises(AudioFileError, match=r"cannot be decoded \(ffmpeg"), blocks(path) as reader:
        list(reader)


def test_ffprobe_failure_is_one_line(tmp_path, fake_ffmpeg):
    path = _fake_m4a(tmp_path, "broken.m4a", 100)
    with pytest.raises(AudioFileError, match=r"cannot be decoded \(ffprobe: Invalid data .*\) — "):
        info(path)


def test_text_file_is_still_not_audio_with_ffmpeg_present(tmp_path, fake_ffmpeg):
    path = tmp_path / "broken.wav"  # fake ffprobe fails on "broken"
    path.write_text("just text\n")
    with pytest.raises(AudioFileError, match=r"not an audio file \(libsndfile: "):
        read(path)


@pytest.fixture
def ffmpeg_encoded(tmp_path):
    """A 16-bit WAV and the same samples encoded losslessly (ALAC in .m4a) by real ffmpeg."""
    wav = tmp_path / "source.wav"
    sf.write(wav, noise(30000, 2).T, 44100, subtype="PCM_16")
    m4a = tmp_path / "song.m4a"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "alac", str(m4a)], check=True
    )
    return wav, m4a


@pytest.mark.needs_ffmpeg
@requires_ffmpeg
def test_real_ffmpeg_read_is_lossless_for_alac(ffmpeg_encoded):
    wav, m4a = ffmpeg_encoded
    expected, _ = sf.read(wav, dtype="float32", always_2d=True)
    header = info(m4a)
    assert (header.sample_rate, header.channels, header.format, header.subtype) == (
        44100, 2, "M4A", "ALAC",
    )  # fmt: skip
    assert header.frames == pytest.approx(30000, abs=2048)
    audio, sample_rate = read(m4a)
    assert sample_rate == 44100
    assert np.array_equal(audio, expected.T)


@pytest.mark.needs_ffmpeg
@requires_ffmpeg
def test_real_ffmpeg_blocks_match_read(ffmpeg_encoded):
    _, m4a = ffmpeg_encoded
    whole, _ = read(m4a)
    with blocks(m4a, 4096) as reader:
        parts = list(reader)
    assert np.array_equal(np.concatenate(parts, axis=1), whole)
    reader = blocks(m4a, 1000)
    generator = iter(reader)
    next(generator)
    generator.close()
    assert reader.closed
