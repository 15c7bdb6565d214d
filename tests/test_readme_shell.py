"""Every shell example of the README's CLI tour runs, in order, as written.

The inputs the examples name (``vocal.wav``, ``song.ogg``, ``song.mid``, ``stems/*.wav``, ``~/music``…) are
generated first in a scratch folder, which is also ``$HOME``; each line then runs in bash from
there, with this interpreter's ``mezzo`` first on ``PATH``. Only lines that need a machine we do
not have (a Dask scheduler at ``tcp://HOST``) are left out, and they are named here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

README = Path(__file__).resolve().parents[1] / "README.md"
#: Lines that need something outside this machine (a running Dask cluster).
NEEDS_A_CLUSTER = "tcp://HOST"


def shell_examples() -> list[str]:
    """The command lines of the CLI tour's ``sh`` blocks, in order (comments and blanks dropped)."""
    tour = README.read_text().split("## CLI tour", 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", tour, flags=re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command:
                lines.append(command)
    return lines


def _music(seconds: float, rate: int = 44100, channels: int = 2, seed: int = 0, f0: float = 220.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    swell = 0.5 + 0.45 * np.sin(2 * np.pi * t / 8.0)
    beats = (t * 2.0) % 1.0 < 0.1  # 120 BPM clicks
    x = 0.25 * swell * np.sin(2 * np.pi * f0 * t) + 0.3 * beats * rng.standard_normal(t.size)
    return np.stack([x * (1.0 - 0.1 * c) for c in range(channels)], axis=1)


def _inputs(home: Path) -> None:
    rate = 44100
    for i, name in enumerate(["vocal", "bass", "kick", "music", "voice", "drums", "mix", "a", "b", "c"]):
        sf.write(home / f"{name}.wav", _music(8.0, seed=i, f0=110.0 * (1 + i % 4)), rate)
    sf.write(home / "song.wav", _music(42.0, seed=11), rate)
    sf.write(home / "song.ogg", _music(12.0, seed=13), rate, format="OGG", subtype="VORBIS")
    sf.write(home / "surround.wav", _music(6.0, channels=6, seed=12), 48000)
    (home / "stems").mkdir()
    for i, name in enumerate(["drums", "bass", "pad", "lead"]):
        sf.write(home / "stems" / f"{name}.wav", _music(10.0, seed=20 + i, f0=80.0 * (i + 1)), rate)
    for folder, names in (("music", ["one", "two"]), ("album", ["track1", "track2"])):
        (home / folder).mkdir()
        for i, name in enumerate(names):
            sf.write(home / folder / f"{name}.wav", _music(6.0, seed=30 + i), rate)
    import mido

    midi = mido.MidiFile(ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)])
    lead = mido.MidiTrack([mido.MetaMessage("track_name", name="Lead")])
    for _bar in range(24):
        for beat in range(4):
            lead.append(mido.Message("note_on", note=60 + beat, velocity=100, time=0))
            lead.append(mido.Message("note_off", note=60 + beat, velocity=0, time=480))
    midi.tracks += [conductor, lead]
    midi.save(home / "song.mid")


@pytest.mark.slow
def test_readme_shell_examples_run_in_order(tmp_path: Path) -> None:
    _inputs(tmp_path)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    commands = shell_examples()
    assert any(c.startswith("mezzo limit") for c in commands)
    ran = 0
    for command in commands:
        if NEEDS_A_CLUSTER in command:
            continue
        assert shlex.split(command)[0] == "mezzo", command
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
        ran += 1
    assert ran == len(commands) - 1
    # distinct outputs: no example overwrote another's file
    for name in ("shaped.wav", "shaped-bars.wav", "report.html", "report-stems.html", "drums-limited.wav"):
        assert (tmp_path / name).is_file(), name
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) >= ["a.wav", "b.wav", "c.wav"]
