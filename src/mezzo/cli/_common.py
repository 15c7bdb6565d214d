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


QUIET_HELP = "No progress on stderr."


class _Silent:
    """The progress of a quiet command (or one whose stderr is not a terminal): does nothing."""

    def __call__(self, done: int, total: int) -> None:
        pass

    def phase(self, label: str) -> None:
        pass


class _Bar:
    """``bar(done, total)`` moves the bar; ``bar.phase(label)`` names what is happening now."""

    def __init__(self, progress: Any, task: Any, description: str) -> None:
        self._progress, self._task, self._description = progress, task, description
        self._label = ""

    def __call__(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=max(total, 1))

    def phase(self, label: str) -> None:
        """Show ``label``; the bar pulses (no percentage) until the next ``bar(done, total)``."""
        if label != self._label:
            self._label = label
            self._progress.update(self._task, description=f"{self._description} · {label}", total=None)


@contextmanager
def progress_bar(description: str, total: int, *, quiet: bool) -> Iterator[Any]:
    """Yield ``update(done, total)`` (with ``update.phase(label)``): a rich bar on stderr when it is a terminal.

    Phases that cannot count (an analysis after the file is read, a whole mastering run)
    show their label and the elapsed time, not a bar stuck at 100 %.
    """
    if quiet or not sys.stderr.isatty():
        yield _Silent()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}", markup=False), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(), TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=max(total, 1) if total else None)
        yield _Bar(bar, task, description)


def progress_hook(bar: Any) -> Any:
    """A library progress hook (:mod:`mezzo.progress`) that drives ``bar`` (from :func:`progress_bar`)."""

    def hook(phase: str, done: int, total: int | None) -> None:
        bar.phase(phase)
        if total:
            bar(done, total)

    return hook


def print_plain(console: Any, text: str) -> None:
    """Print ``text`` on a line of its own as it is: a file name may hold ``[...]``, which rich
    would read as markup, and a long path is not wrapped (a table title is, to the table's width)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def show_before_after(report: Any, title: str) -> None:
    """Print a :class:`mezzo.before_after.BeforeAfter` as the before/after table on stdout, under ``title``."""
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, padding=(0, 2))
    table.add_column("", style="bold")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for row in report.rows():
        table.add_row(*row)
    console = Console()
    print_plain(console, title)
    console.print(table)
