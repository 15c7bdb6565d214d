"""Reading the dynamics of a MIDI file: velocity statistics, implied markings, flat sections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo._validate import check_range
from mezzo.marks import MARKINGS, nearest_marking, parse_table
from mezzo.midi.midifile import (
    absolute_ticks,
    check_midi,
    end_seconds,
    tempo_map,
    ticks_to_seconds,
    track_name,
)
from mezzo.results import to_dict

#: edges of the velocity histogram: 8 bins of 16 (1-16, 17-32, ..., 113-127)
HISTOGRAM_EDGES: tuple[int, ...] = (1, 17, 33, 49, 65, 81, 97, 113, 128)


@dataclass(frozen=True, slots=True)
class MarkingSpan:
    """A stretch of bars whose mean velocity implies one marking."""

    marking: str
    start_bar: int
    end_bar: int
    start_s: float
    end_s: float
    mean_velocity: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return to_dict(self)


@dataclass(frozen=True, slots=True)
class FlatSection:
    """Consecutive bars whose velocities all lie within ``flat_spread`` of each other."""

    start_bar: int
    end_bar: int
    start_s: float
    end_s: float
    notes: int
    velocity_min: int
    velocity_max: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return to_dict(self)


@dataclass(frozen=True, slots=True)
class TrackDynamics:
    """Velocity dynamics of one track (``None`` fields: the track has no notes)."""

    track_number: int
    name: str
    notes: int
    velocity_min: int | None
    velocity_max: int | None
    velocity_mean: float | None
    velocity_std: float | None
    velocity_range: int | None
    histogram: tuple[int, ...]
    markings: tuple[MarkingSpan, ...]
    flat_sections: tuple[FlatSection, ...]
    flat: bool
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return to_dict(self)


@dataclass(frozen=True, slots=True)
class MidiDynamics:
    """Dynamics of a MIDI file, track by track."""

    type: int
    ticks_per_beat: int
    duration_s: float
    histogram_edges: tuple[int, ...]
    tracks: tuple[TrackDynamics, ...]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return to_dict(self)


def analyze_midi(
    midi: Any,
    *,
    velocities: Mapping[str, float] | str | None = None,
    flat_spread: int = 4,
    flat_min_bars: int = 4,
) -> MidiDynamics:
    """Velocity statistics, implied markings and flat sections of every track.

    Parameters
    ----------
    midi : mido.MidiFile
        Type 0 or 1.
    velocities : mapping or str, optional
        Marking -> velocity table (overrides of :data:`mezzo.marks.VELOCITIES`)
        used to name the implied markings (nearest value).
    flat_spread : int, 0 to 126
        A stretch is flat when its velocities lie within this many steps
        (``max - min <= flat_spread``).
    flat_min_bars : int, 1 to 1000
        Shortest flat stretch reported, bars.

    Returns
    -------
    MidiDynamics

    Notes
    -----
    Bars come from the file's tempo map and meters (bar 1 at tick 0). Implied
    markings: the mean velocity of the notes starting in each bar, named by the
    nearest table value; consecutive bars (and bars without notes between them)
    with the same marking form one span. Flat sections: greedy from the left,
    the longest run of bars with notes whose velocities stay within
    ``flat_spread``; runs of at least ``flat_min_bars`` bars are reported. A
    track is *flat* when all its notes (at least 8) lie within ``flat_spread``.
    """
    check_midi(midi)
    table = parse_table(velocities, kind="velocities")
    spread = int(check_range("flat_spread", flat_spread, 0, 126))
    min_bars = int(check_range("flat_min_bars", flat_min_bars, 1, 1000, "bars"))
    tmap = tempo_map(midi)
    ppq = midi.ticks_per_beat
    results = []
    for ti, track in enumerate(midi.tracks):
        ticks = absolute_ticks(track)
        idx = [i for i, m in enumerate(track) if m.type == "note_on" and m.velocity > 0]
        name = track_name(track)
        label = f"track {ti + 1}" + (f" {name!r}" if name else "")
        if not idx:
            results.append(TrackDynamics(ti + 1, name, 0, None, None, None, None, None, (0,) * 8, (), (), False,
                                         f"{label}: no notes"))
            continue
        vel = np.array([track[i].velocity for i in idx], dtype=np.int64)
        q = ticks[idx] / ppq
        secs = ticks_to_seconds(midi, ticks[idx], tmap)
        bars = np.array([tmap.quarters_to_bar_beat(float(x))[0] for x in q], dtype=np.int64)
        hist = tuple(int(c) for c in np.histogram(vel, bins=HISTOGRAM_EDGES)[0])
        spans = _marking_spans(vel, bars, tmap, table)
        flats = _flat_sections(vel, bars, secs, tmap, spread, min_bars)
        vmin, vmax = int(vel.min()), int(vel.max())
        flat = vel.size >= 8 and vmax - vmin <= spread
        summary = _summary(label, vel, spans, flats, flat)
        results.append(TrackDynamics(
            ti + 1, name, int(vel.size), vmin, vmax, float(vel.mean()), float(vel.std()), vmax - vmin, hist,
            spans, flats, bool(flat), summary,
        ))
    lines = [t.summary for t in results]
    return MidiDynamics(int(midi.type), int(ppq), end_seconds(midi, tmap), HISTOGRAM_EDGES, tuple(results),
                        "\n".join(lines))


def _bar_seconds(tmap: Any, bar: int) -> float:
    return tmap.bar_beat_to_seconds(bar, 1.0)


def _marking_spans(vel: np.ndarray, bars: np.ndarray, tmap: Any, table: Mapping[str, float]) -> tuple[MarkingSpan, ...]:
    spans: list[list[Any]] = []  # [marking, start_bar, end_bar, sum, count]
    for bar in np.unique(bars):
        sel = vel[bars == bar]
        mark = nearest_marking(float(sel.mean()), table)
        if spans and spans[-1][0] == mark:
            spans[-1][2] = int(bar)
            spans[-1][3] += float(sel.sum())
            spans[-1][4] += int(sel.size)
        else:
            spans.append([mark, int(bar), int(bar), float(sel.sum()), int(sel.size)])
    return tuple(
        MarkingSpan(m, a, b, _bar_seconds(tmap, a), _bar_seconds(tmap, b + 1), s / c) for m, a, b, s, c in spans
    )


def _flat_sections(
    vel: np.ndarray, bars: np.ndarray, secs: np.ndarray, tmap: Any, spread: int, min_bars: int
) -> tuple[FlatSection, ...]:
    uniq = np.unique(bars)
    lo = {int(b): int(vel[bars == b].min()) for b in uniq}
    hi = {int(b): int(vel[bars == b].max()) for b in uniq}
    out: list[FlatSection] = []
    i = 0
    while i < uniq.size:
        a = int(uniq[i])
        vmin, vmax = lo[a], hi[a]
        j = i
        while j + 1 < uniq.size:
            b = int(uniq[j + 1])
            nmin, nmax = min(vmin, lo[b]), max(vmax, hi[b])
            if nmax - nmin > spread:
                break
            vmin, vmax, j = nmin, nmax, j + 1
        last = int(uniq[j])
        if vmax - vmin <= spread and last - a + 1 >= min_bars:
            sel = (bars >= a) & (bars <= last)
            out.append(FlatSection(a, last, _bar_seconds(tmap, a), _bar_seconds(tmap, last + 1), int(sel.sum()), vmin, vmax))
            i = j + 1
        else:
            i += 1
    return tuple(out)


def _summary(label: str, vel: np.ndarray, spans: tuple[MarkingSpan, ...], flats: tuple[FlatSection, ...], flat: bool) -> str:
    n = vel.size
    vmin, vmax = int(vel.min()), int(vel.max())
    notes = f"{n} note{'s' if n != 1 else ''}"
    if vmin == vmax:
        text = f"{label}: {notes}, all at velocity {vmin}"
    else:
        text = f"{label}: {notes}, velocity {vmin}–{vmax} (mean {vel.mean():.0f}, spread {vel.std():.1f})"
    if flat:
        return text + " — flat"
    used = sorted({s.marking for s in spans}, key=MARKINGS.index)
    if used:
        text += f", {used[0]}" + (f" to {used[-1]}" if len(used) > 1 else "")
    if flats:
        parts = ", ".join(f"bars {f.start_bar}–{f.end_bar}" for f in flats[:3]) + (" …" if len(flats) > 3 else "")
        text += f"; flat in {parts}"
    return text


__all__ = ["HISTOGRAM_EDGES", "FlatSection", "MarkingSpan", "MidiDynamics", "TrackDynamics", "analyze_midi"]
