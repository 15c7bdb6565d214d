"""Gain automation: written dynamics (markings, hairpins, fades) applied to audio.

:class:`GainAutomation` is a Processor (streams, block-size invariant, no
latency); :func:`apply_marks` is the one-call form with the ``"match"`` mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mezzo._validate import check_audio, check_choice, check_range, check_sample_rate
from mezzo.errors import AudioInputError, ParameterError
from mezzo.marks import (
    Marks,
    TempoMap,
    fade_shape,
    parse_marks,
    parse_meter,
    parse_table,
    warn_past_end,
)
from mezzo.processors.base import Processor
from mezzo.processors.params import ParamSpec

#: gain trace value where a fade multiplier is 0 (keeps the trace finite), dB
SILENCE_DB = -400.0
#: short-term loudness window (EBU Tech 3341), s
SHORT_TERM_S = 3.0


@dataclass(frozen=True, slots=True)
class _CheckedSpec(ParamSpec):
    """A parameter validated by a function (non-numeric values)."""

    checker: Callable[[Any], Any] | None = None

    def validate(self, value: Any) -> Any:
        """Return the checked value or raise :class:`ParameterError`."""
        return self.checker(value) if self.checker is not None else value


def _check_marks(value: Any) -> Marks:
    if value is None:
        return Marks()
    return parse_marks(value)


def _check_levels(value: Any) -> dict[str, float]:
    return parse_table(value, kind="levels")


def _check_optional(name: str, lo: float, hi: float | None, unit: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        return None if value is None else check_range(name, value, lo, hi, unit)

    return check


def _check_meter(value: Any) -> str:
    num, den = parse_meter(value)
    return f"{num}/{den}"


def _check_offset(value: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if value is None:
        return None
    try:
        times, gains = value
        t = np.asarray(times, dtype=np.float64)
        g = np.asarray(gains, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError("offset_curve_db must be (times_s, gain_db): two 1-D arrays of the same length") from None
    if t.ndim != 1 or t.shape != g.shape or t.size == 0:
        raise ParameterError("offset_curve_db must be (times_s, gain_db): two 1-D arrays of the same length")
    if not (np.isfinite(t).all() and np.isfinite(g).all()) or np.any(np.diff(t) <= 0):
        raise ParameterError("offset_curve_db: times must increase and values be finite")
    return t, g


AUTOMATION_PARAMS: tuple[ParamSpec, ...] = (
    _CheckedSpec("marks", "", "", None, None, "Markings line, e.g. '0:p 8:< 16:ff' (see mezzo.marks).", checker=_check_marks),
    _CheckedSpec("levels_db", "dB", None, None, None, "Marking -> gain offset table or overrides like 'p=-12,ff=0', dB.",
                 checker=_check_levels),
    ParamSpec("smoothing_ms", "ms", 5.0, 0.0, 200.0, "Duration of the linear-in-dB ramp that smooths each step, ms."),
    _CheckedSpec("end_s", "s", None, None, None, "End of the signal for fades that run to the end (streaming), s.",
                 checker=_check_optional("end_s", 0.0, None, "s")),
    _CheckedSpec("bpm", "BPM", None, None, None, "Tempo for bar|beat times, quarter notes per minute.",
                 checker=_check_optional("bpm", 1.0, 1000.0, "BPM")),
    _CheckedSpec("meter", "", "4/4", None, None, "Meter for bar|beat times, e.g. '4/4', '6/8'.", checker=_check_meter),
    _CheckedSpec("offset_curve_db", "dB", None, None, None, "Extra gain curve (times_s, gain_db), linearly interpolated.",
                 checker=_check_offset),
)


class GainAutomation(Processor):
    """Gain automation from a markings line: levels, hairpins and fades.

    Parameters
    ----------
    marks : str or Marks
        The markings (``"0:p 8:< 16:ff 24:> 32:pp 40:fadeout(equal-power)"``;
        syntax in :mod:`mezzo.marks`). Empty: unity gain.
    levels_db : mapping or str, optional
        Gain offset of each marking in dB, or overrides of
        :data:`mezzo.marks.LEVELS_DB` (``"p=-12,ff=0"``).
    smoothing_ms : float, 0 to 200
        Each step between markings is a linear ramp in dB of this duration,
        starting at the marking's time (0: within one sample), so no clicks.
    end_s : float, >= 0, optional
        Where a fade written as the last item ends when streaming. The
        whole-signal call uses the signal's end.
    bpm : float, 1 to 1000, optional
        Tempo for bar|beat times (quarter notes per minute).
    meter : str
        Meter for bar|beat times (default ``"4/4"``).
    offset_curve_db : (ndarray, ndarray), optional
        An extra gain curve ``(times_s, gain_db)`` added in dB (linear
        interpolation, held at the ends); used by the ``"match"`` mode.

    Notes
    -----
    The gain of sample ``n`` is a closed-form function of its time ``t = n / fs``
    (no recursive state besides the sample counter), so any block split gives
    exactly the whole-signal samples:

    ``g(t) = 10^(L(t) / 20) * F(t)``, with ``L`` the written level in dB —
    constant after a marking, linear in dB along a hairpin from the level in
    force to the marking that ends it, and steps replaced by a linear ramp of
    ``smoothing_ms`` — and ``F`` the fade multiplier (see
    :func:`mezzo.marks.fade_shape`: linear ``x``, equal-power ``sin(pi x/2)``,
    exponential ``(e^(kx)-1)/(e^k-1)``, ``k = ln 1000``). The largest change
    between two samples at a step of ``D`` dB is ``D / (smoothing_ms fs / 1000)`` dB.
    The gain trace (``return_gain``) is ``20 log10 g`` with :data:`SILENCE_DB`
    where ``g`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones(48000 * 4, dtype=np.float32)
    >>> y = GainAutomation(marks="0:p 1:< 3:ff")(x, 48000)
    >>> [round(float(20 * np.log10(y[i])), 2) for i in (0, 96000, 3 * 48000)]
    [-12.0, -6.0, 0.0]
    """

    PARAMS = AUTOMATION_PARAMS
    has_gain: ClassVar[bool] = True

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._call_end_s: float | None = None

    def _check_params(self) -> None:
        marks = self._values["marks"]
        if not marks.resolved and self._values["bpm"] is None:
            parse_marks(marks).last_time_s  # raises the bar|beat message  # noqa: B018

    def _resolved(self) -> Marks:
        marks = self._values["marks"]
        if not marks.resolved:
            marks = marks.resolve(TempoMap.constant(self._values["bpm"], self._values["meter"]))
        return marks

    def _configure(self) -> None:
        fs = self._sample_rate
        marks = self._resolved()
        self._marks = marks
        end = self._values["end_s"] if self._values["end_s"] is not None else self._call_end_s
        self._bp_t, self._bp_db = automation_breakpoints(
            marks, self._values["levels_db"], self._values["smoothing_ms"], fs
        )
        self._fades, self._silent = marks.fades(end) if marks else ((), ())
        off = self._values["offset_curve_db"]
        self._offset = off

    def _reset_state(self) -> None:
        self._pos = 0

    def gain_at(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Level in dB and fade multiplier at times ``t_s`` (after :meth:`prepare`)."""
        t = np.asarray(t_s, dtype=np.float64)
        db = np.interp(t, self._bp_t, self._bp_db) if self._bp_t.size else np.zeros_like(t)
        if self._offset is not None:
            db = db + np.interp(t, self._offset[0], self._offset[1])
        factor = np.ones_like(t)
        for a, b in self._silent:
            factor[(t >= a) & (t < b)] = 0.0
        for fd in self._fades:
            mask = (t >= fd.start_s) & (t < fd.end_s)
            if mask.any():
                span = fd.end_s - fd.start_s
                x = (t[mask] - fd.start_s) / span
                factor[mask] = fade_shape(x if fd.kind == "fadein" else 1.0 - x, fd.curve)
        return db, factor

    def _process(self, x: np.ndarray, key: np.ndarray | None, record: bool) -> tuple[np.ndarray, np.ndarray | None]:
        c, n = x.shape
        t = np.arange(self._pos, self._pos + n, dtype=np.int64) / float(self._sample_rate)
        self._pos += n
        db, factor = self.gain_at(t)
        gain = np.power(10.0, db / 20.0) * factor
        out = (x * gain).astype(x.dtype, copy=False)
        trace = None
        if record:
            with np.errstate(divide="ignore"):
                trace_1 = np.where(factor > 0, db + 20.0 * np.log10(np.maximum(factor, 1e-300)), SILENCE_DB)
            trace = np.repeat(np.maximum(trace_1, SILENCE_DB)[np.newaxis, :], c, axis=0)
        return out, trace

    def __call__(
        self,
        audio: np.ndarray,
        sample_rate: int,
        *,
        key: np.ndarray | None = None,
        return_gain: bool = False,
    ) -> Any:
        """Apply the automation to a whole signal (fades may run to its end); see :class:`Processor`."""
        x = check_audio(audio, allow_empty=True)
        sr = check_sample_rate(sample_rate)
        end_s = x.shape[1] / sr
        marks = self._resolved()
        if marks:
            warn_past_end(marks, end_s)
        self._call_end_s = end_s
        self._dirty = True
        try:
            return super().__call__(audio, sample_rate, key=key, return_gain=return_gain)
        finally:
            self._call_end_s = None
            self._dirty = True


def automation_breakpoints(
    marks: Marks, levels_db: Mapping[str, float], smoothing_ms: float, sample_rate: int
) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints ``(times_s, gain_db)`` of the written level with smoothed steps.

    Linear interpolation between them (held before the first and after the last)
    gives :math:`L(t)` of :class:`GainAutomation`.
    """
    if not marks:
        return np.zeros(0), np.zeros(0)
    curve = marks.level_curve(levels_db)
    ramp_s = max(smoothing_ms * 1e-3, 1.0 / sample_rate)
    times = curve.times_s
    distinct = np.unique(times)
    pts_t: list[float] = []
    pts_v: list[float] = []
    for k, t in enumerate(distinct):
        first = int(np.searchsorted(times, t, side="left"))
        last = int(np.searchsorted(times, t, side="right")) - 1
        before, after = float(curve.before[first]), float(curve.after[last])
        pts_t.append(float(t))
        pts_v.append(before)
        if after != before:
            gap = float(distinct[k + 1] - t) if k + 1 < distinct.size else math.inf
            d = min(ramp_s, gap)
            pts_t.append(float(t) + d)
            pts_v.append(float(curve.value_at(float(t) + d)) if d < gap else float(curve.before[last + 1]))
    bt = np.array(pts_t)
    bv = np.array(pts_v)
    # drop exact duplicates in time (a ramp that ends on the next item's time)
    keep = np.ones(bt.size, dtype=bool)
    keep[1:] = np.diff(bt) > 0
    return bt[keep], bv[keep]


def apply_marks(
    audio: np.ndarray,
    sample_rate: int,
    marks: str | Marks,
    *,
    mode: str = "relative",
    levels_db: Mapping[str, float] | str | None = None,
    smoothing_ms: float = 5.0,
    bpm: float | None = None,
    meter: str = "4/4",
    reference_lufs: float | None = None,
    max_gain_db: float = 24.0,
    return_gain: bool = False,
) -> Any:
    """Write dynamics onto audio: markings, hairpins and fades as gain automation.

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        float32 or float64 audio, full scale 1.0.
    sample_rate : int
        Sample rate, Hz.
    marks : str or Marks
        The markings line (:mod:`mezzo.marks`).
    mode : {"relative", "match"}
        ``"relative"``: each marking is a gain offset (``levels_db``) on the
        audio as it is. ``"match"``: the audio's own loudness movement is
        flattened first, so that each marked section's short-term loudness is
        ``reference_lufs + levels_db[marking]`` whatever the recording did.
    levels_db : mapping or str, optional
        Overrides of :data:`mezzo.marks.LEVELS_DB`, dB.
    smoothing_ms : float, 0 to 200
        Ramp duration of steps, ms.
    bpm, meter : optional
        Tempo (quarter notes per minute) and meter for bar|beat times.
    reference_lufs : float, -70 to 0, optional
        ``"match"``: loudness of a 0 dB marking (``ff`` by default), LUFS;
        default the input's integrated loudness (so a flat recording gets the
        same result in both modes).
    max_gain_db : float, 0 to 60
        ``"match"``: most boost or cut of the flattening, dB.
    return_gain : bool
        Also return the gain trace, dB, shape (channels, samples).

    Returns
    -------
    ndarray, or (ndarray, ndarray) with ``return_gain``
        Same shape and dtype as ``audio``.

    Notes
    -----
    ``"match"``: the input's short-term loudness ``S(t)`` (EBU Tech 3341, 3 s
    window, every 0.1 s, read at the window's centre) gives a flattening gain
    ``reference_lufs - S(t)`` clamped to ``+/-max_gain_db`` and held over
    silence (below the -70 LUFS absolute gate), added to the written level.
    Because ``S`` is a 3 s average, movement faster than that is kept.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones(48000 * 2, dtype=np.float32) * 0.5
    >>> y = apply_marks(x, 48000, "0:ff 1:p", smoothing_ms=0)
    >>> round(float(y[0]), 3), round(float(y[-1]), 3)
    (0.5, 0.126)
    """
    check_choice("mode", mode, ("relative", "match"))
    x = check_audio(audio, allow_empty=True)
    sr = check_sample_rate(sample_rate)
    params: dict[str, Any] = {"marks": marks, "levels_db": levels_db, "smoothing_ms": smoothing_ms,
                              "bpm": bpm, "meter": meter}
    if mode == "match":
        check_range("max_gain_db", max_gain_db, 0.0, 60.0, "dB")
        if reference_lufs is not None:
            check_range("reference_lufs", reference_lufs, -70.0, 0.0, "LUFS")
        params["offset_curve_db"] = flattening_curve(x, sr, reference_lufs=reference_lufs, max_gain_db=max_gain_db)
    return GainAutomation(**params)(audio, sample_rate, return_gain=return_gain)


def flattening_curve(
    audio: np.ndarray, sample_rate: int, *, reference_lufs: float | None = None, max_gain_db: float = 24.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gain curve ``(times_s, gain_db)`` that brings short-term loudness to ``reference_lufs``.

    See :func:`apply_marks` (``mode="match"``).
    """
    from mezzo.meters.loudness import ABSOLUTE_GATE_LUFS, loudness

    x = check_audio(audio)
    res = loudness(x, sample_rate, hop_s=0.1, true_peak=False)
    ref = reference_lufs if reference_lufs is not None else res.integrated_lufs
    if ref is None:
        raise AudioInputError("audio is silent (no loudness above -70 LUFS): nothing to match; use mode='relative'")
    st = np.asarray(res.short_term_lufs, dtype=np.float64)
    centres = np.asarray(res.short_term_times_s, dtype=np.float64) - SHORT_TERM_S / 2
    valid = np.isfinite(st) & (st > ABSOLUTE_GATE_LUFS)
    if not valid.any():
        level = res.integrated_lufs
        return np.array([0.0]), np.array([float(np.clip(ref - level, -max_gain_db, max_gain_db))])
    gain = np.clip(ref - st[valid], -max_gain_db, max_gain_db)
    return centres[valid], gain


__all__ = ["AUTOMATION_PARAMS", "GainAutomation", "apply_marks", "automation_breakpoints", "flattening_curve"]
