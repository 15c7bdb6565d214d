"""Humanising: bounded, seeded random variation of velocities (and timing), with accents."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from mezzo._validate import check_range
from mezzo.errors import ParameterError
from mezzo.midi.midifile import (
    absolute_ticks,
    check_midi,
    check_tracks,
    copy_midi,
    rebuild_track,
    tempo_map,
)


def _check_accents(accent_beats: Sequence[float] | str | None) -> tuple[float, ...]:
    if accent_beats is None:
        return ()
    if isinstance(accent_beats, str):
        text = accent_beats.strip()
        if text in ("", "none"):
            return ()
        if text in ("downbeat", "downbeats"):
            return (1.0,)
        try:
            beats = tuple(float(b) for b in text.split(",") if b.strip())
        except ValueError:
            raise ParameterError(
                f"accent={accent_beats!r} is not a list of beats: write e.g. '1' (downbeats) or '1,3'"
            ) from None
    else:
        beats = tuple(float(b) for b in accent_beats)
    for b in beats:
        check_range("accent beat", b, 1.0, 64.0)
    return beats


def humanize(
    midi: Any,
    *,
    velocity_amount: int = 6,
    timing_ms: float = 0.0,
    seed: int | None = None,
    accent_beats: Sequence[float] | str | None = None,
    accent_amount: int = 8,
    tracks: Sequence[int] | str | None = None,
) -> Any:
    """Add bounded random variation to velocities (and optionally timing).

    Parameters
    ----------
    midi : mido.MidiFile
    velocity_amount : int, 0 to 64
        Each note_on's velocity moves by a whole number drawn uniformly from
        ``-velocity_amount … +velocity_amount``.
    timing_ms : float, 0 to 100
        Each note (its note_on and matching note_off together) moves by a time
        drawn uniformly from ``-timing_ms … +timing_ms`` (converted with the
        local tempo, rounded to ticks, never before tick 0 or after the track's
        end). Other events keep their ticks.
    seed : int, optional
        Seed of the random generator: the same seed gives the same file.
    accent_beats : sequence of float or str, optional
        Beats of the bar (from 1) whose notes get ``accent_amount`` more:
        ``"1"``/``"downbeats"`` accents downbeats, ``"1,3"`` beats 1 and 3. A
        note is on a beat if it starts within a 32nd note of it.
    accent_amount : int, -64 to 64
        Velocity added to accented notes.
    tracks : sequence of int or str, optional
        Track numbers from 1; default every track with notes.

    Returns
    -------
    mido.MidiFile
        A copy; velocities stay in 1…127. With the same arguments and seed the
        result is identical (draws go track by track, note by note, two per note).
    """
    check_midi(midi)
    amount = int(check_range("velocity_amount", velocity_amount, 0, 64))
    timing = check_range("timing_ms", timing_ms, 0.0, 100.0, "ms")
    accent = int(check_range("accent_amount", accent_amount, -64, 64))
    beats = _check_accents(accent_beats)
    if seed is not None:
        check_range("seed", seed, 0, None)
    rng = np.random.default_rng(None if seed is None else int(seed))
    tmap = tempo_map(midi)
    ppq = midi.ticks_per_beat
    tolerance_q = 0.125  # a 32nd note, in quarter notes
    out = copy_midi(midi)
    for ti in check_tracks(midi, tracks):
        track = out.tracks[ti]
        ticks = absolute_ticks(track)
        idx = [i for i, m in enumerate(track) if m.type == "note_on" and m.velocity > 0]
        if not idx:
            continue
        dv = rng.integers(-amount, amount + 1, size=len(idx))
        dt = rng.uniform(-1.0, 1.0, size=len(idx)) * timing
        for k, i in enumerate(idx):
            v = track[i].velocity + int(dv[k])
            if beats and accent:
                q = ticks[i] / ppq
                _bar, beat = tmap.quarters_to_bar_beat(q)
                beat_q = 4.0 / tmap.meter_at(q)[1]
                for b in beats:
                    if abs(beat - b) * beat_q <= tolerance_q:
                        v += accent
                        break
            track[i] = track[i].copy(velocity=int(min(127, max(1, v))))
        if timing > 0:
            out.tracks[ti] = _shift_notes(track, ticks, idx, dt, tmap, ppq)
    return out


def _shift_notes(track: Any, ticks: np.ndarray, idx: list[int], dt_ms: np.ndarray, tmap: Any, ppq: int) -> Any:
    """Move each note (on and its off) by ``dt_ms``; rebuild the track in tick order (stable)."""
    last = int(ticks[-1]) if len(ticks) else 0
    new_ticks = ticks.copy()
    shift_of_on = dict(zip(idx, dt_ms, strict=True))
    pending: dict[tuple[int, int], deque[int]] = defaultdict(deque)
    for i, msg in enumerate(track):
        is_on = msg.type == "note_on" and msg.velocity > 0
        is_off = msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0)
        if is_on:
            q = ticks[i] / ppq
            bpm = tmap.bpm_at(q)
            d = int(np.floor(shift_of_on[i] * 1e-3 * bpm / 60.0 * ppq + 0.5))
            pending[(msg.channel, msg.note)].append(d)
            new_ticks[i] = min(last, max(0, int(ticks[i]) + d))
        elif is_off:
            queue = pending.get((msg.channel, msg.note))
            if queue:
                new_ticks[i] = min(last, max(0, int(ticks[i]) + queue.popleft()))
    order = sorted(range(len(track)), key=lambda i: (new_ticks[i], i))
    # the end_of_track stays last at its tick
    events = [(int(new_ticks[i]), track[i]) for i in order if track[i].type != "end_of_track"]
    events += [(int(ticks[i]), track[i]) for i in range(len(track)) if track[i].type == "end_of_track"]
    return rebuild_track(events)


__all__ = ["humanize"]
