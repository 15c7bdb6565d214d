"""The studio's work folder: tracks, their versions and stem sets — the only files it serves.

Layout::

    WORK/tracks/<id>/track.json     what the track is: name, parent, what made it, format
    WORK/tracks/<id>/audio.<ext>    the audio as imported, uploaded or written by a job
    WORK/tracks/<id>/analysis.json  what ``mezzo analyze --json`` prints for that audio
    WORK/tracks/<id>/timeline.json  series for the page (loudness, true peak per column)
    WORK/stems/<id>/stems.json      a stem set: names and files
    WORK/stems/<id>/<n>.<ext>       the stems
    WORK/stems/<id>/audibility.json :func:`mezzo.audibility` of the set
    WORK/scratch/<name>/            work in progress (uploads, jobs); removed when it ends

Every path the server opens is built here from an id that matches :data:`ID_PATTERN`
and a file name from a fixed list, then resolved and checked to be a regular file
inside the work folder: request input never becomes a path, and a symlink that
points out of the folder is refused. New tracks are assembled in ``scratch`` and
renamed into place in one step, so a crash never leaves half a track behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import threading
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mezzo.errors import AudioFileError, MezzoError

__all__ = ["ID_PATTERN", "NotFound", "StemSet", "Track", "Workspace", "safe_name"]

#: Track, stem-set and job ids: 16 lower-case hex digits (64 random bits).
ID_PATTERN = re.compile(r"[0-9a-f]{16}")

#: Extensions a stored audio file may have (the browser plays the first group as is).
BROWSER_PLAYABLE = frozenset({"wav", "flac", "ogg", "oga", "mp3", "m4a", "opus"})
STORED_EXTENSIONS = BROWSER_PLAYABLE | {"aif", "aiff", "aifc", "w64", "caf", "wv", "aac", "wma", "snd"}
#: Container (as :func:`mezzo.io.info` names it) to extension, for files with an odd name.
_FORMAT_EXTENSIONS = {
    "WAV": "wav", "WAVEX": "wav", "RF64": "wav", "W64": "w64", "AIFF": "aiff", "FLAC": "flac",
    "OGG": "ogg", "CAF": "caf", "MP3": "mp3", "M4A": "m4a", "AAC": "aac", "WMA": "wma", "WV": "wv",
}  # fmt: skip
#: Lossless containers that processed versions keep; anything else becomes WAV.
LOSSLESS_EXTENSIONS = frozenset({"wav", "flac", "aif", "aiff", "aifc", "w64", "caf"})

#: Files of a track or stem set that may be served (by kind).
_TRACK_FILES = ("analysis.json", "timeline.json", "preview.wav")
_MAX_NAME = 120


class NotFound(MezzoError, LookupError):
    """No track, stem set or file with that id (or it is not a file the studio serves)."""


def new_id() -> str:
    """A fresh random id matching :data:`ID_PATTERN`."""
    return secrets.token_hex(8)


def check_id(value: str, what: str = "track") -> str:
    """Return ``value`` if it is a well-formed id, else raise :class:`NotFound`."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise NotFound(f"no {what} with id {value!r}")
    return value


def safe_name(name: str, default: str = "track") -> str:
    """A display and download file name made from a user's file name.

    Keeps the last path component only, drops control characters and characters
    that file systems or HTTP headers treat specially, and limits the length. The
    result is never used to build a path in the work folder.

    >>> safe_name("../../etc/pass\\x00wd.wav")
    'passwd.wav'
    >>> safe_name("C:\\\\music\\\\Mix 1 (final).wav")
    'Mix 1 (final).wav'
    """
    text = unicodedata.normalize("NFC", str(name))
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r'[<>:"|?*;]', "", text).strip().lstrip(".")
    if len(text) > _MAX_NAME:
        stem, ext = os.path.splitext(text)
        text = stem[: _MAX_NAME - len(ext)] + ext
    return text or default


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def stored_extension(name: str, container: str) -> str:
    """The extension to store an audio file under: from its container (what it is, whatever its
    name says); for containers without one here, the name's if it is a known audio extension,
    else ``snd`` (a preview is made for the browser)."""
    known = _FORMAT_EXTENSIONS.get(container.upper())
    if known is not None:
        return known
    ext = _extension(name)
    return ext if ext in STORED_EXTENSIONS else "snd"


def output_extension(source_ext: str) -> str:
    """Extension of a processed version of a file with ``source_ext``: lossless stays, lossy becomes WAV."""
    return source_ext if source_ext in LOSSLESS_EXTENSIONS else "wav"


@dataclass(frozen=True, slots=True)
class Track:
    """A track or a version of one, stored in the work folder.

    Attributes
    ----------
    id : str
        Its id (:data:`ID_PATTERN`).
    name : str
        Display and download file name.
    audio_file : str
        File name of the audio inside the track's folder (``audio.<ext>``).
    created_s : float
        Creation time, seconds since the epoch.
    parent_id : str or None
        The version it was made from (``None`` for an original).
    root_id : str
        The original at the start of its line of versions.
    made_by : str
        What made it, in words (``"imported"``, ``"master: Spotify (-14 LUFS, -1 dBTP)"``).
    recipe : dict or None
        The job's parameters, for versions.
    report : dict or None
        What the job reported (before/after figures).
    sample_rate : int, Hz
    channels : int
    duration_s : float, s
    format, subtype : str
        Container and encoding, as :func:`mezzo.io.info` names them.
    sha256 : str or None
        SHA-256 of the audio file (hex), to find a file opened again.
    """

    id: str
    name: str
    audio_file: str
    created_s: float
    parent_id: str | None
    root_id: str
    made_by: str
    sample_rate: int
    channels: int
    duration_s: float
    format: str
    subtype: str
    recipe: dict[str, Any] | None = None
    report: dict[str, Any] | None = field(default=None, repr=False)
    sha256: str | None = None

    @property
    def extension(self) -> str:
        """Extension of the stored audio file."""
        return _extension(self.audio_file)

    def to_dict(self) -> dict[str, Any]:
        """The track as JSON for ``GET /api/tracks``."""
        return {
            "id": self.id,
            "name": self.name,
            "created_s": self.created_s,
            "parent_id": self.parent_id,
            "root_id": self.root_id,
            "made_by": self.made_by,
            "recipe": self.recipe,
            "report": self.report,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "duration_s": self.duration_s,
            "format": self.format,
            "subtype": self.subtype,
            "sha256": self.sha256,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Track:
        """Read a ``track.json``."""
        return cls(
            id=check_id(data["id"]),
            name=safe_name(data["name"]),
            audio_file=_check_audio_file(data["audio_file"]),
            created_s=float(data["created_s"]),
            parent_id=None if data.get("parent_id") is None else check_id(data["parent_id"]),
            root_id=check_id(data["root_id"]),
            made_by=str(data["made_by"]),
            sample_rate=int(data["sample_rate"]),
            channels=int(data["channels"]),
            duration_s=float(data["duration_s"]),
            format=str(data["format"]),
            subtype=str(data["subtype"]),
            recipe=data.get("recipe"),
            report=data.get("report"),
            sha256=data.get("sha256"),
        )


@dataclass(frozen=True, slots=True)
class StemSet:
    """Stems uploaded together: their names (from the file names) and files, in order.

    Attributes
    ----------
    id : str
    names : tuple of str
        Stem names: the file names without extension, made unique.
    files : tuple of str
        File names inside the set's folder (``0.wav``, ``1.flac``...).
    created_s : float
    """

    id: str
    names: tuple[str, ...]
    files: tuple[str, ...]
    created_s: float

    def to_dict(self) -> dict[str, Any]:
        """The set as JSON for ``GET /api/stems``."""
        return {"id": self.id, "names": list(self.names), "created_s": self.created_s}


def _check_audio_file(name: str) -> str:
    if not re.fullmatch(r"audio\.[a-z0-9]{1,5}", name) or _extension(name) not in STORED_EXTENSIONS:
        raise NotFound(f"unexpected audio file name {name!r}")
    return name


def check_audio(path: str) -> Any:
    """Return :func:`mezzo.io.info` of ``path`` after decoding its first block, or raise.

    Raises
    ------
    AudioFileError
        Not audio, damaged, truncated, or no samples.
    """
    from mezzo import io

    info = io.info(path)
    if info.frames == 0:
        raise AudioFileError("the file contains no audio (0 samples) — check the export")
    with io.blocks(path, block_samples=4096) as reader:
        next(iter(reader), None)
    return info


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: str, payload: Any) -> None:
    from mezzo.io.atomic import write_text

    write_text(path, json.dumps(payload, allow_nan=False), overwrite=True)


class Workspace:
    """The work folder of one studio: tracks, versions, stem sets, scratch space.

    Parameters
    ----------
    root : path
        The folder; created (mode 0700) if missing. Tracks already in it are listed
        again; scratch left by an earlier run is removed.

    Notes
    -----
    Thread-safe: the server's event loop and the job dispatcher thread share one.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        for sub in ("", "tracks", "stems", "scratch"):
            (self.root / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root = self.root.resolve()
        self._lock = threading.RLock()
        shutil.rmtree(self.root / "scratch", ignore_errors=True)
        (self.root / "scratch").mkdir(mode=0o700, exist_ok=True)
        self._tracks: dict[str, Track] = {}
        self._stems: dict[str, StemSet] = {}
        self._load()

    # ------------------------------------------------------------------ loading

    def _load(self) -> None:
        for folder in (self.root / "tracks").iterdir():
            if folder.name.startswith("."):
                shutil.rmtree(folder, ignore_errors=True)  # a track never renamed into place
                continue
            with contextlib.suppress(Exception):
                track = Track.from_dict(json.loads((folder / "track.json").read_text("utf-8")))
                if track.id == folder.name and (folder / track.audio_file).is_file():
                    self._tracks[track.id] = track
        for folder in (self.root / "stems").iterdir():
            if folder.name.startswith("."):
                shutil.rmtree(folder, ignore_errors=True)
                continue
            with contextlib.suppress(Exception):
                data = json.loads((folder / "stems.json").read_text("utf-8"))
                stems = StemSet(check_id(data["id"], "stem set"), tuple(data["names"]), tuple(data["files"]),
                                float(data["created_s"]))
                if stems.id == folder.name:
                    self._stems[stems.id] = stems

    # ------------------------------------------------------------------ paths

    def _inside(self, path: Path) -> Path:
        """``path`` if it is a regular file inside the work folder (symlinks resolved), else NotFound."""
        try:
            real = path.resolve(strict=True)
            mode = os.lstat(real).st_mode
        except (OSError, RuntimeError):
            raise NotFound(f"no such file {path.name!r}") from None
        if not real.is_relative_to(self.root) or not stat.S_ISREG(mode) or path.is_symlink():
            raise NotFound(f"{path.name!r} is not a file of the studio's work folder")
        return real

    def scratch(self, prefix: str) -> Path:
        """A new empty folder under ``scratch`` (the caller removes it)."""
        path = self.root / "scratch" / f"{prefix}-{new_id()}"
        path.mkdir(mode=0o700)
        return path

    def audio_path(self, track_id: str) -> Path:
        """The track's audio file, checked."""
        track = self.track(track_id)
        return self._inside(self.root / "tracks" / track.id / track.audio_file)

    def track_file(self, track_id: str, name: str) -> Path | None:
        """The track's ``analysis.json``, ``timeline.json`` or ``preview.wav`` if it exists (checked), else None."""
        if name not in _TRACK_FILES:
            raise NotFound(f"no file {name!r}")
        track = self.track(track_id)
        path = self.root / "tracks" / track.id / name
        if not path.exists() and not path.is_symlink():
            return None
        return self._inside(path)

    def track_file_target(self, track_id: str, name: str) -> Path:
        """Where the track's ``analysis.json``, ``timeline.json`` or ``preview.wav`` is written."""
        if name not in _TRACK_FILES:
            raise NotFound(f"no file {name!r}")
        return self.root / "tracks" / self.track(track_id).id / name

    def stem_paths(self, stems_id: str) -> list[Path]:
        """The stem files of a set, checked, in order."""
        stems = self.stem_set(stems_id)
        return [self._inside(self.root / "stems" / stems.id / f) for f in stems.files]

    def stems_result_path(self, stems_id: str) -> Path:
        """Where a set's ``audibility.json`` is (or will be)."""
        return self.root / "stems" / self.stem_set(stems_id).id / "audibility.json"

    def read_stems_result(self, stems_id: str) -> bytes | None:
        """The set's ``audibility.json`` if it exists."""
        path = self.stems_result_path(stems_id)
        if not path.exists() and not path.is_symlink():
            return None
        return self._inside(path).read_bytes()

    def _place(self, kind: str, item_id: str, files: list[tuple[str, str]], meta_name: str, meta: dict[str, Any],
               *, move: bool) -> None:  # fmt: skip
        """Assemble ``kind/.<id>/`` (audio files copied or moved in, then the JSON description) and
        rename it to ``kind/<id>`` in one step; nothing is left behind on failure."""
        staging = self.root / kind / f".{item_id}"
        staging.mkdir(mode=0o700)
        try:
            for source, name in files:
                if move:
                    os.replace(source, staging / name)
                else:
                    shutil.copyfile(source, staging / name)
            _write_json(str(staging / meta_name), meta)
            os.rename(staging, self.root / kind / item_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    # ------------------------------------------------------------------ tracks

    def tracks(self) -> list[Track]:
        """Every track and version, oldest first."""
        with self._lock:
            return sorted(self._tracks.values(), key=lambda t: (t.created_s, t.id))

    def track(self, track_id: str) -> Track:
        """The track with this id, or NotFound."""
        check_id(track_id)
        with self._lock:
            try:
                return self._tracks[track_id]
            except KeyError:
                raise NotFound(f"no track with id {track_id!r}") from None

    def add_track(
        self,
        source: str | os.PathLike[str],
        name: str,
        *,
        made_by: str,
        parent_id: str | None = None,
        recipe: dict[str, Any] | None = None,
        report: dict[str, Any] | None = None,
        move: bool = False,
    ) -> Track:
        """Store an audio file as a new track (checked as audio first).

        Parameters
        ----------
        source : path
            The audio file; copied (the user's file is never touched), or moved with
            ``move=True`` (files the studio wrote itself).
        name : str
            Display name (made safe with :func:`safe_name`).
        made_by : str
            What made it, in words.
        parent_id : str, optional
            The track it is a version of.
        recipe, report : dict, optional
            Parameters of the job that made it, and what the job reported.

        Raises
        ------
        AudioFileError
            When ``source`` is not readable audio.
        """
        source = os.fspath(source)
        info = check_audio(source)
        sha256 = file_sha256(source)
        parent = self.track(parent_id) if parent_id is not None else None
        display = safe_name(name)
        track_id = new_id()
        audio_file = f"audio.{stored_extension(display, info.format)}"
        track = Track(
            id=track_id, name=display, audio_file=audio_file, created_s=time.time(),
            parent_id=parent.id if parent else None, root_id=parent.root_id if parent else track_id,
            made_by=made_by, sample_rate=info.sample_rate, channels=info.channels,
            duration_s=info.duration_s, format=info.format, subtype=info.subtype, recipe=recipe, report=report,
            sha256=sha256,
        )  # fmt: skip
        self._place("tracks", track_id, [(source, audio_file)], "track.json",
                    {**track.to_dict(), "audio_file": audio_file}, move=move)  # fmt: skip
        with self._lock:
            self._tracks[track_id] = track
        return track

    def with_versions(self, track_id: str) -> set[str]:
        """The track and every version made from it, at any depth."""
        with self._lock:
            self.track(track_id)
            found = {track_id}
            while more := {t.id for t in self._tracks.values() if t.parent_id in found} - found:
                found |= more
            return found

    def find_original(self, path: str | os.PathLike[str], name: str) -> Track | None:
        """An original (not a version) with this name and the same bytes as ``path``, if there is one."""
        with self._lock:
            candidates = [t for t in self._tracks.values() if t.parent_id is None and t.name == safe_name(name)]
        if not candidates:
            return None
        sha256 = file_sha256(path)
        return next((t for t in candidates if t.sha256 == sha256), None)

    def delete_track(self, track_id: str) -> list[str]:
        """Remove a track and every version made from it; return the ids removed."""
        with self._lock:
            doomed = self.with_versions(track_id)
            for tid in doomed:
                del self._tracks[tid]
        for tid in doomed:
            shutil.rmtree(self.root / "tracks" / tid, ignore_errors=True)
        return sorted(doomed)

    def rename_track(self, track_id: str, name: str) -> Track:
        """Give a track another display name."""
        with self._lock:
            track = replace(self.track(track_id), name=safe_name(name))
            _write_json(str(self.root / "tracks" / track.id / "track.json"),
                        {**track.to_dict(), "audio_file": track.audio_file})
            self._tracks[track.id] = track
        return track

    # ------------------------------------------------------------------ stems

    def stem_sets(self) -> list[StemSet]:
        """Every stem set, oldest first."""
        with self._lock:
            return sorted(self._stems.values(), key=lambda s: (s.created_s, s.id))

    def stem_set(self, stems_id: str) -> StemSet:
        """The stem set with this id, or NotFound."""
        check_id(stems_id, "stem set")
        with self._lock:
            try:
                return self._stems[stems_id]
            except KeyError:
                raise NotFound(f"no stem set with id {stems_id!r}") from None

    def add_stems(self, sources: list[tuple[str, str]], *, move: bool = False) -> StemSet:
        """Store audio files ``(path, file name)`` as one stem set (each checked as audio first).

        Raises
        ------
        AudioFileError
            When a file is not readable audio (nothing is stored then).
        """
        if len(sources) < 2:
            raise AudioFileError("a stem set needs at least two files: the mix is their sum")
        infos = [check_audio(os.fspath(path)) for path, _ in sources]
        stems_id = new_id()
        names: list[str] = []
        files: list[str] = []
        for index, ((_, name), info) in enumerate(zip(sources, infos, strict=True)):
            base = os.path.splitext(safe_name(name, f"stem{index + 1}"))[0] or f"stem{index + 1}"
            unique, n = base, 2
            while unique in names:
                unique, n = f"{base}-{n}", n + 1
            names.append(unique)
            files.append(f"{index}.{stored_extension(safe_name(name), info.format)}")
        stems = StemSet(stems_id, tuple(names), tuple(files), time.time())
        self._place("stems", stems_id, [(os.fspath(path), file) for (path, _), file in zip(sources, files, strict=True)],
                    "stems.json", {**stems.to_dict(), "files": files}, move=move)  # fmt: skip
        with self._lock:
            self._stems[stems_id] = stems
        return stems

    def delete_stems(self, stems_id: str) -> None:
        """Remove a stem set."""
        with self._lock:
            self.stem_set(stems_id)
            del self._stems[stems_id]
        shutil.rmtree(self.root / "stems" / stems_id, ignore_errors=True)
