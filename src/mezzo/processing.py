"""Streaming audio through a processor: :func:`process_blocks` (any block source) and :func:`process_file`.

This is the one streaming loop of mezzo: the processors' commands (``mezzo
compress``, ``limit``...) call :func:`process_file`, and the mastering engine
runs its limiter through :func:`process_blocks` (``mezzo master``/``normalize``,
batch). Outputs come back aligned with the input (the processor's latency,
its lookahead, is taken off the start and its tail flushed at the end), so the
output has exactly as many samples as the input; memory is one block.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from mezzo.before_after import BeforeAfter, GainStats, Levels
from mezzo.errors import AudioInputError
from mezzo.progress import Progress, report_phase

__all__ = ["BLOCK_SAMPLES", "ProcessReport", "process_blocks", "process_file"]

#: Samples per channel read, processed and written at a time by :func:`process_file`.
BLOCK_SAMPLES = 65536


def process_blocks(
    processor: Any,
    blocks: Iterable[np.ndarray],
    sample_rate: int,
    *,
    key: Iterable[np.ndarray] | None = None,
    return_gain: bool = False,
) -> Iterator[Any]:
    """Stream ``blocks`` through ``processor``; yield output blocks aligned with the input.

    Parameters
    ----------
    processor : Processor
        Any mezzo processor (:class:`~mezzo.processors.Compressor`,
        :class:`~mezzo.processors.Limiter`, a :class:`~mezzo.processors.Chain`...);
        it is prepared here (rate, and the channel count of the first block).
    blocks : iterable of ndarray, shape (channels, n) or (n,)
        The input, block by block (any sizes; 1-D blocks are mono).
    sample_rate : int, Hz
        Rate of the blocks.
    key : iterable of ndarray, optional
        Sidechain key blocks (same rate, any block sizes): cut to the input's
        blocks, padded with silence past their end, the rest left unread.
    return_gain : bool
        Yield ``(block, gain_db)`` (dynamics processors; ``gain_db`` shaped like a
        2-D block) instead of blocks.

    Yields
    ------
    ndarray or (ndarray, ndarray)
        Output blocks (never empty); together exactly as many samples as the
        input, the first one being the output of the first input sample: the
        lookahead delay is removed and the tail flushed.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo.processors import Limiter
    >>> x = np.random.default_rng(0).uniform(-2, 2, (2, 48000)).astype(np.float32)
    >>> limiter = Limiter(ceiling_db=-1.0, true_peak=False)
    >>> out = np.concatenate(list(process_blocks(limiter, np.array_split(x, 7, axis=1), 48000)), axis=1)
    >>> out.shape == x.shape, bool(np.abs(out).max() <= 10 ** (-1 / 20))
    (True, True)
    >>> np.allclose(out, limiter(x, 48000), atol=1e-6)  # as the whole-signal call
    True
    """
    source = iter(blocks)
    first = next(source, None)
    if first is None:
        return
    first = np.asarray(first)
    channels = 1 if first.ndim == 1 else first.shape[0]
    processor.prepare(sample_rate, channels)
    feed = None if key is None else KeyFeed(key)
    skip = processor.latency_samples  # the first `latency` output samples are the lookahead delay

    def trimmed(result: Any) -> Iterator[Any]:
        nonlocal skip
        out, gain = result if return_gain else (result, None)
        if skip:
            cut = min(skip, out.shape[-1])
            out = out[..., cut:]
            gain = None if gain is None else gain[..., cut:]
            skip -= cut
        if out.shape[-1]:
            yield (out, gain) if return_gain else out

    for block in chain([first], source):
        side = None if feed is None else feed.take(np.shape(block)[-1])
        yield from trimmed(processor.process(block, side, return_gain=return_gain))
    yield from trimmed(processor.flush(return_gain=return_gain))


class KeyFeed:
    """Cut a key's blocks to the input's block lengths; silence once the key has ended.

    ``samples_read`` counts the key samples read so far; :meth:`length` reads the
    rest (without keeping it) and returns the key's whole length.
    """

    def __init__(self, blocks: Iterable[np.ndarray]) -> None:
        self._blocks = iter(blocks)
        self._rest: np.ndarray | None = None  # unused end of the last block read
        self._channels = 1
        self.samples_read = 0
        self.ended = False

    def _next(self) -> np.ndarray | None:
        block = None if self.ended else next(self._blocks, None)
        if block is None:
            self.ended = True
            return None
        block = np.asarray(block)
        block = block[np.newaxis] if block.ndim == 1 else block
        self._channels = block.shape[0]
        self.samples_read += block.shape[1]
        return block

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` key samples, shape ``(channels, n)``, zero-padded past the end."""
        parts: list[np.ndarray] = []
        have = 0
        while have < n:
            block, self._rest = (self._rest, None) if self._rest is not None else (self._next(), None)
            if block is None:
                parts.append(np.zeros((self._channels, n - have), dtype=np.float32))
                break
            use = min(n - have, block.shape[1])
            parts.append(block[:, :use])
            if use < block.shape[1]:
                self._rest = block[:, use:]
            have += use
        if not parts:
            return np.zeros((self._channels, 0), dtype=np.float32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def length(self) -> int:
        """The key's length in samples (reads, without keeping, what is left)."""
        while self._next() is not None:
            pass
        return self.samples_read


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessReport(BeforeAfter):
    """What :func:`process_file` did: a :class:`~mezzo.before_after.BeforeAfter` and the processor.

    Attributes
    ----------
    key : str or None
        The sidechain key file, if any.
    processor : str
        The processor's class name (``'Compressor'``...).
    parameters : dict
        Its parameters (``processor.parameters``; infinities as ``None``).
    latency_samples : int
        Its lookahead, samples (taken off: the output is aligned with the input).
    sample_rate : int, Hz
        Rate of the input and the output.
    """

    key: str | None
    processor: str
    parameters: dict[str, Any]
    latency_samples: int
    sample_rate: int


def process_file(
    processor: Any,
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    key: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    block_samples: int | None = None,
    progress: Progress | None = None,
) -> ProcessReport:
    """Stream a file through ``processor`` into ``output``; measure both; report.

    The output has the input's format, subtype, rate and tags (title, artist...;
    :func:`mezzo.io.open_writer` with ``like=input``) unless its extension says
    otherwise, and as many samples as the input (latency compensated). It is
    written atomically: nothing appears at ``output`` unless all went well. The
    input and the output are measured (BS.1770-4 loudness, true peak) as they
    stream, and the gain trace of a dynamics processor is summarised.

    Parameters
    ----------
    processor : Processor
        Any mezzo processor; prepared here.
    input, output : str or os.PathLike
        Input file (anything :func:`mezzo.io.blocks` reads) and output file.
    key : str or os.PathLike, optional
        Sidechain key file at the input's rate (trimmed or padded with silence to
        the input's length; the report warns when the lengths differ).
    overwrite : bool
        Replace an existing output (never the input or the key).
    block_samples : int, optional
        Samples per channel per block (memory is about this size); default :data:`BLOCK_SAMPLES`.
    progress : callable, optional
        ``progress(phase, done, total)`` (:mod:`mezzo.progress`): ``'processing'``
        with samples done of the input's length, then ``'finishing'``.

    Returns
    -------
    ProcessReport

    Raises
    ------
    AudioFileError
        Unreadable input or key, output refused (exists without ``overwrite``,
        is an input, bad folder).
    AudioInputError
        Key at another sample rate.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> from mezzo.processors import Compressor
    >>> folder = tempfile.mkdtemp()
    >>> t = np.arange(48000 * 3) / 48000
    >>> sf.write(os.path.join(folder, "in.wav"), 0.5 * np.sin(2 * np.pi * 220 * t), 48000)
    >>> report = process_file(Compressor(threshold_db=-20, ratio=4),
    ...                       os.path.join(folder, "in.wav"), os.path.join(folder, "out.wav"))
    >>> report.max_gain_reduction_db > 5, report.after.integrated_lufs < report.before.integrated_lufs
    (True, True)
    """
    from mezzo import io
    from mezzo.io.read import EXACT_FRAMES
    from mezzo.meters.loudness import LoudnessMeter

    warnings: list[str] = []
    with contextlib.ExitStack() as stack:
        block_samples = block_samples or BLOCK_SAMPLES
        reader = stack.enter_context(io.blocks(input, block_samples))
        sample_rate, channels, total = reader.sample_rate, reader.channels, reader.info.frames
        key_blocks = None
        key_reader = None
        if key is not None:
            key_reader = stack.enter_context(io.blocks(key, block_samples))
            if key_reader.sample_rate != sample_rate:
                raise AudioInputError(
                    f"{os.fspath(key)!r}: key is at {key_reader.sample_rate} Hz but the input at {sample_rate} Hz: "
                    "resample the key first"
                )
            key_blocks = _Counted(key_reader)
        writer = stack.enter_context(io.open_writer(
            output, sample_rate, channels, like=input, overwrite=overwrite,
            inputs=[p for p in (input, key) if p is not None], frames_hint=total,
        ))  # fmt: skip
        meter_in = LoudnessMeter(sample_rate, channels)
        meter_out = LoudnessMeter(sample_rate, channels)
        stats = GainStats(sample_rate)
        frames = 0

        def measured() -> Iterator[np.ndarray]:
            nonlocal frames
            report_phase(progress, "processing", total)
            for block in reader:
                meter_in.update(block)
                yield block
                frames += block.shape[1]
                if progress is not None:
                    progress("processing", frames, max(frames, total))
            report_phase(progress, "finishing")

        gain_trace = bool(getattr(processor, "has_gain", False))
        for result in process_blocks(processor, measured(), sample_rate, key=key_blocks, return_gain=gain_trace):
            out, gain = result if gain_trace else (result, None)
            if gain is not None:
                stats.update(gain)
            meter_out.update(out)
            writer.write(out)
        if key_blocks is not None and key_reader is not None:
            exact = reader.info.format in EXACT_FRAMES and key_reader.info.format in EXACT_FRAMES
            key_frames = key_reader.info.frames if exact else key_blocks.drain()
            if key_frames != frames:
                what = "trimmed" if key_frames > frames else "padded with silence"
                warnings.append(f"key is {key_frames} samples, input {frames}: key {what}")
    before, after = meter_in.result(), meter_out.result()
    peak = after.sample_peak_dbfs
    if peak is not None and peak > 0.0:
        warnings.append(
            f"output sample peak is {peak:+.2f} dBFS and will clip in integer formats: "
            "lower makeup_db (or the target), or follow with a limiter"
        )
    parameters = getattr(processor, "parameters", {})
    return ProcessReport(
        input=os.fspath(input),
        output=os.fspath(output),
        key=None if key is None else os.fspath(key),
        processor=type(processor).__name__,
        parameters={k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in parameters.items()},
        before=Levels.of(before),
        after=Levels.of(after),
        max_gain_reduction_db=stats.max_reduction_db,
        mean_gain_reduction_db=stats.mean_reduction_db,
        gain_reduced_time_s=stats.reduced_time_s,
        max_gain_reduction_time_s=stats.max_time_s,
        max_gain_db=stats.max_gain_db,
        latency_samples=processor.latency_samples,
        sample_rate=sample_rate,
        warnings=tuple(warnings),
    )


class _Counted:
    """The blocks of a reader, counting the samples handed out; :meth:`drain` counts the rest."""

    def __init__(self, reader: Iterable[np.ndarray]) -> None:
        self._blocks = iter(reader)
        self.samples = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for block in self._blocks:
            self.samples += block.shape[-1]
            yield block

    def drain(self) -> int:
        """Read what is left (without keeping it); return the whole length in samples."""
        for block in self._blocks:
            self.samples += block.shape[-1]
        return self.samples
