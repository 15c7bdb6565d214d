"""Mixing: working on stems together (measurements of :mod:`mezzo.meters` with processors).

:func:`fix_buried` makes a buried stem heard again (see :mod:`mezzo.mixing.fix`).
"""

from __future__ import annotations

from mezzo.mixing.fix import FixError, FixResult, SpanChange, fix_buried

__all__ = ["FixError", "FixResult", "SpanChange", "fix_buried"]
