"""What processing did to a signal: :class:`Levels` before and after, and the gain it took.

:class:`BeforeAfter` is the one report of every command that turns an input into an
output: :class:`mezzo.processing.ProcessReport` (``mezzo compress``, ``limit``...,
:func:`mezzo.process_file`) and :class:`mezzo.mastering.master.MasterReport`
(``mezzo master``/``normalize``, batch) extend it with what is theirs. The CLI's
table (:meth:`BeforeAfter.rows`), ``--json`` and batch's ``results.csv``
(:meth:`BeforeAfter.to_dict`) all read it. :class:`GainStats` gathers its gain
figures from a streamed gain trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo.kernels import gain_stats as kgs
from mezzo.results import to_dict

__all__ = ["REDUCED_THRESHOLD_DB", "BeforeAfter", "GainStats", "Levels"]

#: Gain reduction below this does not count as "reduced" in the time statistics, dB.
REDUCED_THRESHOLD_DB = 0.1


@dataclass(frozen=True, slots=True, kw_only=True)
class Levels:
    """Loudness and peaks of one signal (BS.1770-4 / EBU R 128). ``None``: undefined (silence).

    Attributes
    ----------
    integrated_lufs : float or None
        Gated integrated loudness, LUFS.
    loudness_range_lu : float or None
        Loudness range (EBU Tech 3342), LU.
    true_peak_dbtp : float or None
        True peak (:mod:`mezzo.meters.peak`: a BS.1770-4 Annex 2 meter, 16x), dBTP.
    sample_peak_dbfs : float or None
        Largest sample magnitude, dBFS.
    plr_db : float or None
        Peak-to-loudness ratio ``true_peak_dbtp - integrated_lufs``, dB.
    momentary_max_lufs : float or None
        Loudest 400 ms window, LUFS.
    short_term_max_lufs : float or None
        Loudest 3 s window, LUFS.
    """

    integrated_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    plr_db: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None

    @classmethod
    def of(cls, result: Any) -> Levels:
        """Take the fields from a :class:`~mezzo.meters.loudness.LoudnessResult`."""
        return cls(
            integrated_lufs=result.integrated_lufs,
            loudness_range_lu=result.loudness_range_lu,
            true_peak_dbtp=result.true_peak_dbtp,
            sample_peak_dbfs=result.sample_peak_dbfs,
            plr_db=result.plr_db,
            momentary_max_lufs=result.momentary_max_lufs,
            short_term_max_lufs=result.short_term_max_lufs,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return to_dict(self)


#: The rows of the before/after table: (label, field of Levels, unit, digits).
LEVEL_ROWS = (
    ("Integrated", "integrated_lufs", "LUFS", 2),
    ("Loudness range", "loudness_range_lu", "LU", 1),
    ("Momentary max", "momentary_max_lufs", "LUFS", 1),
    ("Short-term max", "short_term_max_lufs", "LUFS", 1),
    ("True peak", "true_peak_dbtp", "dBTP", 2),
    ("Sample peak", "sample_peak_dbfs", "dBFS", 2),
    ("PLR", "plr_db", "dB", 1),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BeforeAfter:
    """An input and the output made from it: levels before and after, and the gain applied.

    Attributes
    ----------
    input, output : str or None
        File paths (``None`` for arrays).
    before, after : Levels
        Measurements of the input and of the output as written.
    max_gain_reduction_db, mean_gain_reduction_db : float
        Largest and mean (over all samples) gain reduction of the dynamics
        processor (compressor, limiter...), dB, positive; 0 without one.
    gain_reduced_time_s : float
        Time with more than 0.1 dB of gain reduction, s.
    max_gain_reduction_time_s : float or None
        When the largest reduction happened, s from the start of the output.
    max_gain_db : float
        Largest gain above 0 dB (upward expansion, a leveler), dB; 0 if none.
    warnings : tuple of str
        Plain-words warnings.
    """

    input: str | None
    output: str | None
    before: Levels
    after: Levels
    max_gain_reduction_db: float
    mean_gain_reduction_db: float
    gain_reduced_time_s: float
    max_gain_reduction_time_s: float | None
    max_gain_db: float
    warnings: tuple[str, ...]

    def rows(self) -> list[tuple[str, str, str]]:
        """The before/after table as text: ``(label, before, after)`` per figure ("—": undefined)."""

        def text(value: float | None, unit: str, digits: int) -> str:
            return "—" if value is None else f"{value:.{digits}f} {unit}"

        return [
            (label, text(getattr(self.before, name), unit, digits), text(getattr(self.after, name), unit, digits))
            for label, name, unit, digits in LEVEL_ROWS
        ]

    def gain_text(self) -> str:
        """The gain figures in one line."""
        text = (
            f"Gain reduction: max {self.max_gain_reduction_db:.1f} dB, mean {self.mean_gain_reduction_db:.2f} dB, "
            f"{self.gain_reduced_time_s:.1f} s reduced"
        )
        if self.max_gain_reduction_time_s is not None and self.max_gain_reduction_db > 0.0:
            minutes, seconds = divmod(self.max_gain_reduction_time_s, 60.0)
            text += f" (deepest at {int(minutes)}:{seconds:04.1f})"
        if self.max_gain_db > 0.0:
            text += f"; max gain {self.max_gain_db:.1f} dB"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (nested ``before`` / ``after``)."""
        return to_dict(self)


class GainStats:
    """Running gain figures of a streamed gain trace (dB, negative = reduction).

    Feed :meth:`update` with each block's gain (and the output block, for the
    energy figures); read the properties at the end.
    """

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._acc = np.zeros(7)  # the kernel's running figures (mezzo.kernels.gain_stats)
        self._values = 0
        self._samples = 0
        self._max_index: int | None = None

    def update(self, gain_db: np.ndarray, block: np.ndarray | None = None) -> None:
        """Add a ``(channels, n)`` or ``(n,)`` gain trace (the largest reduction over channels counts)."""
        if gain_db.size == 0:
            return
        trace = gain_db if gain_db.ndim == 2 else gain_db[np.newaxis]
        if block is None:
            frame = np.zeros((1, 0))
        else:
            frame = block if block.ndim == 2 else block[np.newaxis]
        kgs.gain_stats_block(trace, frame, REDUCED_THRESHOLD_DB, self._acc)
        if self._acc[kgs.MAX_INDEX] >= 0:
            self._max_index = self._samples + int(self._acc[kgs.MAX_INDEX])
        self._values += trace.size
        self._samples += trace.shape[1]

    @property
    def max_reduction_db(self) -> float:
        """Largest reduction, dB (0 when none)."""
        return float(self._acc[kgs.MAX_REDUCTION])

    @property
    def max_gain_db(self) -> float:
        """Largest gain, dB (0 when none)."""
        return float(self._acc[kgs.MAX_GAIN])

    @property
    def energy(self) -> float:
        """Energy (sum of squares over channels and samples) of the output blocks given."""
        return float(self._acc[kgs.ENERGY])

    @property
    def reduced_energy(self) -> float:
        """Energy of the output's samples with more than ``REDUCED_THRESHOLD_DB`` of reduction."""
        return float(self._acc[kgs.REDUCED_ENERGY])

    @property
    def mean_reduction_db(self) -> float:
        """Mean reduction over all samples of all channels, dB."""
        return float(self._acc[kgs.REDUCTION_SUM]) / self._values if self._values else 0.0

    @property
    def reduced_time_s(self) -> float:
        """Time with more than ``REDUCED_THRESHOLD_DB`` of reduction, s."""
        return float(self._acc[kgs.REDUCED]) / self.sample_rate

    @property
    def max_time_s(self) -> float | None:
        """When the largest reduction happened, s (``None``: no reduction)."""
        return None if self._max_index is None else self._max_index / self.sample_rate
