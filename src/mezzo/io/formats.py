"""Which format and encoding an output file gets: :func:`output_format`.

The output's extension names the container, always: ``.wav`` is a WAV file,
``.flac`` a FLAC file, whatever the input was. An extension mezzo cannot write,
or none, is refused with the list of those that work (a format can still be
forced with ``format='WAV'`` in the API). The encoding follows the container:

- an explicit ``subtype`` wins (``'PCM_16'``, ``'FLOAT'``...);
- else the input's (``like``) when the container can hold it and it is plain PCM
  or float (a 16-bit FLAC gives a 16-bit WAV), or the containers are the same
  (an Ogg Vorbis input gives Ogg Vorbis); a codec is never carried into another
  container (an MP3 input gives PCM in a ``.wav``);
- else the container's default: 24-bit PCM for WAV, W64, RF64, AIFF, CAF and
  FLAC, Vorbis for ``.ogg``, Opus for ``.opus``, MPEG layer III for ``.mp3``.

Lossy outputs (``.mp3``, ``.ogg``, ``.opus``, and ``.m4a``/``.aac``, which
libsndfile cannot write: ``('M4A', 'AAC')`` and ``('AAC', 'AAC')`` here) are
encoded by ffmpeg when it is installed (:mod:`mezzo.io.encode`).
"""

from __future__ import annotations

import os

import soundfile as sf

from mezzo.errors import ParameterError
from mezzo.io.common import PathLike, file_error
from mezzo.io.read import info

__all__ = ["LOSSY_ONLY_EXTENSIONS", "WRITABLE_EXTENSIONS", "container", "output_format"]

#: Extensions mezzo writes through libsndfile, and the format each one names.
WRITABLE_EXTENSIONS = {
    "wav": "WAV",
    "wave": "WAV",
    "bwf": "WAV",
    "w64": "W64",
    "rf64": "RF64",
    "aif": "AIFF",
    "aiff": "AIFF",
    "aifc": "AIFF",
    "flac": "FLAC",
    "ogg": "OGG",
    "oga": "OGG",
    "opus": "OGG",
    "mp3": "MP3",
    "caf": "CAF",
    "au": "AU",
    "snd": "AU",
}

#: Extensions of formats only an encoder such as ffmpeg's writes (not libsndfile).
LOSSY_ONLY_EXTENSIONS = frozenset({"mp4", "m4b", "wma", "ac3", "webm", "mka"})

#: Extensions only ffmpeg encodes (:mod:`mezzo.io.encode`), and the (format, subtype) they name.
ENCODED_ONLY = {"m4a": ("M4A", "AAC"), "aac": ("AAC", "AAC")}

#: Default subtype per format when neither ``subtype`` nor ``like`` decides it.
DEFAULT_SUBTYPES = {
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

#: Subtypes that are plain samples: kept from the input in any container that holds them.
PLAIN_SUBTYPES = frozenset({"PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"})

#: Bytes per sample, to switch WAV to RF64 before the 4 GiB RIFF limit.
SAMPLE_BYTES = {"PCM_S8": 1, "PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}
RIFF_LIMIT_BYTES = 0xFFFFFFFF - (1 << 20)


def container(fmt: str, subtype: str, channels: int, frames: int) -> str:
    """``fmt``, or ``'RF64'`` for a WAV whose data would pass the 4 GiB RIFF limit."""
    if fmt in ("WAV", "WAVEX") and frames * channels * SAMPLE_BYTES.get(subtype, 0) > RIFF_LIMIT_BYTES:
        return "RF64"
    return fmt


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower().lstrip(".")


def _writable_list() -> str:
    return ".wav, .flac, .aiff, .ogg, .opus, .mp3, .m4a, .aac, .w64, .rf64 or .caf"


def format_from_extension(path: str) -> str:
    """The libsndfile format the extension of ``path`` names, or raise AudioFileError."""
    ext = _extension(path)
    fmt = WRITABLE_EXTENSIONS.get(ext)
    if fmt is not None and fmt in sf.available_formats():
        return fmt
    if not ext:
        what = "has no extension, so its format is unknown"
    elif ext in LOSSY_ONLY_EXTENSIONS:
        what = f".{ext} files cannot be written by mezzo (no {ext.upper()} encoder)"
    else:
        what = f"the extension .{ext} names no audio format mezzo writes"
    raise file_error(path, what, f"use {_writable_list()}")


def _default_subtype(fmt: str, path: str) -> str:
    if fmt == "OGG" and _extension(path) == "opus":
        return "OPUS"
    return DEFAULT_SUBTYPES.get(fmt) or str(sf.default_subtype(fmt))


def output_format(
    path: PathLike,
    *,
    like: PathLike | None = None,
    format: str | None = None,
    subtype: str | None = None,
) -> tuple[str, str]:
    """Return the ``(format, subtype)`` an output file at ``path`` is written in.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; its extension names the container.
    like : str or os.PathLike, optional
        The input whose encoding is kept when the container can hold it
        (plain PCM or float, or the same container).
    format : str, optional
        libsndfile format name (``'WAV'``, ``'FLAC'``...): forces the container
        whatever the extension.
    subtype : str, optional
        libsndfile subtype (``'PCM_16'``, ``'PCM_24'``, ``'FLOAT'``...).

    Returns
    -------
    tuple of str
        libsndfile format and subtype names, e.g. ``('WAV', 'PCM_24')``. A WAV
        that turns out to pass 4 GiB is still written as RF64.

    Raises
    ------
    AudioFileError
        The extension names no format mezzo writes (or there is none), and no
        ``format`` is given.
    ParameterError
        ``format`` or ``subtype`` is not supported.

    Examples
    --------
    >>> output_format("mix.flac")
    ('FLAC', 'PCM_24')
    >>> output_format("voice.wav", subtype="PCM_16")
    ('WAV', 'PCM_16')
    """
    p = os.fspath(path)
    formats = sf.available_formats()
    if format is not None:
        fmt = str(format).upper()
        if fmt not in formats:
            allowed = ", ".join(sorted(formats))
            raise ParameterError(f"format={format!r} is not supported: expected one of {allowed}")
    else:
        encoded = ENCODED_ONLY.get(_extension(p))
        if encoded is not None and subtype is None:
            return encoded
        fmt = format_from_extension(p)
    if subtype is not None:
        sub = str(subtype).upper()
        if not sf.check_format(fmt, sub):
            allowed = ", ".join(s for s in sf.available_subtypes(fmt) if sf.check_format(fmt, s))
            raise ParameterError(
                f"subtype={subtype!r} is not supported by format {fmt!r}: expected one of {allowed}"
            )
        return fmt, sub
    if like is not None and not (fmt == "OGG" and _extension(p) == "opus"):
        source = info(like)
        keep = source.subtype in PLAIN_SUBTYPES or source.format == fmt
        if keep and sf.check_format(fmt, source.subtype):
            return fmt, source.subtype
    return fmt, _default_subtype(fmt, p)
