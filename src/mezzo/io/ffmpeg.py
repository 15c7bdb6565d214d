"""Decoding through the ``ffmpeg`` and ``ffprobe`` programs, for formats libsndfile lacks.

Used only when soundfile cannot open a file (M4A/AAC, WMA, Matroska audio...).
``ffprobe`` reports the first audio stream's rate, channels and duration;
``ffmpeg`` decodes that stream to raw 32-bit float little-endian samples
(``-f f32le``) written to a pipe, which is read a block at a time, so memory
stays flat however long the file. Nothing goes through a shell.

When ``ffmpeg`` or ``ffprobe`` is not on the PATH, such files raise an
:class:`~mezzo.errors.AudioFileError` that says to install ffmpeg or convert
the file to WAV/FLAC.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import Any

import numpy as np

from mezzo.io.common import (
    FFMPEG_EXTENSIONS,
    AudioInfo,
    extension,
    file_error,
    no_audio_error,
)

__all__ = ["FfmpegSource", "open_source"]

#: Seconds ffprobe may take to read a header.
PROBE_TIMEOUT_S = 60.0

#: Bytes per decoded sample (``pcm_f32le``).
_SAMPLE_BYTES = 4

#: Frames per pipe read in :meth:`FfmpegSource.read_all`.
_READ_ALL_FRAMES = 1 << 18

INSTALL_HINT = "install ffmpeg (e.g. apt-get install ffmpeg) or convert the file to WAV/FLAC"


def _url(path: str) -> str:
    """Return ``path`` as an ffmpeg URL that no name can be mistaken for an option or protocol."""
    return "file:" + os.path.abspath(path)


def _last_line(text: bytes | str) -> str:
    """Return the last non-empty line of a program's error output, trimmed."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else "no error message"
    return line if len(line) <= 120 else line[:117] + "..."


def open_source(path: str, *, libsndfile_error: str) -> FfmpegSource:
    """Probe ``path`` with ffprobe and return a source ready to decode it.

    Parameters
    ----------
    path : str
        A file soundfile could not open.
    libsndfile_error : str
        libsndfile's reason, quoted when ffmpeg cannot read the file either.

    Raises
    ------
    AudioFileError
        When ffmpeg is missing, or neither libsndfile nor ffprobe finds audio.
    """
    ext = extension(path)
    ffmpeg_exe = shutil.which("ffmpeg")
    ffprobe_exe = shutil.which("ffprobe")
    if ffmpeg_exe is None or ffprobe_exe is None:
        if ext in FFMPEG_EXTENSIONS:
            missing = "ffmpeg" if ffmpeg_exe is None else "ffprobe"
            raise file_error(
                path,
                f".{ext} files are decoded by ffmpeg, and {missing} is not installed",
                INSTALL_HINT,
            )
        raise _not_audio(path, libsndfile_error)
    probe, problem = _probe(ffprobe_exe, path)
    if probe is None:
        if ext in FFMPEG_EXTENSIONS:
            raise file_error(
                path,
                f"cannot be decoded (ffprobe: {problem})",
                "check the file, or convert it to WAV/FLAC",
            )
        raise _not_audio(path, libsndfile_error)
    return FfmpegSource(path, _audio_info(path, probe), ffmpeg_exe)


def _not_audio(path: str, libsndfile_error: str) -> Exception:
    """The error for a file that libsndfile does not read and ffmpeg cannot help with."""
    if "not recognised" in libsndfile_error.lower() or "not recognized" in libsndfile_error.lower():
        return file_error(
            path, f"not an audio file (libsndfile: {libsndfile_error})", "convert it to WAV/FLAC"
        )
    return file_error(
        path,
        f"has a damaged header or an unsupported encoding (libsndfile: {libsndfile_error})",
        "convert it to WAV/FLAC",
    )


def _probe(ffprobe_exe: str, path: str) -> tuple[dict[str, Any] | None, str]:
    """Run ffprobe on the first audio stream; return (parsed JSON, problem text)."""
    cmd = [
        ffprobe_exe,
        "-v", "error",
        "-select_streams", "a:0",
        "-show_entries",
        "stream=codec_name,sample_rate,channels,duration,duration_ts,time_base"
        ":format=format_name,duration",
        "-of", "json",
        _url(path),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return None, f"no answer within {PROBE_TIMEOUT_S:g} s"
    except OSError as exc:
        return None, str(exc)
    if done.returncode != 0:
        return None, _last_line(done.stderr)
    try:
        probe = json.loads(done.stdout.decode("utf-8", "replace") or "{}")
    except ValueError:
        return None, "unreadable ffprobe output"
    streams = probe.get("streams") or []
    if not streams:
        return None, "no audio stream"
    stream = streams[0]
    try:
        sample_rate = int(float(stream.get("sample_rate", 0)))
        channels = int(stream.get("channels", 0))
    except (TypeError, ValueError):
        return None, "no sample rate or channel count"
    if sample_rate <= 0 or channels <= 0:
        return None, "no sample rate or channel count"
    return probe, ""


def _audio_info(path: str, probe: dict[str, Any]) -> AudioInfo:
    """Build AudioInfo from ffprobe's JSON (frames estimated from the duration)."""
    stream = probe["streams"][0]
    container = probe.get("format") or {}
    sample_rate = int(float(stream["sample_rate"]))
    channels = int(stream["channels"])
    frames = None
    if (
        stream.get("duration_ts") not in (None, "N/A")
        and stream.get("time_base") == f"1/{sample_rate}"
    ):
        try:
            frames = int(stream["duration_ts"])
        except (TypeError, ValueError):
            frames = None
    if frames is None:
        duration = 0.0
        for source in (stream, container):
            try:
                duration = float(source.get("duration"))
                break
            except (TypeError, ValueError):
                continue
        frames = max(round(duration * sample_rate), 0)
    ext = extension(path)
    container_name = (
        ext.upper() if ext else str(container.get("format_name", "")).split(",")[0].upper()
    )
    return AudioInfo(
        path=path,
        sample_rate=sample_rate,
        channels=channels,
        frames=frames,
        duration_s=frames / sample_rate,
        format=container_name,
        subtype=str(stream.get("codec_name", "")).upper(),
    )


class FfmpegSource:
    """An ffmpeg process decoding one file to float32 frames through a pipe.

    The process starts on the first :meth:`read_frames` call. :meth:`close`
    kills it if it is still running; always call it (BlockReader does).
    """

    def __init__(self, path: str, info: AudioInfo, ffmpeg_exe: str) -> None:
        self.path = path
        self.info = info
        self._ffmpeg = ffmpeg_exe
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        self._finished = False
        self.closed = False

    def _command(self) -> list[str]:
        return [
            self._ffmpeg,
            "-nostdin",
            "-hide_banner",
            "-loglevel", "error",
            "-i", _url(self.path),
            "-map", "0:a:0",
            "-ac", str(self.info.channels),
            "-ar", str(self.info.sample_rate),
            "-c:a", "pcm_f32le",
            "-f", "f32le",
            "pipe:1",
        ]  # fmt: skip

    def _start(self) -> None:
        if self.closed:
            raise file_error(self.path, "the decoder is closed", "open the file again")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        try:
            self._proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        except OSError as exc:
            self.close()
            raise file_error(self.path, f"ffmpeg could not start ({exc})", INSTALL_HINT) from None

    def read_frames(self, frames: int) -> np.ndarray:
        """Return up to ``frames`` decoded frames, shape (n, channels), float32.

        Fewer frames than asked for means the stream has ended; then ffmpeg's
        exit status is checked and a failure raises AudioFileError.
        """
        if self._finished:
            return np.empty((0, self.info.channels), dtype=np.float32)
        if self._proc is None:
            self._start()
        assert self._proc is not None and self._proc.stdout is not None
        frame_bytes = self.info.channels * _SAMPLE_BYTES
        buffer = bytearray(frames * frame_bytes)
        view = memoryview(buffer)
        filled = 0
        while filled < len(buffer):
            got = self._proc.stdout.readinto(view[filled:])
            if not got:
                break
            filled += got
        view.release()
        if filled < len(buffer):
            self._finish()
        usable = filled - filled % frame_bytes
        samples = np.frombuffer(buffer, dtype="<f4", count=usable // _SAMPLE_BYTES)
        return samples.astype(np.float32, copy=False).reshape(-1, self.info.channels)

    def _finish(self) -> None:
        """Wait for ffmpeg after the end of its output and check its exit status."""
        self._finished = True
        assert self._proc is not None
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        status = self._proc.wait()
        if status != 0:
            self._stderr.seek(0)
            problem = _last_line(self._stderr.read())
            self.close()
            raise file_error(
                self.path,
                f"cannot be decoded (ffmpeg: {problem})",
                "check the file, or convert it to WAV/FLAC",
            )

    def read_all(self, dtype: str) -> np.ndarray:
        """Decode the whole stream into a C-contiguous (channels, frames) array."""
        parts = []
        while True:
            part = self.read_frames(_READ_ALL_FRAMES)
            if len(part):
                parts.append(part)
            if len(part) < _READ_ALL_FRAMES:
                break
        total = sum(len(part) for part in parts)
        if total == 0:
            raise no_audio_error(self.path)
        out = np.empty((self.info.channels, total), dtype=dtype)
        start = 0
        for part in parts:
            out[:, start : start + len(part)] = part.T
            start += len(part)
        return out

    def close(self) -> None:
        """Stop ffmpeg if it is still running and release the pipe. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
            proc.wait()
        if self._stderr is not None:
            self._stderr.close()
