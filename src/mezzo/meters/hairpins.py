"""Hairpins: gradual rises (*crescendo*) and falls (*decrescendo*) of the level played across notes.

Model
-----
A hairpin is the notes getting louder or softer, so it is read from the level of each
note's attack (:mod:`mezzo.meters.note_levels`), not from the raw loudness curve. A
piecewise fit of constants and straight lines (:mod:`mezzo.meters.segments`, noise from the
notes' scatter around their 9-note median, BIC penalty) finds where the playing holds a
level and where it moves. Consecutive segments moving one way make one hairpin (a long
crescendo in stages is one crescendo, not a staircase of markings), ended where the fit
turns back, holds still for more than 4 s, or jumps by more than one marking step
(``step_db``) at once or within 0.5 s (a *subito* change). Dynamics move on two time
scales, so the fit runs twice: once penalised eight times BIC for section-long crescendos
(kept from 15 s; the phrase-level wavering inside them does not cut them up) and once at
BIC for phrase-level hairpins (those inside a long one of the same kind are part of it).
Notes more than three noise deviations from their 9-note median are left out, and a level
holds for at least three notes. A hairpin changes the level by at least ``min_change_db``
(3 dB) over at least ``min_duration_s`` (1 s); its confidence is the BIC posterior that a
line beats a constant over its notes, and hairpins below ``min_confidence`` (0.5) are not
reported. A hairpin never bridges 2 s without sound; a fall with fewer than two onsets that
is faster than 3 dB/s is a note decaying, not a *decrescendo*.

Section-long hairpins
---------------------
A crescendo over minutes rises through the music's own phrase dynamics, which can swing by
more than the crescendo gains in a phrase, so the note fits above cut it into pieces. A third
reading (:func:`find_section_hairpins`) looks at the level curve of the markings (the level
of the notes as played, every 0.1 s) through a running median of ``SECTION_WINDOW_S`` (30 s)
of sounding time, which a phrase does not move; silences of up to 3 s are bridged. On that
curve a *turn* is a move back by more than ``SECTION_MIN_CHANGE_DB`` (6 dB), and each stretch
between two turns that changes the level by at least that much over at least
``SECTION_MIN_S`` (20 s) is a hairpin, from where the curve leaves its first level (1 dB) to
where it reaches its last (1 dB). A stretch that makes more than half of its change within
3 s is a step (*subito*), not a hairpin. Its confidence is the BIC posterior that a line beats
a constant over the level sampled every second, the noise being the level's robust spread
around the 30 s curve (the phrase dynamics). Such a hairpin is added to those of the notes
unless a note-level hairpin of its kind already covers it (overlapping by half of the longer
of the two): the finer reading keeps its place.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mezzo.meters.note_levels import NoteLevels

__all__ = ["Hairpin", "find_hairpins", "find_section_hairpins", "merge_hairpins"]

#: Longest stretch of notes one fitted segment may hold (a crescendo of several minutes is
#: still one ramp: it is made of consecutive segments).
_HAIRPIN_MAX_NOTES = 600
#: Section-long hairpins: found by a fit penalised this many times BIC, from this long (s).
_LONG_PENALTY = 8.0
_LONG_HAIRPIN_S = 15.0
#: A jump of more than this many marking steps at once (between two fitted segments, or
#: within 0.5 s along one) is sudden (*subito*), and ends a hairpin.
_SUDDEN_STEP = 1.0
#: Section-long hairpins: running median over this much sounding time, s ...
SECTION_WINDOW_S = 30.0
#: ... the smallest change, which is also the largest move back inside one, dB ...
SECTION_MIN_CHANGE_DB = 6.0
#: ... and the shortest, s.
SECTION_MIN_S = 20.0
#: Silences up to this long (s) do not cut a section-long hairpin.
_SECTION_BRIDGE_S = 3.0
#: A stretch making more than this share of its change within _STEP_S is a step.
_STEP_SHARE = 0.5
_STEP_S = 3.0
#: The curve has left its first level / reached its last within this, dB.
_SETTLE_DB = 1.0


@dataclass(frozen=True, slots=True)
class Hairpin:
    """A gradual rise (``"crescendo"``) or fall (``"decrescendo"``) of the level, times in s; confidence 0-1."""

    start_s: float
    end_s: float
    kind: str
    confidence: float = 1.0


def find_hairpins(
    notes: NoteLevels,
    *,
    step_db: float,
    min_change_db: float = 3.0,
    min_duration_s: float = 1.0,
    min_confidence: float = 0.5,
) -> list[Hairpin]:
    """Gradual rises and falls of the note levels (see the module notes).

    Parameters
    ----------
    notes : NoteLevels
        Times (s) and levels (dB) of the notes, onsets and samples of held sound.
    step_db : float, dB
        One marking step: a jump larger than this is sudden, not a hairpin.
    min_change_db : float, dB
        Smallest level change that makes a hairpin.
    min_duration_s : float, s
        Shortest hairpin (first to last note of the ramp).
    min_confidence : float, 0-1
        Hairpins below this confidence are left out; 0 keeps them all.

    Returns
    -------
    list of Hairpin
        In time order.
    """
    from scipy.ndimage import median_filter

    from mezzo.meters.segments import fit_segments, ramps

    t, level, onset = notes.times_s, notes.level_db, notes.is_onset
    out: list[Hairpin] = []
    if t.size < 5:
        return out
    # noise of the note levels around their local median (9 notes): what is not dynamics;
    # notes more than 3 of it away (a note masked by another, an accent) are left out
    resid = level - median_filter(level, size=9, mode="nearest")
    sigma = max(1.4826 * float(np.median(np.abs(resid))), 0.3)
    keep = np.abs(resid) <= 3.0 * sigma
    t, level, onset = t[keep], level[keep], onset[keep]
    # a hairpin never bridges a silence: fit each stretch between gaps of 2 s apart
    cuts = [0, *(np.flatnonzero(np.diff(t) > 2.0) + 1).tolist(), t.size]
    for a, b in itertools.pairwise(cuts):
        if b - a < 5:
            continue
        x, y = t[a:b], level[a:b]
        found: list[tuple[float, float, float, float]] = []  # (start, end, change, confidence)
        # two time scales: section-long crescendos (a fit penalised 8 times BIC, so the
        # phrase-level wavering inside them does not cut them up; kept from _LONG_HAIRPIN_S)
        # and phrase-level hairpins (BIC), those inside a long one of the same kind dropped;
        # a level is held for at least three notes (one odd note is not a dynamic)
        for scale in (_LONG_PENALTY, 1.0):
            segments = fit_segments(x, y, sigma=sigma, max_points=_HAIRPIN_MAX_NOTES, min_points=3,
                                    penalty_scale=scale)
            for r in ramps(x, y, segments, sigma=sigma, min_change=min_change_db, min_duration=min_duration_s,
                           max_step=_SUDDEN_STEP * step_db):
                t0, t1 = float(x[r.start]), float(x[r.end])
                if scale == _LONG_PENALTY and t1 - t0 < _LONG_HAIRPIN_S:
                    continue
                if scale == 1.0 and any(c * r.change > 0 and min(t1, e) - max(t0, s0) > 0.5 * (t1 - t0)
                                        for s0, e, c, _ in found):
                    continue
                # a fall with fewer than two onsets, faster than 3 dB/s, is a note decaying
                notes_in = np.count_nonzero(onset[a + r.start : a + r.end + 1])
                if r.change < 0 and notes_in < 2 and -r.change / max(t1 - t0, 1e-3) >= 3.0:
                    continue
                found.append((t0, t1, r.change, r.confidence))
        for t0, t1, change, conf in sorted(found):
            if conf >= min_confidence:
                out.append(Hairpin(round(t0, 2), round(t1, 2), "crescendo" if change > 0 else "decrescendo",
                                   round(conf, 3)))
    return out


def _turns(y: np.ndarray, tolerance: float) -> list[int]:
    """Indices of the alternating maxima and minima of ``y``, each turn a move back of more than ``tolerance``.

    The list opens with where the first leg starts and closes with the extreme of the last
    leg, turned or not; it is empty when ``y`` never spans more than ``tolerance``.
    """
    turns: list[int] = []
    hi = lo = extreme = 0
    direction = 0
    for i in range(1, y.size):
        if direction == 0:
            hi = i if y[i] > y[hi] else hi
            lo = i if y[i] < y[lo] else lo
            if y[hi] - y[lo] > tolerance:
                turns, direction, extreme = ([lo], 1, hi) if lo < hi else ([hi], -1, lo)
        elif direction * (y[i] - y[extreme]) > 0:
            extreme = i
        elif direction * (y[extreme] - y[i]) > tolerance:
            turns.append(extreme)
            direction, extreme = -direction, i
    if direction:
        turns.append(extreme)
    return turns


def find_section_hairpins(
    times_s: np.ndarray,
    level_db: np.ndarray,
    sounding: np.ndarray,
    *,
    min_confidence: float = 0.5,
) -> list[Hairpin]:
    """Section-long crescendos and decrescendos of a level curve (see the module notes).

    Parameters
    ----------
    times_s : ndarray
        Evenly spaced times of the curve, s.
    level_db : ndarray
        The level of the notes as played there, dB.
    sounding : ndarray of bool
        Where something sounds; the rest is left out.
    min_confidence : float, 0-1
        Hairpins below this confidence are left out; 0 keeps them all.

    Returns
    -------
    list of Hairpin
        In time order.
    """
    from scipy.ndimage import median_filter

    from mezzo.meters.segments import line_confidence

    times_s = np.asarray(times_s, dtype=np.float64)
    out: list[Hairpin] = []
    idx = np.flatnonzero(sounding)
    if idx.size < 2:
        return out
    hop = float(np.median(np.diff(times_s)))
    every = max(1, round(1.0 / hop))  # one value per second
    cuts = [0, *(np.flatnonzero(np.diff(times_s[idx]) > _SECTION_BRIDGE_S) + 1).tolist(), idx.size]
    for a, b in itertools.pairwise(cuts):
        if (b - a) * hop < SECTION_MIN_S:
            continue
        level = np.asarray(level_db, dtype=np.float64)[idx[a:b]]
        curve = median_filter(level, size=round(SECTION_WINDOW_S / hop) | 1, mode="nearest")[::every]
        t, level = times_s[idx[a:b]][::every], level[::every]
        noise = max(1.4826 * float(np.median(np.abs(level - curve))), 0.5)
        jump = max(1, round(_STEP_S / (every * hop)))  # values within _STEP_S
        for i, j in itertools.pairwise(_turns(curve, SECTION_MIN_CHANGE_DB)):
            change = float(curve[j] - curve[i])
            sign = 1.0 if change > 0 else -1.0
            if abs(change) < SECTION_MIN_CHANGE_DB:
                continue
            leg = sign * (curve[i : j + 1] - curve[i])
            k0 = i + int(np.flatnonzero(leg <= _SETTLE_DB)[-1])
            k1 = i + int(np.flatnonzero(leg >= abs(change) - _SETTLE_DB)[0])
            if k1 <= k0 or t[k1] - t[k0] < SECTION_MIN_S:
                continue
            stretch = curve[k0 : k1 + 1]
            if stretch.size > jump and float(np.max(sign * (stretch[jump:] - stretch[:-jump]))) > _STEP_SHARE * abs(change):
                continue
            confidence = line_confidence(t[k0 : k1 + 1], level[k0 : k1 + 1], noise)
            if confidence >= min_confidence:
                out.append(Hairpin(round(float(t[k0]), 2), round(float(t[k1]), 2),
                                   "crescendo" if change > 0 else "decrescendo", round(confidence, 3)))
    return out


def merge_hairpins(notes: list[Hairpin], sections: list[Hairpin]) -> list[Hairpin]:
    """The note-level hairpins and the section-long ones no note-level hairpin of their kind covers, in time order.

    Two hairpins of a kind cover each other when they overlap by half the longer one.
    """
    def covers(h: Hairpin, g: Hairpin) -> bool:
        overlap = min(h.end_s, g.end_s) - max(h.start_s, g.start_s)
        return h.kind == g.kind and overlap >= 0.5 * max(h.end_s - h.start_s, g.end_s - g.start_s)

    added = [g for g in sections if not any(covers(h, g) for h in notes)]
    return sorted([*notes, *added], key=lambda h: (h.start_s, h.end_s))
