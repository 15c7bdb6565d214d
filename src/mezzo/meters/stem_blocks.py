"""Stems read together: aligned blocks of named arrays or files, shorter ones padded with silence."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from mezzo._validate import check_audio, check_sample_rate
from mezzo.errors import AudioFileError, ParameterError

__all__ = ["BLOCK_SAMPLES", "StemBlocks", "stem_name"]

#: Samples per channel of each block (about 1.4 s at 48 kHz).
BLOCK_SAMPLES = 65536


def stem_name(path: str | os.PathLike[str]) -> str:
    """Name of a stem file: its file name without the extension."""
    return os.path.splitext(os.path.basename(os.fspath(path)))[0]


class StemBlocks:
    """Iterate over several stems in aligned blocks ``{name: (channels, n)}``.

    Parameters
    ----------
    stems : mapping of str to ndarray or path, or sequence of paths
        Arrays (``(channels, samples)`` or ``(samples,)``, float) or audio files by name;
        files given as a sequence are named by :func:`stem_name`.
    sample_rate : int, optional
        Required for arrays; for files it must match them if given.
    block_samples : int
        Samples per channel of each block.

    Attributes
    ----------
    names : tuple of str
    sample_rate : int, Hz
    channels : tuple of int
        Channel count of each stem.
    frames : int
        Length of the longest stem in samples; the others are padded with silence.
    paths : dict of str to str
        The file of each stem read from a file.

    Raises
    ------
    ParameterError
        Duplicate names, fewer than two stems, a missing sample rate for arrays.
    AudioFileError
        Unreadable files, or files of different sample rates.
    """

    def __init__(
        self,
        stems: Mapping[str, Any] | Sequence[str | os.PathLike[str]],
        sample_rate: int | None = None,
        *,
        block_samples: int = BLOCK_SAMPLES,
    ) -> None:
        from mezzo import io

        items = _named_items(stems)
        self.names = tuple(name for name, _ in items)
        self.block_samples = int(block_samples)
        self.paths: dict[str, str] = {}
        self._arrays: dict[str, np.ndarray] = {}
        rates: dict[str, int] = {}
        frames: dict[str, int] = {}
        channels: dict[str, int] = {}
        for name, value in items:
            if isinstance(value, np.ndarray):
                audio = check_audio(value, name=f"stem {name!r}")
                self._arrays[name] = audio
                frames[name], channels[name] = audio.shape[1], audio.shape[0]
            else:
                path = os.fspath(value)
                info = io.info(path)
                self.paths[name] = path
                rates[name] = info.sample_rate
                frames[name], channels[name] = info.frames, info.channels
        if len(set(rates.values())) > 1:
            detail = ", ".join(f"{self.paths[n]!r}: {r} Hz" for n, r in rates.items())
            raise AudioFileError(
                f"stems have different sample rates ({detail}) — resample them to one rate first"
            )
        file_rate = next(iter(rates.values()), None)
        if file_rate is not None:
            if sample_rate is not None and check_sample_rate(sample_rate) != file_rate:
                raise ParameterError(
                    f"sample_rate={sample_rate!r} differs from the files' {file_rate} Hz: leave it out for files"
                )
            self.sample_rate = file_rate
        else:
            self.sample_rate = check_sample_rate(sample_rate)
        self.channels = tuple(channels[n] for n in self.names)
        self.frames = max(frames.values())
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> StemBlocks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the files."""
        self._stack.close()

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        from mezzo import io

        readers: dict[str, Iterator[np.ndarray]] = {}
        for name, path in self.paths.items():
            reader = self._stack.enter_context(io.blocks(path, block_samples=self.block_samples))
            readers[name] = iter(reader)
        pending = {name: np.zeros((c, 0), np.float32) for name, c in zip(self.names, self.channels, strict=True)}
        done = 0
        while done < self.frames:
            n = min(self.block_samples, self.frames - done)
            out = {}
            for name, channels in zip(self.names, self.channels, strict=True):
                if name in self._arrays:
                    block = self._arrays[name][:, done : done + n]
                else:
                    block = pending[name]
                    while block.shape[1] < n:
                        nxt = next(readers[name], None)
                        if nxt is None:
                            break
                        block = np.concatenate([block, nxt], axis=1) if block.size else np.asarray(nxt)
                    pending[name] = block[:, n:]
                    block = block[:, :n]
                if block.shape[1] < n:
                    block = np.concatenate([block, np.zeros((channels, n - block.shape[1]), block.dtype)], axis=1)
                out[name] = block
            done += n
            yield out


def _named_items(stems: Any) -> list[tuple[str, Any]]:
    if isinstance(stems, Mapping):
        items = [(str(k), v) for k, v in stems.items()]
    elif isinstance(stems, (str, os.PathLike, np.ndarray)):
        raise ParameterError("stems must be several: a mapping of name to audio or a list of files")
    else:
        items = [(stem_name(p), p) for p in stems]
    if len(items) < 2:
        raise ParameterError(
            f"stems has {len(items)} stem(s): give at least two (the mix is their sum), "
            "e.g. {'lead': lead, 'pad': pad} or a list of files"
        )
    names = [n for n, _ in items]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParameterError(
            f"stem names must be unique: {', '.join(map(repr, dup))} appear more than once "
            "(files are named by their file name without extension; rename one)"
        )
    return items
