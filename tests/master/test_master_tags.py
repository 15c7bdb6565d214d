"""master / normalize (and batch master) keep the input's tags, read back by an independent reader (ffprobe)."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from mezzo.batch import run
from mezzo.mastering.master import master_file, normalize_files

FS = 48000
TAGS = {"title": "Night Drive", "artist": "The Testers", "album": "Tags Kept", "date": "2026"}


def _song(path, fmt: str) -> None:
    t = np.arange(FS * 6) / FS
    x = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    with sf.SoundFile(path, "w", FS, 2, format=fmt, subtype="PCM_24") as f:
        for name, value in TAGS.items():
            setattr(f, name, value)
        f.write(np.stack([x, x], 1))


def _tags(path) -> dict[str, str]:
    """Tags as ffprobe reads them (an independent reader: ffmpeg's demuxers), else libsndfile's."""
    if shutil.which("ffprobe") is None:
        with sf.SoundFile(path) as f:
            return {name: getattr(f, name) for name in TAGS if getattr(f, name)}
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", str(path)],
        capture_output=True, check=True, text=True,
    ).stdout
    probe = json.loads(out)
    found = dict((probe.get("format") or {}).get("tags") or {})
    for stream in probe.get("streams") or []:  # Ogg keeps comments on the stream
        found.update(stream.get("tags") or {})
    return {k.lower(): v for k, v in found.items()}


@pytest.mark.parametrize(("src_name", "fmt", "out_name"), [
    ("song.wav", "WAV", "master.wav"), ("song.flac", "FLAC", "master.flac"), ("song.wav", "WAV", "master.flac"),
])
def test_master_keeps_the_tags(tmp_path, src_name, fmt, out_name):
    src = tmp_path / src_name
    _song(src, fmt)
    report = master_file(src, tmp_path / out_name, preset="spotify")
    assert report.target_reached
    tags = _tags(tmp_path / out_name)
    for name, value in TAGS.items():
        assert tags.get(name) == value, (name, tags)


def test_normalize_and_batch_master_keep_the_tags(tmp_path):
    src = tmp_path / "in" / "song.flac"
    src.parent.mkdir()
    _song(src, "FLAC")
    normalize_files([src], [tmp_path / "normalized.flac"], target_lufs=-16.0)
    assert _tags(tmp_path / "normalized.flac")["title"] == TAGS["title"]
    rows = run([src.parent], "master", out_dir=tmp_path / "out", workers=1, job_options={"preset": "apple"})
    assert rows[0]["status"] == "ok", rows[0]["error"]
    tags = _tags(tmp_path / "out" / "song.flac")
    assert (tags["title"], tags["artist"]) == (TAGS["title"], TAGS["artist"])


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (the lossy encoder)")
@pytest.mark.parametrize("out_name", ["master.mp3", "master.ogg"])
def test_lossy_master_keeps_the_tags(tmp_path, out_name):
    src = tmp_path / "song.flac"
    _song(src, "FLAC")
    master_file(src, tmp_path / out_name, preset="spotify", bitrate_kbps=192)
    tags = _tags(tmp_path / out_name)
    for name, value in TAGS.items():
        assert tags.get(name) == value, (name, tags)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (the lossy encoder)")
def test_processors_keep_the_tags_in_lossy_outputs_too(tmp_path):
    from mezzo.processing import process_file
    from mezzo.processors import Compressor

    src = tmp_path / "song.wav"
    _song(src, "WAV")
    process_file(Compressor(), src, tmp_path / "squeezed.mp3")
    assert _tags(tmp_path / "squeezed.mp3")["artist"] == TAGS["artist"]
