"""Reading and writing Standard MIDI Files with mido, and their tempo map.

Only the events a tool means to change are changed: every other message (its
time, order and bytes), the track order, the file type and the ticks per beat
are kept. Writes are atomic (:mod:`mezzo.io.atomic`: temporary file in the
target folder, fsync, then a rename).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from mezzo.errors import AudioFileError, ParameterError
from mezzo.marks import TempoMap

#: tempo of a file without set_tempo: 500000 us per quarter (SMF 1.0), quarter notes per minute
DEFAULT_BPM = 120.0


class MidiFileError(AudioFileError):
    """A MIDI file is missing, malformed, of an unsupported kind, or cannot be written."""


def _mido() -> Any:
    import mido

    return mido


def read_midi(path: str | os.PathLike[str]) -> Any:
    """Read a Standard MIDI File (type 0 or 1).

    Returns
    -------
    mido.MidiFile

    Raises
    ------
    MidiFileError
        Missing or unreadable file, malformed data, type 2 or SMPTE timing.
    """
    mido = _mido()
    p = os.fspath(path)
    if not os.path.exists(p):
        raise MidiFileError(f"{p!r}: no such file — check the path")
    if os.path.isdir(p):
        raise MidiFileError(f"{p!r}: is a folder, not a MIDI file")
    try:
        midi = mido.MidiFile(p, clip=False)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        detail = str(exc).strip() or type(exc).__name__
        raise MidiFileError(f"{p!r}: not a valid MIDI file (mido: {detail}); re-export it as a Standard MIDI File") from None
    check_midi(midi, p)
    return midi


def check_midi(midi: Any, name: str = "midi") -> Any:
    """Refuse MIDI data mezzo cannot handle (type 2, SMPTE timing)."""
    mido = _mido()
    if not isinstance(midi, mido.MidiFile):
        raise ParameterError(f"{name} is a {type(midi).__name__}: expected a mido.MidiFile (use mezzo.midi.read_midi)")
    if midi.type == 2:
        raise MidiFileError(
            f"{name!r}: MIDI type 2 (independent sequences) is not supported: convert it to type 1"
        )
    tpb = midi.ticks_per_beat
    if not isinstance(tpb, int) or not 0 < tpb < 0x8000:
        raise MidiFileError(f"{name!r}: SMPTE time division ({tpb!r}) is not supported: re-export with ticks per beat")
    return midi


def write_midi(
    path: str | os.PathLike[str], midi: Any, *, overwrite: bool = False, inputs: Iterable[str | os.PathLike[str]] = ()
) -> str:
    """Write ``midi`` atomically to ``path`` (:class:`mezzo.io.atomic.AtomicFile`).

    Raises
    ------
    MidiFileError
        The path is one of ``inputs``, exists without ``overwrite``, is not a
        regular file, its folder is missing or not writable, or the disk is full.
        Nothing is left behind on failure.
    """
    from mezzo.io.atomic import check_target, write_bytes

    check_target(path, overwrite=overwrite, inputs=inputs, error=MidiFileError)
    buffer = io.BytesIO()
    try:
        midi.save(file=buffer)
    except (ValueError, TypeError) as exc:
        raise MidiFileError(f"{os.fspath(path)!r}: cannot encode the MIDI data ({exc})") from None
    return write_bytes(path, buffer.getvalue(), overwrite=overwrite, inputs=inputs, error=MidiFileError)


def copy_midi(midi: Any) -> Any:
    """A copy of ``midi`` with copied tracks and messages (same type and ticks per beat)."""
    mido = _mido()
    out = mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat, charset=midi.charset)
    for track in midi.tracks:
        t = mido.MidiTrack()
        t.extend(msg.copy() for msg in track)
        out.tracks.append(t)
    return out


def absolute_ticks(track: Sequence[Any]) -> np.ndarray:
    """Absolute tick of each message of a track."""
    return np.cumsum([msg.time for msg in track], dtype=np.int64) if len(track) else np.zeros(0, dtype=np.int64)


def rebuild_track(events: Sequence[tuple[int, Any]]) -> Any:
    """A MidiTrack from ``(absolute_tick, message)`` pairs in the order given (ticks must not decrease)."""
    mido = _mido()
    track = mido.MidiTrack()
    prev = 0
    for tick, msg in events:
        track.append(msg.copy(time=int(tick - prev)))
        prev = tick
    return track


def track_name(track: Sequence[Any]) -> str:
    """The track's name (its first track_name meta message), or ``""``."""
    for msg in track:
        if msg.is_meta and msg.type == "track_name":
            return str(msg.name)
    return ""


def tempo_map(midi: Any) -> TempoMap:
    """The file's tempo map (set_tempo and time_signature of every track; 120 BPM 4/4 by default)."""
    ppq = float(midi.ticks_per_beat)
    tempos: list[tuple[float, float]] = []
    meters: list[tuple[float, int, int]] = []
    for track in midi.tracks:
        ticks = absolute_ticks(track)
        for tick, msg in zip(ticks, track, strict=True):
            if msg.type == "set_tempo" and msg.tempo > 0:
                tempos.append((tick / ppq, 60e6 / msg.tempo))
            elif msg.type == "time_signature":
                meters.append((tick / ppq, int(msg.numerator), int(msg.denominator)))
    tempos.sort(key=lambda p: p[0])
    meters.sort(key=lambda p: p[0])
    # the first event at or before 0 sets the start; later duplicates at the same tick: the last wins
    tempos = _dedupe(tempos) or [(0.0, DEFAULT_BPM)]
    meters = _dedupe(meters) or [(0.0, 4, 4)]
    if tempos[0][0] > 0:
        tempos.insert(0, (0.0, DEFAULT_BPM))
    if meters[0][0] > 0:
        meters.insert(0, (0.0, 4, 4))
    return TempoMap(tempos, meters)


def _dedupe(points: list[Any]) -> list[Any]:
    out: list[Any] = []
    for p in points:
        if out and out[-1][0] == p[0]:
            out[-1] = p
        else:
            out.append(p)
    return out


def ticks_to_seconds(midi: Any, ticks: Any, tmap: TempoMap | None = None) -> np.ndarray:
    """Seconds at absolute ticks (vectorised)."""
    tmap = tmap or tempo_map(midi)
    return tmap.quarters_to_seconds(np.asarray(ticks, dtype=np.float64) / midi.ticks_per_beat)


def seconds_to_ticks(midi: Any, seconds: Any, tmap: TempoMap | None = None) -> np.ndarray:
    """Absolute ticks (rounded) at times in seconds (vectorised)."""
    tmap = tmap or tempo_map(midi)
    q = tmap.seconds_to_quarters(seconds)
    return np.floor(q * midi.ticks_per_beat + 0.5).astype(np.int64)


def end_tick(midi: Any) -> int:
    """Tick of the last event of the file (the longest track's end)."""
    return max((int(absolute_ticks(t)[-1]) for t in midi.tracks if len(t)), default=0)


def end_seconds(midi: Any, tmap: TempoMap | None = None) -> float:
    """Time of the last event of the file, s."""
    return float(ticks_to_seconds(midi, end_tick(midi), tmap))


def check_tracks(midi: Any, tracks: Sequence[int] | str | None, *, default_with_notes: bool = True) -> list[int]:
    """0-based indices from 1-based track numbers (``[1, 2]`` or ``"1,2"``).

    ``None`` selects every track that has notes (``default_with_notes``) or every track.
    """
    n = len(midi.tracks)
    if tracks is None:
        if not default_with_notes:
            return list(range(n))
        return [i for i, t in enumerate(midi.tracks) if any(m.type == "note_on" and m.velocity > 0 for m in t)]
    if isinstance(tracks, str):
        parts = [p.strip() for p in tracks.split(",") if p.strip()]
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            raise ParameterError(f"tracks={tracks!r} is not a list of track numbers: write e.g. '1,2'") from None
    else:
        numbers = [int(t) for t in tracks]
    for k in numbers:
        if not 1 <= k <= n:
            raise ParameterError(f"track {k} does not exist: the file has tracks 1 to {n} (numbers from 1)")
    return sorted({k - 1 for k in numbers})


def notes(track: Sequence[Any]) -> list[tuple[int, int]]:
    """``(message_index, absolute_tick)`` of each note_on with velocity > 0."""
    ticks = absolute_ticks(track)
    return [(i, int(ticks[i])) for i, m in enumerate(track) if m.type == "note_on" and m.velocity > 0]


__all__ = [
    "MidiFileError",
    "absolute_ticks",
    "check_midi",
    "check_tracks",
    "copy_midi",
    "end_seconds",
    "end_tick",
    "notes",
    "read_midi",
    "rebuild_track",
    "seconds_to_ticks",
    "tempo_map",
    "ticks_to_seconds",
    "track_name",
    "write_midi",
]
