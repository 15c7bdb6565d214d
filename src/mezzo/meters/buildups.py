"""Build-ups and drops of dance music: the sections first, then what they mean.

Everything is read on **beat cells** (from one tracked beat to the next; gaps in the tracked
beats filled at the beat period): the mean power per band of each cell, in dB. The **groove**
is the kick and bass, the bands below 100 Hz; its *full level* is its 90th percentile over the
sounding cells. The *full texture* is the median spectrum of the cells where the groove plays
within 4 dB of its full level, and a cell's **fullness** is the mean over bands of how far it
stays below that spectrum (dB, 0 = nothing missing).

1. **Drops.** A drop is where the full groove enters the track's full texture after a
   build-up or a breakdown. The *entry* at each cell is the mean over bands of the level's
   rise (half-wave rectified) from the two cells before to the two from it (a beat-scale
   spectral flux; levels 45 dB under the loudest floored), or a quarter of the groove's own
   rise, whichever is larger (kick and bass are a few of the bands, and a snare roll can fill
   the rest before the drop). Its local maxima are the candidates. A candidate opens a full
   section when, over the 8 s after it, the groove (per bar) is within 4 dB of full for three
   quarters of the bars and the median fullness within 3 dB, or kick and bass come in from
   nothing (over the 4 s before they were 20 dB or more below full: a first drop is often
   thinner than the last, which adds layers to the same groove); it is an *entry* when over
   the 4 s before the groove was ``drop_min_jump_db`` lower or the fullness 5 dB lower, or
   the entry itself is 5 dB (a silence, or one bar of a lead, before the drop).
   Candidates with no 4 s away from the full texture between them belong to one section and
   give one drop: a candidate after which the cues keep rising for 12 s (build-up evidence
   0.5, see 3) starts a build-up with the groove going on under a filter, and the drop is
   then the strongest entry after it; otherwise the latest entry at least half as strong as
   the strongest (a low-pass filter opening into the drop passes the fullness test early).
   The time is the frame of the strongest entry (0.25 s windows) within a cell, moved to the
   strongest onset within 0.1 s and to a tracked beat within a quarter of a cell.
2. **Section boundaries.** Foote's (2000) novelty on the cells' band levels: a checkerboard
   kernel about 4 s a side on the self-similarity matrix, which with the negative squared
   distance as similarity is the distance between the mean spectra before and after each
   cell (RMS over bands, dB). Its peaks (2 dB or more) are where a build-up may start.
3. **Build-ups.** The stretch searched runs back from the drop to where kick and bass last
   stopped (a 20 dB fall over two cells; a filter sweep takes them away more gradually), at
   most 64 s and not past the previous drop. A build-up is rising tension; its cues are the
   full-band level, the level above 4 kHz (risers, rolls, hats, a low-pass filter opening),
   the spectral centroid (sweeps, pitch risers), the onset density (rolls doubling their
   rate) and the level above the groove (a high-pass sweep thinning the low end). It starts at
   the candidate (the stretch's beginning or a section boundary in it, at least 4 s before
   the drop) that best splits the stretch into "constant, then a straight line" (least
   squares over the cues, each in units of a clear rise: 6 dB, half an octave, a doubling of
   the onset rate), and ends at the drop (a silence before the drop is left out of the fit).
   Its *evidence* is its strongest cue's rise from its first to its last quarter, in those
   units, times that cue's rank correlation with time (positive part).

**Confidence** of a drop (and of its build-up): the geometric mean of three ramps read over
the 16 s (periodicities) or 8 s (share) after it, all needed: the periodicity of the groove's
onsets (peak of the normalised autocorrelation of its spectral flux at 0.25-3 s; 0 at 0.3,
1 from 0.45), of all onsets (0 at 0.35, 1 from 0.55) and the groove's share of the level (0 at
-9 dB, 1 from -5 dB: kick and bass carry a dance drop, not an orchestral tutti or a piano's
left hand); times 0.5 to 1 as the build-up's evidence goes from 0 to 1. The ramps' ends lie
between what the tuning part's score excerpts and its dance tracks (three ways of making them)
reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Buildup", "Drop", "drops_and_buildups"]

#: Kick and bass: the bands whose centre lies below this (Hz).
_GROOVE_HI_HZ = 100.0
#: A full section: fullness at most this far below the full texture (dB) ...
_FULL_DB = 3.0
#: ... and the groove (per bar) at most this far below its full level (dB).
_GROOVE_DB = 4.0
#: The full texture has left where the groove (4-cell median) is this far below full, or the
#: fullness this far below the full texture (dB).
_AWAY_GROOVE_DB = 6.0
_AWAY_FULL_DB = 6.0
#: Seconds read after and before a candidate drop.
_AFTER_S, _BEFORE_S = 8.0, 4.0
#: An entry (dB) that makes a drop by itself, and the fullness rise before one (dB).
_ENTRY_DB = 5.0
_FULLNESS_RISE_DB = 5.0
#: The groove's rise counts this many times less than the spectrum's (its share of the bands).
_GROOVE_WEIGHT = 4.0
#: Levels this far under the loudest are floored in the entry (dB).
_RISE_FLOOR_DB = 45.0
#: A candidate after which the build-up evidence over this long (s) reaches this starts a build-up.
_RISING_AFTER_S = 12.0
_RISING_AFTER = 0.5
#: Kick and bass stop where the groove falls this much (dB) from two cells to the next two, and
#: come in from nothing at a drop when over the 4 s before they were this far below full.
_GROOVE_STOP_DB = 20.0
#: Build-up evidence of a clear build-up (the confidence's build-up factor is full from here).
_EVIDENCE_FULL = 1.0
#: Units of a clear rise per cue: level and high-band level (dB), centroid (octaves), onset
#: density (octaves of rate), thinning of the low end (dB).
_UNITS = {"level": 6.0, "high": 6.0, "centroid": 0.5, "density": 1.0, "thin": 6.0}
#: Confidence ramps (0 to 1) of a drop: the periodicity of the groove's onsets and of all onsets
#: over the 16 s after it, and the groove's share of the level over the 8 s after it (dB).
_GROOVE_PERIODICITY = (0.3, 0.45)
_PULSE_PERIODICITY = (0.35, 0.55)
_GROOVE_SHARE_DB = (-9.0, -5.0)
#: Periods (s) searched for the groove's periodicity: a beat up to a half-time bar at 80 BPM.
_GROOVE_PERIODS_S = (0.25, 3.0)
_SHORTEST_BUILDUP_S, _LONGEST_BUILDUP_S = 4.0, 64.0
#: Smallest novelty peak that may start a build-up (dB).
_NOVELTY_MIN_DB = 2.0


@dataclass(frozen=True, slots=True)
class Buildup:
    """A build-up from ``start_s`` to ``end_s`` (the drop it leads to), s; confidence 0-1."""

    start_s: float
    end_s: float
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Drop:
    """A drop at ``time_s`` (on the beat), s; confidence 0-1."""

    time_s: float
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Cells:
    """Features per beat cell (arrays of one value per cell, except ``frame`` and ``band_db``)."""

    start_s: np.ndarray
    frame: np.ndarray  # first frame of each cell, and the end: (cells + 1,)
    band_db: np.ndarray  # (cells, bands)
    groove_db: np.ndarray  # kick and bass
    full_db: np.ndarray
    high_db: np.ndarray  # above 4 kHz
    centroid: np.ndarray  # octaves re 1 kHz
    density: np.ndarray  # mean spectral flux
    fullness_db: np.ndarray  # mean over bands of min(0, level - the band's full level)

    @property
    def period_s(self) -> float:
        """Median cell length, s."""
        return float(np.median(np.diff(self.start_s))) if self.start_s.size > 1 else 0.5

    def cells(self, seconds: float, least: int = 2) -> int:
        """Number of cells in ``seconds`` (at least ``least``)."""
        return max(least, round(seconds / self.period_s))


def _grid(beats: np.ndarray, period: float, t0: float, t1: float) -> np.ndarray:
    """Cell edges (s): the tracked beats, gaps over 1.5 periods filled evenly, extended to the ends."""
    b = np.asarray(beats, dtype=np.float64)
    b = b[(b >= t0) & (b <= t1)]
    if b.size == 0:
        return np.arange(t0, t1 + 1e-9, period)
    parts = [np.arange(b[0], t0 - 1e-9, -period)[::-1][:-1]]
    for k, g in enumerate(np.diff(b)):
        m = max(1, round(g / period)) if g > 1.5 * period else 1
        parts.append(b[k] + g * np.arange(m) / m)
    parts.append(np.arange(b[-1], t1 + 1e-9, period))
    return np.concatenate(parts)


def cells_of(features: Any, beats: np.ndarray, period_s: float) -> Cells:
    """Aggregate the frames into beat cells (mean power per band), a chunk of cells at a time."""
    t = features.times_s
    frame = np.unique(np.searchsorted(t, _grid(beats, period_s, float(t[0]), float(t[-1]))))
    frame = np.append(frame[frame < t.size], t.size)
    n = frame.size - 1
    power = np.empty((n, features.band_db.shape[1]))
    for c in range(0, n, 2048):
        e = min(n, c + 2048)
        f0 = int(frame[c])
        p = np.power(np.float32(10.0), features.band_db[f0 : frame[e]] / np.float32(10.0))
        power[c:e] = np.add.reduceat(p, frame[c:e] - f0, axis=0, dtype=np.float64) / np.diff(frame[c : e + 1])[:, None]
    power = np.maximum(power, 1e-12)
    band_db = 10.0 * np.log10(power)

    def level(sel: np.ndarray) -> np.ndarray:
        return 10.0 * np.log10(power[:, sel].sum(axis=1)) if sel.any() else np.full(n, -120.0)

    hz = features.band_hz
    full_db = level(np.ones(hz.size, bool))
    groove_db = level(hz < _GROOVE_HI_HZ)
    sounding = full_db > full_db.max() - 40.0
    # the full texture: the median spectrum of the cells where kick and bass play at their full level
    grooving = sounding & (groove_db >= np.percentile(groove_db[sounding], 90) - _GROOVE_DB)
    fullness = np.minimum(0.0, band_db - np.median(band_db[grooving], axis=0)).mean(axis=1)
    flux = features.onset_strength()
    return Cells(
        start_s=t[frame[:-1]],
        frame=frame,
        band_db=band_db,
        groove_db=groove_db,
        full_db=full_db,
        high_db=level(hz >= 4000.0),
        centroid=power @ np.log2(hz / 1000.0) / power.sum(axis=1),
        density=np.add.reduceat(flux, frame[:-1]) / np.diff(frame),
        fullness_db=fullness,
    )


def novelty(band_db: np.ndarray, width: int) -> np.ndarray:
    """Foote's (2000) novelty at each cell (the boundary before it), dB.

    With the negative squared Euclidean distance between cells' band levels as their
    similarity, the correlation of Foote's checkerboard kernel (box-shaped, ``width`` cells a
    side) with the self-similarity matrix at cell ``i`` is ``2 width**2`` times the squared
    distance between the mean spectra of the ``width`` cells before ``i`` and from ``i`` on:
    that distance, as an RMS over bands (dB), is returned; near the ends the windows shrink
    (to two cells; 0 where fewer remain). Levels more than 60 dB under the loudest are floored.
    """
    y = np.maximum(band_db, band_db.max() - 60.0)
    n = y.shape[0]
    s = np.concatenate([np.zeros((1, y.shape[1])), np.cumsum(y, axis=0)])
    i = np.arange(n)
    lo, hi = np.maximum(0, i - width), np.minimum(n, i + width)
    before = (s[i] - s[lo]) / np.maximum(i - lo, 1)[:, None]
    after = (s[hi] - s[i]) / np.maximum(hi - i, 1)[:, None]
    out = np.sqrt(np.mean((after - before) ** 2, axis=1))
    return np.where((i - lo >= 2) & (hi - i >= 2), out, 0.0)


def _rise(band_db: np.ndarray, k: int = 2) -> np.ndarray:
    """Mean over bands of the level's increase from the ``k`` cells before each cell to the ``k`` from it (dB).

    Levels more than ``_RISE_FLOOR_DB`` under the loudest are floored (noise in empty bands does not rise).
    """
    y = np.maximum(band_db, band_db.max() - _RISE_FLOOR_DB)
    n = y.shape[0]
    s = np.concatenate([np.zeros((1, y.shape[1])), np.cumsum(y, axis=0)])
    i = np.arange(k, n - k + 1)
    out = np.zeros(n)
    out[i] = np.maximum(0.0, (s[i + k] - s[i]) / k - (s[i] - s[i - k]) / k).mean(axis=1)
    return out


def _entry(band_db: np.ndarray, groove_db: np.ndarray, k: int) -> np.ndarray:
    """The entry at each cell (or frame): the spectrum's rise, or the groove's over ``_GROOVE_WEIGHT`` (dB)."""
    return np.maximum(_rise(band_db, k), _rise(groove_db[:, None], k) / _GROOVE_WEIGHT)


def _local_maxima(x: np.ndarray, radius: int, floor: float) -> np.ndarray:
    from scipy.ndimage import maximum_filter1d

    return np.flatnonzero((x >= maximum_filter1d(x, size=2 * radius + 1, mode="nearest")) & (x >= floor))


def _window_stat(x: np.ndarray, starts: np.ndarray, width: int, q: float) -> np.ndarray:
    """The ``q``-th percentile of ``x[s : s + width]`` for each start (windows cut at the ends)."""
    return np.array([np.percentile(x[s : s + width], q) for s in starts])


def _rank_corr(x: np.ndarray) -> float:
    """Spearman rank correlation of ``x`` with its index."""
    if x.size < 3:
        return 0.0
    r = np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(np.float64)
    i = np.arange(x.size, dtype=np.float64)
    sd = float(np.std(r))
    return float(np.mean((r - r.mean()) * (i - i.mean())) / (sd * np.std(i))) if sd > 0 else 0.0


def _cues(c: Cells) -> dict[str, np.ndarray]:
    return {
        "level": c.full_db,
        "high": c.high_db,
        "centroid": c.centroid,
        "density": np.log2(np.maximum(c.density, 1e-3)),
        "thin": c.full_db - c.groove_db,
    }


def evidence(cues: dict[str, np.ndarray], start: int, end: int) -> float:
    """Build-up evidence of cells ``start`` to ``end`` (see the module notes): its strongest cue's steady rise."""
    if end - start < 6:
        return 0.0
    best = 0.0
    q = max(2, (end - start) // 4)
    for name, x in cues.items():
        y = x[start:end]
        rise = (float(np.mean(y[-q:])) - float(np.mean(y[:q]))) / _UNITS[name]
        best = max(best, rise * max(0.0, _rank_corr(y)))
    return best


def drops_and_buildups(
    features: Any,
    beats: np.ndarray,
    beat_period_s: float | None,
    *,
    drop_min_jump_db: float,
    pulse: float = 1.0,
    min_confidence: float = 0.0,
) -> tuple[list[Drop], list[Buildup]]:
    """Drops and the build-ups before them (see the module notes), at or above ``min_confidence``.

    ``beats`` are the tracked beats (s) and ``beat_period_s`` the global beat period; nothing is
    found without one. ``drop_min_jump_db``: how far (dB) the kick and bass were below their full
    level over the 4 s before a drop, at least, when nothing else marks it. ``pulse`` is not
    read (each drop's own onset periodicity is); it is accepted for callers.
    """
    if not beat_period_s or features.times_s.size < round(8.0 * features.frame_rate_hz):
        return [], []
    c = cells_of(features, beats, beat_period_s)
    if c.start_s.size < 16:
        return [], []
    drop_cells = _drop_cells(c, drop_min_jump_db)
    cues = _cues(c)
    width = int(np.clip(round(4.0 / c.period_s), 4, 16))
    nov = novelty(c.band_db, width)
    peaks = _local_maxima(nov, max(1, width // 2), _NOVELTY_MIN_DB)
    drops: list[Drop] = []
    buildups: list[Buildup] = []
    previous = 0
    for d in drop_cells:
        when = _drop_time(features, c, d, np.asarray(beats, dtype=np.float64))
        start, best = _buildup_start(c, cues, peaks, previous, d)
        conf = round(_drop_confidence(features, c, d, best), 3)
        if conf >= 0.25:
            previous = d
        if conf < min_confidence:
            continue
        drops.append(Drop(round(when, 3), conf))
        if start is not None:
            buildups.append(Buildup(round(float(c.start_s[start]), 2), round(when, 3), conf))
    return drops, buildups


def _drop_cells(c: Cells, jump_db: float) -> list[int]:
    """The cells where drops begin (see the module notes)."""
    from scipy.ndimage import median_filter

    n = c.start_s.size
    sounding = c.full_db > c.full_db.max() - 40.0
    groove_full = float(np.percentile(c.groove_db[sounding], 90))
    after, before = c.cells(_AFTER_S, 4), c.cells(_BEFORE_S)
    # the entry at each cell: the spectrum's rise, or kick and bass coming in (their rise over
    # _GROOVE_WEIGHT: they are a few of the bands, and a roll can fill the rest before the drop)
    rise = _entry(c.band_db, c.groove_db, 2)
    cand = _local_maxima(rise, 2, 1.0)
    cand = cand[(cand >= before) & (cand < n - after // 2)]
    # kick and bass per bar (power mean of 4 cells): half-time and broken patterns leave beats without a kick
    from scipy.ndimage import uniform_filter1d

    groove_bar = 10.0 * np.log10(uniform_filter1d(np.power(10.0, c.groove_db / 10.0), size=4, mode="nearest", origin=-2))
    fa = _window_stat(c.fullness_db, cand, after, 50)
    ga = _window_stat(groove_bar, cand, after, 25) - groove_full
    fb = _window_stat(c.fullness_db, cand - before, before, 50)
    gb = _window_stat(c.groove_db, cand - before, before, 50) - groove_full
    full_after = ((fa >= -_FULL_DB) | (gb <= -_GROOVE_STOP_DB)) & (ga >= -_GROOVE_DB)
    away_before = (gb <= -jump_db) | (fa - fb >= _FULLNESS_RISE_DB) | (rise[cand] >= _ENTRY_DB)
    cand, away_before = cand[full_after], away_before[full_after]
    # the full texture left for 4 s between two candidates: separate drops
    g4 = median_filter(c.groove_db, size=4, mode="nearest")
    f4 = median_filter(c.fullness_db, size=4, mode="nearest")
    away = (g4 < groove_full - _AWAY_GROOVE_DB) | (f4 < -_AWAY_FULL_DB)
    away_cum = np.concatenate([[0], np.cumsum(away)])
    chains: list[list[int]] = []
    for j, i in enumerate(cand):
        if chains and away_cum[i] - away_cum[cand[chains[-1][-1]]] < c.cells(4.0):
            chains[-1].append(j)
        else:
            chains.append([j])
    cues = _cues(c)
    out = []
    for chain in chains:
        armed = False
        picked = []
        for j in chain:
            i = int(cand[j])
            if not (away_before[j] or armed):
                continue
            if evidence(cues, i, i + c.cells(_RISING_AFTER_S)) >= _RISING_AFTER:
                armed = True  # a build-up starts here (a filter sweep over the groove): the drop ends it
                continue
            picked.append(i)
        if picked and armed:  # the drop ends the build-up: the strongest entry after its start
            out.append(max(picked, key=lambda i: rise[i]))
        elif picked:  # a filter opening into the drop passes early: the latest entry of at least half the largest
            top = max(rise[i] for i in picked)
            out.append(max(i for i in picked if rise[i] >= 0.5 * top))
    return out


def _buildup_start(c: Cells, cues: dict[str, np.ndarray], peaks: np.ndarray, previous: int, d: int) -> tuple[int | None, float]:
    """The cell where the build-up before the drop at cell ``d`` starts (or None), and its evidence."""
    # the stretch before: back to where kick and bass last stopped (a step down of 20 dB from the
    # two cells before to the two after: a filter sweep takes them away more gradually), at most
    # 64 s and not before the previous drop
    lo = max(previous, int(np.searchsorted(c.start_s, c.start_s[d] - _LONGEST_BUILDUP_S)))
    k = 2
    g = c.groove_db
    s = np.concatenate([[0.0], np.cumsum(g)])
    i = np.arange(max(lo, k), max(lo, k, d - c.cells(2.0)))
    steps = (s[i + k] - s[i]) / k - (s[i] - s[i - k]) / k if i.size else np.zeros(0)
    stops = np.flatnonzero(steps <= -_GROOVE_STOP_DB)
    if stops.size:  # the steepest cell of the last run of steps
        run = stops[stops >= stops[-1] - k]
        r0 = int(i[run[np.argmin(steps[run])]])
    else:
        r0 = lo
    end = d
    while end > r0 + 1 and c.full_db[end - 1] < c.full_db[d] - 20.0:
        end -= 1  # a silence before the drop is not part of the build-up's cues
    starts = [r0, *[int(p) for p in peaks if r0 + 1 < p <= end - c.cells(_SHORTEST_BUILDUP_S)]]
    starts = [s for s in starts if c.start_s[d] - c.start_s[s] >= _SHORTEST_BUILDUP_S]
    if not starts:
        return None, 0.0
    start = min(starts, key=lambda s: _hinge_cost(cues, r0, s, end))
    return start, evidence(cues, start, end)


def _hinge_cost(cues: dict[str, np.ndarray], r0: int, s: int, end: int) -> float:
    """Squared residuals (in units of a clear rise) of "constant before ``s``, a straight line from it" over the cues."""
    cost = 0.0
    for name, x in cues.items():
        y = x[r0:end] / _UNITS[name]
        k = s - r0
        if k > 0:
            cost += float(np.sum((y[:k] - y[:k].mean()) ** 2))
        z = y[k:]
        if z.size > 2:
            t = np.arange(z.size, dtype=np.float64)
            slope, icpt = np.polyfit(t, z, 1)
            cost += float(np.sum((z - (slope * t + icpt)) ** 2))
    return cost


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between."""
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def _drop_confidence(features: Any, c: Cells, d: int, evidence: float) -> float:
    """Confidence of the drop at cell ``d`` (see the module notes)."""
    frame = int(c.frame[d])
    after = slice(d, d + c.cells(_AFTER_S, 4))
    share = float(np.median(c.groove_db[after] - c.full_db[after]))
    # all three are needed (a geometric mean: any one at 0 makes 0)
    carried = (
        _ramp(groove_after(features, frame), *_GROOVE_PERIODICITY)
        * _ramp(groove_after(features, frame, hi_hz=np.inf), *_PULSE_PERIODICITY)
        * _ramp(share, *_GROOVE_SHARE_DB)
    ) ** (1.0 / 3.0)
    return carried * (0.5 + 0.5 * _ramp(evidence, 0.0, _EVIDENCE_FULL))


def _drop_time(features: Any, c: Cells, d: int, beats: np.ndarray) -> float:
    """Time of the drop found at cell ``d`` (s).

    Within a cell of the cell's start, the frame where the entry is strongest (as for the cells,
    from the 0.25 s before to the 0.25 s after), moved to the
    strongest onset within 0.1 s of it, and to the nearest tracked beat when one is within a
    quarter of a cell.
    """
    fps = features.frame_rate_hz
    p = max(1, round(c.period_s * fps))
    w = max(2, round(0.25 * fps))
    n = features.times_s.size
    lo, hi = max(w, int(c.frame[d]) - p), min(n - w, int(c.frame[d]) + p + 1)
    if hi <= lo:
        return float(c.start_s[d])
    band = features.band_db[lo - w : hi + w].astype(np.float64)
    groove = features.level_db(0.0, _GROOVE_HI_HZ)[lo - w : hi + w]
    rise = _entry(band, groove, w)[w : w + hi - lo]
    at = lo + int(np.argmax(rise))
    r = max(1, round(0.1 * fps))
    flux = features.onset_strength()[max(0, at - r) : at + r + 1]
    at = max(0, at - r) + int(np.argmax(flux))
    when = float(features.times_s[at]) - 0.5 / fps  # flux peaks about half a frame after the onset
    if beats.size:
        j = int(np.argmin(np.abs(beats - when)))
        if abs(beats[j] - when) <= 0.25 * c.period_s:
            when = float(beats[j])
    return when


def groove_after(features: Any, frame: int, *, seconds: float = 16.0, hi_hz: float = _GROOVE_HI_HZ) -> float:
    """Periodicity of the kick-and-bass band's onsets over the ``seconds`` after ``frame`` (0-1).

    The peak of the normalised autocorrelation of the band's spectral flux for periods of
    ``_GROOVE_PERIODS_S`` (a beat, or a half-time bar down to 80 BPM, 3 s: a half-time kick
    pattern repeats only at the bar): a kick or bass pattern reads 0.6-0.9, a bass line
    returning in a string quartet or an orchestral phrase 0-0.5.
    """
    fps = features.frame_rate_hz
    env = features.onset_strength(0.0, hi_hz)[frame : frame + round(seconds * fps)]
    if env.size < round(4.0 * fps):
        return 0.0
    # the entry itself (a jump from silence) is one outlier, not the groove: clip at the 95th percentile
    env = np.minimum(env, np.percentile(env, 95))
    x = env - env.mean()
    spec = np.fft.rfft(x, 2 * x.size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2)[: x.size]
    if ac[0] <= 1e-12:
        return 0.0
    lo, hi = _GROOVE_PERIODS_S
    return float(np.max(ac[round(lo * fps) : round(hi * fps) + 1]) / ac[0])
