"""Reading long files block by block: :func:`blocks` and :class:`BlockReader`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import soundfile as sf

from mezzo._validate import check_range
from mezzo.errors import ParameterError
from mezzo.io.common import (
    EXACT_FRAMES,
    FLOAT_SUBTYPES,
    AudioInfo,
    PathLike,
    check_dtype,
    check_finite,
    damaged_error,
    file_error,
    no_audio_error,
    quiet_decoder,
)
from mezzo.io.read import open_source

__all__ = ["BlockReader", "blocks"]

DEFAULT_BLOCK_SAMPLES = 65536


class BlockReader:
    """Iterate over an audio file in ``(channels, n)`` float blocks, in bounded memory.

    Use it as a context manager; leaving the ``with`` block (or closing the
    iterator early, or exhausting it) closes the file, or stops ffmpeg for
    files decoded by it.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (see :func:`mezzo.io.read` for the formats).
    block_samples : int, >= 1
        Samples per channel in each block; the last block may be shorter.
    overlap_samples : int, 0 … block_samples - 1
        Samples each block repeats from the end of the one before.
    dtype : {'float32', 'float64'}
        Sample type of the blocks.

    Attributes
    ----------
    info : AudioInfo
        The file's header.
    sample_rate : int, Hz
        The file's sample rate.
    channels : int
        The file's channel count.
    closed : bool
        True once the file has been closed.

    Raises
    ------
    AudioFileError
        At construction for a missing, empty, truncated, unsupported file or
        one with no samples; during iteration for a file that is damaged or
        (float files) holds NaN or infinite samples.

    Notes
    -----
    Each block is a new array (keeping it is safe), shaped
    ``(channels, n)`` as the transpose of the ``(n, channels)`` buffer
    libsndfile fills: it is F-contiguous, not C-contiguous. Call
    ``np.ascontiguousarray(block)`` if a consumer needs C order; most
    numpy/scipy code does not. Memory held at any time is about one block.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "noise.flac")
    >>> sf.write(path, np.zeros((100_000, 2)), 48000)
    >>> with blocks(path, block_samples=65536) as reader:
    ...     sizes = [block.shape for block in reader]
    >>> sizes
    [(2, 65536), (2, 34464)]
    """

    def __init__(
        self,
        path: PathLike,
        block_samples: int = DEFAULT_BLOCK_SAMPLES,
        *,
        overlap_samples: int = 0,
        dtype: str = "float32",
    ) -> None:
        self.block_samples = _check_count("block_samples", block_samples, 1)
        self.overlap_samples = _check_count("overlap_samples", overlap_samples, 0)
        if self.overlap_samples >= self.block_samples:
            raise ParameterError(
                f"overlap_samples={overlap_samples!r} is out of range: expected 0 to "
                f"{self.block_samples - 1} samples (less than block_samples={block_samples!r})"
            )
        self.dtype = check_dtype(dtype)
        self.info: AudioInfo
        self.info, self._source = open_source(path)
        self.sample_rate = self.info.sample_rate
        self.channels = self.info.channels
        self._started = False
        self._frames_read = 0
        if isinstance(self._source, sf.SoundFile) and self.info.frames == 0:
            self.close()
            raise no_audio_error(self.info.path)

    @property
    def closed(self) -> bool:
        """True once the file has been closed."""
        return bool(self._source.closed)

    def close(self) -> None:
        """Close the file (or stop ffmpeg). Safe to call more than once."""
        self._source.close()

    def __enter__(self) -> BlockReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"BlockReader({self.info.path!r}, block_samples={self.block_samples}, "
            f"overlap_samples={self.overlap_samples}, {state})"
        )

    def __iter__(self) -> Iterator[np.ndarray]:
        if self.closed or self._started:
            raise file_error(
                self.info.path,
                "this block reader is closed or already iterated",
                "open it again with mezzo.io.blocks(path)",
            )
        self._started = True
        return self._generate()

    def _read_frames(self, frames: int) -> np.ndarray:
        """Return up to ``frames`` new frames as an (n, channels) array of self.dtype."""
        source = self._source
        if isinstance(source, sf.SoundFile):
            try:
                with quiet_decoder(self.info.format == "MP3"):
                    got = source.read(frames, dtype=self.dtype, always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise damaged_error(self.info.path, exc) from None
            if self.info.subtype in FLOAT_SUBTYPES:
                check_finite(self.info.path, got, self._frames_read, self.sample_rate)
            self._frames_read += len(got)
            return got
        return source.read_frames(frames).astype(self.dtype, copy=False)

    def _generate(self) -> Iterator[np.ndarray]:
        overlap = self.overlap_samples
        tail: np.ndarray | None = None
        produced = 0
        try:
            while True:
                want = self.block_samples - (0 if tail is None else len(tail))
                new = self._read_frames(want)
                if len(new) == 0:
                    break
                data = new if tail is None else np.concatenate([tail, new])
                produced += len(new)
                if overlap:
                    tail = data[-overlap:].copy()
                yield data.T
                if len(new) < want:
                    break
            if produced == 0:
                raise no_audio_error(self.info.path)
            if self.info.format in EXACT_FRAMES and produced < self.info.frames:
                raise file_error(
                    self.info.path,
                    f"is truncated (the header promises {self.info.frames} samples, "
                    f"only {produced} could be read)",
                    "copy or export it again",
                )
        finally:
            self.close()


def _check_count(name: str, value: object, lo: int) -> int:
    number = check_range(name, value, lo, None, "samples")
    if number != int(number):
        raise ParameterError(f"{name}={value!r} is not a whole number of samples")
    return int(number)


def blocks(
    path: PathLike,
    block_samples: int = DEFAULT_BLOCK_SAMPLES,
    *,
    overlap_samples: int = 0,
    dtype: str = "float32",
) -> BlockReader:
    """Open ``path`` for reading in ``(channels, n)`` blocks; see :class:`BlockReader`.

    Use as ``with mezzo.io.blocks(path) as reader: for block in reader: ...``.
    """
    return BlockReader(path, block_samples, overlap_samples=overlap_samples, dtype=dtype)
