"""Processors: stateful effects sharing one contract (see :mod:`mezzo.processors.base`).

Compressor family after Giannoulis, Massberg & Reiss (JAES 2012): :class:`Compressor`,
:class:`Expander`, :class:`Gate`, :class:`Ducker`; the loudness rider :class:`Leveler`;
:class:`Chain` to run processors in series; :class:`GainAutomation` writes markings and hairpins; the true-peak-safe :class:`Limiter`.

Names are loaded on first use, so importing the package (or its parameter tables in
:mod:`mezzo.processors.params`, as the CLI does) does not import numba or scipy.
Editors and type checkers read ``__init__.pyi`` beside this file: the processors'
keyword arguments, generated from the tables (:mod:`mezzo.processors.stubs`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "GainAutomation": "automation",
    "apply_marks": "automation",
    "Processor": "base",
    "Chain": "chain",
    "PRESETS": "compressor",
    "Compressor": "compressor",
    "DynamicsProcessor": "compressor",
    "compress": "compressor",
    "Ducker": "ducker",
    "Expander": "expander",
    "Gate": "expander",
    "Leveler": "leveler",
    "level": "leveler",
    "Limiter": "limiter",
    "limit": "limiter",
}

__all__ = [
    "PRESETS",
    "Chain",
    "Compressor",
    "Ducker",
    "DynamicsProcessor",
    "Expander",
    "GainAutomation",
    "Gate",
    "Leveler",
    "Limiter",
    "Processor",
    "apply_marks",
    "compress",
    "level",
    "limit",
]

if TYPE_CHECKING:  # editors and type checkers see the real names
    from mezzo.processors.automation import GainAutomation, apply_marks
    from mezzo.processors.base import Processor
    from mezzo.processors.chain import Chain
    from mezzo.processors.compressor import PRESETS, Compressor, DynamicsProcessor, compress
    from mezzo.processors.ducker import Ducker
    from mezzo.processors.expander import Expander, Gate
    from mezzo.processors.leveler import Leveler, level
    from mezzo.processors.limiter import Limiter, limit


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"mezzo.processors.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mezzo.processors' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
