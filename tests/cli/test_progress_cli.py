"""Progress on stderr with a label per phase when stderr is a terminal; ``--quiet`` everywhere."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import soundfile as sf

from cli_runner import run_main
from mezzo.cli import _common
from mezzo.cli.app import app


def _wav(path, seconds: float = 4.0, rate: int = 48000) -> None:
    t = np.arange(int(rate * seconds)) / rate
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    sf.write(path, np.stack([x, x], 1), rate)


@pytest.fixture
def terminal(capsys, monkeypatch):
    """Record the phases shown (the test makes the captured stderr look like a terminal)."""
    shown: list[str] = []
    original = _common._Bar.phase

    def phase(self, label: str) -> None:
        shown.append(f"{self._description} · {label}")
        original(self, label)

    monkeypatch.setattr(_common._Bar, "phase", phase)
    capsys.shown = shown
    return capsys


@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["analyze", "{src}"], "· tempo"),
        (["compress", "{src}", "-o", "{out}"], "· processing"),
        (["limit", "{src}", "-o", "{out}"], "· processing"),
        (["master", "{src}", "-o", "{out}"], "· measuring"),
        (["master", "{src}", "-o", "{out}"], "· rendering pass 1"),
        (["normalize", "{src}", "-o", "{out}"], "· writing"),
        (["dynamics", "{src}", "-o", "{out}", "-m", "0:p 2:ff"], "· applying the marks"),
    ],
)
def test_long_commands_show_their_phase_on_a_terminal(tmp_path, terminal, monkeypatch, args, label) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # the captured stderr, during the test
    src = tmp_path / "in.wav"
    _wav(src)
    argv = [a.format(src=src, out=tmp_path / "out.wav") for a in args]
    code, _, err = run_main(terminal, *argv)
    assert code == 0, err
    assert any(label in shown for shown in terminal.shown), terminal.shown
    seen = len(terminal.shown)
    code, _, err = run_main(terminal, *argv, "--overwrite", "--quiet") if "-o" in argv else run_main(terminal, *argv, "--quiet")
    assert code == 0 and len(terminal.shown) == seen, terminal.shown[seen:]  # --quiet: no bar at all


def _commands(group) -> list:
    out = []
    for name, cmd in getattr(group, "commands", {}).items():
        out += [f"{name} {sub}" for sub in _commands(cmd)] if hasattr(cmd, "commands") else [name]
    return out


def test_every_command_takes_quiet() -> None:
    import typer.main

    root = typer.main.get_command(app)
    missing = []
    for path in _commands(root):
        if path == "studio":  # a server in the foreground (issue 17): no progress to silence
            continue
        cmd = root
        for part in path.split():
            cmd = cmd.commands[part]
        if not any("--quiet" in p.opts for p in cmd.params):
            missing.append(path)
    assert not missing, missing


def test_a_file_name_with_brackets_shows_as_it_is_in_the_bar(tmp_path, terminal, monkeypatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # the captured stderr, during the test
    src = tmp_path / "mix [bold] v2.wav"  # rich would read "[bold]" as markup
    _wav(src)
    code, _, err = run_main(terminal, "analyze", src)
    assert code == 0, err
    assert "mix [bold] v2.wav" in err
