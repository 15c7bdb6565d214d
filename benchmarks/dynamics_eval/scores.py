"""Score excerpts from music21's bundled corpus, performed into MIDI with their truth.

Nothing here is mezzo code and nothing reads mezzo: a score is parsed with music21, an
excerpt of whole bars is chosen, and a *performance* is written as a MIDI file (mido):

- **Levels.** Each part's written dynamics (``pp`` ... ``ff``) set its velocity through one
  of three velocity tables (drawn per item, so no one loudness step is learned), with a
  per-note jitter (s.d. 5 velocity units) and a small accent on downbeats; ``sf``/``sfz``/
  ``fz`` accent one note; ``fp`` is ``f`` on one note then ``p``.
- **Hairpins.** Wedges (crescendo/diminuendo spanners) and the words *cresc.*, *dim.*,
  *decresc.* (until the next written dynamic, at most 8 bars) ramp the velocity note by note
  from the marking in force to the next written dynamic, or by 1.5 steps when none follows.
- **Tempo.** The metronome mark (or music21's value for the tempo word, or a tempo drawn
  from 60-132 beats per minute when the score has neither), *rit.*/*rall.* (slowing by 15-25 %
  over at most two bars, held until *a tempo*), *accel.*, and on some items a designed
  accelerando or ritardando (12-30 % over 2-6 bars) and/or rubato (a smooth tempo wave of
  +-2-4 % plus a 1 % random walk per beat).

The truth is written from the score: the marking asked for at each note onset (the written
dynamic, interpolated through hairpins and held after a hairpin with no target), the hairpin
spans, the tempo at every beat of the time signature (music21's ``beatDuration``: the
dotted quarter in 6/8, the half note in 2/2), and the accelerando/ritardando spans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MARKINGS = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")
#: Velocity tables (MuseScore's, music21's dynamic scalars x 127, an evenly spaced one).
VELOCITY_TABLES = {
    "musescore": (16, 33, 49, 64, 80, 96, 112, 126),
    "music21": (19, 32, 44, 57, 70, 89, 108, 114),
    "even": (23, 36, 49, 62, 75, 88, 101, 114),
}
_ACCENT_MARKS = {"sf": 2.0, "sfz": 2.0, "fz": 2.0, "sffz": 2.5, "rfz": 1.5, "rf": 1.5, "sfp": 2.0}
_WORD_HAIRPIN = {"cresc": "crescendo", "dim": "decrescendo", "decresc": "decrescendo", "diminuendo": "decrescendo"}


@dataclass
class Note:
    """A note of the score (times in quarter lengths from the score start)."""

    start_q: float
    end_q: float
    pitch: int
    part: int
    level: float = 4.0  # marking index asked for (continuous inside hairpins)
    accent: float = 0.0  # extra steps (sf, downbeat)


@dataclass
class Piece:
    """What the performance needs from a parsed score."""

    name: str
    composer: str
    ensemble: str
    programs: list[int]
    notes: list[Note]
    dynamics: list[list[tuple[float, str]]]  # per part: (offset_q, marking)
    wedges: list[tuple[float, float, str, int]]  # (start_q, end_q, kind, part)
    tempo_marks: list[tuple[float, float]]  # (offset_q, quarter notes per minute)
    tempo_words: list[tuple[float, str]]  # (offset_q, "rit"/"accel"/"a tempo")
    time_signatures: list[tuple[float, float, float]]  # (offset_q, beat_q, bar_q)
    bar_starts: list[float]
    end_q: float
    has_tempo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ parsing


def _program(name: str, fallback: int) -> int:
    n = name.lower()
    for key, prog in (("viola", 41), ("violoncello", 42), ("cello", 42), ("violin", 40), ("contrabass", 43),
                      ("clarinet", 71), ("flute", 73), ("oboe", 68), ("horn", 60), ("bassoon", 70),
                      ("soprano", 52), ("alto", 52), ("tenor", 52), ("bass", 52), ("voice", 52), ("choir", 52),
                      ("vocal", 52), ("piano", 0), ("keyboard", 0)):
        if key in n:
            return prog
    return fallback


def _ensemble_programs(score: Any) -> tuple[str, list[int]]:
    parts = list(score.parts)
    names = []
    for p in parts:
        inst = p.getInstrument(returnDefault=True)
        names.append(" ".join(str(x) for x in (p.partName, inst.instrumentName, inst.partName) if x))
    joined = " ".join(names).lower()
    if len(parts) == 4 and ("string" in joined or "violin" in joined or "cello" in joined or "acoustic grand" in joined):
        return "string quartet", [40, 40, 41, 42]
    progs = [_program(n, 0) for n in names]
    if 71 in progs:
        return "clarinet and piano", progs
    if 52 in progs:
        return "voice and piano", progs
    return ("solo keyboard" if set(progs) == {0} else "ensemble"), progs


def parse_piece(path: str, name: str, composer: str) -> Piece:
    """Parse a corpus score into notes, dynamics, wedges, tempo marks and words, meters."""
    from music21 import corpus, dynamics, expressions, tempo

    score = corpus.parse(path)
    ensemble, programs = _ensemble_programs(score)
    offsets: dict[int, tuple[float, float, int]] = {}
    notes: list[Note] = []
    dyn: list[list[tuple[float, str]]] = []
    words: list[tuple[float, str]] = []
    wedges_words: list[tuple[float, str, int]] = []
    for pi, part in enumerate(score.parts):
        flat = part.flatten()
        last_by_pitch: dict[int, Note] = {}
        for el in flat.notes:
            off = float(el.offset)
            dur = float(el.duration.quarterLength)
            pitches = [p.midi for p in el.pitches] if hasattr(el, "pitches") else []
            offsets[id(el)] = (off, off + max(dur, 0.25), pi)
            if dur <= 0:  # grace note
                continue
            tie = getattr(el, "tie", None)
            for m in pitches:
                prev = last_by_pitch.get(m)
                if tie is not None and tie.type in ("stop", "continue") and prev is not None and abs(prev.end_q - off) < 1e-6:
                    prev.end_q = off + dur
                    continue
                n = Note(off, off + dur, int(m), pi)
                notes.append(n)
                last_by_pitch[m] = n
        marks = []
        for d in flat.getElementsByClass(dynamics.Dynamic):
            marks.append((float(d.offset), str(d.value)))
        dyn.append(marks)
        for te in flat.getElementsByClass(expressions.TextExpression):
            text = (te.content or "").strip().lower()
            if not text:
                continue
            off = float(te.offset)
            for key, kind in _WORD_HAIRPIN.items():
                if text.startswith(key) or f" {key}" in text:
                    wedges_words.append((off, kind, pi))
                    break
            if any(text.startswith(k) for k in ("rit", "rall", "riten", "ritard", "calando", "smorz", "allarg")) or "poco rit" in text:
                words.append((off, "rit"))
            elif text.startswith("accel") or text.startswith("string"):
                words.append((off, "accel"))
            elif text.startswith("a tempo") or text.startswith("tempo i"):
                words.append((off, "a tempo"))
    wedges: list[tuple[float, float, str, int]] = []
    for sp in score.spannerBundle:
        if isinstance(sp, dynamics.DynamicWedge):
            first, last = sp.getFirst(), sp.getLast()
            if id(first) not in offsets or id(last) not in offsets:
                continue
            s0, _, pi = offsets[id(first)]
            _, e1, _ = offsets[id(last)]
            kind = "crescendo" if isinstance(sp, dynamics.Crescendo) else "decrescendo"
            wedges.append((s0, max(e1, s0 + 0.5), kind, pi))
    # words: a span until the next written dynamic of that part (at most 8 bars; 2 bars if none)
    marks_q: list[tuple[float, float]] = []
    has_tempo = False
    for ti in score.parts[0].flatten().getElementsByClass(tempo.TempoIndication):
        off = float(ti.offset)
        number = getattr(ti, "number", None)
        if isinstance(ti, tempo.MetronomeMark) and number:
            q = float(number) * float(ti.referent.quarterLength)
            marks_q.append((off, q))
            has_tempo = True
            continue
        text = str(getattr(ti, "text", "") or "").strip().lower()
        if text:
            for word, q in sorted(tempo.defaultTempoValues.items(), key=lambda kv: -len(kv[0])):
                if word in text:
                    marks_q.append((off, float(q)))
                    has_tempo = True
                    break
    tss = []
    bar_starts = []
    for m in score.parts[0].getElementsByClass("Measure"):
        bar_starts.append(float(m.offset))
        ts = m.timeSignature
        if ts is not None:
            tss.append((float(m.offset), float(ts.beatDuration.quarterLength), float(ts.barDuration.quarterLength)))
    if not tss:
        tss = [(0.0, 1.0, 4.0)]
    piece = Piece(name, composer, ensemble, programs, sorted(notes, key=lambda n: n.start_q), dyn, wedges,
                  sorted(marks_q), sorted(words), tss, bar_starts, float(score.highestTime), has_tempo)
    piece.extra["word_wedges"] = wedges_words
    return piece


# ------------------------------------------------------------------ performance


def _marking_index(value: str) -> float | None:
    v = value.strip().lower()
    if v in MARKINGS:
        return float(MARKINGS.index(v))
    if v == "pppp":
        return 0.0
    if v == "ffff":
        return 7.0
    if v == "fp":
        return 2.0  # f on the note (an accent), p after it
    return None


def _levels(piece: Piece, q0: float, q1: float, rng: np.random.Generator) -> list[tuple[float, float, str]]:
    """Set ``level``/``accent`` of the notes in [q0, q1); return the hairpin spans (q) of the excerpt."""
    spans: list[tuple[float, float, str, int]] = list(piece.wedges)
    for off, kind, pi in piece.extra["word_wedges"]:
        nxt = [o for o, v in piece.dynamics[pi] if o > off + 1e-6 and _marking_index(v) is not None]
        bar_q = piece.time_signatures[0][2]
        cap = off + 8 * bar_q
        end = min(nxt[0], cap) if nxt else off + 2 * bar_q
        spans.append((off, end, kind, pi))
    spans.sort()
    for pi in range(len(piece.dynamics)):
        marks = [(o, v) for o, v in piece.dynamics[pi]]
        part_notes = [n for n in piece.notes if n.part == pi]
        base_list = []
        for o, v in marks:
            idx = _marking_index(v)
            if idx is not None:
                base_list.append((o, idx, v == "fp"))
        accents = [(o, _ACCENT_MARKS[v]) for o, v in marks if v in _ACCENT_MARKS]
        part_spans = [s for s in spans if s[3] == pi]
        # walk the notes: level = the written marking, through hairpins ramps, held after
        current = 4.0 if not base_list else None
        held: float | None = None
        bi = 0
        for n in part_notes:
            while bi < len(base_list) and base_list[bi][0] <= n.start_q + 1e-6:
                current = base_list[bi][1]
                held = None
                bi += 1
            if current is None:  # before the first written dynamic: the first one
                current = base_list[0][1]
            level = current if held is None else held
            for s0, s1, kind, _ in part_spans:
                if s0 - 1e-6 <= n.start_q < s1:
                    nxt = [x for x in base_list if s1 - 0.5 <= x[0] <= s1 + 1.0 and x[0] > s0 + 1e-6]
                    start_level = current if held is None else held
                    sign = 1.0 if kind == "crescendo" else -1.0
                    target = nxt[0][1] if nxt else start_level + 1.5 * sign
                    if (target - start_level) * sign <= 0:
                        target = start_level + 1.0 * sign
                    frac = (n.start_q - s0) / max(1e-6, s1 - s0)
                    level = start_level + (target - start_level) * frac
                    if n.end_q >= s1 - 1e-6 or frac > 0.9:
                        held = target if not nxt else None
                    break
            n.level = float(np.clip(level, 0.0, 7.0))
            for o, acc in accents:
                if abs(o - n.start_q) < 1e-3:
                    n.accent = max(n.accent, acc)
            for o, _, fp in base_list:
                if fp and abs(o - n.start_q) < 1e-3:
                    n.accent = max(n.accent, 3.0)
    out = []
    for s0, s1, kind, _ in spans:
        a, b = max(s0, q0), min(s1, q1)
        if b - a >= 0.5 and (b - a) >= 0.5 * (s1 - s0):
            out.append((a, b, kind))
    return _merge_spans(out)


def _merge_spans(spans: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """One span for overlapping spans of the same kind (the parts of a quartet share wedges)."""
    out: list[list[Any]] = []
    for s0, s1, kind in sorted(spans):
        for o in out:
            if o[2] == kind and s0 < o[1] and s1 > o[0]:
                o[0], o[1] = min(o[0], s0), max(o[1], s1)
                break
        else:
            out.append([s0, s1, kind])
    return [(float(a), float(b), k) for a, b, k in out]


def _beat_and_bar(piece: Piece, q: float) -> tuple[float, float, float]:
    """(offset of the governing time signature, beat length, bar length) at ``q``."""
    cur = piece.time_signatures[0]
    for ts in piece.time_signatures:
        if ts[0] <= q + 1e-9:
            cur = ts
    return cur


@dataclass
class Performance:
    """A performed excerpt: MIDI bytes and its truth."""

    midi: bytes
    truth: dict[str, Any]


def perform(piece: Piece, q0: float, q1: float, rng: np.random.Generator, *, design: str) -> Performance:
    """Perform the excerpt [q0, q1) of ``piece``; ``design`` is "steady", "rubato", "accel", "rit" or "wave"."""
    import mido

    table_name = str(rng.choice(sorted(VELOCITY_TABLES)))
    table = np.array(VELOCITY_TABLES[table_name], dtype=np.float64)
    hairpins_q = _levels(piece, q0, q1, rng)
    notes = [n for n in piece.notes if q0 - 1e-6 <= n.start_q < q1]
    # ---- tempo: quarter notes per minute on a 1/16-quarter grid
    step = 1.0 / 16.0
    grid = np.arange(q0, q1 + step, step)
    base = np.empty(grid.size)
    marks = piece.tempo_marks
    _, beat_q0, _ = _beat_and_bar(piece, q0)
    written = [q for o, q in marks if o <= q0 + 1e-6]
    start_q = performed_qpm(piece, q0)
    scale = start_q / written[-1] if written else 1.0
    cur = start_q
    later = [(o, q) for o, q in marks if q0 + 1e-6 < o < q1]
    for i, q in enumerate(grid):
        while later and later[0][0] <= q + 1e-9:
            cur = later.pop(0)[1] * scale
        base[i] = cur
    factor = np.ones(grid.size)
    changes: list[tuple[float, float, str]] = []
    # score words: rit./accel. over at most two bars, held until "a tempo" / a new mark
    level = 1.0
    word_list = [(o, w) for o, w in piece.tempo_words if q0 <= o < q1]
    for k, (o, w) in enumerate(word_list):
        _, _, bar_q = _beat_and_bar(piece, o)
        if w == "a tempo":
            factor[grid >= o] = 1.0
            level = 1.0
            continue
        amount = float(rng.uniform(0.15, 0.25))
        target = level * (1 - amount) if w == "rit" else level * (1 + amount)
        end = min(o + 2 * bar_q, q1)
        nxt = [oo for oo, _ in word_list[k + 1:]] + [oo for oo, _ in marks if oo > o]
        if nxt:
            end = min(end, min(nxt))
        if end - o < 1.0:
            continue
        sel = (grid >= o) & (grid < end)
        factor[sel] = level * np.power(target / level, (grid[sel] - o) / (end - o))
        factor[grid >= end] = target
        changes.append((o, end, "ritardando" if w == "rit" else "accelerando"))
        level = target
    # designed variation
    bar_len = _beat_and_bar(piece, q0)[2]
    if design in ("accel", "rit"):
        length = float(rng.uniform(2, 6)) * bar_len
        start = q0 + float(rng.uniform(0.3, 0.6)) * (q1 - q0 - length)
        start = q0 + round((start - q0) / bar_len) * bar_len
        amount = float(rng.uniform(0.12, 0.30))
        target = 1 + amount if design == "accel" else 1 - amount
        sel = (grid >= start) & (grid < start + length)
        ramp = np.ones(grid.size)
        ramp[sel] = np.power(target, (grid[sel] - start) / length)
        ramp[grid >= start + length] = target
        factor = factor * ramp
        changes.append((start, start + length, "accelerando" if design == "accel" else "ritardando"))
    if design in ("rubato", "wave"):
        amp = float(rng.uniform(0.02, 0.04))
        period = float(rng.uniform(6, 12)) * bar_len
        phase = float(rng.uniform(0, 2 * np.pi))
        factor = factor * (1.0 + amp * np.sin(2 * np.pi * (grid - q0) / period + phase))
    if design == "rubato":
        walk = np.cumsum(rng.normal(0.0, 0.01, size=grid.size // 16 + 2))
        walk = np.interp(np.arange(grid.size) / 16.0, np.arange(walk.size), walk - np.mean(walk))
        factor = factor * np.exp(np.clip(walk, -0.04, 0.04))
    qpm = base * factor
    sec_per_step = step * 60.0 / qpm
    times = np.concatenate([[0.0], np.cumsum(sec_per_step[:-1])])  # time of each grid point

    def at(q: float) -> float:
        return float(np.interp(q, grid, times))

    # ---- MIDI (one track per part, 480 ticks per quarter at a fixed 60 BPM: 1 tick = 1/480 s)
    tpb = 480
    mid = mido.MidiFile(ticks_per_beat=tpb)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=0))
    mid.tracks.append(meta)
    parts = sorted({n.part for n in notes})
    note_truth = []
    for ch_i, pi in enumerate(parts):
        channel = ch_i if ch_i < 9 else ch_i + 1
        track = mido.MidiTrack()
        prog = piece.programs[pi] if pi < len(piece.programs) else 0
        track.append(mido.Message("program_change", program=prog, channel=channel, time=0))
        events = []
        for n in notes:
            if n.part != pi:
                continue
            ts_off, beat_q, bar_q = _beat_and_bar(piece, n.start_q)
            downbeat = abs(((n.start_q - ts_off) / bar_q) - round((n.start_q - ts_off) / bar_q)) < 1e-3
            idx = n.level
            lo = int(np.clip(math.floor(idx), 0, 7))
            hi = min(7, lo + 1)
            vel = table[lo] + (table[hi] - table[lo]) * (idx - lo)
            vel += (table[min(7, hi)] - table[lo]) * (n.accent + (0.25 if downbeat else 0.0)) / max(1, hi - lo)
            vel += rng.normal(0.0, 5.0)
            vel = int(np.clip(round(vel), 1, 127))
            t0 = at(n.start_q)
            t1 = max(t0 + 0.05, at(n.end_q) - 0.02)
            events.append((t0, 1, mido.Message("note_on", note=n.pitch, velocity=vel, channel=channel)))
            events.append((t1, 0, mido.Message("note_off", note=n.pitch, velocity=0, channel=channel)))
            note_truth.append((t0, t1, n.level))
        events.sort(key=lambda e: (e[0], e[1]))
        last = 0
        for t, _, msg in events:
            tick = round(t * tpb)
            track.append(msg.copy(time=max(0, tick - last)))
            last = max(last, tick)
        mid.tracks.append(track)
    import io

    buf = io.BytesIO()
    mid.save(file=buf)

    # ---- truth
    # marking asked for while notes sound: at each onset the loudest part's level
    note_truth.sort()
    segs = []
    if note_truth:
        onsets = sorted({round(t0, 4) for t0, _, _ in note_truth})
        for k, t in enumerate(onsets):
            end = onsets[k + 1] if k + 1 < len(onsets) else max(t1 for _, t1, _ in note_truth)
            sounding = [lv for t0, t1, lv in note_truth if t0 <= t + 1e-4 and t1 > t + 1e-4]
            if not sounding:
                continue
            # the loudest part sets the heard level; its sounding end caps the segment
            seg_end = min(end, max(t1 for t0, t1, lv in note_truth if t0 <= t + 1e-4 and t1 > t + 1e-4))
            segs.append([round(t, 3), round(seg_end, 3), MARKINGS[int(np.clip(round(max(sounding)), 0, 7))]])
    beats = []
    q = q0
    while q < q1 - 1e-6:
        ts_off, beat_q, _ = _beat_and_bar(piece, q)
        t_a, t_b = at(q), at(q + beat_q)
        if q + beat_q <= q1 + 1e-6 and t_b > t_a:
            beats.append([round(t_a, 3), round(60.0 / (t_b - t_a), 2)])
        q += beat_q
    truth = {
        "kind": "score",
        "composer": piece.composer,
        "piece": piece.name,
        "ensemble": piece.ensemble,
        "velocity_table": table_name,
        "design": design,
        "bars_q": [q0, q1],
        "time_signature_beat_q": beat_q0,
        "duration_s": round(at(q1) + 1.5, 3),
        "markings": segs,
        "hairpins": [[round(at(a), 3), round(at(b), 3), k] for a, b, k in hairpins_q],
        "beats": beats,
        "tempo_changes": [[round(at(a), 3), round(at(b), 3), k] for a, b, k in changes],
    }
    return Performance(buf.getvalue(), truth)


def performed_qpm(piece: Piece, q: float) -> float:
    """Quarter notes per minute at ``q``: the written mark, else the piece's drawn tempo.

    The beat of the time signature is kept within 40-200 beats per minute (a playable
    reading of the mark: octaves up or down).
    """
    _, beat_q, _ = _beat_and_bar(piece, q)
    written = [qq for o, qq in piece.tempo_marks if o <= q + 1e-6] or [qq for _, qq in piece.tempo_marks[:1]]
    qpm = written[-1] if written else float(piece.extra.get("drawn_beat_bpm", 100.0)) * beat_q
    while qpm / beat_q > 200.0:
        qpm /= 2.0
    while qpm / beat_q < 40.0:
        qpm *= 2.0
    return qpm


def excerpts(piece: Piece, rng: np.random.Generator, *, count: int, min_s: float = 35.0, max_s: float = 90.0) -> list[tuple[float, float]]:
    """Pick up to ``count`` non-overlapping excerpts of whole bars with at least two written dynamics.

    Lengths are measured at the performed tempo (:func:`performed_qpm`).
    """
    bars = [b for b in piece.bar_starts if b < piece.end_q] + [piece.end_q]
    bars = sorted(set(bars))
    if len(bars) < 4:
        return []
    def seconds(a: float, b: float) -> float:
        return (b - a) * 60.0 / performed_qpm(piece, a)

    all_dyn = sorted(o for part in piece.dynamics for o, v in part if _marking_index(v) is not None)
    cands = []
    for i in range(len(bars) - 1):
        for j in range(i + 1, len(bars)):
            s = seconds(bars[i], bars[j])
            if s > max_s:
                break
            if s >= min_s:
                a, b = bars[i], bars[j]
                n_dyn = sum(1 for o in all_dyn if a <= o < b)
                n_wedge = sum(1 for w in piece.wedges if a <= w[0] < b) + sum(1 for w in piece.extra["word_wedges"] if a <= w[0] < b)
                n_notes = sum(1 for n in piece.notes if a <= n.start_q < b)
                if n_dyn >= 2 and n_notes > 20:
                    cands.append((n_dyn + 2 * min(n_wedge, 6) + float(rng.uniform(0, 3)), a, b))
                break
    cands.sort(reverse=True)
    chosen: list[tuple[float, float]] = []
    for _, a, b in cands:
        if all(b <= c0 or a >= c1 for c0, c1 in chosen):
            chosen.append((a, b))
        if len(chosen) >= count:
            break
    return sorted(chosen)
