"""Atomic writing of small text files (JSON, CSV) next to audio outputs."""

from __future__ import annotations

import contextlib
import os
import tempfile

from mezzo.errors import AudioFileError


def write_text_atomic(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> str:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``.

    Raises
    ------
    AudioFileError
        If the file exists and ``overwrite`` is false, or the folder is missing
        or not writable. Nothing is left behind on failure.
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    if os.path.exists(target) and not overwrite:
        raise AudioFileError(f"{target!r}: already exists — pass --overwrite to replace it")
    if not os.path.isdir(folder):
        raise AudioFileError(f"{target!r}: folder {folder!r} does not exist — create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mezzo-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AudioFileError(
            f"{target!r}: cannot write there ({exc.strerror}) — choose another folder"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target
