"""Fixtures of the fault-injection suite (helpers in faultkit.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from faultkit import Scratch, make_material


@pytest.fixture(scope="session")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The inputs every fault test starts from (made once per session)."""
    return make_material(tmp_path_factory.mktemp("fault-material"))


@pytest.fixture
def scratch(material: Path, tmp_path: Path) -> Scratch:
    return Scratch(tmp_path, material)


@pytest.fixture
def main(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``mezzo`` in this process: returns (exit code, stdout, stderr)."""
    from mezzo.cli.app import main as entry

    def run(*args: object) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as info:
            entry([str(a) for a in args])
        out, err = capsys.readouterr()
        return int(info.value.code or 0), out, err

    return run
