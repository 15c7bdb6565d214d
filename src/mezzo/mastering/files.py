"""Streaming, atomic output files for mastering (two passes over the input, flat memory).

The output goes to a hidden temporary file in the target folder, written block by
block while a render runs; a render that the loop rejects is thrown away and the
next one starts a new temporary file; only when every output of a job has passed
its checks are they renamed over their targets (``os.replace``). On any error the
temporary files are removed: an output path is either untouched or complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

import numpy as np
import soundfile as sf

from mezzo.errors import ParameterError
from mezzo.io.read import file_error

# Target checks and format choice are the ones of mezzo.io.write (shared so that
# `mezzo master` and io.write accept and refuse the same paths).
from mezzo.io.write import (
    _RIFF_LIMIT_BYTES,
    _SAMPLE_BYTES,
    _check_target,
    _choose_format,
    _fsync_folder,
    _new_file_mode,
)

__all__ = ["BIT_DEPTHS", "FileSink", "MemorySink", "check_target", "output_format", "pcm_bits"]

#: ``bit_depth`` choices and the subtype each one writes.
BIT_DEPTHS = {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}
#: Integer subtypes that get TPDF dither, and their word length.
_PCM_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "ALAC_16": 16, "ALAC_24": 24}
#: Subtypes whose decoded samples are the written ones (the true-peak check holds on the file).
_EXACT = {"PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ALAC_16", "ALAC_24"}


def check_bit_depth(bit_depth: Any) -> str | None:
    """Return ``bit_depth`` as ``'16'``, ``'24'``, ``'32f'`` or ``None``; else raise."""
    if bit_depth is None:
        return None
    text = str(bit_depth).lower()
    if text not in BIT_DEPTHS:
        raise ParameterError(f"bit_depth={bit_depth!r} is not supported: expected 16, 24 or '32f'")
    return text


def output_format(output: str, like: str | None, bit_depth: str | None) -> tuple[str, str]:
    """(format, subtype) of ``output``: from its extension, ``like``'s subtype, or ``bit_depth``."""
    return _choose_format(output, like, None, BIT_DEPTHS[bit_depth] if bit_depth else None)


def pcm_bits(subtype: str) -> int | None:
    """Word length to dither to for ``subtype`` (``None``: float or 32-bit, no dither)."""
    return _PCM_BITS.get(subtype)


def is_exact(subtype: str) -> bool:
    """Whether a reader gets back exactly the samples written (PCM, float, ALAC)."""
    return subtype in _EXACT


def check_target(output: str, *, overwrite: bool, inputs: list[str]) -> None:
    """Refuse an output that is an input, exists (without overwrite), or sits in a bad folder."""
    _check_target(output, overwrite, inputs)


class FileSink:
    """Write rendered blocks to a temporary file next to ``path``; :meth:`commit` renames it."""

    def __init__(self, path: str, fmt: str, subtype: str, sample_rate: int, channels: int, frames: int) -> None:
        self.path = path
        self.subtype = subtype
        self.sample_rate = sample_rate
        self.channels = channels
        if fmt in ("WAV", "WAVEX") and frames * channels * _SAMPLE_BYTES.get(subtype, 0) > _RIFF_LIMIT_BYTES:
            fmt = "RF64"
        self.fmt = fmt
        self._tmp: str | None = None
        self._fd: int | None = None
        self._handle: sf.SoundFile | None = None

    def _open(self) -> None:
        folder = os.path.dirname(os.path.abspath(self.path))
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(self.path)}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise file_error(self.path, f"cannot be created ({exc.strerror or exc})", "check the folder") from None
        self._fd, self._tmp = fd, tmp
        try:
            os.fchmod(fd, _new_file_mode(self.path))
            self._handle = sf.SoundFile(
                fd, "w", samplerate=self.sample_rate, channels=self.channels,
                format=self.fmt, subtype=self.subtype, closefd=False,
            )  # fmt: skip
        except (sf.LibsndfileError, RuntimeError) as exc:
            self.discard()
            raise file_error(
                self.path,
                f"cannot be written as {self.fmt} {self.subtype} ({exc})",
                "check the format, subtype, sample rate and channel count",
            ) from None

    def write(self, values: np.ndarray, words: np.ndarray | None) -> None:
        """Append a ``(channels, n)`` block (the int words when quantised, else the floats)."""
        if self._handle is None:
            self._open()
        data = words if words is not None else values
        try:
            self._handle.write(np.ascontiguousarray(data.T))  # type: ignore[union-attr]
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            self.discard()
            raise file_error(self.path, f"cannot be written ({exc})", "check free space and permissions") from None

    def discard(self) -> None:
        """Close and delete the temporary file (if any)."""
        if self._handle is not None:
            with contextlib.suppress(Exception):
                self._handle.close()
            self._handle = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None

    def commit(self) -> None:
        """Flush the temporary file to disk and rename it over the target."""
        if self._handle is None or self._fd is None or self._tmp is None:
            raise file_error(self.path, "nothing was rendered", "report this as a bug")
        try:
            self._handle.close()
            self._handle = None
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            os.replace(self._tmp, self.path)
            self._tmp = None
        except OSError as exc:
            self.discard()
            raise file_error(self.path, f"cannot be written ({exc.strerror or exc})", "check free space") from None
        _fsync_folder(os.path.dirname(os.path.abspath(self.path)))


class MemorySink:
    """Collect rendered blocks in memory (the array API)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self._blocks: list[np.ndarray] = []

    def write(self, values: np.ndarray, words: np.ndarray | None) -> None:
        """Keep a copy of the float block."""
        self._blocks.append(np.array(values, dtype=self.dtype))

    def discard(self) -> None:
        """Forget the blocks."""
        self._blocks = []

    def result(self, channels: int) -> np.ndarray:
        """All blocks as one ``(channels, samples)`` array."""
        if not self._blocks:
            return np.zeros((channels, 0), dtype=self.dtype)
        return np.ascontiguousarray(np.concatenate(self._blocks, axis=1))
