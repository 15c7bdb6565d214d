"""The progress hook of long library work (file processing, mastering).

A hook is any callable ``progress(phase, done, total)``: ``phase`` names what is
happening in words (``'measuring'``, ``'rendering pass 2'``...), ``done`` and
``total`` count samples per channel of the current phase (``total`` is ``None``
when the phase cannot count, e.g. an encoder running). It is called when a
phase starts (``done == 0``) and after every block; it must be quick and must not
raise. The CLI turns it into a labelled progress bar on stderr; ``None`` means no
hook.

>>> seen = []
>>> def progress(phase, done, total):
...     seen.append((phase, done, total))
>>> report_phase(progress, "measuring", 10)
>>> seen
[('measuring', 0, 10)]
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "report_phase"]

#: ``progress(phase, done, total)``; see the module's docstring.
Progress = Callable[[str, int, "int | None"], None]


def report_phase(progress: Progress | None, phase: str, total: int | None = None) -> None:
    """Tell ``progress`` (if any) that ``phase`` starts, with ``total`` samples to go."""
    if progress is not None:
        progress(phase, 0, total)
