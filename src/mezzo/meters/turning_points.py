"""Turning points of a 1-D series (zigzag with hysteresis), shared by the dynamics map and tempo."""

from __future__ import annotations

import numpy as np


def turning_points(seg: np.ndarray, hysteresis: float) -> list[int]:
    """Indices of the alternating extremes of ``seg``: a zigzag that ignores moves smaller than
    ``hysteresis`` (in the unit of ``seg``, e.g. dB or BPM). The first and last index are included.

    Examples
    --------
    >>> turning_points(np.array([0.0, 3.0, 2.5, 6.0, 1.0, 1.5]), 1.0)
    [0, 3, 4, 5]
    """
    turns = [0]
    direction = 0
    ext = 0
    for i in range(1, seg.size):
        v = seg[i]
        if direction == 0:
            if v - seg[0] > hysteresis:
                direction, ext = 1, i
            elif seg[0] - v > hysteresis:
                direction, ext = -1, i
        elif direction == 1:
            if v > seg[ext]:
                ext = i
            elif seg[ext] - v > hysteresis:
                turns.append(ext)
                direction, ext = -1, i
        elif v < seg[ext]:
            ext = i
        elif v - seg[ext] > hysteresis:
            turns.append(ext)
            direction, ext = 1, i
    if direction != 0 and ext != turns[-1]:
        turns.append(ext)
    if turns[-1] != seg.size - 1:
        turns.append(seg.size - 1)
    return turns
