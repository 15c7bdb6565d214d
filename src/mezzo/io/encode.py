"""Lossy outputs (MP3, Ogg Vorbis, Opus, AAC/M4A) encoded by the ``ffmpeg`` program.

Every lossy output of mezzo goes through here: :func:`mezzo.io.open_writer` and
:func:`mezzo.io.write` hand a ``.mp3``/``.ogg``/``.opus``/``.m4a``/``.aac`` path to
:class:`mezzo.io.stream.EncodedWriter`, which collects the blocks in a float WAV
scratch file and, when it is committed, runs :func:`encode_file` into the
temporary file of an :class:`~mezzo.io.atomic.AtomicFile` (renamed over the
output only when ffmpeg succeeded; removed on any error). :func:`encode` does the
same for an existing file. The encoder is chosen by the output's extension
(:data:`LOSSY_EXTENSIONS`); ``bitrate_kbps`` sets the bit rate (default: a lossy
input's, :func:`input_bitrate_kbps`, else :data:`DEFAULT_BITRATE_KBPS` for the
codec). Nothing goes through a shell. Without ``ffmpeg`` on the PATH, ``.mp3``,
``.ogg`` and ``.opus`` fall back to libsndfile's encoders, and ``.m4a``/``.aac``
get a one-line :class:`~mezzo.errors.AudioFileError` that says to install it or to
write WAV/FLAC.

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
from collections.abc import Iterable, Mapping
from typing import Any

from mezzo.errors import AudioFileError, ParameterError
from mezzo.io.atomic import AtomicFile

__all__ = [
    "DEFAULT_BITRATE_KBPS",
    "LOSSY_EXTENSIONS",
    "check_bitrate",
    "check_lossy_output",
    "codec_of",
    "default_bitrate_kbps",
    "encode",
    "encode_file",
    "input_bitrate_kbps",
    "is_lossy",
    "require_ffmpeg",
    "routes_to_ffmpeg",
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
#: lossy extensions libsndfile also writes (its encoders are the fallback without ffmpeg)
LIBSNDFILE_LOSSY = frozenset({"mp3", "ogg", "oga", "opus"})
#: bit rate per codec when neither the caller nor a lossy input says, kb/s (stereo)
DEFAULT_BITRATE_KBPS: dict[str, float] = {"mp3": 256.0, "vorbis": 192.0, "opus": 160.0, "aac": 256.0}
#: accepted bit rates, kb/s
MIN_BITRATE_KBPS, MAX_BITRATE_KBPS = 6.0, 512.0
#: seconds an encode may take per minute of audio before it is given up
TIMEOUT_S_PER_MINUTE = 120.0
#: ffmpeg's metadata key for a libsndfile tag name, where they differ ("": not written; ffmpeg
#: sets the encoder itself)
FFMPEG_TAG_NAMES = {"tracknumber": "track", "software": ""}

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


def routes_to_ffmpeg(path: str | os.PathLike[str]) -> bool:
    """Whether an output at ``path`` is encoded by ffmpeg (:class:`mezzo.io.stream.EncodedWriter`).

    Every lossy extension is, when ffmpeg is installed; without it, ``.mp3``, ``.ogg``
    and ``.opus`` fall back to libsndfile's encoders, and ``.m4a``/``.aac`` are
    refused by :func:`require_ffmpeg` with a one-line error.
    """
    ext = _extension(os.fspath(path))
    if ext not in LOSSY_EXTENSIONS:
        return False
    return ext not in LIBSNDFILE_LOSSY or shutil.which("ffmpeg") is not None


def default_bitrate_kbps(output: str | os.PathLike[str], like: str | os.PathLike[str] | None = None) -> float:
    """The bit rate an output gets when none is asked for: a lossy ``like``'s, else the codec's default."""
    rate = input_bitrate_kbps(like) if like is not None else None
    if rate is not None:
        return float(min(max(rate, MIN_BITRATE_KBPS), MAX_BITRATE_KBPS))
    return DEFAULT_BITRATE_KBPS[codec_of(output)]


def encode_file(
    source: str, target: str, *, output: str, bitrate_kbps: float, seconds: float | None = None,
    tags: Mapping[str, str] | None = None,
) -> None:
    """Run ffmpeg: encode the audio file ``source`` into the file ``target`` (replaced).

    ``output`` is the path the user named (its extension chooses the codec; it is
    the path the errors name); ``target`` is where ffmpeg writes (an
    :class:`~mezzo.io.atomic.AtomicFile`'s temporary file). ``seconds`` (the
    audio's duration) sets the time limit. ``tags`` (title, artist...: the names
    of :data:`mezzo.io.stream.TAGS`) are written as the container's metadata
    (ID3, Vorbis comments, MP4 atoms); the source's own metadata is not copied.
    """
    ext = _extension(output)
    encoder, muxer, codec = LOSSY_EXTENSIONS[ext]
    exe = require_ffmpeg(output)
    cmd = [exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", "file:" + os.path.abspath(source),
           "-vn", "-map_metadata", "-1", "-c:a", encoder, "-b:a", f"{bitrate_kbps:g}k"]
    for name, value in (tags or {}).items():
        key = FFMPEG_TAG_NAMES.get(name, name)
        if key and value:
            cmd += ["-metadata", f"{key}={value}"]
    if codec == "opus":
        cmd += ["-ar", "48000"]  # Opus runs at 48 kHz; ffmpeg resamples with soxr-quality defaults
    cmd += ["-f", muxer, "file:" + os.path.abspath(target)]
    minutes = max(1.0, (seconds or 0.0) / 60.0)
    try:
        done = subprocess.run(
            cmd, capture_output=True, timeout=TIMEOUT_S_PER_MINUTE * minutes, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise AudioFileError(f"{output!r}: ffmpeg did not finish encoding in time — write WAV/FLAC") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        reason = lines[-1][:160] if lines else f"exit status {done.returncode}"
        raise AudioFileError(f"{output!r}: ffmpeg could not encode it ({reason}) — check the output path, or write WAV/FLAC")


def check_lossy_output(output: str | os.PathLike[str]) -> str:
    """``output`` as a string, or a one-line error when its extension is not a lossy one :func:`encode` writes."""
    out = os.fspath(output)
    ext = _extension(out)
    if ext not in LOSSY_EXTENSIONS:
        raise AudioFileError(
            f"{out!r}: .{ext or '(none)'} is not a lossy format mezzo encodes — use "
            f"{', '.join('.' + e for e in LOSSY_EXTENSIONS)}"
        )
    return out


def encode(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    bitrate_kbps: float | None = None,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> float:
    """Encode the audio file ``source`` into the lossy file ``output`` with ffmpeg, atomically.

    Parameters
    ----------
    source : path
        A file ffmpeg reads (e.g. a float WAV). To encode samples, write them with
        :func:`mezzo.io.write` or :func:`mezzo.io.open_writer` to a lossy path.
    output : path
        The lossy file; its extension chooses the codec (``.mp3`` LAME, ``.ogg``/``.oga``
        Vorbis, ``.opus`` Opus at 48 kHz, ``.m4a``/``.aac`` AAC).
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

    Notes
    -----
    ffmpeg writes into the temporary file of a :class:`mezzo.io.atomic.AtomicFile`,
    which is renamed over ``output`` only when it succeeded.
    """
    out = check_lossy_output(output)
    kbps = check_bitrate(bitrate_kbps) or DEFAULT_BITRATE_KBPS[codec_of(out)]
    require_ffmpeg(out)
    src = os.fspath(source)
    seconds = None
    with contextlib.suppress(Exception):
        from mezzo.io.read import info

        meta = info(src)
        seconds = meta.frames / meta.sample_rate
    with AtomicFile(out, overwrite=overwrite, inputs=[src, *inputs]) as target:
        assert target.temporary is not None
        encode_file(src, target.temporary, output=out, bitrate_kbps=kbps, seconds=seconds)
    return kbps
