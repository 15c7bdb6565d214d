"""Build-ups and drops of dance music, from the spectral frames and the tracked beats.

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

import bisect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Buildup", "Drop", "drops_and_buildups"]

#: Filter sweeps (build-ups made by an opening high-pass or low-pass filter): shortest length,
#: steadiness (rank correlation with time), smallest fall of the low band's share and rise of
#: the spectral centroid.
#: The groove after a drop is read on the kick and bass band (below this, Hz).
_GROOVE_HI_HZ = 150.0
_SWEEP_MIN_S = 4.0
_SWEEP_STEADY = 0.8
_SWEEP_MIN_DB = 6.0
_SWEEP_MIN_OCT = 0.5


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


def groove_after(features: Any, frame: int, *, seconds: float = 8.0) -> float:
    """Periodicity of the low band's onsets over the ``seconds`` after ``frame`` (0-1).

    The peak of the normalised autocorrelation of the low-band (< 150 Hz) spectral flux for
    periods of 0.25-2 s (a beat, or a half-time bar): a kick or bass pattern reads 0.6-0.9, a
    bass line returning in a string quartet or an orchestral phrase 0-0.5.
    """
    fps = features.frame_rate_hz
    env = features.onset_strength(0.0, _GROOVE_HI_HZ)[frame : frame + round(seconds * fps)]
    if env.size < round(4.0 * fps):
        return 0.0
    x = env - env.mean()
    spec = np.fft.rfft(x, 2 * x.size)
    ac = np.fft.irfft(spec.real**2 + spec.imag**2)[: x.size]
    if ac[0] <= 1e-12:
        return 0.0
    return float(np.max(ac[round(0.25 * fps) : round(2.0 * fps) + 1]) / ac[0])


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, size=max(1, int(width)), mode="nearest")


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

    ``pulse`` is the track's pulse clarity (the tempo profile's peak, 0-1): from its chance
    level 0.15 to 0.6 (a drum beat) it raises the drops' confidence from 0 to 1.
    """
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

    pad = np.concatenate([np.full(w2, low_s[0]), low_s, np.full(w2, low_s[-1])])
    win = sliding_window_view(pad, w2)[:, ::4]
    med = np.median(win, axis=1)  # med[k] = median of pad[k : k + w2]
    before = med[:n]  # frames [i - w2, i)
    after = med[w2 : w2 + n]  # frames [i, i + w2)
    jump = after - before
    sounding_low = low_s[full > full.max() - 40.0]
    full_low_level = float(np.percentile(sounding_low, 75)) if sounding_low.size else 0.0
    ok = (jump >= drop_min_jump_db) & (after >= full_low_level - 4.0)
    # a build-up under a low-pass filter keeps the bass: there the drop is the top coming back
    high_s = _moving_average(features.level_db(2000.0), round(0.25 * fps))
    pad_h = np.concatenate([np.full(w2, high_s[0]), high_s, np.full(w2, high_s[-1])])
    med_h = np.median(sliding_window_view(pad_h, w2)[:, ::4], axis=1)
    jump_h = med_h[w2 : w2 + n] - med_h[:n]
    ok_h = (jump_h >= drop_min_jump_db) & (after >= full_low_level - 4.0) & (before >= full_low_level - 6.0)
    ok_low = ok.copy()
    jump = np.where(ok, jump, np.where(ok_h, jump_h, jump))
    ok = ok | ok_h
    # one candidate per run, at its largest jump; then keep drops >= 8 s apart (strongest first)
    cands = []
    d = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
        cands.append((float(jump[s:e].max()), s + int(np.argmax(jump[s:e]))))
    cands.sort(reverse=True)
    chosen: list[int] = []
    for _, i in cands:
        # strongest first; at least 8 s from every drop kept so far (sorted: check the neighbours)
        p = bisect.bisect(chosen, i)
        if (p == 0 or t[i] - t[chosen[p - 1]] >= 8.0) and (p == len(chosen) or t[chosen[p]] - t[i] >= 8.0):
            chosen.insert(p, i)

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
    drops: list[Drop] = []
    drop_idx: list[int] = []
    drop_sweep: list[int | None] = []
    for i in chosen:
        # the step itself: where the median of the band that jumped over the next 1 s most
        # exceeds that over the previous 1 s, within 1.5 s before to 0.5 s after the largest
        # jump of the 2 s medians (a finer step detector on the same band)
        raw = low if ok_low[i] else features.level_db(2000.0)
        w1 = round(1.0 * fps)
        js = np.arange(max(w1, i - round(1.5 * fps)), min(n - w1, i + round(0.5 * fps)))
        if js.size:
            # medians of raw[j - w1 : j] for j in js[0] .. js[-1] + w1 (the windows after are the
            # ones before, w1 frames on)
            med = np.median(sliding_window_view(raw[js[0] - w1 : js[-1] + w1], w1), axis=1)
            steps = med[w1 : w1 + js.size] - med[: js.size]
            k = int(js[int(np.argmax(steps))])
        else:
            k = i
        when = float(t[k]) - 0.5 / fps  # flux peaks about half a frame after the onset
        if beats.size and beat_period_s:
            j = int(np.argmin(np.abs(beats - when)))
            if abs(beats[j] - when) <= 0.25 * beat_period_s:
                when = float(beats[j])
        drops.append(Drop(round(when, 3), 0.0))
        drop_idx.append(i)
        drop_sweep.append(sweeps.get(i))

    flux = features.onset_strength()
    density = _moving_average(flux, round(2.0 * fps))
    tension = _zscore(cent_s)
    tension = tension + _zscore(_moving_average(full, round(1.0 * fps)))
    tension = tension + _zscore(density)
    tension = tension - _zscore(rl)
    tension = _moving_average(tension, round(2.0 * fps)) / 2.0  # about unit spread
    buildups: list[Buildup] = []
    kept: list[Drop] = []
    previous = 0
    track_pulse = float(np.clip((pulse - 0.15) / 0.45, 0.0, 1.0))
    # the fullest sections: 4 s means of the full-band level
    full_4s = _moving_average(full, round(4.0 * fps))
    loud_level = float(np.percentile(full_4s, 95))
    band = features.band_db
    for drop, k, sweep in zip(drops, drop_idx, drop_sweep, strict=True):
        start = None
        if beat_period_s:
            at = int(np.searchsorted(t, drop.time_s))
            start = _phrase_start(band, t, at, previous, 4.0 * beat_period_s, fps)
        if start is None:
            start = _tension_start(tension, t, previous, k, fps)
            if sweep is not None and sweep >= previous:
                start = sweep if start is None else min(start, sweep)
        # a drop is the groove arriving after a build-up in beat-driven music and opening the
        # fullest part of the track: its confidence is the groove's periodicity after it, the
        # track's pulse, how close the 4 s after it come to the track's loudest, and whether a
        # build-up leads to it
        groove = float(np.clip((groove_after(features, k) - 0.4) / 0.3, 0.0, 1.0))
        j = min(n - 1, k + round(2.0 * fps))
        fullness = float(np.clip(1.0 - (loud_level - full_4s[j]) / 6.0, 0.0, 1.0))
        conf = round(groove * track_pulse * fullness * (1.0 if start is not None else 0.5), 3)
        if conf >= 0.25:  # a plausible drop: the next build-up starts after it
            previous = k + round(4.0 * fps)
        if conf < min_confidence:
            continue
        kept.append(Drop(drop.time_s, conf))
        if start is not None:
            buildups.append(Buildup(round(float(t[start]), 2), drop.time_s, conf))
    drops = kept
    return drops, buildups


def _phrase_start(band: np.ndarray, t: np.ndarray, k: int, previous: int, bar_s: float, fps: float) -> int | None:
    """Start of the build-up before the drop at frame ``k``: 2, 4, 8 or 16 bars earlier.

    Dance music is phrased in 4, 8 and 16 bars: of those starts (after ``previous``), the one
    where the texture changes most (mean absolute difference of the band levels' 2 s medians
    after and before it) is taken, if that change is at least 3 dB.
    """
    w = round(2.0 * fps)
    best, best_i = 3.0, None
    for bars in (2, 4, 8, 16):
        i = k - round(bars * bar_s * fps)
        if i - w < max(previous, 0) or i < w:
            continue
        before = np.median(band[i - w : i : 2], axis=0)
        after = np.median(band[i : i + w : 2], axis=0)
        novelty = float(np.mean(np.abs(after - before)))
        if novelty > best:
            best, best_i = novelty, i
    return best_i


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
