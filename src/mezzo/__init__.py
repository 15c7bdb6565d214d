"""mezzo: dynamics in music — measure, shape and write them.

Public names are loaded lazily so that ``import mezzo`` (and ``mezzo --help``)
does not import numba or scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "analyze": "mezzo.analysis",
    "read": "mezzo.io",
    "write": "mezzo.io",
    "Analysis": "mezzo.analysis",
    "loudness": "mezzo.meters.loudness",
    "LoudnessMeter": "mezzo.meters.loudness",
    "LoudnessResult": "mezzo.meters.loudness",
    "true_peak": "mezzo.meters.peak",
    "TruePeakMeter": "mezzo.meters.peak",
    "Compressor": "mezzo.processors",
    "Expander": "mezzo.processors",
    "Gate": "mezzo.processors",
    "Ducker": "mezzo.processors",
    "Leveler": "mezzo.processors",
    "Limiter": "mezzo.processors",
    "Chain": "mezzo.processors",
    "compress": "mezzo.processors",
    "level": "mezzo.processors",
    "limit": "mezzo.processors",
    "GainAutomation": "mezzo.processors",
    "apply_marks": "mezzo.processors",
    "parse_marks": "mezzo.marks",
    "dynamics_map": "mezzo.meters.dynamics_map",
    "DynamicsMap": "mezzo.meters.dynamics_map",
    "dynamic_range": "mezzo.meters.dynamic_range",
    "DynamicRangeResult": "mezzo.meters.dynamic_range",
    "tempo": "mezzo.meters.tempo",
    "TempoResult": "mezzo.meters.tempo",
    "audibility": "mezzo.meters.audibility",
    "AudibilityMeter": "mezzo.meters.audibility",
    "AudibilityResult": "mezzo.meters.audibility",
    "master": "mezzo.mastering.master",
    "normalize": "mezzo.mastering.master",
    "MasterReport": "mezzo.mastering.master",
    "Targets": "mezzo.mastering.targets",
    "process_file": "mezzo.processing",
    "process_blocks": "mezzo.processing",
    "ProcessReport": "mezzo.processing",
    "BeforeAfter": "mezzo.before_after",
    "MezzoError": "mezzo.errors",
    "ParameterError": "mezzo.errors",
    "AudioInputError": "mezzo.errors",
    "AudioFileError": "mezzo.errors",
    "MissingExtraError": "mezzo.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in ("batch", "demo", "io", "marks", "mastering", "meters", "midi", "mixing", "processing", "processors",
                "report"):
        return importlib.import_module(f"mezzo.{name}")
    raise AttributeError(f"module 'mezzo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
