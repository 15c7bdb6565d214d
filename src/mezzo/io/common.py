"""What mezzo.io shares: the :class:`AudioInfo` record, input checks and one-line file errors.

Every problem with a file is an :class:`~mezzo.errors.AudioFileError` with a
one-line message shaped ``'<path>': <what is wrong> — <what to do>``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from mezzo._validate import MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, check_choice
from mezzo.errors import AudioFileError
from mezzo.io.atomic import file_kind, os_error
from mezzo.results import to_dict

__all__ = [
    "DASH",
    "DTYPES",
    "EXACT_FRAMES",
    "FFMPEG_EXTENSIONS",
    "FLOAT_SUBTYPES",
    "AudioInfo",
    "PathLike",
    "check_dtype",
    "check_file",
    "check_finite",
    "check_supported",
    "damaged_error",
    "extension",
    "file_error",
    "is_mpeg",
    "libsndfile_detail",
    "no_audio_error",
    "quiet_decoder",
]

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
    """Return ``path`` as a str if it names a non-empty readable regular file, else raise.

    A FIFO, a device (``/dev/zero``) or a socket is refused: audio must be a
    file that can be read twice and whose length is known.
    """
    try:
        p = os.fspath(path)
    except TypeError:
        raise AudioFileError(f"{path!r}: is not a path{DASH}pass a str or pathlib.Path") from None
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            raise file_error(p, "is a symbolic link to a missing file", "check the link") from None
        raise file_error(p, "no such file", "check the path and the spelling") from None
    except OSError as exc:
        raise os_error(p, exc, writing=False) from None
    kind = file_kind(st.st_mode)
    if kind == "a folder":
        raise file_error(p, "is a folder, not an audio file", "give the path of a file in it")
    if kind is not None:
        raise file_error(p, f"is {kind}, not an audio file", "save the audio to a regular file and give its path")
    if not os.access(p, os.R_OK):
        raise file_error(p, "cannot be read (permission denied)", "check the file's permissions")
    if st.st_size == 0:
        raise file_error(p, "is empty (0 bytes)", "export or copy the file again")
    return p


def extension(path: str) -> str:
    """Return the lower-case extension of ``path`` without the dot."""
    return os.path.splitext(path)[1].lower().lstrip(".")

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


def check_supported(audio_info: AudioInfo) -> None:
    """Refuse a file whose sample rate or channel count mezzo cannot process, naming the file."""
    rate, channels = audio_info.sample_rate, audio_info.channels
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise file_error(
            audio_info.path,
            f"has a sample rate of {rate} Hz; mezzo handles {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE} Hz",
            "resample it first (e.g. ffmpeg -i IN -ar 48000 OUT.wav)",
        )
    if channels > MAX_CHANNELS:
        raise file_error(
            audio_info.path,
            f"has {channels} channels; mezzo handles 1 to {MAX_CHANNELS}",
            "split it or downmix it first",
        )


#: Float encodings: the only ones whose samples can be NaN or infinite.
FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})


def check_finite(path: str, block: np.ndarray, start_frame: int, sample_rate: int) -> None:
    """Raise, naming the file and the time, if ``block`` (frames, channels) holds NaN or Inf.

    A sum is cheaper than a full ``isfinite`` pass and is finite exactly when every
    sample is (finite float32 samples cannot overflow a float64 sum).
    """
    if math.isfinite(float(np.sum(block, dtype=np.float64))):
        return
    bad = ~np.isfinite(block)
    if not bad.any():  # huge float64 samples overflowed the sum: they are finite
        return
    frame = start_frame + int(np.argmax(bad.any(axis=1)))
    raise file_error(
        path,
        f"holds NaN or infinite samples (the first at {frame / sample_rate:.3f} s)",
        "export it again, or repair the processing that wrote it",
    )


#: Extensions of MPEG audio, which libsndfile decodes with libmpg123.
_MPEG_EXTENSIONS = frozenset({"mp3", "mp2", "mp1", "mpga"})


def is_mpeg(path: str) -> bool:
    """Whether ``path`` holds MPEG audio (by its extension, or an ID3 tag or frame sync at the start)."""
    if extension(path) in _MPEG_EXTENSIONS:
        return True
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        head = handle.read(3)
        return head == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    return False


@contextlib.contextmanager
def quiet_decoder(enabled: bool = True) -> Iterator[None]:
    """Silence what a C decoder prints on file descriptor 2 (libmpg123's "Note: ..." lines).

    libmpg123, inside libsndfile, writes its notes on damaged or odd MP3 frames
    straight to stderr; mezzo reports problems itself, on one line. The
    descriptor is pointed at /dev/null only for the duration of the call.
    """
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
