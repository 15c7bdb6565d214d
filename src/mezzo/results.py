"""Helpers shared by result dataclasses: JSON-safe conversion."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def json_value(value: Any) -> Any:
    """Convert numpy scalars/arrays to plain Python; NaN and ±inf become ``None``."""
    if isinstance(value, np.ndarray):
        return [json_value(v) for v in value.tolist()]
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    return value


def to_dict(result: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a dataclass as a JSON-ready dict (see :func:`json_value`)."""
    return {
        field.name: json_value(getattr(result, field.name))
        for field in dataclasses.fields(result)
        if field.name not in exclude
    }
