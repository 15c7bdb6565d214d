"""Run the real ``mezzo`` entry point in-process (exit code, stdout, stderr)."""

from __future__ import annotations

import pytest

from mezzo.cli.app import main


def run_main(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Call ``mezzo.cli.app.main`` with ``args``; return its exit code and captured output."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code, out, err
