"""Processors: stateful effects sharing one contract (see :mod:`mezzo.processors.base`).

Compressor family after Giannoulis, Massberg & Reiss (JAES 2012): :class:`Compressor`,
:class:`Expander`, :class:`Gate`, :class:`Ducker`; the loudness rider :class:`Leveler`;
:class:`Chain` to run processors in series; :class:`GainAutomation` writes markings and hairpins; the true-peak-safe :class:`Limiter`.
"""

from __future__ import annotations

from mezzo.processors.automation import GainAutomation, apply_marks
from mezzo.processors.base import Processor
from mezzo.processors.chain import Chain
from mezzo.processors.compressor import PRESETS, Compressor, DynamicsProcessor, compress
from mezzo.processors.ducker import Ducker
from mezzo.processors.expander import Expander, Gate
from mezzo.processors.leveler import Leveler, level
from mezzo.processors.limiter import Limiter, limit

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
