"""mezzo: dynamics in music — measure, shape and write them.

Public names are loaded lazily so that ``import mezzo`` (and ``mezzo --help``)
does not import numba or scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # editors and type checkers see the real names (explicit re-exports)
    from mezzo.analysis import Analysis as Analysis
    from mezzo.analysis import analyze as analyze
    from mezzo.before_after import BeforeAfter as BeforeAfter
    from mezzo.errors import AudioFileError as AudioFileError
    from mezzo.errors import AudioInputError as AudioInputError
    from mezzo.errors import MezzoError as MezzoError
    from mezzo.errors import MissingExtraError as MissingExtraError
    from mezzo.errors import ParameterError as ParameterError
    from mezzo.io import read as read
    from mezzo.io import write as write
    from mezzo.marks import parse_marks as parse_marks
    from mezzo.mastering.master import MasterReport as MasterReport
    from mezzo.mastering.master import master as master
    from mezzo.mastering.master import normalize as normalize
    from mezzo.mastering.targets import Targets as Targets
    from mezzo.meters.audibility import AudibilityMeter as AudibilityMeter
    from mezzo.meters.audibility import AudibilityResult as AudibilityResult
    from mezzo.meters.audibility import audibility as audibility
    from mezzo.meters.dynamic_range import DynamicRangeResult as DynamicRangeResult
    from mezzo.meters.dynamic_range import dynamic_range as dynamic_range
    from mezzo.meters.dynamics_map import DynamicsMap as DynamicsMap
    from mezzo.meters.dynamics_map import dynamics_map as dynamics_map
    from mezzo.meters.loudness import LoudnessMeter as LoudnessMeter
    from mezzo.meters.loudness import LoudnessResult as LoudnessResult
    from mezzo.meters.loudness import loudness as loudness
    from mezzo.meters.peak import TruePeakMeter as TruePeakMeter
    from mezzo.meters.peak import true_peak as true_peak
    from mezzo.meters.tempo import TempoResult as TempoResult
    from mezzo.meters.tempo import tempo as tempo
    from mezzo.processing import ProcessReport as ProcessReport
    from mezzo.processing import process_blocks as process_blocks
    from mezzo.processing import process_file as process_file
    from mezzo.processors import Chain as Chain
    from mezzo.processors import Compressor as Compressor
    from mezzo.processors import Ducker as Ducker
    from mezzo.processors import Expander as Expander
    from mezzo.processors import GainAutomation as GainAutomation
    from mezzo.processors import Gate as Gate
    from mezzo.processors import Leveler as Leveler
    from mezzo.processors import Limiter as Limiter
    from mezzo.processors import apply_marks as apply_marks
    from mezzo.processors import compress as compress
    from mezzo.processors import level as level
    from mezzo.processors import limit as limit


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in ("batch", "demo", "io", "marks", "mastering", "meters", "midi", "mixing", "processing", "processors",
                "report"):
        return importlib.import_module(f"mezzo.{name}")
    raise AttributeError(f"module 'mezzo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
