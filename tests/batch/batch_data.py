"""A small catalogue for the batch tests: good files at known levels among bad ones.

Good files are 1 kHz stereo sines at a known peak level: EBU Tech 3341 case 1 says a
stereo 1 kHz sine at -23 dBFS reads -23.0 LUFS, so each reads its own level in LUFS.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

#: Good files: relative path -> (peak level of the sine in dBFS = expected LUFS, sample rate, subtype).
GOOD = {
    "a/one.wav": (-23.0, 48000, "PCM_24"),
    "a/two.flac": (-18.0, 44100, "PCM_24"),
    "b/three.wav": (-20.0, 48000, "FLOAT"),
}
#: Bad files: relative path -> what is wrong with it.
BAD = {
    "bad/broken.wav": "truncated",
    "bad/empty.wav": "empty",
    "bad/notes.wav": "not audio",
    "bad/gone.wav": "unreadable (dangling link)",
}
#: Files the walk must not take.
IGNORED = ("a/cover.jpg", "a/.hidden.wav", "readme.txt")

DURATION_S = 3.0


def tone(level_dbfs: float, sample_rate: int, seconds: float = DURATION_S) -> np.ndarray:
    """A stereo 1 kHz sine, shape (samples, 2) for soundfile."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    x = 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 1000.0 * t)
    return np.stack([x, x], axis=1)


def make_catalogue(root: Path) -> Path:
    """Write the catalogue under ``root``; return it."""
    for rel, (level, rate, subtype) in GOOD.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(level, rate), rate, subtype=subtype)
    bad = root / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    sf.write(bad / "broken.wav", tone(-20.0, 48000), 48000, subtype="PCM_16")
    data = (bad / "broken.wav").read_bytes()
    (bad / "broken.wav").write_bytes(data[: len(data) // 2])  # header promises twice the data
    (bad / "empty.wav").write_bytes(b"")
    (bad / "notes.wav").write_text("these are not the samples you are looking for\n")
    os.symlink(root / "nowhere" / "gone.wav", bad / "gone.wav")
    for rel in IGNORED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")
    return root


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A fresh catalogue folder (good and bad files) in a temporary folder."""
    return make_catalogue(tmp_path / "music")


def abspaths(root: Path, rels) -> set[str]:
    """Absolute paths of ``rels`` under ``root`` (as rows record them)."""
    return {os.path.abspath(root / r) for r in rels}


def leftovers(folder: Path) -> list[Path]:
    """Temporary files left by an interrupted write (``.mezzo-part``, older ``.part`` / ``.tmp``)."""
    return [p for p in folder.rglob("*") if p.name.endswith((".mezzo-part", ".part", ".tmp"))]


@pytest.fixture(scope="session")
def cli_main():
    """``mezzo``'s entry point, ``mezzo.cli.app.main``."""
    from mezzo.cli.app import main

    return main


#: A command line that runs the mezzo CLI in a subprocess.
CLI = [sys.executable, "-m", "mezzo.cli.app"]
