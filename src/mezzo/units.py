"""Unit conversions (vectorised numpy)."""

from __future__ import annotations

import math

import numpy as np

#: BS.1770-4 eq. (2): the constant in L = -0.691 + 10 log10(sum G_i z_i); it cancels the
#: K-filter's +0.691 dB at 997 Hz, so a 0 dBFS 997 Hz sine in one front channel reads -3.01 LUFS.
LOUDNESS_OFFSET_DB = -0.691


def db_to_gain(db: float | np.ndarray) -> float | np.ndarray:
    """Convert decibels to a linear amplitude gain (``10 ** (db / 20)``)."""
    return np.power(10.0, np.asarray(db) / 20.0) if isinstance(db, np.ndarray) else 10.0 ** (db / 20.0)


def gain_to_db(gain: float) -> float | None:
    """Convert a linear amplitude gain to decibels; ``None`` for zero (undefined)."""
    return 20.0 * math.log10(gain) if gain > 0 else None


def energy_to_lufs(energy: float) -> float | None:
    """Convert a weighted mean-square energy to LUFS (BS.1770-4 eq. 2); ``None`` for zero."""
    return LOUDNESS_OFFSET_DB + 10.0 * math.log10(energy) if energy > 0 else None


def lufs_to_energy(lufs: float) -> float:
    """Inverse of :func:`energy_to_lufs`."""
    return 10.0 ** ((lufs - LOUDNESS_OFFSET_DB) / 10.0)


def ms_to_samples(ms: float, sample_rate: int) -> int:
    """Round a duration in milliseconds to a whole number of samples."""
    return round(ms * 1e-3 * sample_rate)


def clock(seconds: float) -> str:
    """A time as ``m:ss.s`` (minutes, then seconds to a tenth), for messages and tables.

    >>> clock(75.04)
    '1:15.0'
    """
    minutes, secs = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{secs:04.1f}"
