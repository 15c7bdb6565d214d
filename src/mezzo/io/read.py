"""Reading audio files: :class:`AudioInfo`, :func:`info` and :func:`read`.

Everything libsndfile reads goes through python-soundfile (WAV, WAVEX, W64,
RF64, AIFF, FLAC, OGG/Vorbis, Ogg Opus, CAF, and MP3 with libsndfile >= 1.1).
Other formats (M4A/AAC, WMA, ...) are decoded by ``ffmpeg`` when it is on the
PATH (see :mod:`mezzo.io.ffmpeg`).

Every problem with a file is an :class:`~mezzo.errors.AudioFileError` with a
one-line message shaped ``'<path>': <what is wrong> — <what to do>``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import soundfile as sf

from mezzo._validate import check_choice
from mezzo.errors import AudioFileError
from mezzo.results import to_dict

if TYPE_CHECKING:
    from mezzo.io.ffmpeg import FfmpegSource

__all__ = ["AudioInfo", "info", "read"]

PathLike = str | os.PathLike

#: Separator between *what is wrong* and *what to do* in every io message.
DASH = " — "

#: dtypes that ``read`` and ``blocks`` return.
DTYPES = ("float32", "float64")

#: Extensions libsndfile never reads: these go straight to ffmpeg when soundfile fails.
FFMPEG_EXTENSIONS = frozenset(
    {
        "3gp", "aac", "ac3", "adts", "alac", "amr", "ape", "dff", "dsf", "dts", "eac3",
        "m4a", "m4b", "m4p", "mka", "mkv", "mov", "mp4", "mpc", "ra", "tta", "weba",
        "webm", "wma", "wmv", "wv",
    }
)  # fmt: skip

#: Formats whose frame count in the header is exact; a short read means damage.
EXACT_FRAMES = frozenset({"WAV", "WAVEX", "W64", "RF64", "AIFF", "CAF", "FLAC", "AU"})

#: Chunk sizes that writers put in a header when they stream and cannot seek back.
_PLACEHOLDER_SIZE = 0x7FFF0000

#: libsndfile's log lines such as ``data : 192000 (should be 115182)``.
_SIZE_LINE = re.compile(
    r"^\s*(?P<chunk>data|ssnd|riff|form|riff size)\s*:\s*(?P<declared>\d+)\s*"
    r"\(should be (?P<actual>\d+)\)",
    re.IGNORECASE | re.MULTILINE,
)

#: Frames read per chunk by :func:`read` (bounds the temporary interleaved buffer).
_READ_CHUNK_FRAMES = 1 << 20


def file_error(path: PathLike, what: str, todo: str) -> AudioFileError:
    """Return an AudioFileError with the message ``'<path>': <what> — <todo>``."""
    return AudioFileError(f"{os.fspath(path)!r}: {what}{DASH}{todo}")


def libsndfile_detail(exc: BaseException) -> str:
    """Return libsndfile's reason for ``exc`` on one short line, without the path."""
    text = getattr(exc, "error_string", None) or str(exc)
    text = re.sub(r"^Error opening .*?: ", "", str(text))
    text = re.sub(r"^Error\s*:\s*", "", " ".join(text.split())).rstrip(".")
    return text if len(text) <= 120 else text[:117] + "..."


@dataclasses.dataclass(frozen=True, slots=True)
class AudioInfo:
    """What a file holds, read from its header.

    Attributes
    ----------
    path : str
        The path as given.
    sample_rate : int, Hz
        Samples per second per channel.
    channels : int, >= 1
        Number of channels.
    frames : int, >= 0
        Samples per channel. Exact for PCM and FLAC; for files decoded by
        ffmpeg it is estimated from the stream duration.
    duration_s : float, s
        ``frames / sample_rate``.
    format : str
        Container as libsndfile names it (``'WAV'``, ``'FLAC'``, ``'OGG'``...),
        or for ffmpeg-decoded files the upper-case extension (``'M4A'``).
    subtype : str
        Encoding (``'PCM_16'``, ``'PCM_24'``, ``'FLOAT'``, ``'VORBIS'``...), or
        the ffmpeg codec name in upper case (``'AAC'``).
    """

    path: str
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    format: str
    subtype: str

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return to_dict(self)


def check_dtype(dtype: Any) -> str:
    """Return ``dtype`` as ``'float32'`` or ``'float64'``, else raise ParameterError."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = dtype
    return check_choice("dtype", name, DTYPES)


def check_file(path: PathLike) -> str:
    """Return ``path`` as a str if it names a non-empty readable file, else raise."""
    try:
        p = os.fspath(path)
    except TypeError:
        raise AudioFileError(f"{path!r}: is not a path{DASH}pass a str or pathlib.Path") from None
    if not os.path.exists(p):
        raise file_error(p, "no such file", "check the path and the spelling")
    if os.path.isdir(p):
        raise file_error(p, "is a folder, not an audio file", "give the path of a file in it")
    if not os.access(p, os.R_OK):
        raise file_error(p, "cannot be read (permission denied)", "check the file's permissions")
    if os.path.getsize(p) == 0:
        raise file_error(p, "is empty (0 bytes)", "export or copy the file again")
    return p


def extension(path: str) -> str:
    """Return the lower-case extension of ``path`` without the dot."""
    return os.path.splitext(path)[1].lower().lstrip(".")


def open_source(path: PathLike) -> tuple[AudioInfo, sf.SoundFile | FfmpegSource]:
    """Open ``path`` for reading: a SoundFile, or an ffmpeg source when soundfile cannot.

    The caller owns the returned object and must close it (``SoundFile.close``
    or ``FfmpegSource.close``).
    """
    p = check_file(path)
    try:
        handle = sf.SoundFile(p)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        from mezzo.io import ffmpeg

        source = ffmpeg.open_source(p, libsndfile_error=libsndfile_detail(exc))
        return source.info, source
    try:
        _check_truncated(p, handle)
        audio_info = AudioInfo(
            path=p,
            sample_rate=int(handle.samplerate),
            channels=int(handle.channels),
            frames=int(handle.frames),
            duration_s=float(handle.frames) / float(handle.samplerate),
            format=str(handle.format),
            subtype=str(handle.subtype),
        )
    except BaseException:
        handle.close()
        raise
    return audio_info, handle


def _check_truncated(path: str, handle: sf.SoundFile) -> None:
    """Raise if libsndfile logged that the audio chunk is larger than the file holds.

    libsndfile clamps the frame count to what is present and logs the mismatch
    (``data : 192000 (should be 115182)``). The audio chunk's line is used when
    there is one (WAV ``data``, AIFF ``SSND``), the outer chunk's otherwise
    (W64, RF64). Sizes that streaming writers use as placeholders, and
    mismatches smaller than a few frames, are not taken as truncation.
    """
    try:
        log = handle.extra_info
    except Exception:  # pragma: no cover - extra_info is informative only
        return
    lines = {m["chunk"].lower(): m for m in _SIZE_LINE.finditer(log)}
    match = lines.get("data") or lines.get("ssnd") or lines.get("riff") or lines.get("riff size")
    if match is None:
        return
    declared, actual = int(match["declared"]), int(match["actual"])
    frame_bytes = 8 * max(int(handle.channels), 1)
    if declared >= _PLACEHOLDER_SIZE or declared - actual <= frame_bytes:
        return
    raise file_error(
        path,
        f"is truncated (the header promises {declared} bytes of audio, the file holds {actual})",
        "copy or export it again, or repair the header (e.g. sox --ignore-length)",
    )


def no_audio_error(path: str) -> AudioFileError:
    """The error for a file that holds no samples."""
    return file_error(path, "contains no audio (0 samples)", "check the export or the recording")


def damaged_error(path: str, exc: BaseException, backend: str = "libsndfile") -> AudioFileError:
    """The error for a file that fails while its samples are decoded."""
    return file_error(
        path,
        f"is damaged or truncated ({backend}: {libsndfile_detail(exc)})",
        "copy or export it again",
    )


def info(path: PathLike) -> AudioInfo:
    """Describe an audio file from its header.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file. Files soundfile cannot open are probed with ``ffprobe``.

    Returns
    -------
    AudioInfo
        Sample rate, channels, frames, duration, format and subtype. A file
        with zero frames is described (``frames == 0``), not refused.

    Raises
    ------
    AudioFileError
        Missing, empty, truncated, not audio, or a format that needs ffmpeg
        when ffmpeg is not installed.
    """
    audio_info, source = open_source(path)
    source.close()
    return audio_info


def read(path: PathLike, *, dtype: str = "float32") -> tuple[np.ndarray, int]:
    """Read a whole audio file as floats.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file: anything libsndfile reads (WAV incl. W64/RF64, FLAC, AIFF,
        OGG/Vorbis, 8- to 32-bit integer and float PCM), other formats
        through ffmpeg when it is installed.
    dtype : {'float32', 'float64'}
        Sample type of the result. Integer PCM is scaled to -1.0 … +1.0
        (full scale) on reading.

    Returns
    -------
    audio : ndarray, shape (channels, samples)
        C-contiguous; 2-D even for mono files (shape ``(1, samples)``).
    sample_rate : int, Hz
        The file's sample rate.

    Raises
    ------
    AudioFileError
        For a missing, empty, truncated, damaged or unsupported file, or one
        with no samples.

    Notes
    -----
    The file is read in chunks of about a million frames straight into the
    channels-first result, so peak memory is the result plus one chunk. Use
    :func:`mezzo.io.blocks` to keep memory flat for long files.

    Examples
    --------
    >>> import numpy as np, soundfile as sf, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, np.zeros((480, 2)), 48000, subtype="PCM_16")
    >>> audio, sample_rate = read(path)
    >>> audio.shape, audio.dtype, sample_rate
    ((2, 480), dtype('float32'), 48000)
    """
    dtype = check_dtype(dtype)
    audio_info, source = open_source(path)
    try:
        if not isinstance(source, sf.SoundFile):
            return source.read_all(dtype), audio_info.sample_rate
        if audio_info.frames == 0:
            raise no_audio_error(audio_info.path)
        audio = _read_soundfile(audio_info, source, dtype)
    finally:
        source.close()
    return audio, audio_info.sample_rate


def _read_soundfile(audio_info: AudioInfo, handle: sf.SoundFile, dtype: str) -> np.ndarray:
    """Read every frame of ``handle`` into a C-contiguous (channels, frames) array."""
    expected = audio_info.frames
    out = np.empty((audio_info.channels, expected), dtype=dtype)
    chunk = np.empty((min(expected, _READ_CHUNK_FRAMES), audio_info.channels), dtype=dtype)
    done = 0
    try:
        while done < expected:
            want = min(expected - done, len(chunk))
            got = handle.read(want, dtype=dtype, always_2d=True, out=chunk[:want])
            n = len(got)
            if n == 0:
                break
            out[:, done : done + n] = got.T
            done += n
        rest = None
        if done == expected and audio_info.format not in EXACT_FRAMES:
            # Compressed formats (MP3) estimate their length: take any frames past it.
            rest = handle.read(dtype=dtype, always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise damaged_error(audio_info.path, exc) from None
    if rest is not None and len(rest):
        return np.ascontiguousarray(np.concatenate([out, rest.T], axis=1))
    if done < expected:
        if audio_info.format in EXACT_FRAMES:
            raise file_error(
                audio_info.path,
                f"is truncated (the header promises {expected} samples, only {done} could be read)",
                "copy or export it again",
            )
        if done == 0:
            raise no_audio_error(audio_info.path)
        # Compressed formats (MP3) estimate their length: keep what was decoded.
        out = np.ascontiguousarray(out[:, :done])
    return out
