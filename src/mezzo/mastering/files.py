"""Streaming, atomic output files for mastering (two passes over the input, flat memory).

The output goes to a hidden temporary file in the target folder, written block by
block while a render runs; a render that the loop rejects is thrown away and the
next one starts a new temporary file; only when every output of a job has passed
its checks are they renamed over their targets (:mod:`mezzo.io.atomic`: fsync, only a
regular file replaced, no replace without ``overwrite``). On any error the temporary
files are removed: an output path is either untouched or complete.

Lossy outputs (:class:`LossySink`: MP3, Vorbis, Opus, AAC) are rendered through
:class:`mezzo.io.stream.EncodedWriter`: a hidden float WAV, encoded by ffmpeg at the
end of the render into a hidden file, and that file is what the render measures (decoded):
the loop corrects what the encoder changed, and the report gives the decoded
file's figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mezzo.errors import ParameterError
from mezzo.io import AudioWriter, check_output
from mezzo.io import output_format as io_output_format
from mezzo.io.read import file_error
from mezzo.io.stream import EncodedWriter

__all__ = ["BIT_DEPTHS", "FileSink", "LossySink", "MemorySink", "check_target", "output_format", "pcm_bits"]

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
    return io_output_format(output, like=like, subtype=BIT_DEPTHS[bit_depth] if bit_depth else None)


def pcm_bits(subtype: str) -> int | None:
    """Word length to dither to for ``subtype`` (``None``: float or 32-bit, no dither)."""
    return _PCM_BITS.get(subtype)


def is_exact(subtype: str) -> bool:
    """Whether a reader gets back exactly the samples written (PCM, float, ALAC)."""
    return subtype in _EXACT


def check_target(output: str, *, overwrite: bool, inputs: list[str]) -> None:
    """Refuse an output that is an input, exists (without overwrite), or sits in a bad folder."""
    check_output(output, overwrite=overwrite, inputs=inputs)


class FileSink:
    """A render's output file: a :class:`mezzo.io.AudioWriter` per render, committed at the end.

    The target was checked and the format chosen beforehand (for every output of
    a job, before anything is rendered). Each render starts a new temporary file
    (:meth:`discard` drops the previous one); :meth:`commit` renames the last.
    """

    def __init__(
        self, path: str, fmt: str, subtype: str, sample_rate: int, channels: int, frames: int, *,
        overwrite: bool = False, tags: dict[str, str] | None = None,
    ) -> None:
        self.path = path
        self.overwrite = overwrite
        #: text tags (title, artist...) written into the file (:data:`mezzo.io.stream.TAGS`)
        self.tags = dict(tags or {})
        self.fmt = fmt
        self.subtype = subtype
        self.sample_rate = sample_rate
        self.channels = channels
        self.frames = frames
        self._writer: AudioWriter | EncodedWriter | None = None

    def write(self, values: np.ndarray, words: np.ndarray | None) -> None:
        """Append a ``(channels, n)`` block (the int words when quantised, else the floats)."""
        if self._writer is None:
            self._writer = AudioWriter(
                self.path, self.sample_rate, self.channels,
                format=self.fmt, subtype=self.subtype, frames_hint=self.frames, overwrite=self.overwrite,
                tags=self.tags,
            )  # fmt: skip
        self._writer.write(words if words is not None else values)

    def discard(self) -> None:
        """Close and delete the temporary file (if any)."""
        if self._writer is not None:
            self._writer.discard()
            self._writer = None

    def commit(self) -> None:
        """Flush the temporary file to disk and rename it over the target."""
        if self._writer is None:
            raise file_error(self.path, self._nothing_yet, "report this as a bug")
        writer, self._writer = self._writer, None
        writer.commit()

    _nothing_yet = "nothing was rendered"


class LossySink(FileSink):
    """A render's lossy output: a :class:`mezzo.io.stream.EncodedWriter` per render.

    :meth:`finish` encodes the render (``bitrate_kbps``, ffmpeg) into the writer's
    hidden temporary file and returns its path, for the render to measure;
    :meth:`commit` renames it over the target; :meth:`discard` removes the
    temporary files.
    """

    _nothing_yet = "nothing was encoded"

    def __init__(
        self, path: str, sample_rate: int, channels: int, frames: int, bitrate_kbps: float, *,
        overwrite: bool = False, tags: dict[str, str] | None = None,
    ) -> None:
        super().__init__(path, "", "", sample_rate, channels, frames, overwrite=overwrite, tags=tags)
        self.bitrate_kbps = bitrate_kbps

    def write(self, values: np.ndarray, words: np.ndarray | None) -> None:
        """Append a ``(channels, n)`` float block to the render."""
        if self._writer is None:
            self._writer = EncodedWriter(
                self.path, self.sample_rate, self.channels, bitrate_kbps=self.bitrate_kbps,
                frames_hint=self.frames, overwrite=self.overwrite, tags=self.tags,
            )  # fmt: skip
        self._writer.write(values)

    def finish(self) -> str:
        """Encode the render; return the encoded (hidden) file to measure."""
        if not isinstance(self._writer, EncodedWriter):
            raise file_error(self.path, "nothing was rendered", "report this as a bug")
        return self._writer.finish()


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
