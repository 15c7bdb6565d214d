"""Reading audio files: :func:`info` and :func:`read` (and :func:`open_source` for blocks).

Everything libsndfile reads goes through python-soundfile (WAV, WAVEX, W64,
RF64, AIFF, FLAC, OGG/Vorbis, Ogg Opus, CAF, and MP3 with libsndfile >= 1.1).
Other formats (M4A/AAC, WMA, ...) are decoded by ``ffmpeg`` when it is on the
PATH (see :mod:`mezzo.io.ffmpeg`).

Every problem with a file is an :class:`~mezzo.errors.AudioFileError` with a
one-line message shaped ``'<path>': <what is wrong> — <what to do>``.
"""

from __future__ import annotations

import re

import numpy as np
import soundfile as sf

from mezzo.io import ffmpeg
from mezzo.io.common import (
    EXACT_FRAMES,
    FLOAT_SUBTYPES,
    AudioInfo,
    PathLike,
    check_dtype,
    check_file,
    check_finite,
    check_supported,
    damaged_error,
    file_error,
    is_mpeg,
    libsndfile_detail,
    no_audio_error,
    quiet_decoder,
)
from mezzo.io.ffmpeg import FfmpegSource

__all__ = ["AudioInfo", "info", "open_source", "read"]

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


def open_source(path: PathLike) -> tuple[AudioInfo, sf.SoundFile | FfmpegSource]:
    """Open ``path`` for reading: a SoundFile, or an ffmpeg source when soundfile cannot.

    The caller owns the returned object and must close it (``SoundFile.close``
    or ``FfmpegSource.close``).
    """
    p = check_file(path)
    try:
        with quiet_decoder(is_mpeg(p)):
            handle = sf.SoundFile(p)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        source = ffmpeg.open_source(p, libsndfile_error=libsndfile_detail(exc))
        try:
            check_supported(source.info)
        except BaseException:
            source.close()
            raise
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
        check_supported(audio_info)
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
    floats = audio_info.subtype in FLOAT_SUBTYPES
    try:
        with quiet_decoder(audio_info.format == "MP3"):
            while done < expected:
                want = min(expected - done, len(chunk))
                got = handle.read(want, dtype=dtype, always_2d=True, out=chunk[:want])
                n = len(got)
                if n == 0:
                    break
                if floats:
                    check_finite(audio_info.path, got, done, audio_info.sample_rate)
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
