"""Buried intervals of a stem: where, by which stems, in which band, and the remedies in dB.

Works on the per-cell excitations of :class:`~mezzo.meters.audibility.MaskingCells`; the
definitions are in :mod:`mezzo.meters.audibility`. The amounts of the remedies are found
with the model itself: a remedy changes one stem's excitation by a gain (raise the stem,
duck the maskers) or one masker's excitation within a band (cut), with the auditory
filters kept as the mix sets them, and the amount is the smallest one after which 90 % of
the stem's sounding cells in the interval reach the buried threshold (audibility 0.5 by default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo.meters.auditory import CAM_STEP
from mezzo.meters.masking import MaskingCells, band_audibility, loudness_weights, masked_threshold
from mezzo.meters.stem_spectra import CELL_S
from mezzo.results import json_value
from mezzo.units import clock

__all__ = ["BURIED_BELOW", "MIN_BURIED_S", "BuriedInterval", "Suggestion", "buried_runs", "find_buried", "suggestions_for"]

#: Audibility under which a sounding stem is buried (the default of ``buried_below``).
BURIED_BELOW = 0.5
#: Shortest buried interval, s.
MIN_BURIED_S = 0.5

#: Gaps of any kind up to this long are bridged, s.
BRIDGE_S = 0.2
#: Gaps where the stem is silent are bridged up to this long, s.
SILENT_BRIDGE_S = 1.0
#: A masker is named with at least this share of the masking.
MIN_SHARE = 0.05
#: Share of the interval's sounding cells a remedy must bring to the buried threshold.
COVERAGE = 0.9
#: Largest remedy searched, dB.
MAX_REMEDY_DB = 40.0


@dataclass(frozen=True, slots=True)
class BuriedInterval:
    """A stretch where a stem is buried.

    Attributes
    ----------
    start_s, end_s : float
        Start and end, s.
    masked_by : tuple of str
        The stems that mask it, strongest first (each with at least 5 % of the masking).
    masker_shares : tuple of float
        Share of the masking of each stem of ``masked_by``, 0-1.
    band_hz : tuple of float
        Frequency range where the stem loses most of its audibility, Hz.
    needed_db : float or None
        Gain on the stem over the interval that makes it heard (the buried threshold in 90 % of
        its sounding cells), dB; None if even 40 dB would not.
    duck_db : float or None
        Alternatively, how far to turn ``masked_by`` down over the interval, dB.
    cut_db : float or None
        Alternatively, how far to cut the first masker within ``band_hz``, dB.
    audibility : float
        Mean audibility of the stem over its sounding cells in the interval, 0-1.
    """

    start_s: float
    end_s: float
    masked_by: tuple[str, ...]
    masker_shares: tuple[float, ...]
    band_hz: tuple[float, float]
    needed_db: float | None
    duck_db: float | None
    cut_db: float | None
    audibility: float

    @property
    def duration_s(self) -> float:
        """Length of the interval, s."""
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {name: json_value(getattr(self, name)) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A remedy for one buried interval, in words and numbers.

    Attributes
    ----------
    stem : str
        The buried stem.
    start_s, end_s : float
        The interval, s.
    action : str
        ``"raise"`` (the stem), ``"duck"`` (the masker, keyed by the stem) or ``"cut"``
        (the masker, within ``band_hz``).
    target : str
        The stem the action applies to (for ``"duck"``, several joined by ``"+"``).
    amount_db : float
        Gain change, dB (positive for all three: raise by, duck by, cut by).
    band_hz : tuple of float or None
        The band of a cut, Hz.
    text : str
        The suggestion in plain words.
    """

    stem: str
    start_s: float
    end_s: float
    action: str
    target: str
    amount_db: float
    band_hz: tuple[float, float] | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {name: json_value(getattr(self, name)) for name in self.__slots__}


def buried_runs(buried: np.ndarray, sounding: np.ndarray) -> list[tuple[int, int]]:
    """Cell ranges ``[first, stop)`` of buried stretches (bridged, at least 0.5 s long).

    Parameters
    ----------
    buried : ndarray of bool, shape (cells,)
        Cells where the stem sounds and is buried.
    sounding : ndarray of bool, shape (cells,)
        Cells where the stem sounds.
    """
    cells = np.flatnonzero(buried)
    if cells.size == 0:
        return []
    runs: list[list[int]] = [[int(cells[0]), int(cells[0]) + 1]]
    bridge = round(BRIDGE_S / CELL_S)
    silent_bridge = round(SILENT_BRIDGE_S / CELL_S)
    for c in cells[1:]:
        c = int(c)
        last = runs[-1]
        gap = c - last[1]
        if gap <= bridge or (gap <= silent_bridge and not sounding[last[1] : c].any()):
            last[1] = c + 1
        else:
            runs.append([c, c + 1])
    shortest = round(MIN_BURIED_S / CELL_S)
    return [(a, b) for a, b in runs if b - a >= shortest]


def find_buried(
    state: MaskingCells,
    stem: int,
    curve: np.ndarray,
    sounding: np.ndarray,
    names: Sequence[str],
    buried_below: float = BURIED_BELOW,
) -> list[BuriedInterval]:
    """The buried intervals of stem number ``stem`` with their maskers, band and remedies."""
    buried = sounding & (np.nan_to_num(curve, nan=1.0) < buried_below)
    out = []
    for first, stop in buried_runs(buried, sounding):
        cells = np.arange(first, stop)
        cells = cells[sounding[first:stop]]
        out.append(_describe(state, stem, cells, first, stop, names, buried_below))
    return out


class _Interval:
    """The model's quantities over the sounding cells of one interval of one stem."""

    def __init__(self, state: MaskingCells, stem: int, cells: np.ndarray) -> None:
        self.bands = state.bands
        e = state.excitation[cells].astype(np.float64)  # (cells, ears, stems, bands)
        self.e_sig = e[:, :, stem]
        self.e_each = e
        self.e_noise = np.maximum(e.sum(axis=2) - self.e_sig, 0.0)
        specific, total = loudness_weights(self.bands, self.e_sig)
        self.weights = specific / np.maximum(total, 1e-12)[:, None, None] * CAM_STEP
        self.stem = stem

    def audibility(self, gain_db: float | np.ndarray = 0.0, noise: np.ndarray | None = None) -> np.ndarray:
        """Audibility per cell with the stem raised by ``gain_db`` and the noise replaced by ``noise``."""
        g = np.power(10.0, np.asarray(gain_db, dtype=np.float64) / 10.0)
        g = g.reshape(-1, 1, 1) if np.ndim(g) else g
        noise = self.e_noise if noise is None else noise
        return (self.weights * band_audibility(self.bands, self.e_sig * g, noise)).sum(axis=(1, 2))

    def loss(self) -> np.ndarray:
        """Audibility lost per cell, ear and band (weights times 1 - band audibility)."""
        return self.weights * (1.0 - band_audibility(self.bands, self.e_sig, self.e_noise))


def _smallest_amount(audibility_at: Any, target: float) -> float | None:
    """Smallest amount in 0..MAX_REMEDY_DB dB after which COVERAGE of the cells reach ``target``."""

    def enough(amount: float) -> bool:
        a = audibility_at(amount)
        return bool(np.mean(a >= target) >= COVERAGE)

    if enough(0.0):
        return 0.0
    if not enough(MAX_REMEDY_DB):
        return None
    lo, hi = 0.0, MAX_REMEDY_DB
    while hi - lo > 0.25:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return math.ceil(hi * 2.0) / 2.0  # round up to 0.5 dB


def _describe(
    state: MaskingCells, stem: int, cells: np.ndarray, first: int, stop: int, names: Sequence[str],
    target: float,
) -> BuriedInterval:
    model = _Interval(state, stem, cells)
    bands = model.bands
    loss = model.loss()
    # Share of the masking per masker: K E_j / E_THRN, weighted by the audibility lost.
    threshold = masked_threshold(bands, model.e_noise)
    shares = np.zeros(len(names))
    for j in range(len(names)):
        if j != stem:
            shares[j] = float((loss * bands.k * model.e_each[:, :, j] / threshold).sum())
    total = shares.sum()
    order = [j for j in np.argsort(-shares) if total > 0 and shares[j] / total >= MIN_SHARE]
    masked_by = tuple(names[j] for j in order)
    masker_shares = tuple(round(float(shares[j] / total), 3) for j in order)
    # Band: 10th to 90th percentile of the loss along the ERB scale.
    per_band = loss.sum(axis=(0, 1))
    cumulative = np.cumsum(per_band) / max(float(per_band.sum()), 1e-30)
    lo = int(np.searchsorted(cumulative, 0.1))
    hi = min(int(np.searchsorted(cumulative, 0.9)), per_band.size - 1)
    band_hz = (_round_hz(bands.edges_hz[lo]), _round_hz(bands.edges_hz[hi + 1]))
    needed = _smallest_amount(lambda g: model.audibility(g), target)
    duck = cut = None
    if order:
        maskers = model.e_each[:, :, order].sum(axis=2)
        duck = _smallest_amount(lambda d: model.audibility(noise=model.e_noise - (1 - 10 ** (-d / 10)) * maskers),
                                target)
        in_band = (bands.centre_hz >= band_hz[0]) & (bands.centre_hz <= band_hz[1])
        top = model.e_each[:, :, order[0]] * in_band
        cut = _smallest_amount(lambda c: model.audibility(noise=model.e_noise - (1 - 10 ** (-c / 10)) * top), target)
    return BuriedInterval(
        start_s=round(first * CELL_S, 3),
        end_s=round(stop * CELL_S, 3),
        masked_by=masked_by,
        masker_shares=masker_shares,
        band_hz=band_hz,
        needed_db=needed,
        duck_db=duck,
        cut_db=cut,
        audibility=round(float(np.mean(model.audibility())), 3),
    )


def _round_hz(freq_hz: float) -> float:
    """Round to three significant figures (a readable band edge)."""
    if freq_hz <= 0:
        return 0.0
    digits = 2 - math.floor(math.log10(freq_hz))
    return float(round(freq_hz, digits))


def _and(names: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def suggestions_for(names: Sequence[str], buried: Sequence[Sequence[BuriedInterval]]) -> list[Suggestion]:
    """Plain-words remedies with numbers for every buried interval of every stem."""
    out = []
    for name, intervals in zip(names, buried, strict=True):
        for b in intervals:
            when = f"from {clock(b.start_s)} to {clock(b.end_s)}"
            by = _and(b.masked_by) if b.masked_by else "the threshold of hearing"
            lo, hi = (f"{v:g}" for v in b.band_hz)
            head = f"{name} is buried by {by} {when} (around {lo}-{hi} Hz)"
            if b.needed_db is not None:
                out.append(Suggestion(name, b.start_s, b.end_s, "raise", name, b.needed_db, None,
                                      f"{head}: raise {name} by {b.needed_db:g} dB there"))
            if b.duck_db is not None and b.masked_by:
                target = "+".join(b.masked_by)
                out.append(Suggestion(name, b.start_s, b.end_s, "duck", target, b.duck_db, None,
                                      f"{head}: duck {by} by {b.duck_db:g} dB with {name} as the sidechain key"))
            if b.cut_db is not None and b.masked_by:
                masker = b.masked_by[0]
                out.append(Suggestion(name, b.start_s, b.end_s, "cut", masker, b.cut_db, b.band_hz,
                                      f"{head}: cut {masker} by {b.cut_db:g} dB between {lo} and {hi} Hz there"))
            if b.needed_db is None and b.duck_db is None and b.cut_db is None:
                out.append(Suggestion(name, b.start_s, b.end_s, "raise", name, MAX_REMEDY_DB, None,
                                      f"{head}: even {MAX_REMEDY_DB:g} dB more would not free it; "
                                      "move it to another register or remove the masker there"))
    return out
