"""Writing audio files atomically: :func:`write`.

Also the rules every mezzo writer follows (format and subtype choice, refused
targets, RF64 past 4 GiB); the temporary-file mechanics live in
:mod:`mezzo.io.stream`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import soundfile as sf

from mezzo._validate import check_audio, check_sample_rate
from mezzo.errors import AudioFileError, ParameterError
from mezzo.io.read import PathLike, file_error, info

__all__ = ["write"]

#: Extensions whose format name differs from the upper-case extension.
_EXTENSION_FORMATS = {
    "aif": "AIFF",
    "aifc": "AIFF",
    "aiff": "AIFF",
    "bwf": "WAV",
    "oga": "OGG",
    "opus": "OGG",
    "wave": "WAV",
}

#: Default subtype per format when neither ``subtype`` nor ``like`` decides it.
_DEFAULT_SUBTYPES = {
    "AIFF": "PCM_24",
    "CAF": "PCM_24",
    "FLAC": "PCM_24",
    "MP3": "MPEG_LAYER_III",
    "OGG": "VORBIS",
    "RF64": "PCM_24",
    "W64": "PCM_24",
    "WAV": "PCM_24",
    "WAVEX": "PCM_24",
}

#: Bytes per sample, to switch WAV to RF64 before the 4 GiB RIFF limit.
_SAMPLE_BYTES = {
    "PCM_S8": 1,
    "PCM_U8": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
}
_RIFF_LIMIT_BYTES = 0xFFFFFFFF - (1 << 20)

#: Frames converted to interleaved (frames, channels) order per write call.
_WRITE_CHUNK_FRAMES = 1 << 18


def write(
    path: PathLike,
    audio: np.ndarray,
    sample_rate: int,
    *,
    like: PathLike | None = None,
    format: str | None = None,
    subtype: str | None = None,
    overwrite: bool = False,
    inputs: Iterable[PathLike] = (),
) -> None:
    """Write audio to a file atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file. Its folder must exist and be writable.
    audio : ndarray, shape (channels, samples) or (samples,)
        float32 or float64 samples, full scale ±1.0; 1-D is mono. Must be
        finite and non-empty.
    sample_rate : int, Hz
        Sample rate to record in the file (8000 … 384000).
    like : str or os.PathLike, optional
        An input file whose format and subtype are kept by default (a
        24-bit WAV input gives a 24-bit WAV output). The output extension
        still decides the container when it names one; ``like``'s subtype is
        kept when that container can hold it.
    format : str, optional
        libsndfile format name (``'WAV'``, ``'FLAC'``, ``'AIFF'``, ``'OGG'``,
        ``'W64'``, ``'RF64'``...). Default: from the extension, else ``like``.
    subtype : str, optional
        libsndfile subtype (``'PCM_16'``, ``'PCM_24'``, ``'FLOAT'``...).
        Default: ``like``'s when compatible, else PCM_24 for WAV, W64, RF64,
        AIFF, CAF and FLAC, VORBIS for OGG (OPUS for ``.opus``), libsndfile's
        default for other formats.
    overwrite : bool
        Replace an existing output file. Paths in ``inputs`` are never
        replaced, even with ``overwrite=True``.
    inputs : iterable of str or os.PathLike
        Paths this output must not replace (the files the audio came from).

    Raises
    ------
    AudioFileError
        The output is an input, exists without ``overwrite``, is a folder, its
        folder is missing or not writable, or libsndfile or the OS fails.
    AudioInputError
        ``audio`` is empty, not float, wrongly shaped or holds NaN/Inf.
    ParameterError
        ``sample_rate``, ``format`` or ``subtype`` is invalid.

    Notes
    -----
    The file is written to a hidden temporary file in the target folder,
    flushed to disk (``fsync``) and renamed over ``path`` with
    ``os.replace``; on any error the temporary file is removed, so ``path``
    is either untouched or complete. A new file gets the usual permissions
    (0666 less the umask); a replaced file keeps its permissions.

    This is :func:`mezzo.io.open_writer` fed with the whole array; use that
    to write a long output block by block in bounded memory.

    No processing happens here: no dither, no clipping beyond what libsndfile
    does when it converts samples beyond ±1.0 to integer PCM (it clips).
    A WAV output that would pass the 4 GiB RIFF limit is written as RF64.
    """
    # The streaming writer builds on the checks of this module, so it is imported here.
    from mezzo.io.stream import open_writer

    p = _check_path(path)
    sample_rate = check_sample_rate(sample_rate)
    data = check_audio(audio)
    channels, frames = data.shape
    with open_writer(
        p, sample_rate, channels, like=like, format=format, subtype=subtype,
        overwrite=overwrite, inputs=inputs, frames_hint=frames,
    ) as writer:  # fmt: skip
        for start in range(0, frames, _WRITE_CHUNK_FRAMES):
            writer.write(data[:, start : start + _WRITE_CHUNK_FRAMES])


def _container(fmt: str, subtype: str, channels: int, frames: int) -> str:
    """``fmt``, or ``'RF64'`` for a WAV whose data would pass the 4 GiB RIFF limit."""
    if (
        fmt in ("WAV", "WAVEX")
        and frames * channels * _SAMPLE_BYTES.get(subtype, 0) > _RIFF_LIMIT_BYTES
    ):
        return "RF64"
    return fmt


def _check_path(path: Any) -> str:
    try:
        return os.fspath(path)
    except TypeError:
        raise AudioFileError(f"{path!r}: is not a path — pass a str or pathlib.Path") from None


def _format_from_extension(path: str) -> str | None:
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if not ext:
        return None
    fmt = _EXTENSION_FORMATS.get(ext, ext.upper())
    return fmt if fmt in sf.available_formats() else None


def _default_subtype(fmt: str, path: str) -> str:
    if fmt == "OGG" and path.lower().endswith(".opus"):
        return "OPUS"
    return _DEFAULT_SUBTYPES.get(fmt) or str(sf.default_subtype(fmt))


def _choose_format(
    path: str, like: PathLike | None, format: str | None, subtype: str | None
) -> tuple[str, str]:
    """Pick (format, subtype) from the arguments, the extension and ``like``."""
    formats = sf.available_formats()
    like_info = info(like) if like is not None else None
    if format is not None:
        fmt = str(format).upper()
        if fmt not in formats:
            allowed = ", ".join(sorted(formats))
            raise ParameterError(f"format={format!r} is not supported: expected one of {allowed}")
    else:
        fmt = _format_from_extension(path) or ""
        if not fmt and like_info is not None and like_info.format in formats:
            fmt = like_info.format
        if not fmt:
            ext = os.path.splitext(path)[1] or "(none)"
            raise file_error(
                path,
                f"cannot tell the format from the extension {ext!r}",
                "use .wav, .flac, .aiff or .ogg, or pass format='WAV'",
            )
    if subtype is not None:
        sub = str(subtype).upper()
        if not sf.check_format(fmt, sub):
            allowed = ", ".join(s for s in sf.available_subtypes(fmt) if sf.check_format(fmt, s))
            raise ParameterError(
                f"subtype={subtype!r} is not supported by format {fmt!r}: expected one of {allowed}"
            )
        return fmt, sub
    if like_info is not None and sf.check_format(fmt, like_info.subtype):
        return fmt, like_info.subtype
    return fmt, _default_subtype(fmt, path)


def _same_file(a: str, b: str) -> bool:
    with contextlib.suppress(OSError):
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def _check_target(path: str, overwrite: bool, inputs: Iterable[PathLike]) -> None:
    """Refuse inputs, existing files (unless ``overwrite``), folders and bad folders."""
    for item in inputs:
        if _same_file(path, os.fspath(item)):
            raise file_error(
                path,
                "is one of the input files",
                "write to another path (inputs are never replaced)",
            )
    if os.path.isdir(path):
        raise file_error(path, "is a folder", "give a file name, e.g. out.wav inside it")
    if os.path.lexists(path) and not overwrite:
        raise file_error(path, "already exists", "pass --overwrite (overwrite=True) to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise file_error(
            path, f"folder {folder!r} does not exist", "create it first or choose another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise file_error(
            path,
            f"folder {folder!r} is not writable",
            "choose another folder or fix its permissions",
        )
