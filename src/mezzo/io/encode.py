"""Lossy outputs (MP3, Ogg Vorbis, Opus, AAC/M4A) encoded by the ``ffmpeg`` program.

One function for every command that writes a lossy file::

    encode(source, output, bitrate_kbps=None, overwrite=False, inputs=())

``source`` is a WAV (or any file ffmpeg reads) or a float array ``(channels,
samples)`` with its ``sample_rate``; the encoder is chosen by the output's
extension (:data:`LOSSY_EXTENSIONS`); ``bitrate_kbps`` sets the bit rate
(default :data:`DEFAULT_BITRATE_KBPS` for the codec; :func:`input_bitrate_kbps`
reads a lossy input's, so an output can keep it). The file is written to a hidden
temporary file in the output's folder and renamed over the output only when
ffmpeg succeeded; on any error the temporary file is removed. Nothing goes
through a shell. Without ``ffmpeg`` on the PATH, a one-line
:class:`~mezzo.errors.AudioFileError` says to install it or to write WAV/FLAC.

Why ffmpeg and not libsndfile: libsndfile's MP3 writer has no bit-rate control
and came out 0.23 LU louder and 1 dB hotter than its input in a test of the
mastering job; its Vorbis and Opus writers change the bit rate of the input
(156 -> 114 kb/s, 52 -> 121 kb/s). A lossy encoder also changes the peaks:
the decoded file can be hotter than what was encoded, so the mastering job
decodes what it wrote and measures that (see :mod:`mezzo.mastering`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from typing import Any

import numpy as np

from mezzo.errors import AudioFileError, ParameterError

__all__ = [
    "DEFAULT_BITRATE_KBPS",
    "LOSSY_EXTENSIONS",
    "check_bitrate",
    "codec_of",
    "encode",
    "input_bitrate_kbps",
    "is_lossy",
    "require_ffmpeg",
]

#: extension -> (ffmpeg encoder, ffmpeg muxer, codec name as ffprobe reports it)
LOSSY_EXTENSIONS: dict[str, tuple[str, str, str]] = {
    "mp3": ("libmp3lame", "mp3", "mp3"),
    "ogg": ("libvorbis", "ogg", "vorbis"),
    "oga": ("libvorbis", "ogg", "vorbis"),
    "opus": ("libopus", "opus", "opus"),
    "m4a": ("aac", "ipod", "aac"),
    "aac": ("aac", "adts", "aac"),
}
#: bit rate per codec when neither the caller nor a lossy input says, kb/s (stereo)
DEFAULT_BITRATE_KBPS: dict[str, float] = {"mp3": 256.0, "vorbis": 192.0, "opus": 160.0, "aac": 256.0}
#: accepted bit rates, kb/s
MIN_BITRATE_KBPS, MAX_BITRATE_KBPS = 6.0, 512.0
#: seconds an encode may take per minute of audio before it is given up
TIMEOUT_S_PER_MINUTE = 120.0

INSTALL_HINT = "install ffmpeg (e.g. apt-get install ffmpeg) or write WAV/FLAC"


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower().lstrip(".")


def is_lossy(path: str | os.PathLike[str]) -> bool:
    """Whether ``path``'s extension names a lossy format that :func:`encode` writes."""
    return _extension(os.fspath(path)) in LOSSY_EXTENSIONS


def codec_of(path: str | os.PathLike[str]) -> str:
    """The codec an output path's extension names (``'mp3'``, ``'vorbis'``, ``'opus'``, ``'aac'``)."""
    return LOSSY_EXTENSIONS[_extension(os.fspath(path))][2]


def require_ffmpeg(output: str | os.PathLike[str]) -> str:
    """The ffmpeg program, or a one-line :class:`~mezzo.errors.AudioFileError` naming ``output``."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise AudioFileError(
            f"{os.fspath(output)!r}: lossy files are encoded by ffmpeg, which is not installed — {INSTALL_HINT}"
        )
    return exe


def check_bitrate(bitrate_kbps: Any) -> float | None:
    """Return ``bitrate_kbps`` as a float in range, or ``None``; else raise ParameterError."""
    if bitrate_kbps is None:
        return None
    try:
        value = float(bitrate_kbps)
    except (TypeError, ValueError):
        raise ParameterError(f"bitrate_kbps={bitrate_kbps!r} is not a number: give kb/s, e.g. 192") from None
    if not MIN_BITRATE_KBPS <= value <= MAX_BITRATE_KBPS:
        raise ParameterError(
            f"bitrate_kbps={bitrate_kbps!r} is out of range: expected {MIN_BITRATE_KBPS:g} to "
            f"{MAX_BITRATE_KBPS:g} kb/s"
        )
    return value


def input_bitrate_kbps(path: str | os.PathLike[str]) -> float | None:
    """The audio bit rate of a lossy file, kb/s (ffprobe), or ``None`` (lossless, unknown, no ffprobe).

    The stream's nominal bit rate when the container records one (MP3, AAC, Vorbis),
    else the file's average (Opus: size over duration, less nothing for the container).
    """
    path = os.fspath(path)
    if not is_lossy(path):
        return None
    exe = shutil.which("ffprobe")
    if exe is None:
        return None
    cmd = [exe, "-v", "error", "-select_streams", "a:0", "-show_entries",
           "stream=bit_rate:format=bit_rate", "-of", "default=noprint_wrappers=1", "file:" + os.path.abspath(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    values: dict[str, float] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        with contextlib.suppress(ValueError):
            values.setdefault(key.strip(), float(value))
    rate = values.get("bit_rate")
    return None if rate is None or rate <= 0 else rate / 1000.0


def _temporary_beside(output: str, suffix: str) -> str:
    folder = os.path.dirname(os.path.abspath(output)) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(output) + ".", suffix=suffix, dir=folder)
    os.close(fd)
    return tmp


def encode(
    source: str | os.PathLike[str] | np.ndarray,
    output: str | os.PathLike[str],
    *,
    sample_rate: int | None = None,
    bitrate_kbps: float | None = None,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> float:
    """Encode ``source`` into the lossy file ``output`` with ffmpeg, atomically.

    Parameters
    ----------
    source : path or ndarray
        A file ffmpeg reads (e.g. a float WAV), or float audio ``(channels, samples)``
        (1-D is mono) with ``sample_rate``.
    output : path
        The lossy file; its extension chooses the codec (``.mp3`` LAME, ``.ogg``/``.oga``
        Vorbis, ``.opus`` Opus at 48 kHz, ``.m4a``/``.aac`` AAC).
    sample_rate : int, Hz
        Rate of an array ``source`` (ignored for files).
    bitrate_kbps : float, 6 to 512, optional
        Bit rate, kb/s (ffmpeg ``-b:a``; an average for the VBR codecs). Default:
        :data:`DEFAULT_BITRATE_KBPS` for the codec.
    overwrite : bool
        Replace an existing ``output`` (never one of ``inputs``).
    inputs : paths
        Files ``output`` must not replace.

    Returns
    -------
    float
        The bit rate asked for, kb/s.

    Raises
    ------
    AudioFileError
        ffmpeg missing or failing (its last line of error output is quoted), an
        output that is an input, exists (without ``overwrite``) or is not lossy.
    ParameterError
        ``bitrate_kbps`` out of range.
    """
    from mezzo.io import check_output

    out = os.fspath(output)
    ext = _extension(out)
    if ext not in LOSSY_EXTENSIONS:
        raise AudioFileError(
            f"{out!r}: .{ext or '(none)'} is not a lossy format mezzo encodes — use "
            f"{', '.join('.' + e for e in LOSSY_EXTENSIONS)}"
        )
    check_output(out, overwrite=overwrite, inputs=[os.fspath(p) for p in inputs])
    encoder, muxer, codec = LOSSY_EXTENSIONS[ext]
    kbps = check_bitrate(bitrate_kbps) or DEFAULT_BITRATE_KBPS[codec]
    exe = require_ffmpeg(out)
    wav = None
    try:
        if isinstance(source, np.ndarray):
            from mezzo.io import write

            if sample_rate is None:
                raise ParameterError("sample_rate is required when source is an array")
            wav = _temporary_beside(out, ".wav")
            write(wav, source, sample_rate, subtype="FLOAT", overwrite=True)
            src = wav
        else:
            src = os.fspath(source)
        minutes = 1.0
        with contextlib.suppress(Exception):
            from mezzo.io import info

            meta = info(src)
            minutes = max(1.0, meta.frames / meta.sample_rate / 60.0)
        tmp = _temporary_beside(out, "." + ext)
        cmd = [exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", "file:" + os.path.abspath(src),
               "-vn", "-map_metadata", "-1", "-c:a", encoder, "-b:a", f"{kbps:g}k"]
        if codec == "opus":
            cmd += ["-ar", "48000"]  # Opus runs at 48 kHz; ffmpeg resamples with soxr-quality defaults
        cmd += ["-f", muxer, "file:" + tmp]
        try:
            done = subprocess.run(
                cmd, capture_output=True, timeout=TIMEOUT_S_PER_MINUTE * minutes, check=False, stdin=subprocess.DEVNULL
            )
            if done.returncode != 0:
                lines = [ln.strip() for ln in done.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
                reason = lines[-1][:160] if lines else f"exit status {done.returncode}"
                raise AudioFileError(f"{out!r}: ffmpeg could not encode it ({reason}) — check the output path, or write WAV/FLAC")
            os.replace(tmp, out)
        except subprocess.TimeoutExpired:
            raise AudioFileError(f"{out!r}: ffmpeg did not finish encoding in time — write WAV/FLAC") from None
        finally:
            with contextlib.suppress(OSError):
                os.remove(tmp)
    finally:
        if wav is not None:
            with contextlib.suppress(OSError):
                os.remove(wav)
    return kbps
