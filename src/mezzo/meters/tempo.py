"""Tempo over time (global tempo, tempo curve, accelerando/ritardando), build-ups and drops.

Tempo uses librosa's tempo and beat tools (imported inside the functions only):

- **Onset strength**: spectral flux of log band energies of the mono mix on a ~23 ms
  grid (:meth:`~mezzo.meters.features.FrameFeatures.onset_strength`, the definition of
  ``librosa.onset.onset_strength``), computed while the file streams, so the audio is
  never held in memory.
- **Global tempo**: ``librosa.feature.tempo`` (autocorrelation tempogram averaged over
  the piece, weighted by librosa's log-normal prior around 120 BPM) chooses the metrical
  level; the reported ``tempo_bpm`` is the median of the tempo curve below, which is
  finer than the tempogram's lag grid.
- **Local tempo**: ``librosa.feature.tempo(aggregate=None)`` (8 s tempogram windows),
  folded by octaves to within a factor sqrt(2) of the global tempo, so the curve does
  not jump between metrical levels (a half-time drop keeps its BPM).
- **Metrical level**: librosa's choice can be off by an octave (an unaccented
  eighth-note stream, a kick-snare pattern repeating every two beats). Beats are tracked
  at half, the same and double that tempo; in every 10 s window each level's *beat
  salience* is the mean onset strength at its beats, measured on the bass band
  (< 200 Hz, which carries the beat; the full band when the bass band sits more than
  30 dB below the full level), times a tactus prior (log-normal around a 0.55 s beat
  period, Klapuri, Eronen & Astola 2006, one octave wide) that only decides between
  levels of similar salience. The level that wins most windows is the piece's, so a
  half-time section keeps the track's tempo.
- **Beats**: ``librosa.beat.beat_track`` (Ellis 2007 dynamic programming) driven by the
  *time-varying* local tempo (librosa >= 0.10 accepts an array ``bpm``), so it follows
  accelerandos and ritardandos. The tempo curve is 60 / local beat period, the
  Theil-Sen slope of beat time against beat number over 9 beats, then a 9-beat median (precise although
  beats sit on the ~23 ms frame grid, and robust to a missed beat); where it disagrees with the local tempogram by more than 8 % the
  tempogram's value is used. Beats more than 30 dB below the piece's loud level (fades,
  near-silence) are left out.
- **Accelerando / ritardando**: turning points of log2(BPM) with a 3 % hysteresis split
  the curve into rises and falls; one is reported when it changes the tempo by at least
  ``tempo_change_min`` (8 %), moves steadily one way (rank correlation with time at least
  0.7), lasts at least ``tempo_change_min_s`` (2 s) and is gradual
  (no 1 s stretch holds more than 60 % of the change: that is a sudden tempo step).

Build-ups and drops (dance music):

- **Drop**: the low band (< 150 Hz: kick and bass) comes back: its median level over the
  next 2 s exceeds that over the previous 2 s by at least ``drop_min_jump_db`` (6 dB),
  and reaches the track's usual full level (within 4 dB of its 75th percentile). The
  time is the strongest rise of the low band within ±0.5 s, snapped to the nearest
  tracked beat when one is within a quarter beat. Drops are at least 8 s apart.
- **Build-up**: before each drop, the rise of a "tension" curve (z-scores of spectral
  centroid, full-band level and onset density, minus the z-score of the low band's
  share of the level: risers, rolls that double in rate, high-pass sweeps, thinning low
  end) over at most 64 s, after the last earlier moment (8 s or more before the drop)
  the curve was higher than just before the drop. It starts at the knee of a
  least-squares fit "constant, then a rising line" (the line may start with a jump) and ends
  at the drop; it needs a rise of at least 1 standard deviation over at least 4 s.
- **Filter sweep** (a build-up made only by an opening high-pass or low-pass filter, the
  groove going on): before a candidate drop, the centroid rises and the low band's share of
  the level falls together and steadily (rank correlation with time at least 0.8 for both,
  on a 0.25 s grid of 1 s averages) by at least 1/2 octave and 6 dB, over at least 4 s; it
  starts at the earliest frame from which this holds. The build-up starts at the earlier of
  the tension rise and the sweep. A candidate drop at the start of a sweep (up to 1.5 s
  before it) or inside it (up to 4 s before its end) is the groove coming back before the
  build-up, not a drop, and is discarded: a drop ends a build-up.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mezzo._validate import check_audio, check_sample_rate
from mezzo.meters.turning_points import turning_points as _turning_points
from mezzo.results import json_value

__all__ = [
    "Buildup",
    "Drop",
    "TempoChange",
    "TempoResult",
    "tempo",
    "tempo_from_features",
]

_LIBROSA_HOP = 512
#: Metrical levels tried around librosa's tempo (half, same, double).
_LEVELS = (0.5, 1.0, 2.0)
_MIN_BPM, _MAX_BPM = 30.0, 320.0
#: Tactus prior: log-normal around a beat period of 0.55 s (Klapuri, Eronen & Astola 2006),
#: one octave standard deviation (the width of librosa's tempo prior).
_PRIOR_BPM = 60.0 / 0.55
_PRIOR_OCTAVES = 1.0
#: Beat salience is measured on the onsets of the bass band (below 200 Hz), which carries
#: the beat (Hove et al. 2014), unless that band sits more than 30 dB below the full level.
_BASS_HZ = 200.0
_BASS_MIN_DB = 30.0
_VOTE_WINDOW_S = 10.0
#: Filter sweeps (build-ups made by an opening high-pass or low-pass filter): shortest length,
#: steadiness (rank correlation with time), smallest fall of the low band's share and rise of
#: the spectral centroid.
_SWEEP_MIN_S = 4.0
_SWEEP_STEADY = 0.8
_SWEEP_MIN_DB = 6.0
_SWEEP_MIN_OCT = 0.5


def _prior(bpm: float) -> float:
    """Weight of a tempo under the tactus prior (1 at the centre)."""
    return math.exp(-0.5 * (math.log2(bpm / _PRIOR_BPM) / _PRIOR_OCTAVES) ** 2)


@dataclass(frozen=True, slots=True)
class TempoChange:
    """A gradual change of tempo: ``"accelerando"`` or ``"ritardando"``; times in s."""

    start_s: float
    end_s: float
    kind: str


@dataclass(frozen=True, slots=True)
class Buildup:
    """A build-up from ``start_s`` to ``end_s`` (the drop it leads to), s."""

    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Drop:
    """A drop at ``time_s`` (on the beat), s."""

    time_s: float


@dataclass(frozen=True, slots=True)
class TempoResult:
    """Tempo, tempo curve and changes, beats, build-ups and drops. ``None``/empty when undefined.

    Attributes
    ----------
    tempo_bpm : float or None
        Global tempo, beats per minute.
    curve_times_s, curve_bpm : ndarray
        Local tempo (BPM) at each time (s), one point per beat.
    tempo_changes : tuple of TempoChange
    beat_times_s : ndarray
        Tracked beats, s.
    buildups : tuple of Buildup
    drops : tuple of Drop
    """

    tempo_bpm: float | None
    curve_times_s: np.ndarray = field(repr=False)
    curve_bpm: np.ndarray = field(repr=False)
    tempo_changes: tuple[TempoChange, ...] = ()
    beat_times_s: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    buildups: tuple[Buildup, ...] = ()
    drops: tuple[Drop, ...] = ()

    @property
    def tempo_curve(self) -> list[dict[str, float]]:
        """The curve as ``[{"time_s", "bpm"}]``."""
        return [
            {"time_s": round(float(t), 3), "bpm": round(float(b), 2)}
            for t, b in zip(self.curve_times_s, self.curve_bpm, strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``tempo_bpm``, ``tempo_curve``, ``tempo_changes``, ``buildups``, ``drops``."""
        return {
            "tempo_bpm": json_value(self.tempo_bpm),
            "tempo_curve": self.tempo_curve,
            "tempo_changes": json_value(list(self.tempo_changes)),
            "buildups": json_value(list(self.buildups)),
            "drops": json_value(list(self.drops)),
        }


def _empty() -> TempoResult:
    return TempoResult(None, np.zeros(0), np.zeros(0))


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, size=max(1, int(width)), mode="nearest")


def _fold(bpm: np.ndarray, reference: np.ndarray | float) -> np.ndarray:
    """Multiply or divide by powers of 2 to within a factor sqrt(2) of ``reference``."""
    k = np.round(np.log2(np.asarray(reference) / bpm))
    return bpm * np.power(2.0, k)


def _local_periods(beats: np.ndarray, half_width: int = 4) -> np.ndarray:
    """Beat period (s) at each beat: Theil-Sen slope of beat time against beat number.

    The median of the pairwise slopes ``(b_k - b_j) / (k - j)`` with ``k - j >= 2`` within
    ``half_width`` beats either side: precise despite beat times quantised to frames, and
    robust to a missed or extra beat.
    """
    n = beats.size
    out = np.empty(n)
    for i in range(n):
        a, b = max(0, i - half_width), min(n, i + half_width + 1)
        j, k = np.triu_indices(b - a, 2)
        if j.size == 0:
            out[i] = float(np.median(np.diff(beats[a:b]))) if b - a > 1 else float(np.median(np.diff(beats)))
            continue
        out[i] = float(np.median((beats[a + k] - beats[a + j]) / (k - j)))
    return out


def _tempo_changes(times: np.ndarray, bpm: np.ndarray, *, min_change: float, min_s: float) -> list[TempoChange]:
    if times.size < 4:
        return []
    # resample to a 0.25 s grid so "1 s stretch" is well defined
    grid = np.arange(times[0], times[-1], 0.25)
    if grid.size < 4:
        return []
    curve = np.log2(np.interp(grid, times, bpm))
    out: list[TempoChange] = []
    turns = _turning_points(curve, math.log2(1.03))
    span = 4  # 1 s
    for a, b in itertools.pairwise(turns):
        leg = curve[a : b + 1]
        change = float(leg[-1] - leg[0])
        if abs(change) < math.log2(1.0 + min_change):
            continue
        frac = (leg - leg[0]) / change
        t0 = float(grid[a + int(np.argmax(frac >= 0.05))])
        t1 = float(grid[a + int(np.argmax(frac >= 0.95))])
        if t1 - t0 < min_s:
            continue
        if leg.size > span and float(np.max(np.abs(leg[span:] - leg[:-span]))) > 0.6 * abs(change):
            continue
        # steady: the tempo moves one way (rank correlation with time >= 0.7)
        ranks = np.argsort(np.argsort(leg))
        if leg.size > 2 and abs(float(np.corrcoef(ranks, np.arange(leg.size))[0, 1])) < 0.7:
            continue
        out.append(TempoChange(round(t0, 2), round(t1, 2), "accelerando" if change > 0 else "ritardando"))
    return out


def _zscore(x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    if ok.sum() < 2:
        return np.zeros_like(x)
    mu = float(np.mean(x[ok]))
    sd = float(np.std(x[ok])) or 1.0
    out = (x - mu) / sd
    if not ok.all():
        idx = np.arange(x.size)
        out[~ok] = np.interp(idx[~ok], idx[ok], out[ok])
    return out


def _drops_and_buildups(
    features: Any,
    beats: np.ndarray,
    beat_period_s: float | None,
    *,
    drop_min_jump_db: float,
) -> tuple[list[Drop], list[Buildup]]:
    fps = features.frame_rate_hz
    t = features.times_s
    n = t.size
    if n < round(8 * fps):
        return [], []
    low = features.level_db(0.0, 150.0)
    full = features.level_db()
    w2 = round(2.0 * fps)
    low_s = _moving_average(low, round(0.25 * fps))
    # median over the next / previous 2 s (strided to keep it cheap)
    from numpy.lib.stride_tricks import sliding_window_view

    pad = np.concatenate([np.full(w2, low_s[0]), low_s, np.full(w2, low_s[-1])])
    win = sliding_window_view(pad, w2)[:, ::4]
    med = np.median(win, axis=1)  # med[k] = median of pad[k : k + w2]
    before = med[:n]  # frames [i - w2, i)
    after = med[w2 : w2 + n]  # frames [i, i + w2)
    jump = after - before
    sounding_low = low_s[full > full.max() - 40.0]
    full_low_level = float(np.percentile(sounding_low, 75)) if sounding_low.size else 0.0
    ok = (jump >= drop_min_jump_db) & (after >= full_low_level - 4.0)
    # one candidate per run, at its largest jump; then keep drops >= 8 s apart (strongest first)
    cands = []
    d = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
        cands.append((float(jump[s:e].max()), s + int(np.argmax(jump[s:e]))))
    cands.sort(reverse=True)
    chosen: list[int] = []
    for _, i in cands:
        if all(abs(t[i] - t[j]) >= 8.0 for j in chosen):
            chosen.append(i)
    chosen.sort()

    # build-up cues
    cent = features.centroid_octaves()
    quiet = full < full.max() - 50.0
    cent = np.where(quiet, np.nan, cent)
    rel_low = np.where(quiet, np.nan, low - full)
    cent_s = _moving_average(np.nan_to_num(cent, nan=np.nanmedian(cent) if np.isfinite(cent).any() else 0.0), round(1.0 * fps))
    rl = _moving_average(np.nan_to_num(rel_low, nan=np.nanmedian(rel_low) if np.isfinite(rel_low).any() else 0.0), round(1.0 * fps))
    # filter sweeps: a steady rise of the centroid with a steady fall of the low band's share,
    # ending at a candidate drop; a candidate at the start of (or inside) such a sweep is the
    # beat coming back before the build-up, not a drop
    sweeps: dict[int, int] = {}
    for c_prev, c in zip([0, *chosen], chosen, strict=False):
        j = _sweep_start(rl, cent_s, max(c_prev, c - round(64.0 * fps)), c - round(0.5 * fps), fps)
        if j is not None:
            sweeps[c] = j
    inside = {c for c in chosen for k, j in sweeps.items() if t[j] - 1.5 <= t[c] <= t[k] - 4.0}
    chosen = [c for c in chosen if c not in inside]
    rise = np.concatenate([[0.0], np.diff(_moving_average(low, 2))])
    drops: list[Drop] = []
    drop_idx: list[int] = []
    drop_sweep: list[int | None] = []
    half = round(0.5 * fps)
    for i in chosen:
        a, b = max(1, i - half), min(n, i + half)
        k = a + int(np.argmax(rise[a:b]))
        when = float(t[k]) - 0.5 / fps  # flux peaks about half a frame after the onset
        if beats.size and beat_period_s:
            j = int(np.argmin(np.abs(beats - when)))
            if abs(beats[j] - when) <= 0.25 * beat_period_s:
                when = float(beats[j])
        drops.append(Drop(round(when, 3)))
        drop_idx.append(k)
        drop_sweep.append(sweeps.get(i))

    flux = features.onset_strength()
    density = _moving_average(flux, round(2.0 * fps))
    tension = _zscore(cent_s)
    tension = tension + _zscore(_moving_average(full, round(1.0 * fps)))
    tension = tension + _zscore(density)
    tension = tension - _zscore(rl)
    tension = _moving_average(tension, round(2.0 * fps)) / 2.0  # about unit spread
    buildups: list[Buildup] = []
    previous = 0
    for drop, k, sweep in zip(drops, drop_idx, drop_sweep, strict=True):
        start = _tension_start(tension, t, previous, k, fps)
        if sweep is not None and sweep >= previous:
            start = sweep if start is None else min(start, sweep)
        if start is not None:
            buildups.append(Buildup(round(float(t[start]), 2), drop.time_s))
        previous = k + round(4.0 * fps)
    return drops, buildups


def _tension_start(tension: np.ndarray, t: np.ndarray, previous: int, k: int, fps: float) -> int | None:
    """Start of the rise of ``tension`` that ends at the drop at frame ``k``, or None."""
    lo = max(previous, k - round(64.0 * fps))
    end = k - round(0.5 * fps)
    if end - lo < round(4.0 * fps):
        return None
    tail = slice(max(lo, k - round(4.0 * fps)), end)
    top_i = tail.start + int(np.argmax(tension[tail]))
    top = float(tension[top_i])
    seg = tension[lo : top_i + 1]
    # begin after the last earlier moment above the top level (the previous loud part)
    high = np.flatnonzero(seg[: max(1, seg.size - round(8.0 * fps))] > top)
    if high.size:
        lo = lo + int(high[-1]) + 1
        seg = tension[lo : top_i + 1]
    start_i = _hinge(seg, round(0.25 * fps))
    if start_i is None:
        return None
    start_i += lo
    rise = top - float(np.median(tension[lo : start_i + 1]))
    if rise >= 1.0 and t[k] - t[start_i] >= 4.0:
        return start_i
    return None


def _rank_corr(x: np.ndarray) -> float:
    """Spearman rank correlation of ``x`` with its index."""
    if x.size < 3:
        return 0.0
    r = np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(np.float64)
    i = np.arange(x.size, dtype=np.float64)
    sd = float(np.std(r))
    return float(np.mean((r - r.mean()) * (i - i.mean())) / (sd * np.std(i))) if sd > 0 else 0.0


def _sweep_start(rel_low: np.ndarray, cent: np.ndarray, lo: int, end: int, fps: float) -> int | None:
    """Start of a filter sweep ending at frame ``end`` (searched back to ``lo``), or None.

    A sweep is at least ``_SWEEP_MIN_S`` long, the centroid rises and the low band's share
    falls steadily over it (rank correlations with time >= ``_SWEEP_STEADY``, on a 0.25 s
    grid), by at least ``_SWEEP_MIN_OCT`` octave and ``_SWEEP_MIN_DB`` dB. It starts at the
    earliest frame from which both hold.
    """
    step = max(1, round(0.25 * fps))
    shortest = round(_SWEEP_MIN_S * fps)
    if end - lo < shortest:
        return None
    for j in range(lo, end - shortest + 1, step):
        rl, ce = rel_low[j:end:step], cent[j:end:step]
        if rl[0] - rl[-1] < _SWEEP_MIN_DB or ce[-1] - ce[0] < _SWEEP_MIN_OCT:
            continue
        if _rank_corr(rl) <= -_SWEEP_STEADY and _rank_corr(ce) >= _SWEEP_STEADY:
            return j
    return None


def _hinge(seg: np.ndarray, stride: int) -> int | None:
    """Index where a flat-then-rising fit of ``seg`` bends (least squares), or None.

    Model: constant before the knee, a straight line after it (both fitted).
    """
    n = seg.size
    if n < 8:
        return None
    x = np.arange(n, dtype=np.float64)
    c1 = np.concatenate([[0.0], np.cumsum(seg)])
    c2 = np.concatenate([[0.0], np.cumsum(seg * seg)])
    best, best_i = math.inf, None
    for i in range(0, n - 4, max(1, stride)):
        # constant part on [0, i)
        err = 0.0
        if i > 0:
            err = c2[i] - c1[i] ** 2 / i
        xs, ys = x[i:], seg[i:]
        A = np.vstack([xs, np.ones_like(xs)]).T
        coef, *_ = np.linalg.lstsq(A, ys, rcond=None)
        if coef[0] <= 0:
            continue
        err += float(np.sum((A @ coef - ys) ** 2))
        if err < best:
            best, best_i = err, i
    return best_i


def tempo_from_features(
    features: Any,
    *,
    start_bpm: float = 120.0,
    tempo_change_min: float = 0.08,
    tempo_change_min_s: float = 2.0,
    drop_min_jump_db: float = 6.0,
) -> TempoResult:
    """Tempo, tempo curve, tempo changes, beats, build-ups and drops from spectral frames.

    ``features`` is a :class:`~mezzo.meters.features.FrameFeatures`; the other
    parameters are those of :func:`tempo`.
    """
    fps = float(features.frame_rate_hz)
    oenv = features.onset_strength()
    if oenv.size < round(4.0 * fps) or not np.any(oenv > 1e-6):
        return _empty()
    import librosa

    sr_f = fps * _LIBROSA_HOP
    # one tempogram (the costly autocorrelation) serves the global and the local tempo
    tg = librosa.feature.tempogram(onset_envelope=oenv, sr=sr_f, hop_length=_LIBROSA_HOP)
    glob = float(librosa.feature.tempo(tg=tg, sr=sr_f, hop_length=_LIBROSA_HOP, start_bpm=start_bpm)[0])
    local = librosa.feature.tempo(tg=tg, sr=sr_f, hop_length=_LIBROSA_HOP, start_bpm=start_bpm, aggregate=None)
    local = _fold(np.maximum(local, 1.0), glob)
    from scipy.ndimage import median_filter

    local = np.power(2.0, median_filter(np.log2(local), size=max(1, round(4.0 * fps)) | 1, mode="nearest"))
    frame_t = features.times_s
    full = features.level_db()
    loud_level = float(np.percentile(full, 95))
    from scipy.ndimage import maximum_filter1d

    quiet = maximum_filter1d(full, size=max(1, round(1.0 * fps)), mode="nearest") < loud_level - 30.0
    # metrical level: track beats at half, the same and double the tempo; in every 10 s
    # window the level whose beats carry the most onset strength (bass-weighted), weighted by
    # the tactus prior, gets a vote; the level with most votes is the piece's level
    bass = features.level_db(0.0, _BASS_HZ)
    sounding = ~quiet
    carries = bool(sounding.any()) and float(np.median(bass[sounding] - full[sounding])) > -_BASS_MIN_DB
    env = features.onset_strength(0.0, _BASS_HZ) if carries else oenv
    env = maximum_filter1d(env, size=3, mode="nearest")
    tracks = {}
    for factor in _LEVELS:
        bpm_k = local * factor
        if not _MIN_BPM <= float(np.median(bpm_k)) <= _MAX_BPM:
            continue
        _, frames_k = librosa.beat.beat_track(
            onset_envelope=oenv, sr=sr_f, hop_length=_LIBROSA_HOP, bpm=bpm_k, units="frames", trim=False
        )
        frames_k = np.asarray(frames_k, dtype=np.int64)
        frames_k = frames_k[frames_k < oenv.size]
        tracks[factor] = frames_k[~quiet[frames_k]] if frames_k.size else frames_k
    tracks = {k: v for k, v in tracks.items() if v.size >= 2}
    if not tracks:
        return _empty()
    win = max(1, round(_VOTE_WINDOW_S * fps))
    votes = dict.fromkeys(tracks, 0.0)
    for w0 in range(0, oenv.size, win):
        scores = {}
        for factor, fr in tracks.items():
            inside = fr[(fr >= w0) & (fr < w0 + win)]
            if inside.size >= 2:
                bpm_w = float(np.median(local[inside])) * factor
                # beat trackers can lock onto the off-beat: score the better of the two phases
                half = round(0.5 * 60.0 / bpm_w * fps)
                shifted = np.minimum(inside + half, env.size - 1)
                salience = max(float(np.mean(env[inside])), float(np.mean(env[shifted])))
                scores[factor] = salience * _prior(bpm_w)
        if scores:
            votes[max(scores, key=scores.get)] += 1.0
    factor = max(votes, key=lambda k: (votes[k], _prior(float(np.median(local)) * k)))
    beat_frames = tracks[factor]
    local = local * factor
    glob = glob * factor
    beats = librosa.frames_to_time(beat_frames, sr=sr_f, hop_length=_LIBROSA_HOP)
    # librosa's frame times are frame starts of a centred STFT; ours are frame centres
    beats = np.asarray(beats, dtype=np.float64) + float(frame_t[0]) if frame_t.size else beats
    if beats.size >= 3:
        mids = beats
        bpm_beats = 60.0 / _local_periods(beats)
        if bpm_beats.size >= 5:
            bpm_beats = median_filter(bpm_beats, size=min(9, bpm_beats.size | 1) - (0 if bpm_beats.size >= 9 else 2), mode="nearest")
        ref = np.interp(mids, frame_t, local)
        bpm_beats = _fold(bpm_beats, ref)
        bad = np.abs(np.log(bpm_beats / ref)) > math.log(1.08)
        curve_bpm = np.where(bad, ref, bpm_beats)
        curve_t = mids
    else:
        step = max(1, round(fps))
        curve_t = frame_t[::step]
        curve_bpm = local[::step]
    if curve_bpm.size:
        glob = float(np.median(curve_bpm))
    changes = _tempo_changes(curve_t, curve_bpm, min_change=tempo_change_min, min_s=tempo_change_min_s)
    period = 60.0 / glob if glob > 0 else None
    drops, buildups = _drops_and_buildups(features, beats, period, drop_min_jump_db=drop_min_jump_db)
    return TempoResult(
        tempo_bpm=round(glob, 2),
        curve_times_s=np.round(curve_t, 3),
        curve_bpm=np.round(curve_bpm, 2),
        tempo_changes=tuple(changes),
        beat_times_s=np.round(beats, 3),
        buildups=tuple(buildups),
        drops=tuple(drops),
    )


def tempo(
    audio: np.ndarray,
    sample_rate: int,
    *,
    start_bpm: float = 120.0,
    tempo_change_min: float = 0.08,
    tempo_change_min_s: float = 2.0,
    drop_min_jump_db: float = 6.0,
) -> TempoResult:
    """Global tempo, tempo curve, accelerando/ritardando, build-ups and drops of an array.

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        Float audio.
    sample_rate : int
        Sample rate in Hz.
    start_bpm : float, BPM
        Centre of librosa's tempo prior.
    tempo_change_min : float, 0-1
        Smallest relative tempo change reported as accelerando/ritardando (0.05 = 5 %).
    tempo_change_min_s : float, s
        Shortest accelerando/ritardando.
    drop_min_jump_db : float, dB
        Smallest rise of the low band (< 150 Hz) that makes a drop.

    Returns
    -------
    TempoResult

    Notes
    -----
    See the module docstring for the methods. Silence or audio shorter than 4 s gives
    ``tempo_bpm=None`` and empty lists.
    """
    from mezzo.meters.features import SpectralFrames

    rate = check_sample_rate(sample_rate)
    x = check_audio(audio)
    frames = SpectralFrames(rate, x.shape[0])
    frames.update(x)
    return tempo_from_features(
        frames.result(), start_bpm=start_bpm, tempo_change_min=tempo_change_min,
        tempo_change_min_s=tempo_change_min_s, drop_min_jump_db=drop_min_jump_db,
    )
