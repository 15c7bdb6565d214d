"""Writing a whole array to an audio file atomically: :func:`write`.

The format rules live in :mod:`mezzo.io.formats`, the refusals and the
temporary-file mechanics in :mod:`mezzo.io.atomic`; this is
:func:`mezzo.io.open_writer` fed with the whole array.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mezzo._validate import check_audio, check_sample_rate
from mezzo.io.common import PathLike
from mezzo.io.stream import open_writer

__all__ = ["write"]

#: Frames converted to interleaved (frames, channels) order per write call.
WRITE_CHUNK_FRAMES = 1 << 18


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
    bitrate_kbps: float | None = None,
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
        An input file whose encoding is kept when the output's container can
        hold it and it is plain PCM or float (a 16-bit FLAC input gives a
        16-bit WAV output), or the containers are the same. A codec is never
        carried into another container (an MP3 input gives PCM in a WAV).
    format : str, optional
        libsndfile format name (``'WAV'``, ``'FLAC'``, ``'AIFF'``, ``'OGG'``,
        ``'W64'``, ``'RF64'``...). Default: from the extension, which must name
        a format mezzo writes (see :mod:`mezzo.io.formats`).
    subtype : str, optional
        libsndfile subtype (``'PCM_16'``, ``'PCM_24'``, ``'FLOAT'``...).
        Default: ``like``'s when kept, else PCM_24 for WAV, W64, RF64,
        AIFF, CAF and FLAC, VORBIS for OGG (OPUS for ``.opus``), MPEG layer
        III for MP3, libsndfile's default for other formats.
    overwrite : bool
        Replace an existing output file. Paths in ``inputs`` are never
        replaced, even with ``overwrite=True``.
    inputs : iterable of str or os.PathLike
        Paths this output must not replace (the files the audio came from).
    bitrate_kbps : float, 6 to 512, optional
        Bit rate of a lossy output (``.mp3``, ``.ogg``, ``.opus``, ``.m4a``,
        ``.aac``), which ffmpeg encodes (:mod:`mezzo.io.encode`), kb/s. Default:
        a lossy ``like``'s, else the codec's default.

    Raises
    ------
    AudioFileError
        The output is an input, exists without ``overwrite``, is a folder or
        not a regular file, its extension names no format mezzo writes, its
        folder is missing, read-only or not writable, the disk is full, or
        libsndfile or the OS fails.
    AudioInputError
        ``audio`` is empty, not float, wrongly shaped or holds NaN/Inf.
    ParameterError
        ``sample_rate``, ``format`` or ``subtype`` is invalid.

    Notes
    -----
    The file is written to a hidden temporary file in the target folder,
    flushed to disk (``fsync``) and renamed over ``path``
    (:mod:`mezzo.io.atomic`); on any error the temporary file is removed, so
    ``path`` is either untouched or complete. Without ``overwrite`` the rename
    fails if ``path`` appeared meanwhile. A new file gets the usual permissions
    (0666 less the umask); a replaced file keeps its permissions.

    This is :func:`mezzo.io.open_writer` fed with the whole array; use that
    to write a long output block by block in bounded memory.

    No processing happens here: no dither, no clipping beyond what libsndfile
    does when it converts samples beyond ±1.0 to integer PCM (it clips).
    A WAV output that would pass the 4 GiB RIFF limit is written as RF64.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import mezzo
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.flac")
    >>> tone = 0.25 * np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)
    >>> mezzo.write(path, np.stack([tone, tone]), 44100)  # FLAC from the extension, 24-bit
    >>> audio, rate = mezzo.read(path)
    >>> audio.shape, rate
    ((2, 44100), 44100)
    """
    sample_rate = check_sample_rate(sample_rate)
    data = check_audio(audio)
    channels, frames = data.shape
    with open_writer(
        path, sample_rate, channels, like=like, format=format, subtype=subtype,
        overwrite=overwrite, inputs=inputs, frames_hint=frames, bitrate_kbps=bitrate_kbps,
    ) as writer:  # fmt: skip
        for start in range(0, frames, WRITE_CHUNK_FRAMES):
            writer.write(data[:, start : start + WRITE_CHUNK_FRAMES])
