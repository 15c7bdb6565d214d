"""Shared checks for parameters and audio arrays.

All validation in mezzo goes through these helpers so that messages have one
shape: *what* (name=value with repr and unit) + *allowed* + *what to do*.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mezzo.errors import AudioInputError, ParameterError

MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 384000
MAX_CHANNELS = 64


def check_range(
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``value`` as a float if it is a finite number within ``[lo, hi]``.

    Raises
    ------
    ParameterError
        With a one-line message naming the parameter, its value and the range.
    """
    unit_text = f" {unit}" if unit else ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={value!r} is not a number{_expected(lo, hi, unit_text)}") from None
    if isinstance(value, bool) or math.isnan(number):
        raise ParameterError(f"{name}={value!r} is not a number{_expected(lo, hi, unit_text)}")
    below = lo is not None and (number <= lo if lo_open else number < lo)
    above = hi is not None and (number >= hi if hi_open else number > hi)
    if below or above:
        raise ParameterError(f"{name}={value!r} is out of range{_expected(lo, hi, unit_text)}")
    return number


def _expected(lo: float | None, hi: float | None, unit_text: str) -> str:
    if lo is not None and hi is not None:
        return f": expected {lo:g} to {hi:g}{unit_text}"
    if lo is not None:
        return f": expected at least {lo:g}{unit_text}"
    if hi is not None:
        return f": expected at most {hi:g}{unit_text}"
    return ""


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ParameterError."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"{name}={value!r} is not supported: expected one of {allowed}")
    return str(value)


def check_sample_rate(sample_rate: Any) -> int:
    """Return ``sample_rate`` as an int in 8 kHz … 384 kHz, else raise ParameterError."""
    if sample_rate is None:
        raise ParameterError("sample_rate is required for arrays: pass sample_rate=48000 (Hz) or similar")
    number = check_range("sample_rate", sample_rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, "Hz")
    if number != int(number):
        raise ParameterError(f"sample_rate={sample_rate!r} is not a whole number of Hz")
    return int(number)


def check_audio(audio: Any, *, name: str = "audio", allow_empty: bool = False) -> np.ndarray:
    """Return ``audio`` as a 2-D float array shaped (channels, samples).

    A 1-D array is treated as mono and comes back as shape (1, samples); the
    caller restores 1-D output. float32 and float64 are kept, integer and other
    dtypes are refused (convert PCM on reading). NaN/Inf samples are refused.

    Raises
    ------
    AudioInputError
        For a wrong type, dtype, shape, an empty array or non-finite samples.
    """
    if not isinstance(audio, np.ndarray):
        try:
            audio = np.asarray(audio)
        except Exception:
            raise AudioInputError(f"{name} must be a numpy array, got {type(audio).__name__}") from None
    if audio.dtype not in (np.float32, np.float64):
        raise AudioInputError(
            f"{name} has dtype {audio.dtype}: expected float32 or float64; "
            "convert integer PCM with mezzo.io.read or audio.astype(np.float32) / full scale"
        )
    if audio.ndim == 1:
        audio = audio[np.newaxis, :]
    elif audio.ndim != 2:
        raise AudioInputError(f"{name} has shape {audio.shape}: expected (channels, samples) or (samples,)")
    channels, samples = audio.shape
    if channels == 0:
        raise AudioInputError(f"{name} has shape {audio.shape}: it has no channels")
    if channels > MAX_CHANNELS:
        raise AudioInputError(
            f"{name} has shape {audio.shape}: {channels} channels is implausible; "
            "mezzo expects (channels, samples), pass audio.T if yours is (samples, channels)"
        )
    if samples == 0 and not allow_empty:
        raise AudioInputError(f"{name} is empty (0 samples): nothing to measure or process")
    if samples and not np.isfinite(audio).all():
        bad = int(np.count_nonzero(~np.isfinite(audio)))
        raise AudioInputError(
            f"{name} contains {bad} NaN or Inf sample(s): repair or remove them before processing"
        )
    return audio
