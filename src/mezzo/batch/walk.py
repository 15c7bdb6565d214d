"""Finding the audio files of a batch: folders, globs and files, in a stable order.

Folders are walked recursively (sorted, hidden entries skipped); only files with an
audio extension are taken from folders, while a file named explicitly is always taken
(so ``mezzo batch analyze notes.txt`` reports why it failed). The output folder is never
walked, even when it lies inside an input folder, so a rerun does not process its own
outputs.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["AUDIO_EXTENSIONS", "Source", "albums", "expand"]

#: Extensions (lower case, no dot) taken from walked folders.
AUDIO_EXTENSIONS = frozenset(
    {
        "wav", "wave", "bwf", "w64", "rf64", "flac", "aif", "aiff", "aifc", "caf", "au",
        "ogg", "oga", "opus", "mp3", "m4a", "aac", "alac", "wma", "wv", "ape", "mka",
    }
)  # fmt: skip

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Source:
    """One input file of a batch.

    Attributes
    ----------
    path : str
        Absolute path of the file.
    relative : str
        Its path relative to the root it was found under (the file name for a file given
        directly); outputs mirror it under the output folder.
    album : str
        The album it belongs to: its folder (absolute path).
    """

    path: str
    relative: str
    album: str


def _is_audio(name: str) -> bool:
    return os.path.splitext(name)[1][1:].lower() in AUDIO_EXTENSIONS


def _inside(path: str, folders: Sequence[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def _walk_folder(root: str, excluded: Sequence[str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith(".") and not _inside(os.path.realpath(os.path.join(folder, d)), excluded)
        )  # fmt: skip
        for name in sorted(files):
            if name.startswith(".") or not _is_audio(name):
                continue
            full = os.path.join(folder, name)
            found.append((full, os.path.relpath(full, root)))
    return found


def expand(roots: Iterable[str | os.PathLike[str]], *, exclude: Iterable[str | os.PathLike[str]] = ()) -> list[Source]:
    """Expand folders, glob patterns and files into the batch's input files.

    Parameters
    ----------
    roots : iterable of str or os.PathLike
        Folders (walked recursively), glob patterns (``'music/**/*.flac'``; ``**`` spans
        folders) and files. A path that does not exist and matches nothing is kept as is,
        so its row says it is missing.
    exclude : iterable of str or os.PathLike
        Folders never walked (the output folder).

    Returns
    -------
    list of Source
        In the order of ``roots``, sorted within each folder; each file once (a file
        reached twice keeps its first place).
    """
    excluded = [os.path.realpath(os.fspath(e)) for e in exclude]
    seen: set[str] = set()
    out: list[Source] = []

    def add(path: str, relative: str) -> None:
        full = os.path.abspath(path)
        key = os.path.realpath(full)
        if key in seen:
            return
        seen.add(key)
        out.append(Source(full, relative, os.path.dirname(full)))

    for root in roots:
        text = os.fspath(root)
        if os.path.isdir(text):
            for full, rel in _walk_folder(text, excluded):
                add(full, rel)
        elif os.path.lexists(text) or not (_GLOB_CHARS & set(text)):
            add(text, os.path.basename(text))
        else:
            base = _glob_base(text)
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                add(text, os.path.basename(text))
            for match in matches:
                if _inside(os.path.realpath(match), excluded):
                    continue
                if os.path.isdir(match):
                    for full, _rel in _walk_folder(match, excluded):
                        add(full, os.path.relpath(full, base))
                elif os.path.basename(match).startswith("."):
                    continue
                else:
                    add(match, os.path.relpath(match, base))
    return out


def _glob_base(pattern: str) -> str:
    """The folder part of ``pattern`` before its first wildcard (outputs mirror the rest)."""
    parts = pattern.split(os.sep)
    fixed: list[str] = []
    for part in parts[:-1]:
        if _GLOB_CHARS & set(part):
            break
        fixed.append(part)
    base = os.sep.join(fixed)
    if pattern.startswith(os.sep) and not base:
        base = os.sep
    return base or "."


def albums(sources: Iterable[Source]) -> dict[str, list[Source]]:
    """Group sources by album (one folder = one album), keeping the batch order."""
    groups: dict[str, list[Source]] = {}
    for source in sources:
        groups.setdefault(source.album, []).append(source)
    return groups
