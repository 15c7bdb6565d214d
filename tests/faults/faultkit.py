"""Helpers of the fault-injection suite (tests/faults) for mezzo's promises about users' files (issue 16).

Every test here looks at the folder afterwards: inputs byte for byte as they were,
no temporary files left (``*.mezzo-part``), outputs absent or complete. Inputs are
short generated files, so the suite stays quick.

Helpers:

- :func:`make_material`: the inputs (the ``material`` fixture makes them once).
- :class:`Scratch`: a fresh copy of them in ``tmp_path/in`` and an empty ``tmp_path/out``.
- :func:`cli`: run ``mezzo`` in a subprocess (signals, stdout, resource limits need a
  process of its own); ``main`` runs it in this process (faster; for exit codes and
  messages).
- :func:`snapshot`, :func:`debris`, :func:`one_line_error`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

#: A command line that runs the mezzo CLI in a subprocess.
CLI = [sys.executable, "-m", "mezzo.cli.app"]
#: Suffixes of mezzo's temporary files (and of older versions' ``.part`` / ``.tmp``).
PART = (".mezzo-part", ".part", ".tmp")
#: Environment variable that makes mezzo pause before renaming its first temporary file.
PAUSE_ENV = "MEZZO_FAULT_PAUSE_BEFORE_COMMIT_S"
FS = 48000


def music(seconds: float, *, seed: int = 0, level: float = 0.25) -> np.ndarray:
    """A stereo signal with some dynamics: a chord with a slow swell and clicks, (samples, 2)."""
    n = int(seconds * FS)
    t = np.arange(n) / FS
    rng = np.random.default_rng(seed)
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t)
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    clicks = (np.arange(n) % (FS // 2) < 200) * rng.standard_normal(n) * 0.5
    x = level * (swell * chord + clicks)
    return np.stack([x, 0.9 * x], axis=1)


def make_midi(path: Path) -> None:
    song = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)])
    lead = mido.MidiTrack()
    for k in range(16):
        lead.append(mido.Message("note_on", note=60 + k % 5, velocity=90, time=0 if k == 0 else 230))
        lead.append(mido.Message("note_off", note=60 + k % 5, velocity=64, time=10))
    song.tracks += [conductor, lead]
    song.save(path)


def make_material(folder: Path) -> Path:
    """Write the inputs every fault test starts from into ``folder``."""
    sf.write(folder / "good.wav", music(3.0), FS, subtype="PCM_16")
    sf.write(folder / "key.wav", music(3.0, seed=1, level=0.4), FS, subtype="PCM_16")
    sf.write(folder / "long.wav", music(40.0, seed=2), FS, subtype="PCM_24")
    sf.write(folder / "tone.mp3", music(2.0, seed=3), FS)
    make_midi(folder / "song.mid")
    stems = folder / "stems"  # a lead buried under a pad from 2.5 to 5.6 s, which mezzo stems can fix
    stems.mkdir()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "stems"))
    import stem_signals as sig  # the signals of the stems tests (issue 15)

    lead = sig.ride(sig.lead(8.0, -32.0), [(2.5, 0.0), (2.7, -24.0), (5.5, -24.0), (5.7, 0.0)])
    sf.write(stems / "lead.wav", lead.T, sig.SR, subtype="PCM_24")
    sf.write(stems / "pad.wav", sig.pad(8.0, -20.0).T, sig.SR, subtype="PCM_24")
    album = folder / "album"
    album.mkdir()
    for i in range(4):
        sf.write(album / f"track{i}.wav", music(2.0, seed=10 + i, level=0.1 + 0.05 * i), FS, subtype="PCM_16")
    return folder


class Scratch:
    """A test's folders: ``root``, its inputs ``inp`` (a copy of the material) and ``out``."""

    def __init__(self, root: Path, material: Path) -> None:
        self.root = root
        self.inp = root / "in"
        self.out = root / "out"
        shutil.copytree(material, self.inp)
        self.out.mkdir()
        self.inputs_before = snapshot(self.inp)

    def inputs_intact(self) -> bool:
        return snapshot(self.inp) == self.inputs_before


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> kind and content hash of everything under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            out[rel] = "link:" + os.readlink(path)
        elif stat.S_ISREG(mode):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:  # a folder, FIFO, device or socket: its kind and permissions
            out[rel] = f"mode:{mode:o}"
    return out


def debris(folder: Path) -> list[str]:
    """Temporary files left under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith(PART))


def one_line_error(stderr: str) -> str:
    """The single ``mezzo: error: ...`` line of ``stderr`` (warnings may precede it)."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("mezzo: error: ")]
    others = [line for line in stderr.splitlines() if not line.startswith(("mezzo: error: ", "mezzo: warning: "))]
    assert len(errors) == 1 and not others, stderr
    return errors[0]


def cli(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 120, **popen) -> subprocess.CompletedProcess[str]:
    """Run mezzo in a subprocess and wait for it (stdout captured unless ``stdout=`` is given)."""
    popen.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([*CLI, *map(str, args)], cwd=cwd, env={**os.environ, **(env or {})},
                          stderr=subprocess.PIPE, text=True, timeout=timeout, check=False, **popen)


def start(args: list[str], *, env: dict[str, str] | None = None, **popen) -> subprocess.Popen[str]:
    """Start mezzo in a subprocess (stdout and stderr piped)."""
    return subprocess.Popen([*CLI, *map(str, args)], env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)
