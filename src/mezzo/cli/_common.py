"""Output helpers shared by the CLI commands: JSON on stdout, messages and progress on stderr."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def print_json(payload: Any) -> None:
    """Write ``payload`` as JSON to stdout (the only thing on stdout with ``--json``)."""
    sys.stdout.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(f"mezzo: {message}\n")


@contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Show mezzo's warnings as one line each on stderr (``mezzo: warning: ...``), once per message.

    Other warnings keep Python's format. In effect for the whole command, so a warning
    raised deep in the library (a meter's :class:`~mezzo.meters.loudness.LevelWarning`)
    reads like every other message of the command line.
    """
    from mezzo.errors import MezzoWarning

    shown: set[str] = set()
    original = warnings.showwarning

    def show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if not issubclass(category, MezzoWarning):
            original(message, category, filename, lineno, file, line)
            return
        text = " ".join(str(message).split())
        if text not in shown:
            shown.add(text)
            warn(f"warning: {text}")

    warnings.showwarning = show
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", MezzoWarning)
            yield
    finally:
        warnings.showwarning = original


def fmt(value: float | None, unit: str, digits: int = 1) -> str:
    """Format a figure with its unit; ``None`` reads as an em dash."""
    return "—" if value is None else f"{value:.{digits}f} {unit}"


@contextmanager
def progress_bar(description: str, total: int, *, quiet: bool) -> Iterator[Any]:
    """Yield ``update(done, total)``: a rich progress bar on stderr when it is a terminal."""
    if quiet or not sys.stderr.isatty():
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=max(total, 1))

        def update(done: int, total_now: int) -> None:
            bar.update(task, completed=done, total=max(total_now, 1))

        yield update
