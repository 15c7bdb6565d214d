"""Writing audio files block by block, atomically: :func:`open_writer` and :class:`AudioWriter`.

Audio outputs go through the one atomic-write helper of mezzo
(:mod:`mezzo.io.atomic`): :func:`mezzo.io.write` is :func:`open_writer` fed
with the whole array, and mastering streams its renders through
:class:`AudioWriter`. Memory held is one block, however long the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import Any, NoReturn

import numpy as np
import soundfile as sf

from mezzo._validate import MAX_CHANNELS, check_range, check_sample_rate
from mezzo.errors import AudioInputError, ParameterError
from mezzo.io import encode
from mezzo.io.atomic import AtomicFile, CommitOnExit, check_target
from mezzo.io.common import PathLike, file_error, libsndfile_detail
from mezzo.io.formats import container, output_format

__all__ = ["AudioWriter", "EncodedWriter", "check_output", "open_writer"]

#: Sample types a block may have: floats (full scale ±1.0) or integer words
#: already quantised (full scale of the integer type, left-justified).
_BLOCK_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int16), np.dtype(np.int32))


def check_output(
    path: PathLike, *, overwrite: bool = False, inputs: Iterable[PathLike] = ()
) -> None:
    """Refuse an output path the way :func:`mezzo.io.write` does, without writing.

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    overwrite : bool
        Accept an existing file (it is replaced on commit).
    inputs : iterable of str or os.PathLike
        Paths the output must never replace.

    Raises
    ------
    AudioFileError
        The output is an input, exists without ``overwrite``, is a folder, or its
        folder is missing or not writable.
    """
    check_target(path, overwrite=overwrite, inputs=inputs)


def open_writer(
    path: PathLike,
    sample_rate: int,
    channels: int,
    *,
    like: PathLike | None = None,
    format: str | None = None,
    subtype: str | None = None,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
    frames_hint: int | None = None,
    bitrate_kbps: float | None = None,
) -> AudioWriter:
    """Open an audio file for writing block by block; nothing appears at ``path`` before commit.

    Parameters
    ----------
    path : str or os.PathLike
        Output file. Its folder must exist and be writable.
    sample_rate : int, Hz
        Sample rate to record in the file (8000 … 384000).
    channels : int, 1 … 64
        Channel count of every block.
    like, format, subtype, overwrite, inputs
        As for :func:`mezzo.io.write`: format and subtype from the extension,
        ``like``'s subtype or the defaults; the same refusals.
    frames_hint : int, >= 0, optional
        Expected samples per channel. A WAV whose data would pass the 4 GiB
        RIFF limit is written as RF64; without a hint, a WAV stays WAV.
    bitrate_kbps : float, 6 to 512, optional
        Bit rate of a lossy output encoded by ffmpeg, kb/s. Default: a lossy
        ``like``'s bit rate, else the codec's default
        (:data:`mezzo.io.encode.DEFAULT_BITRATE_KBPS`).

    Returns
    -------
    AudioWriter
        Use it as a context manager: a clean exit commits, an exception
        discards. For ``.mp3``, ``.ogg``, ``.opus``, ``.m4a`` and ``.aac``
        (without ``format``/``subtype``) an :class:`EncodedWriter`: ffmpeg
        encodes the blocks on commit (see :mod:`mezzo.io.encode`).

    Raises
    ------
    AudioFileError
        As :func:`mezzo.io.write`, or the temporary file cannot be created.
    ParameterError
        ``sample_rate``, ``channels``, ``format``, ``subtype`` or
        ``frames_hint`` is invalid.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "tone.flac")
    >>> with open_writer(out, 48000, 2) as writer:
    ...     for _ in range(3):
    ...         writer.write(np.zeros((2, 1000), dtype=np.float32))
    >>> writer.frames_written, writer.format, writer.subtype
    (3000, 'FLAC', 'PCM_24')
    """
    sample_rate = check_sample_rate(sample_rate)
    channels = _check_channels(channels)
    check_target(path, overwrite=overwrite, inputs=inputs)
    if format is None and subtype is None and encode.routes_to_ffmpeg(path):
        kbps = encode.check_bitrate(bitrate_kbps) or encode.default_bitrate_kbps(path, like)
        return EncodedWriter(
            path, sample_rate, channels, bitrate_kbps=kbps, frames_hint=frames_hint, overwrite=overwrite,
            tags=None if like is None else read_tags(like),
        )
    fmt, sub = output_format(path, like=like, format=format, subtype=subtype)
    return AudioWriter(
        path, sample_rate, channels, format=fmt, subtype=sub, frames_hint=frames_hint, overwrite=overwrite,
        tags=None if like is None else read_tags(like),
    )


#: The text tags libsndfile keeps (WAV LIST/INFO, FLAC and Ogg comments, AIFF, CAF).
TAGS = ("title", "artist", "album", "date", "genre", "tracknumber", "comment", "copyright", "license", "software")


def read_tags(path: PathLike) -> dict[str, str]:
    """The text tags (title, artist, album...) of an audio file; empty when it has none or libsndfile cannot open it.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> path = os.path.join(tempfile.mkdtemp(), "t.flac")
    >>> with sf.SoundFile(path, "w", 48000, 1, format="FLAC") as f:
    ...     f.title, f.artist = "Song", "Band"
    ...     f.write(np.zeros(100))
    >>> read_tags(path)
    {'title': 'Song', 'artist': 'Band'}
    """
    try:
        with sf.SoundFile(os.fspath(path)) as handle:
            found = {name: getattr(handle, name) for name in TAGS}
    except (sf.LibsndfileError, RuntimeError, OSError, TypeError):
        return {}  # e.g. decoded by ffmpeg (MP3, M4A): no tags through libsndfile
    return {name: value for name, value in found.items() if value}


class AudioWriter(CommitOnExit):
    """An audio file written block by block to a temporary file, renamed over its path on commit.

    Usually made by :func:`open_writer`, which checks the target and chooses
    the format. Constructed directly it does not check the target again (the
    caller has, e.g. for several outputs before any is rendered) and needs
    ``format`` and ``subtype`` spelled out. The temporary file is created at
    construction.

    Parameters
    ----------
    path : str or os.PathLike
        Final output path.
    sample_rate : int, Hz
        Sample rate to record in the file.
    channels : int, 1 … 64
        Channel count of every block.
    format, subtype : str
        libsndfile format and subtype names (``'WAV'``, ``'PCM_24'``).
    frames_hint : int, >= 0, optional
        Expected samples per channel (a WAV past 4 GiB becomes RF64).
    overwrite : bool
        Replace an existing file on commit. Without it the commit fails if
        the file appeared while this one was written.
    tags : dict, optional
        Text tags to write (see :data:`TAGS`); :func:`open_writer` passes ``like``'s,
        so title, artist... go from the input to the output.

    Attributes
    ----------
    path : str
        Final output path.
    format, subtype : str
        What is written (``format`` is ``'RF64'`` when a WAV was switched).
    frames_written : int
        Samples per channel written so far.
    state : {'open', 'committed', 'discarded'}
        Where the writer is in its life.

    Notes
    -----
    The file goes through :class:`mezzo.io.atomic.AtomicFile`: a hidden, locked
    temporary file (``.NAME.PID.XXXXXX.mezzo-part``) in the target folder,
    flushed to disk (``fsync``) and renamed over ``path`` on :meth:`commit`,
    removed on any error, on :meth:`discard`, or when the writer is
    garbage-collected before commit: ``path`` is either untouched or complete.
    Only a regular file is ever replaced. A new file gets 0666 less the umask;
    a replaced file keeps its permissions. A full disk or a file-size limit is
    reported as such. Float blocks beyond ±1.0 are clipped by libsndfile when
    it converts to integer PCM; nothing else is done to the samples. One
    writer per thread.
    """

    def __init__(
        self,
        path: PathLike,
        sample_rate: int,
        channels: int,
        *,
        format: str,
        subtype: str,
        frames_hint: int | None = None,
        overwrite: bool = False,
        tags: dict[str, str] | None = None,
    ) -> None:
        self.sample_rate = check_sample_rate(sample_rate)
        self.channels = _check_channels(channels)
        fmt, sub = str(format).upper(), str(subtype).upper()
        if not sf.check_format(fmt, sub):
            raise ParameterError(
                f"format={format!r} with subtype={subtype!r} is not supported: "
                "use mezzo.io.output_format to choose a valid pair"
            )
        if frames_hint is not None:
            frames_hint = int(check_range("frames_hint", frames_hint, 0, None, "samples"))
        self.format = container(fmt, sub, self.channels, frames_hint or 0)
        self.subtype = sub
        self.frames_written = 0
        self._handle: sf.SoundFile | None = None
        self._file = AtomicFile(path, overwrite=overwrite, checked=True)
        self.path = self._file.path
        try:
            self._handle = sf.SoundFile(
                self._file.fd, "w", samplerate=self.sample_rate, channels=self.channels,
                format=self.format, subtype=self.subtype, closefd=False,
            )  # fmt: skip
        except BaseException as exc:
            self._fail(exc)
        for name, value in (tags or {}).items():  # before any audio: FLAC writes them in its header
            with contextlib.suppress(RuntimeError, sf.LibsndfileError):  # a container without that tag
                setattr(self._handle, name, value)

    @property
    def state(self) -> str:
        """``'open'``, ``'committed'`` or ``'discarded'``."""
        return self._file.state

    def __repr__(self) -> str:
        return (
            f"AudioWriter({self.path!r}, sample_rate={self.sample_rate}, channels={self.channels}, "
            f"format={self.format!r}, subtype={self.subtype!r}, state={self.state!r})"
        )

    def write(self, block: np.ndarray) -> None:
        """Append a block to the file.

        Parameters
        ----------
        block : ndarray, shape (channels, n) or (n,) for mono
            float32/float64 samples (full scale ±1.0, finite), or int16/int32
            words already quantised (full scale of the integer type, e.g. a
            16-bit word ``q`` as the int32 ``q << 16``). ``n`` may be 0.

        Raises
        ------
        AudioInputError
            Wrong shape or dtype, or NaN/Inf samples.
        AudioFileError
            The writer is closed, or the OS or libsndfile fails (the temporary
            file is then removed).
        """
        data = self._check_block(block)
        if data.shape[1] == 0:
            return
        handle = self._handle
        if handle is None:
            raise file_error(
                self.path, f"writer is {self.state}", "open a new writer with mezzo.io.open_writer"
            )
        try:
            handle.write(np.ascontiguousarray(data.T))
        except BaseException as exc:
            self._fail(exc)
        self.frames_written += data.shape[1]

    def commit(self) -> None:
        """Finish the file: flush it to disk and rename it over :attr:`path`.

        Raises
        ------
        AudioFileError
            Nothing was written (a file needs at least one sample), the writer
            is not open, the file appeared meanwhile (without ``overwrite``), or
            the OS fails (the temporary file is then removed).
        """
        if self.state != "open" or self._handle is None:
            raise file_error(
                self.path, f"writer is {self.state}", "open a new writer with mezzo.io.open_writer"
            )
        if self.frames_written == 0:
            self.discard()
            raise file_error(
                self.path, "no samples were written", "write at least one block before commit"
            )
        try:
            self._handle.close()  # libsndfile writes the final header here
        except BaseException as exc:
            self._fail(exc)
        self._handle = None
        self._file.commit()

    def discard(self) -> None:
        """Close and delete the temporary file; :attr:`path` is left as it was.

        Safe to call at any time and more than once (a no-op after commit).
        """
        if self._handle is not None:
            with contextlib.suppress(Exception):
                self._handle.close()
            self._handle = None
        file = getattr(self, "_file", None)
        if file is not None:
            file.discard()

    # --- helpers --------------------------------------------------------------------------
    def _check_block(self, block: Any) -> np.ndarray:
        if not isinstance(block, np.ndarray):
            raise AudioInputError(f"block is {type(block).__name__}: expected a numpy array")
        data = block[np.newaxis] if block.ndim == 1 else block
        if data.ndim != 2 or data.shape[0] != self.channels:
            hint = (
                "; it looks like (samples, channels): pass block.T"
                if data.ndim == 2 and data.shape[-1] == self.channels
                else ""
            )
            raise AudioInputError(
                f"block has shape {block.shape}: expected ({self.channels}, samples){hint}"
            )
        if data.dtype not in _BLOCK_DTYPES:
            raise AudioInputError(
                f"block has dtype {data.dtype}: expected float32 or float64 samples (or int16/int32 words)"
            )
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            raise AudioInputError(
                "block holds NaN or Inf samples: fix the processing before writing"
            )
        return data

    def _fail(self, exc: BaseException) -> NoReturn:
        """Remove the temporary file and raise ``exc`` as a one-line error naming the real cause.

        libsndfile reports a full disk or a file-size limit as a vague "System
        error"; the temporary file is probed to tell them apart.
        """
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(Exception):
                handle.close()
        if not isinstance(exc, (sf.LibsndfileError, RuntimeError, OSError)):
            self._file.discard()
            raise exc
        fallback = (
            f"cannot be written as {self.format} {self.subtype} (libsndfile: {libsndfile_detail(exc)})"
            " — check the format, subtype, sample rate and channel count"
        )
        raise self._file.failure(exc, fallback) from None


class EncodedWriter(AudioWriter):
    """A lossy file (MP3, Vorbis, Opus, AAC) written block by block and encoded by ffmpeg.

    The blocks go, as floats, to a scratch WAV: the temporary file of an
    :class:`~mezzo.io.atomic.AtomicFile` beside the output, never committed.
    :meth:`finish` encodes it (:func:`mezzo.io.encode.encode_file`) into the
    temporary file of a second AtomicFile and returns that file's path, so a
    caller can decode and measure what will be committed (mastering does);
    :meth:`commit` finishes if needed and renames the encoded file over the
    output. On any error, on :meth:`discard` and on garbage collection both
    temporary files are removed.

    Parameters
    ----------
    path : str or os.PathLike
        Final output path; its extension chooses the codec.
    sample_rate : int, Hz
        Rate of the blocks (Opus is encoded at 48 kHz; ffmpeg resamples).
    channels : int, 1 … 64
        Channel count of every block.
    bitrate_kbps : float, 6 to 512
        Bit rate, kb/s (an average for the VBR codecs).
    frames_hint : int, >= 0, optional
        Expected samples per channel (a scratch past 4 GiB is RF64).
    overwrite : bool
        Replace an existing file on commit.
    tags : dict, optional
        Text tags (see :data:`TAGS`) written as the encoded file's metadata.

    Attributes
    ----------
    format, subtype : str
        What the output holds, as :func:`mezzo.io.output_format` names it
        (``'MP3'``/``'MPEG_LAYER_III'``, ``'OGG'``/``'VORBIS'``, ``'OGG'``/``'OPUS'``,
        ``'M4A'``/``'AAC'``, ``'AAC'``/``'AAC'``).
    bitrate_kbps : float
        The bit rate asked of the encoder, kb/s.
    """

    def __init__(
        self,
        path: PathLike,
        sample_rate: int,
        channels: int,
        *,
        bitrate_kbps: float,
        frames_hint: int | None = None,
        overwrite: bool = False,
        tags: dict[str, str] | None = None,
    ) -> None:
        out = encode.check_lossy_output(path)
        kbps = encode.check_bitrate(bitrate_kbps)
        if kbps is None:
            raise ParameterError("bitrate_kbps is required: expected 6 to 512 kb/s")
        encode.require_ffmpeg(out)
        self.bitrate_kbps = kbps
        self._overwrite = bool(overwrite)
        self._tags = dict(tags or {})
        self._encoded: AtomicFile | None = None
        super().__init__(
            out, sample_rate, channels, format="WAV", subtype="FLOAT", frames_hint=frames_hint, overwrite=True
        )
        self.format, self.subtype = output_format(out)

    @property
    def state(self) -> str:
        """``'open'``, ``'committed'`` or ``'discarded'``."""
        return self._file.state if self._encoded is None else self._encoded.state

    def finish(self) -> str:
        """Encode what was written; return the encoded temporary file (committed by :meth:`commit`)."""
        if self._encoded is not None:
            if self._encoded.temporary is None:
                raise file_error(self.path, f"writer is {self.state}", "open a new writer with mezzo.io.open_writer")
            return self._encoded.temporary
        if self._handle is None or self._file.temporary is None:
            raise file_error(self.path, f"writer is {self.state}", "open a new writer with mezzo.io.open_writer")
        if self.frames_written == 0:
            self.discard()
            raise file_error(self.path, "no samples were written", "write at least one block before commit")
        try:
            self._handle.close()  # the scratch WAV's final header
        except BaseException as exc:
            self._fail(exc)
        self._handle = None
        try:
            self._encoded = AtomicFile(self.path, overwrite=self._overwrite, checked=True)
            assert self._encoded.temporary is not None
            encode.encode_file(
                self._file.temporary, self._encoded.temporary, output=self.path,
                bitrate_kbps=self.bitrate_kbps, seconds=self.frames_written / self.sample_rate, tags=self._tags,
            )  # fmt: skip
        except BaseException:
            self.discard()
            raise
        finally:
            self._file.discard()
        return self._encoded.temporary

    def commit(self) -> None:
        """Encode (if :meth:`finish` was not called) and rename the encoded file over :attr:`path`."""
        self.finish()
        assert self._encoded is not None
        self._encoded.commit()

    def discard(self) -> None:
        """Remove the scratch and the encoded temporary files; the output stays as it was."""
        super().discard()
        encoded = getattr(self, "_encoded", None)
        if encoded is not None:
            encoded.discard()


def _check_channels(channels: Any) -> int:
    number = check_range("channels", channels, 1, MAX_CHANNELS)
    if number != int(number):
        raise ParameterError(
            f"channels={channels!r} is not a whole number: expected 1 to {MAX_CHANNELS}"
        )
    return int(number)
