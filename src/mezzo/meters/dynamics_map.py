"""The dynamics map of a piece: markings ppp..fff, hairpins, flat sections, variation.

Model
-----
A recording's absolute level does not say *pp* or *ff*, so markings are placed
relative to the piece itself:

1. **Level curve.** Momentary loudness (BS.1770-4, 400 ms, every 0.1 s), followed by
   a sliding maximum over the preceding 0.5 s and following 0.2 s (the level of the
   notes as played, not of their decays) and
   a 2 s running median (stability).
2. **Sounding time.** Windows above -70 LUFS and within 40 LU of the piece's loud
   level (95th percentile); gaps under 1 s are bridged, runs under 0.5 s dropped.
   Markings cover the sounding time only.
3. **Placement.** Recordings are normalised and mastered to all sorts of levels, so what
   is left of the playing force is the shape of the piece's own levels. Its *loud level*
   (the 90th percentile of the sounding level curve) reads *f* (``LOUD_INDEX`` = 5.1) and
   the rest of the curve is placed from it, one marking per step. The loud end is the
   steadier anchor: the loudest passages of a piece are mostly marked *f* or *ff*, and the
   level per step shrinks towards the loud end (General MIDI renders velocity *v* at
   40 log10(v / 127) dB, so with velocities evenly spaced per marking *f* to *ff* is about
   3 dB and *p* to *pp* about 7 dB), while where the soft end sits varies most from piece
   to piece. The step is ``step_db`` (4.5 dB) for a piece whose level spans 15 dB (5th to
   95th percentile) and scales with the square root of the span: a span mixes how many
   markings the piece covers and how many dB per marking its instruments and renderer give
   (some 3-7 dB in General MIDI renderings, 3-8 dB for acoustic instruments whose pp-ff
   range is 15-40 dB), and one recording cannot tell the two apart, so half the difference
   (in log) is taken as each. The numbers were fitted on the tuning part of the evaluation
   corpus (``benchmarks/dynamics_eval``); a fixed step scored one point more there, but
   lost 10-15 points when every level difference was made 0.7 or 1.5 times as large (a
   gentler or steeper renderer), where the scaled step keeps 82-84 %. The absolute level
   is weak evidence only: a recording whose loud level is under -30 LUFS reads up to half
   a step softer (at -40 LUFS and below).
4. **Force cue** (off by default). Acoustic instruments get brighter as they are played
   harder, so the spectral centroid's deviation from the piece's median (in octaves) can add
   ``brightness_steps_per_octave`` steps (clipped to half a step). General MIDI SoundFonts
   rendered by FluidSynth change only the gain with velocity (measured: the same centroid
   from velocity 20 to 126 on six instruments of FluidR3_GM and TimGM6mb), where the
   centroid follows register and texture instead, so it is not a default.
5. **Stability.** The continuous index is quantised with hysteresis (a neighbour is
   taken only when the index is 0.2 step past the boundary) and segments shorter than
   ``min_marking_s`` (1.5 s) are merged into the closer neighbour.

Hairpins are gradual changes of the level *played* across notes, read from the level of
each note's attack, and section-long ones (20 s and more) from the level curve above
(:mod:`mezzo.meters.hairpins`).

Flat sections are the stretches where short-term loudness (3 s) stays within
``flat_tolerance_lu`` either side of its middle (default ±1 LU, i.e. a spread of at most
2 LU) for at least ``flat_min_duration_s`` (20 s).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mezzo._validate import check_audio, check_range, check_sample_rate
from mezzo.marks import MARKINGS
from mezzo.meters.features import FrameFeatures, SpectralFrames
from mezzo.meters.hairpins import Hairpin
from mezzo.results import json_value

__all__ = [
    "MARKINGS",
    "DynamicsMap",
    "FlatSection",
    "Hairpin",
    "MarkingSegment",
    "Variation",
    "dynamics_map",
    "dynamics_map_from_features",
]

#: Spacing of the level curves, s (the loudness meter's hop).
CURVE_HOP_S = 0.1
_FLOOR_DB = -120.0
#: The loud level of a piece (this percentile of its sounding level curve, dB) reads
#: ``LOUD_INDEX`` (5 = *f*; see the module notes).
LOUD_PERCENTILE = 90.0
LOUD_INDEX = 5.1
#: The marking step is ``step_db`` for a piece whose level spans ``SPAN_REF_DB`` (5th to 95th
#: percentile), and scales with the span to the power ``SPAN_EXPONENT`` (spans under
#: ``SPAN_MIN_DB`` count as that).
SPAN_REF_DB = 15.0
SPAN_EXPONENT = 0.5
SPAN_MIN_DB = 3.0
#: A piece whose loud level is under this (LUFS) reads softer, by up to ``QUIET_MAX_STEPS``
#: steps 10 dB below it.
QUIET_LUFS = -30.0
QUIET_MAX_STEPS = 0.5

# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class MarkingSegment:
    """A stretch of the piece at one dynamic marking (``start_s``/``end_s`` in s).

    It carries no confidence: on the evaluation corpus's tuning material a reading was within
    one step of the score's marking 0.84-0.86 of the time (0.75 on its validation part), and
    neither the marking read nor the level's steadiness predicted a held-out composer's
    segments better than that one rate (``benchmarks/README.md``, dynamics, round 11).
    """

    start_s: float
    end_s: float
    marking: str


@dataclass(frozen=True, slots=True)
class FlatSection:
    """Short-term loudness stays within ``spread_lu`` (max - min, LU) from ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float
    spread_lu: float


@dataclass(frozen=True, slots=True)
class Variation:
    """How much the dynamics move, in one summary.

    Attributes
    ----------
    short_term_std_lu : float or None
        Standard deviation of short-term loudness (LRA gates: above -70 LUFS and within
        20 LU of the loudest window), LU.
    flat_fraction : float or None
        Share of the sounding time spent in flat sections, 0-1.
    longest_flat_s : float
        Longest flat section, s (0 when there is none).
    markings_used : int
        Number of different markings in the map.
    marking_changes_per_min : float or None
        Changes of marking per minute of sounding time.
    hairpins_per_min : float or None
        Hairpins per minute of sounding time.
    sounding_s : float
        Sounding time, s.
    """

    short_term_std_lu: float | None
    flat_fraction: float | None
    longest_flat_s: float
    markings_used: int
    marking_changes_per_min: float | None
    hairpins_per_min: float | None
    sounding_s: float


@dataclass(frozen=True, slots=True)
class DynamicsMap:
    """Markings, hairpins, flat sections and the variation summary of a piece.

    ``marking_index`` (on ``curve_times_s``) is the continuous marking step behind the
    markings (0 = ppp ... 7 = fff, NaN where nothing sounds), kept for plots.
    """

    markings: tuple[MarkingSegment, ...]
    hairpins: tuple[Hairpin, ...]
    flat_sections: tuple[FlatSection, ...]
    variation: Variation
    curve_times_s: np.ndarray = field(repr=False)
    marking_index: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the keys ``markings``, ``hairpins``, ``flat_sections``, ``variation``."""
        return {
            "markings": json_value(list(self.markings)),
            "hairpins": json_value(list(self.hairpins)),
            "flat_sections": json_value(list(self.flat_sections)),
            "variation": json_value(self.variation),
        }


# ------------------------------------------------------------------ helpers


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs (end exclusive) of the True runs of a boolean array."""
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _window_max(x: np.ndarray, back: int, ahead: int) -> np.ndarray:
    """``out[i] = max(x[i - back : i + ahead + 1])`` (edges padded with the edge values)."""
    if x.size == 0:
        return x.copy()
    padded = np.concatenate([np.full(back, x[0]), x, np.full(ahead, x[-1])])
    return np.lib.stride_tricks.sliding_window_view(padded, back + ahead + 1).max(axis=1)


def _running_median(x: np.ndarray, width: int) -> np.ndarray:
    from scipy.ndimage import median_filter

    return median_filter(x, size=max(1, width), mode="nearest")


def _sounding_mask(level: np.ndarray) -> np.ndarray:
    finite = np.isfinite(level) & (level > -70.0)
    if not finite.any():
        return np.zeros(level.size, dtype=bool)
    loud = float(np.percentile(level[finite], 95))
    mask = finite & (level > loud - 40.0)
    # bridge gaps under 1 s, then drop runs under 0.5 s
    gap = round(1.0 / CURVE_HOP_S)
    out = mask.copy()
    runs = _runs(mask)
    for (_, e1), (s2, _) in itertools.pairwise(runs):
        if s2 - e1 < gap:
            out[e1:s2] = True
    for s, e in _runs(out):
        if e - s < round(0.5 / CURVE_HOP_S):
            out[s:e] = False
    return out


def _quantise(index: np.ndarray, hysteresis: float) -> np.ndarray:
    """Round the marking index with hysteresis (NaN stays -1)."""
    out = np.full(index.size, -1, dtype=np.int64)
    current = -1
    top = len(MARKINGS) - 1
    for i, v in enumerate(index.tolist()):
        if not math.isfinite(v):
            current = -1
            continue
        if current < 0 or abs(v - current) > 0.5 + hysteresis:
            current = min(top, max(0, round(v)))
        out[i] = current
    return out


def _merge_short(labels: np.ndarray, index: np.ndarray, min_len: int) -> np.ndarray:
    """Merge segments shorter than ``min_len`` values into the neighbour closest in level."""
    labels = labels.copy()
    for _ in range(50):
        segs = [(s, e) for s, e in _runs(labels >= 0)]
        changed = False
        for s, e in segs:
            # split a sounding run into constant-label segments
            cuts = [s, *(s + 1 + np.flatnonzero(np.diff(labels[s:e]) != 0)).tolist(), e]
            pieces = list(itertools.pairwise(cuts))
            if len(pieces) < 2:
                continue
            lengths = [b - a for a, b in pieces]
            k = int(np.argmin(lengths))
            if lengths[k] >= min_len:
                continue
            a, b = pieces[k]
            mean = float(np.nanmean(index[a:b]))
            options = []
            if k > 0:
                options.append(labels[pieces[k - 1][0]])
            if k < len(pieces) - 1:
                options.append(labels[pieces[k + 1][0]])
            labels[a:b] = min(options, key=lambda m: abs(m - mean))
            changed = True
        if not changed:
            break
    return labels


# ------------------------------------------------------------------ the map


def dynamics_map_from_features(
    loudness: Any,
    features: FrameFeatures | None = None,
    *,
    step_db: float = 4.5,
    brightness_steps_per_octave: float = 0.0,
    min_marking_s: float = 1.5,
    hairpin_min_change_db: float = 3.0,
    hairpin_min_duration_s: float = 1.0,
    flat_tolerance_lu: float = 1.0,
    flat_min_duration_s: float = 20.0,
    min_confidence: float = 0.5,
) -> DynamicsMap:
    """Build the dynamics map from a loudness result (and optional spectral frames).

    Parameters are those of :func:`dynamics_map`; ``loudness`` is a
    :class:`~mezzo.meters.loudness.LoudnessResult` with a 0.1 s hop.
    """
    from mezzo.kernels.dynamics import flat_runs

    step_db = check_range("step_db", step_db, 0.5, 20.0, "dB")
    times = np.asarray(loudness.momentary_times_s, dtype=np.float64)
    mom = np.asarray(loudness.momentary_lufs, dtype=np.float64)
    mom_f = np.where(np.isfinite(mom), mom, _FLOOR_DB)
    sounding = _sounding_mask(mom)
    hop = CURVE_HOP_S
    if times.size > 1:
        hop = float(np.median(np.diff(times)))

    # markings
    index = np.full(times.size, np.nan)
    labels = np.full(times.size, -1, dtype=np.int64)
    if sounding.any():
        # level of the notes as played: max over [-0.5 s, +0.2 s] around each window centre
        peak_level = _window_max(mom_f, round(0.5 / hop), round(0.2 / hop))
        level = _running_median(peak_level, round(2.0 / hop) | 1)
        lv = level[sounding]
        loud = float(np.percentile(lv, LOUD_PERCENTILE))
        # absolute level: weak evidence, and only for very quiet recordings
        quiet = -QUIET_MAX_STEPS * float(np.clip((QUIET_LUFS - loud) / 10.0, 0.0, 1.0))
        span = float(np.percentile(lv, 95) - np.percentile(lv, 5))
        step = step_db * (max(span, SPAN_MIN_DB) / SPAN_REF_DB) ** SPAN_EXPONENT
        index = LOUD_INDEX + quiet + (level - loud) / step
        if features is not None and features.band_db.shape[0] > 0 and brightness_steps_per_octave:
            cent = features.centroid_octaves()
            ok = np.isfinite(cent)
            if ok.sum() > 1:
                c = np.interp(times, features.times_s[ok], cent[ok])
                c = _running_median(c, round(2.0 / hop) | 1)
                dev = np.clip((c - float(np.median(c[sounding]))) * brightness_steps_per_octave, -0.5, 0.5)
                index = index + dev
        index = np.clip(index, 0.0, len(MARKINGS) - 1.0)
        index[~sounding] = np.nan
        labels = _quantise(index, 0.2)
        labels = _merge_short(labels, index, round(min_marking_s / hop))

    markings: list[MarkingSegment] = []
    for s, e in _runs(labels >= 0):
        cuts = [s, *(s + 1 + np.flatnonzero(np.diff(labels[s:e]) != 0)).tolist(), e]
        for a, b in itertools.pairwise(cuts):
            # a window ending at times[a] started 0.4 s earlier; centre the segment on it
            start = max(0.0, float(times[a]) - 0.2 - (hop / 2 if a == s else 0.0))
            end = float(times[b - 1]) - 0.2 + (hop / 2 if b != e else 0.0)
            if b == e:
                end = float(times[b - 1])
            markings.append(MarkingSegment(round(start, 2), round(max(end, start), 2), MARKINGS[labels[a]]))

    # hairpins: from the note levels, and section-long ones from the level curve
    hairpins: list[Hairpin] = []
    if sounding.any():
        from mezzo.meters.hairpins import find_hairpins, find_section_hairpins, merge_hairpins
        from mezzo.meters.note_levels import note_levels

        if features is not None:
            hairpins = find_hairpins(note_levels(features), step_db=step_db, min_change_db=hairpin_min_change_db,
                                     min_duration_s=hairpin_min_duration_s, min_confidence=min_confidence)
        hairpins = merge_hairpins(hairpins, find_section_hairpins(times, level, sounding,
                                                                  min_confidence=min_confidence))

    # flat sections on the short-term series
    st = np.asarray(loudness.short_term_lufs, dtype=np.float64)
    st_t = np.asarray(loudness.short_term_times_s, dtype=np.float64)
    st_v = np.where(np.isfinite(st) & (st > -70.0), st, np.nan)
    flats: list[FlatSection] = []
    if st_v.size:
        starts = np.zeros(st_v.size, dtype=np.int64)
        ends = np.zeros(st_v.size, dtype=np.int64)
        min_len = max(1, math.ceil((flat_min_duration_s - 3.0) / hop) + 1)
        count = flat_runs(st_v, 2.0 * flat_tolerance_lu + 1e-9, min_len, starts, ends)
        for a, b in zip(starts[:count], ends[:count], strict=True):
            seg = st_v[a:b]
            flats.append(FlatSection(
                round(max(0.0, float(st_t[a]) - 3.0), 2), round(float(st_t[b - 1]), 2),
                round(float(seg.max() - seg.min()), 2),
            ))

    sounding_s = float(np.count_nonzero(sounding)) * hop
    gated = st_v[np.isfinite(st_v)]
    if gated.size:
        gated = gated[gated >= gated.max() - 20.0]
    flat_total = sum(f.end_s - f.start_s for f in flats)
    changes = sum(1 for a, b in itertools.pairwise(markings) if a.marking != b.marking and abs(b.start_s - a.end_s) < 0.5)
    minutes = sounding_s / 60.0
    variation = Variation(
        short_term_std_lu=float(np.std(gated)) if gated.size > 1 else None,
        flat_fraction=min(1.0, flat_total / sounding_s) if sounding_s > 0 else None,
        longest_flat_s=max((f.end_s - f.start_s for f in flats), default=0.0),
        markings_used=len({m.marking for m in markings}),
        marking_changes_per_min=changes / minutes if minutes > 0 else None,
        hairpins_per_min=len(hairpins) / minutes if minutes > 0 else None,
        sounding_s=round(sounding_s, 2),
    )
    return DynamicsMap(tuple(markings), tuple(hairpins), tuple(flats), variation, times, index)


def dynamics_map(
    audio: np.ndarray,
    sample_rate: int,
    *,
    step_db: float = 4.5,
    brightness_steps_per_octave: float = 0.0,
    min_marking_s: float = 1.5,
    hairpin_min_change_db: float = 3.0,
    hairpin_min_duration_s: float = 1.0,
    flat_tolerance_lu: float = 1.0,
    flat_min_duration_s: float = 20.0,
    min_confidence: float = 0.5,
) -> DynamicsMap:
    """Read the dynamics of a piece: markings, hairpins, flat sections and variation.

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        Float audio.
    sample_rate : int
        Sample rate in Hz.
    step_db : float, 0.5 to 20, dB
        Level difference between neighbouring markings in a piece whose level spans 15 dB
        (it scales with the square root of the span; see the module notes).
    brightness_steps_per_octave : float, >= 0
        Marking steps added per octave of spectral-centroid rise over the piece's median
        (clipped to ±0.5 step); 0 (the default) turns the brightness cue off.
    min_marking_s : float, s
        Shortest marking segment; shorter ones merge into a neighbour.
    hairpin_min_change_db : float, dB
        Smallest level change that makes a hairpin.
    hairpin_min_duration_s : float, s
        Shortest hairpin (first to last note of the ramp).
    flat_tolerance_lu : float, LU
        Half-width of the band a flat section stays in.
    flat_min_duration_s : float, s
        Shortest flat section.
    min_confidence : float, 0-1
        Hairpins below this confidence are left out; 0 keeps them all.

    Returns
    -------
    DynamicsMap

    Notes
    -----
    See the module docstring for the model. Silence gives empty lists.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 12) / 48000
    >>> gain = np.where(t < 6, 10 ** (-24 / 20), 10 ** (-8 / 20))
    >>> m = dynamics_map(gain * np.sin(2 * np.pi * 440 * t), 48000)
    >>> [s.marking for s in m.markings]  # the loud level reads f; 16 dB below it is 3.4 steps
    ['p', 'f']
    """
    from mezzo.meters.loudness import LoudnessMeter

    rate = check_sample_rate(sample_rate)
    x = check_audio(audio)
    meter = LoudnessMeter(rate, x.shape[0], true_peak=False)
    frames = SpectralFrames(rate, x.shape[0])
    meter.update(x)
    frames.update(x)
    return dynamics_map_from_features(
        meter.result(), frames.result(),
        step_db=step_db, brightness_steps_per_octave=brightness_steps_per_octave,
        min_marking_s=min_marking_s, hairpin_min_change_db=hairpin_min_change_db,
        hairpin_min_duration_s=hairpin_min_duration_s, flat_tolerance_lu=flat_tolerance_lu,
        flat_min_duration_s=flat_min_duration_s, min_confidence=min_confidence,
    )
