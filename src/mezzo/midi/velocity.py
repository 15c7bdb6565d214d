"""Velocities and controller ramps from markings; velocity compressor and expander.

Every function takes a ``mido.MidiFile`` and returns a changed copy; only the
velocities of note_on messages (or the written controllers) differ, every other
event keeps its tick and order. Velocities stay in 1…127 (0 would mean note-off).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mezzo._validate import check_choice, check_range
from mezzo.marks import Marks, fade_factor, parse_marks, parse_table, warn_past_end
from mezzo.midi.midifile import (
    absolute_ticks,
    check_midi,
    check_tracks,
    copy_midi,
    end_seconds,
    end_tick,
    rebuild_track,
    seconds_to_ticks,
    tempo_map,
    ticks_to_seconds,
)

#: controller numbers of the ``target`` choices
CONTROLLERS = {"cc11": 11, "cc7": 7}
TARGETS = ("velocity", "cc11", "cc7")


def clamp_velocity(v: Any) -> np.ndarray:
    """Round half up and clamp to 1…127 (never 0, which means note-off)."""
    return np.clip(np.floor(np.asarray(v, dtype=np.float64) + 0.5), 1, 127).astype(np.int64)


def _with_velocities(midi: Any, new: Mapping[tuple[int, int], int]) -> Any:
    """Copy of ``midi`` with the note_on at (track index, message index) set to ``new`` velocities."""
    out = copy_midi(midi)
    for (ti, mi), v in new.items():
        out.tracks[ti][mi] = out.tracks[ti][mi].copy(velocity=int(v))
    return out


def _note_times(midi: Any, indices: Sequence[int], tmap: Any) -> list[tuple[int, int, float, int]]:
    """``(track index, message index, time_s, velocity)`` of every note_on (> 0) of the tracks."""
    rows = []
    for ti in indices:
        track = midi.tracks[ti]
        ticks = absolute_ticks(track)
        idx = [i for i, m in enumerate(track) if m.type == "note_on" and m.velocity > 0]
        if not idx:
            continue
        secs = ticks_to_seconds(midi, ticks[idx], tmap)
        rows.extend((ti, i, float(t), int(track[i].velocity)) for i, t in zip(idx, secs, strict=True))
    return rows


# --- markings -> velocities / controllers -----------------------------------------------------


def apply_marks(
    midi: Any,
    marks: str | Marks,
    *,
    tracks: Sequence[int] | str | None = None,
    target: str = "velocity",
    velocities: Mapping[str, float] | str | None = None,
    cc_interval_beats: float = 0.125,
) -> Any:
    """Write markings into a MIDI file as note velocities or controller ramps.

    Parameters
    ----------
    midi : mido.MidiFile
        Type 0 or 1.
    marks : str or Marks
        Markings line (:mod:`mezzo.marks`); bar|beat times use the file's own
        tempo map and meters.
    tracks : sequence of int or str, optional
        Track numbers from 1 (as ``mezzo midi analyze`` lists them); default
        every track with notes.
    target : {"velocity", "cc11", "cc7"}
        ``"velocity"``: each note_on gets the velocity written at its time
        (hairpins ramp linearly in velocity from note to note; fades scale it).
        ``"cc11"``/``"cc7"``: expression/volume controller ramps on every
        channel the track uses, velocities untouched; existing messages of
        that controller on those channels in those tracks are replaced.
    velocities : mapping or str, optional
        Overrides of :data:`mezzo.marks.VELOCITIES` (``"p=49,ff=112"``); also
        the controller values.
    cc_interval_beats : float, 0.01 to 4
        Spacing of controller points along hairpins and fades, quarter notes
        (a point is written only when the value changes).

    Returns
    -------
    mido.MidiFile
        A new file; the input is not changed.

    Warns
    -----
    MarksWarning
        Items after the last event of the file.
    """
    check_midi(midi)
    check_choice("target", target, TARGETS)
    check_range("cc_interval_beats", cc_interval_beats, 0.01, 4.0, "quarter notes")
    table = parse_table(velocities, kind="velocities")
    tmap = tempo_map(midi)
    m = parse_marks(marks, tempo_map=tmap)
    end_s = end_seconds(midi, tmap)
    if m:
        warn_past_end(m, end_s, "the MIDI file")
    indices = check_tracks(midi, tracks)
    if not m:
        return copy_midi(midi)
    curve = m.level_curve(table)
    if target == "velocity":
        rows = _note_times(midi, indices, tmap)
        if not rows:
            return copy_midi(midi)
        t = np.array([r[2] for r in rows])
        values = clamp_velocity(curve.value_at(t) * fade_factor(m, t, end_s))
        return _with_velocities(midi, {(r[0], r[1]): v for r, v in zip(rows, values, strict=True)})
    return _write_controller(midi, m, curve, indices, CONTROLLERS[target], cc_interval_beats, tmap, end_s)


def _write_controller(
    midi: Any, m: Marks, curve: Any, indices: Sequence[int], controller: int, interval_beats: float, tmap: Any, end_s: float
) -> Any:
    mido = __import__("mido")
    out = copy_midi(midi)
    ppq = midi.ticks_per_beat
    last_tick = end_tick(midi)
    # controller points: tick 0, every item, and a grid along hairpins and fades
    times = [0.0] + [e.time_s for e in m.events if e.time_s <= end_s]
    step_ticks = max(1, round(interval_beats * ppq))
    ramps = []
    for i, e in enumerate(m.events):
        if e.kind in ("crescendo", "decrescendo", "fadein", "fadeout"):
            stop = m.events[i + 1].time_s if i + 1 < len(m.events) else end_s
            ramps.append((e.time_s, min(stop, end_s)))
    point_ticks = set(seconds_to_ticks(midi, np.array(times), tmap).tolist())
    for a, b in ramps:
        ta, tb = (int(x) for x in seconds_to_ticks(midi, np.array([a, b]), tmap))
        point_ticks.update(range(ta, tb + 1, step_ticks))
        point_ticks.add(tb)
    ticks = np.array(sorted(k for k in point_ticks if 0 <= k <= last_tick), dtype=np.int64)
    secs = ticks_to_seconds(midi, ticks, tmap)
    # a point at a tick takes the value just after any step there (right-continuous)
    values = np.clip(np.floor(curve.value_at(secs) * fade_factor(m, secs, end_s) + 0.5), 0, 127).astype(int)
    keep = np.ones(values.size, dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    ticks, values = ticks[keep], values[keep]
    for ti in indices:
        track = out.tracks[ti]
        channels = sorted({msg.channel for msg in track if hasattr(msg, "channel")})
        if not channels:
            continue
        abs_ticks = absolute_ticks(track)
        kept = [
            (int(k), msg)
            for k, msg in zip(abs_ticks, track, strict=True)
            if not (msg.type == "control_change" and msg.control == controller and msg.channel in channels)
        ]
        new = [
            (int(k), mido.Message("control_change", channel=ch, control=controller, value=int(v)))
            for k, v in zip(ticks, values, strict=True)
            for ch in channels
        ]
        out.tracks[ti] = rebuild_track(_merge(kept, new))
    return out


def _merge(kept: list[tuple[int, Any]], new: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Merge new events before existing ones at the same tick, keeping the end_of_track last."""
    merged: list[tuple[int, Any]] = []
    j = 0
    for k, msg in kept:
        if msg.type == "end_of_track":
            merged.extend(new[j:])
            j = len(new)
        while j < len(new) and new[j][0] <= k:
            merged.append(new[j])
            j += 1
        merged.append((k, msg))
    merged.extend(new[j:])
    return merged


# --- compressor / expander in velocity units -------------------------------------------------


def velocity_curve(
    velocity: Any,
    *,
    mode: str = "compress",
    threshold: float = 96.0,
    ratio: float = 2.0,
    knee: float = 8.0,
    makeup: float = 0.0,
) -> np.ndarray:
    """Static curve of the audio compressor/expander, read in velocity units (unrounded).

    ``y = v + g(v) + makeup`` where ``g`` is
    :func:`mezzo.kernels.envelope.static_gain_db` (Giannoulis et al. 2012 eq. 4
    with the soft knee; the downward expander of section 2.2 for
    ``mode="expand"``) with the level, threshold and knee in velocity units
    instead of dB.
    """
    from mezzo.kernels.envelope import static_gain_db

    check_choice("mode", mode, ("compress", "expand"))
    curve = 0 if mode == "compress" else 2
    v = np.asarray(velocity, dtype=np.float64)
    g = np.array([static_gain_db(float(x), curve, float(threshold), float(ratio), float(knee), math.inf) for x in v.ravel()])
    return v + g.reshape(v.shape) + makeup


def _dynamics(midi: Any, mode: str, threshold: float, ratio: float, knee: float, makeup: float, tracks: Any) -> Any:
    check_midi(midi)
    check_range("threshold", threshold, 1.0, 127.0)
    check_range("ratio", ratio, 1.0, 100.0)
    check_range("knee", knee, 0.0, 64.0)
    check_range("makeup", makeup, -126.0, 126.0)
    lut = clamp_velocity(velocity_curve(np.arange(128), mode=mode, threshold=threshold, ratio=ratio, knee=knee, makeup=makeup))
    new = {}
    for ti in check_tracks(midi, tracks):
        for mi, msg in enumerate(midi.tracks[ti]):
            if msg.type == "note_on" and msg.velocity > 0:
                new[(ti, mi)] = int(lut[msg.velocity])
    return _with_velocities(midi, new)


def compress_velocities(
    midi: Any,
    *,
    threshold: float = 96.0,
    ratio: float = 2.0,
    knee: float = 8.0,
    makeup: float = 0.0,
    tracks: Sequence[int] | str | None = None,
) -> Any:
    """Velocity compressor: velocities above ``threshold`` rise 1 per ``ratio``.

    Parameters
    ----------
    midi : mido.MidiFile
    threshold : float, 1 to 127
        Threshold, velocity units.
    ratio : float, 1 to 100
        Ratio (1 = no change).
    knee : float, 0 to 64
        Knee width, velocity units (0 = hard knee).
    makeup : float, -126 to 126
        Added after the curve, velocity units.
    tracks : sequence of int or str, optional
        Track numbers from 1; default every track with notes.

    Returns
    -------
    mido.MidiFile
        Copy with velocities ``clamp(round(velocity_curve(v)), 1, 127)``.
    """
    return _dynamics(midi, "compress", threshold, ratio, knee, makeup, tracks)


def expand_velocities(
    midi: Any,
    *,
    threshold: float = 80.0,
    ratio: float = 1.5,
    knee: float = 8.0,
    makeup: float = 0.0,
    tracks: Sequence[int] | str | None = None,
) -> Any:
    """Velocity expander (downward): velocities below ``threshold`` fall ``ratio`` per 1.

    Parameters as :func:`compress_velocities` (``ratio`` 1 to 100, 1 = no change).
    """
    return _dynamics(midi, "expand", threshold, ratio, knee, makeup, tracks)


__all__ = [
    "CONTROLLERS",
    "TARGETS",
    "apply_marks",
    "clamp_velocity",
    "compress_velocities",
    "expand_velocities",
    "velocity_curve",
]
