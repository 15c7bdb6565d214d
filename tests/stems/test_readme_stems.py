"""The README's ``mezzo stems`` examples run as written, on the demo's stems."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

README = Path(__file__).resolve().parents[2] / "README.md"


def _stems_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [b for b in blocks if "mezzo stems" in b]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


@pytest.mark.slow
def test_readme_stems_commands_run(tmp_path: Path) -> None:
    import mezzo.demo

    rate = 48000
    parts = {name: audio[:, 28 * rate : 48 * rate] for name, audio in mezzo.demo.stems(rate).items()}  # the drop
    (tmp_path / "stems").mkdir()
    for name, audio in parts.items():
        sf.write(tmp_path / "stems" / f"{name}.wav", audio.T, rate, subtype="PCM_24")
    sf.write(tmp_path / "mix.wav", np.sum(list(parts.values()), axis=0).T, rate, subtype="PCM_24")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    commands = _stems_commands()
    assert len(commands) == 4
    for command in commands:
        proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        assert proc.returncode == 0, f"{command}\n{proc.stderr}"
    assert (tmp_path / "stems.png").exists() and (tmp_path / "report-stems.html").exists()
    assert sorted(p.name for p in (tmp_path / "fixed").iterdir()) == sorted(["mix.wav", *(f"{n}.wav" for n in parts)])
