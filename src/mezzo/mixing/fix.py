"""Fix a buried stem: ride it up and/or duck its maskers over its buried spans, then re-measure.

:func:`fix_buried` reads the buried intervals of one stem from
:func:`mezzo.meters.audibility.audibility`, builds candidate fixes from their remedies and
keeps the first one that works once the processed stems are measured again:

1. **raise**: gain automation on the buried stem (:class:`~mezzo.processors.GainAutomation`
   with an offset curve): ``needed_db`` over each buried span, reached by linear-in-dB
   ramps of :data:`RAMP_S` before and after it, 0 dB elsewhere (smooth: at most
   ``needed_db / RAMP_S`` dB per second, no steps, no zipper noise);
2. **raise+duck**: half of it as gain automation, half as ducking;
3. **duck**: sidechain ducking (:class:`~mezzo.processors.Ducker`) of the stems that mask
   it, keyed by the buried stem itself gated to its buried spans (with the same ramps), so
   the maskers dip only while the stem plays there.

A fix *works* when the stem's buried time falls to a quarter or less of what it was, the
mix's integrated loudness (BS.1770-4) moves by at most :data:`MAX_LOUDNESS_CHANGE_LU`, and
no other stem gets newly buried (0.5 s or more buried outside its buried intervals of
before). A candidate that helps but not enough is escalated (up to :data:`ROUNDS` times)
by the remedies measured on its own output. If no candidate works, nothing is written.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mezzo.errors import MezzoError, ParameterError
from mezzo.meters.audibility import DEFAULT_FULL_SCALE_SPL_DB, AudibilityMeter, AudibilityResult
from mezzo.meters.buried import BURIED_BELOW, MIN_BURIED_S, BuriedInterval
from mezzo.meters.stem_blocks import StemBlocks
from mezzo.meters.stem_spectra import CELL_S
from mezzo.results import json_value
from mezzo.units import clock

__all__ = ["MAX_LOUDNESS_CHANGE_LU", "RAMP_S", "FixError", "FixResult", "SpanChange", "fix_buried"]

#: Length of the ramps into and out of a buried span, s.
RAMP_S = 0.25
#: Largest change of the mix's integrated loudness a fix may make, LU.
MAX_LOUDNESS_CHANGE_LU = 1.5
#: A fix must leave at most this share of the buried time.
MAX_REMAINING = 0.25
#: Escalation rounds per candidate.
ROUNDS = 3
#: Smaller doses tried when a fix frees the stem but breaks another rule.
SCALE_BACK = (0.75, 0.5)
#: Largest gain change per span, dB.
MAX_CHANGE_DB = 40.0
#: Resolution of the gain curve handed to the gain automation, s.
_CURVE_STEP_S = 0.01

ProgressCallback = Callable[[str, int, int], None]


class FixError(MezzoError, RuntimeError):
    """No candidate fix keeps the rules (the message gives the best attempt); nothing was written."""


@dataclass(frozen=True, slots=True)
class SpanChange:
    """What a fix does over one buried span.

    Attributes
    ----------
    start_s, end_s : float
        The span (ramps of :data:`RAMP_S` lie outside it), s.
    raise_db : float
        Gain automation on the buried stem, dB.
    duck_db : float
        Depth of the ducking of ``ducked``, dB.
    ducked : tuple of str
        The stems ducked, keyed by the buried stem.
    """

    start_s: float
    end_s: float
    raise_db: float
    duck_db: float
    ducked: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {name: json_value(getattr(self, name)) for name in self.__slots__}


@dataclass(frozen=True)
class FixResult:
    """The outcome of :func:`fix_buried`.

    Attributes
    ----------
    stem : str
        The stem that was buried.
    action : str
        ``"raise"``, ``"raise+duck"``, ``"duck"``, or ``"none"`` when it was not buried.
    changes : tuple of SpanChange
    ok : bool
        The fix works (see the module docstring); False only when ``fix_buried`` was asked
        not to raise.
    buried_before_s, buried_after_s : float
        Total buried time of the stem before and after, s.
    mix_loudness_before_lufs, mix_loudness_after_lufs : float or None
        Integrated loudness of the mix, LUFS.
    loudness_change_lu : float or None
    newly_buried_s : dict of str to float
        Time each other stem is buried after the fix outside its buried intervals of before, s.
    mix_peak_dbfs : float or None
        Sample peak of the fixed mix, dBFS (above 0: ``mix.wav`` is written as 32-bit float
        so that nothing clips).
    before, after : AudibilityResult
    outputs : tuple of str
        The files written (every stem, then ``mix.wav``).
    audio : dict of str to ndarray or None
        The processed stems and ``"mix"`` when no output folder was given.
    """

    stem: str
    action: str
    changes: tuple[SpanChange, ...]
    ok: bool
    buried_before_s: float
    buried_after_s: float
    mix_loudness_before_lufs: float | None
    mix_loudness_after_lufs: float | None
    loudness_change_lu: float | None
    newly_buried_s: dict[str, float]
    mix_peak_dbfs: float | None
    before: AudibilityResult = field(repr=False)
    after: AudibilityResult = field(repr=False)
    outputs: tuple[str, ...] = ()
    audio: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def summary(self) -> str:
        """The fix in one line."""
        if self.action == "none":
            return f"{self.stem} is not buried: nothing to fix"
        what = []
        for c in self.changes:
            parts = []
            if c.raise_db:
                parts.append(f"+{c.raise_db:g} dB")
            if c.duck_db:
                parts.append(f"{'+'.join(c.ducked)} ducked {c.duck_db:g} dB")
            what.append(f"{clock(c.start_s)}-{clock(c.end_s)} " + ", ".join(parts))
        change = "—" if self.loudness_change_lu is None else f"{self.loudness_change_lu:+.2f} LU"
        return (
            f"{self.stem} buried {self.buried_before_s:.1f} s -> {self.buried_after_s:.1f} s "
            f"({self.action}: {'; '.join(what)}); mix loudness {change}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (without the before/after curves)."""
        return {
            "stem": self.stem,
            "action": self.action,
            "ok": self.ok,
            "changes": [c.to_dict() for c in self.changes],
            "buried_before_s": json_value(self.buried_before_s),
            "buried_after_s": json_value(self.buried_after_s),
            "mix_loudness_before_lufs": json_value(self.mix_loudness_before_lufs),
            "mix_loudness_after_lufs": json_value(self.mix_loudness_after_lufs),
            "loudness_change_lu": json_value(self.loudness_change_lu),
            "newly_buried_s": json_value(self.newly_buried_s),
            "mix_peak_dbfs": json_value(self.mix_peak_dbfs),
            "outputs": list(self.outputs),
            "summary": self.summary,
        }


# ------------------------------------------------------------------------------ plans


@dataclass(frozen=True)
class _Plan:
    action: str
    changes: tuple[SpanChange, ...]

    def raise_curve(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Gain curve ``(times_s, gain_db)`` of the buried stem, or None."""
        spans = [(c.start_s, c.end_s, c.raise_db) for c in self.changes if c.raise_db > 0]
        return _trapezoids(spans) if spans else None

    def duck_spans(self, masker: str) -> list[tuple[float, float, float]]:
        """``(start_s, end_s, depth_db)`` of the spans where ``masker`` is ducked."""
        return [(c.start_s, c.end_s, c.duck_db) for c in self.changes if c.duck_db > 0 and masker in c.ducked]


def _trapezoids(spans: Sequence[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Sum of trapezoids (``value`` over the span, linear ramps of RAMP_S outside), on a 10 ms grid."""
    start = max(0.0, min(a for a, _, _ in spans) - RAMP_S)
    stop = max(b for _, b, _ in spans) + RAMP_S
    times = np.arange(start, stop + _CURVE_STEP_S, _CURVE_STEP_S)
    values = np.zeros_like(times)
    for a, b, v in spans:
        shape = np.clip(np.minimum(times - (a - RAMP_S), (b + RAMP_S) - times) / RAMP_S, 0.0, 1.0)
        values = np.maximum(values, v * shape)
    # Held at the ends by the interpolation: pin both ends to 0 dB.
    return np.concatenate([[start - _CURVE_STEP_S], times, [stop + _CURVE_STEP_S]]), np.concatenate([[0.0], values, [0.0]])


def _window(spans: Sequence[tuple[float, float, float]], t_s: np.ndarray) -> np.ndarray:
    """Key gate: 1 over the spans, linear ramps of RAMP_S outside them, 0 elsewhere."""
    out = np.zeros_like(t_s)
    for a, b, _ in spans:
        out = np.maximum(out, np.clip(np.minimum(t_s - (a - RAMP_S), (b + RAMP_S) - t_s) / RAMP_S, 0.0, 1.0))
    return out


def _initial_plan(action: str, intervals: Sequence[BuriedInterval]) -> _Plan:
    changes = []
    for b in intervals:
        raise_db = min(b.needed_db if b.needed_db is not None else MAX_CHANGE_DB, MAX_CHANGE_DB)
        duck_db = min(b.duck_db if b.duck_db is not None else MAX_CHANGE_DB, MAX_CHANGE_DB)
        if action == "raise" or not b.masked_by:
            changes.append(SpanChange(b.start_s, b.end_s, raise_db, 0.0, ()))
        elif action == "duck":
            changes.append(SpanChange(b.start_s, b.end_s, 0.0, duck_db, b.masked_by))
        else:
            half = math.ceil(max(raise_db, duck_db)) / 2.0
            changes.append(SpanChange(b.start_s, b.end_s, half, half, b.masked_by))
    return _Plan(action, tuple(changes))


def _escalate(plan: _Plan, remaining: Sequence[BuriedInterval]) -> _Plan | None:
    """Add the remedies measured after ``plan`` to the spans they overlap; None if nothing to add."""
    changes = list(plan.changes)
    grew = False
    for b in remaining:
        for i, c in enumerate(changes):
            if b.start_s < c.end_s + RAMP_S and b.end_s > c.start_s - RAMP_S:
                more_raise = b.needed_db if b.needed_db is not None else MAX_CHANGE_DB
                more_duck = b.duck_db if b.duck_db is not None else MAX_CHANGE_DB
                if plan.action == "raise" or not c.ducked:
                    new = (min(c.raise_db + more_raise, MAX_CHANGE_DB), c.duck_db)
                elif plan.action == "duck":
                    new = (c.raise_db, min(c.duck_db + more_duck, MAX_CHANGE_DB))
                else:
                    half = math.ceil(max(more_raise, more_duck)) / 2.0
                    new = (min(c.raise_db + half, MAX_CHANGE_DB), min(c.duck_db + half, MAX_CHANGE_DB))
                if new != (c.raise_db, c.duck_db):
                    changes[i] = SpanChange(c.start_s, c.end_s, new[0], new[1], c.ducked)
                    grew = True
    return _Plan(plan.action, tuple(changes)) if grew else None


# ------------------------------------------------------------------------------ rendering


class _Renderer:
    """Apply a plan to the stems block by block (gain automation and duckers, all streaming)."""

    def __init__(self, source: StemBlocks, stem: str, plan: _Plan, key_levels: dict[tuple[float, float], float]) -> None:
        from mezzo.processors import Ducker, GainAutomation

        self.source = source
        self.stem = stem
        self.sample_rate = source.sample_rate
        channels = dict(zip(source.names, source.channels, strict=True))
        curve = plan.raise_curve()
        self.rider = None
        if curve is not None:
            self.rider = GainAutomation(offset_curve_db=curve)
            self.rider.prepare(self.sample_rate, channels[stem])
        self.duckers: dict[str, list[tuple[Any, list[tuple[float, float, float]]]]] = {}
        for name in source.names:
            spans = plan.duck_spans(name)
            if name == stem or not spans:
                continue
            chain = []
            for a, b, depth in spans:
                threshold = max(-120.0, key_levels.get((a, b), -60.0) - depth)
                ducker = Ducker(threshold_db=threshold, depth_db=depth)
                ducker.prepare(self.sample_rate, channels[name])
                chain.append((ducker, [(a, b, depth)]))
            self.duckers[name] = chain

    def blocks(self) -> Iterator[dict[str, np.ndarray]]:
        done = 0
        for blocks in self.source:
            n = next(iter(blocks.values())).shape[1]
            t = (done + np.arange(n)) / self.sample_rate
            done += n
            key_source = blocks[self.stem]
            out = dict(blocks)
            if self.rider is not None:
                out[self.stem] = self.rider.process(np.asarray(key_source, dtype=np.float32))
            for name, chain in self.duckers.items():
                x = np.asarray(blocks[name], dtype=np.float32)
                for ducker, spans in chain:
                    key = key_source * _window(spans, t)
                    x = ducker.process(x, key=key)
                out[name] = x
            yield out


def _key_levels(source: StemBlocks, stem: str, intervals: Sequence[BuriedInterval]) -> dict[tuple[float, float], float]:
    """Per buried span, the 20th percentile of the stem's 10 ms peak level where it sounds, dBFS."""
    frame = max(1, round(0.01 * source.sample_rate))
    peaks: dict[tuple[float, float], list[np.ndarray]] = {(b.start_s, b.end_s): [] for b in intervals}
    done = 0
    for blocks in source:
        x = np.abs(np.asarray(blocks[stem])).max(axis=0)
        n = x.size // frame * frame
        level = x[:n].reshape(-1, frame).max(axis=1)
        times = (done + np.arange(level.size) * frame) / source.sample_rate
        done += x.size
        for (a, b), found in peaks.items():
            found.append(level[(times >= a) & (times < b)])
    out = {}
    for span, found in peaks.items():
        values = np.concatenate(found) if found else np.zeros(0)
        values = values[values > 10 ** (-90 / 20)]
        out[span] = float(20 * np.log10(np.percentile(values, 20.0))) if values.size else -60.0
    return out


def _measure(renderer: _Renderer, names: Sequence[str], settings: dict[str, float],
             progress: ProgressCallback | None, stage: str) -> tuple[AudibilityResult, float]:
    """Audibility of the rendered stems and the sample peak of their mix."""
    meter = AudibilityMeter(renderer.sample_rate, names, **settings)
    peak = 0.0
    for blocks in renderer.blocks():
        meter.update(blocks)
        peak = max(peak, float(np.abs(_mix(blocks)).max(initial=0.0)))
        if progress is not None:
            progress(stage, meter.samples_seen, renderer.source.frames)
    return meter.result(), peak


def _mix(blocks: Mapping[str, np.ndarray]) -> np.ndarray:
    arrays = [np.atleast_2d(b) for b in blocks.values()]
    channels = max(a.shape[0] for a in arrays)
    mix = np.zeros((channels, arrays[0].shape[1]), dtype=np.float64)
    for a in arrays:
        mix += a
    return mix


# ------------------------------------------------------------------------------ judging


def _buried_mask(result: AudibilityResult, name: str) -> np.ndarray:
    mask = np.zeros(result.times_s.size, dtype=bool)
    for b in result.stem(name).buried:
        mask[round(b.start_s / CELL_S) : round(b.end_s / CELL_S)] = True
    return mask


def _newly_buried(before: AudibilityResult, after: AudibilityResult, stem: str) -> dict[str, float]:
    out = {}
    for name in before.names:
        if name == stem:
            continue
        new = _buried_mask(after, name) & ~_buried_mask(before, name)
        out[name] = round(float(new.sum()) * CELL_S, 3)
    return out


@dataclass(frozen=True)
class _Attempt:
    plan: _Plan
    after: AudibilityResult
    peak: float
    buried_after_s: float
    loudness_change_lu: float | None
    newly_buried_s: dict[str, float]

    def works(self, buried_before_s: float) -> bool:
        loud_ok = self.loudness_change_lu is None or abs(self.loudness_change_lu) <= MAX_LOUDNESS_CHANGE_LU
        return (
            self.buried_after_s <= MAX_REMAINING * buried_before_s + 1e-9
            and loud_ok
            and all(v < MIN_BURIED_S for v in self.newly_buried_s.values())
        )

    def badness(self, buried_before_s: float) -> tuple[float, ...]:
        loud = 0.0 if self.loudness_change_lu is None else max(0.0, abs(self.loudness_change_lu) - MAX_LOUDNESS_CHANGE_LU)
        newly = sum(v for v in self.newly_buried_s.values() if v >= MIN_BURIED_S)
        return (loud + newly, self.buried_after_s / max(buried_before_s, 1e-9))


# ------------------------------------------------------------------------------ API


def fix_buried(
    stems: Mapping[str, Any] | Sequence[str | os.PathLike[str]],
    sample_rate: int | None = None,
    *,
    stem: str,
    out_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    full_scale_spl_db: float = DEFAULT_FULL_SCALE_SPL_DB,
    buried_below: float = BURIED_BELOW,
    progress: ProgressCallback | None = None,
    strict: bool = True,
) -> FixResult:
    """Make a buried stem heard: gain automation and/or sidechain ducking, checked by re-measuring.

    Parameters
    ----------
    stems : mapping of str to ndarray or path, or sequence of paths
        The stems, as for :func:`mezzo.meters.audibility.audibility`.
    sample_rate : int, optional
        Required for arrays.
    stem : str
        Name of the stem to fix.
    out_dir : str or path-like, optional
        Folder (created if missing) for ``<name>.wav`` of every stem and ``mix.wav``,
        written atomically. Without it the processed audio is returned in ``audio``.
    overwrite : bool
        Replace existing files in ``out_dir``.
    full_scale_spl_db, buried_below : float
        The model's settings, as for :func:`mezzo.meters.audibility.audibility`.
    progress : callable, optional
        ``progress(stage, samples_done, samples_total)`` during every pass over the stems.
    strict : bool
        Raise :class:`FixError` (and write nothing) when no candidate works; with False,
        return the best attempt with ``ok=False`` (and still write nothing).

    Returns
    -------
    FixResult

    Raises
    ------
    FixError
        No candidate works (``strict=True``).
    ParameterError
        ``stem`` is not one of the stems.
    """
    source = StemBlocks(stems, sample_rate)
    settings = {"full_scale_spl_db": full_scale_spl_db, "buried_below": buried_below}
    if stem not in source.names:
        raise ParameterError(f"stem={stem!r} is not one of the stems: expected one of {', '.join(source.names)}")
    if out_dir is not None:
        _targets(source, Path(os.fspath(out_dir)), overwrite)  # refuse bad outputs before any work
    names = source.names
    with source:
        plain = _Renderer(source, stem, _Plan("none", ()), {})
        before, plain_peak = _measure(plain, names, settings, progress, "measuring")
        intervals = before.stem(stem).buried
        buried_before = before.stem(stem).buried_s
        if not intervals:
            attempt = _Attempt(_Plan("none", ()), before, plain_peak, 0.0, 0.0, {n: 0.0 for n in names if n != stem})
            return _finish(source, stem, attempt, before, buried_before, plain, out_dir, overwrite, True, progress)
        key_levels = _key_levels(source, stem, intervals)
        attempts = []
        for action in ("raise", "raise+duck", "duck"):
            if action != "raise" and not any(b.masked_by for b in intervals):
                continue
            found = _try_action(source, stem, _initial_plan(action, intervals), key_levels, before,
                                buried_before, settings, progress, attempts)
            if found is not None:
                renderer = _Renderer(source, stem, found.plan, key_levels)
                return _finish(source, stem, found, before, buried_before, renderer, out_dir, overwrite, True, progress)
    best = min(attempts, key=lambda a: a.badness(buried_before))
    result = _result(stem, best, before, buried_before, ok=False)
    if strict:
        raise FixError(
            f"no fix for {stem!r} keeps the rules (buried time to a quarter or less, mix loudness within "
            f"±{MAX_LOUDNESS_CHANGE_LU:g} LU, no other stem newly buried); the best try: {result.summary}"
            + _why(best, buried_before)
            + " — nothing written; try the suggestions by hand (e.g. an EQ cut of the masker)"
        )
    return result


def _why(attempt: _Attempt, buried_before: float) -> str:
    reasons = []
    if attempt.buried_after_s > MAX_REMAINING * buried_before:
        reasons.append(f"still buried {attempt.buried_after_s:.1f} s")
    if attempt.loudness_change_lu is not None and abs(attempt.loudness_change_lu) > MAX_LOUDNESS_CHANGE_LU:
        reasons.append(f"mix loudness {attempt.loudness_change_lu:+.2f} LU")
    newly = [f"{n} {s:.1f} s" for n, s in attempt.newly_buried_s.items() if s >= MIN_BURIED_S]
    if newly:
        reasons.append("newly buried: " + ", ".join(newly))
    return f" ({'; '.join(reasons)})" if reasons else ""


def _try_action(source: StemBlocks, stem: str, plan: _Plan, key_levels: dict[tuple[float, float], float],
                before: AudibilityResult, buried_before: float, settings: dict[str, float],
                progress: ProgressCallback | None, attempts: list[_Attempt]) -> _Attempt | None:
    """Escalate ``plan`` until it frees the stem, then scale it back if it breaks a rule; the working attempt or None."""
    freeing = None
    current: _Plan | None = plan
    for _ in range(ROUNDS + 1):
        assert current is not None
        attempt = _attempt(source, stem, current, key_levels, before, settings, progress)
        attempts.append(attempt)
        if attempt.works(buried_before):
            return attempt
        if attempt.buried_after_s <= MAX_REMAINING * buried_before:
            freeing = attempt
            break
        current = _escalate(current, attempt.after.stem(stem).buried)
        if current is None:
            return None
    if freeing is None:
        return None
    # It frees the stem but moves the mix too much or buries another stem: a smaller dose may do both.
    for scale in SCALE_BACK:
        attempt = _attempt(source, stem, _scaled(freeing.plan, scale), key_levels, before, settings, progress)
        attempts.append(attempt)
        if attempt.works(buried_before):
            return attempt
        if attempt.buried_after_s > MAX_REMAINING * buried_before:
            return None
    return None


def _scaled(plan: _Plan, scale: float) -> _Plan:
    """``plan`` with every gain change multiplied by ``scale`` (rounded to 0.5 dB)."""
    changes = tuple(
        SpanChange(c.start_s, c.end_s, round(c.raise_db * scale * 2) / 2, round(c.duck_db * scale * 2) / 2, c.ducked)
        for c in plan.changes
    )
    return _Plan(plan.action, changes)


def _attempt(source: StemBlocks, stem: str, plan: _Plan, key_levels: dict[tuple[float, float], float],
             before: AudibilityResult, settings: dict[str, float], progress: ProgressCallback | None) -> _Attempt:
    renderer = _Renderer(source, stem, plan, key_levels)
    after, peak = _measure(renderer, before.names, settings, progress, f"trying {plan.action}")
    change = None
    if before.mix_loudness_lufs is not None and after.mix_loudness_lufs is not None:
        change = after.mix_loudness_lufs - before.mix_loudness_lufs
    return _Attempt(plan, after, peak, after.stem(stem).buried_s, change, _newly_buried(before, after, stem))


def _result(stem: str, attempt: _Attempt, before: AudibilityResult, buried_before: float, *, ok: bool,
            outputs: tuple[str, ...] = (), audio: dict[str, np.ndarray] | None = None) -> FixResult:
    return FixResult(
        stem=stem,
        action=attempt.plan.action,
        changes=attempt.plan.changes,
        ok=ok,
        buried_before_s=buried_before,
        buried_after_s=attempt.buried_after_s,
        mix_loudness_before_lufs=before.mix_loudness_lufs,
        mix_loudness_after_lufs=attempt.after.mix_loudness_lufs,
        loudness_change_lu=attempt.loudness_change_lu,
        newly_buried_s=attempt.newly_buried_s,
        mix_peak_dbfs=20.0 * math.log10(attempt.peak) if attempt.peak > 0 else None,
        before=before,
        after=attempt.after,
        outputs=outputs,
        audio=audio,
    )


def _finish(source: StemBlocks, stem: str, attempt: _Attempt, before: AudibilityResult, buried_before: float,
            renderer: _Renderer, out_dir: str | os.PathLike[str] | None, overwrite: bool, ok: bool,
            progress: ProgressCallback | None) -> FixResult:
    if out_dir is None:
        parts: dict[str, list[np.ndarray]] = {n: [] for n in source.names}
        mixes = []
        for blocks in renderer.blocks():
            for n, b in blocks.items():
                parts[n].append(np.asarray(b))
            mixes.append(_mix(blocks))
        audio = {n: np.concatenate(p, axis=1) for n, p in parts.items()}
        audio["mix"] = np.concatenate(mixes, axis=1).astype(np.float32)
        return _result(stem, attempt, before, buried_before, ok=ok, audio=audio)
    outputs = _write(source, renderer, Path(os.fspath(out_dir)), overwrite, attempt.peak, progress)
    return _result(stem, attempt, before, buried_before, ok=ok, outputs=outputs)


def _targets(source: StemBlocks, folder: Path, overwrite: bool) -> dict[str, Path]:
    """``folder/<name>.wav`` for every stem and ``folder/mix.wav``, checked as :func:`mezzo.io.write` would."""
    from mezzo import io
    from mezzo.errors import AudioFileError

    targets = {n: folder / f"{n}.wav" for n in source.names}
    targets["mix"] = folder / "mix.wav"
    if len(set(targets.values())) != len(targets):
        raise ParameterError("a stem is called 'mix': rename it, mix.wav is the name of the mixed output")
    if folder.exists() and not folder.is_dir():
        raise AudioFileError(f"{str(folder)!r}: exists and is not a folder — choose a folder for the fixed stems")
    if folder.is_dir():
        for path in targets.values():
            io.check_output(path, overwrite=overwrite, inputs=list(source.paths.values()))
    return targets


def _write(source: StemBlocks, renderer: _Renderer, folder: Path, overwrite: bool, mix_peak: float,
           progress: ProgressCallback | None) -> tuple[str, ...]:
    """Write every stem and the mix through :func:`mezzo.io.open_writer` (atomic, all or nothing)."""
    from mezzo import io

    targets = _targets(source, folder, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    inputs = list(source.paths.values())
    first = next(iter(source.paths.values()), None)
    mix_channels = max(source.channels)
    # A mix that peaks over full scale would clip in integer PCM: keep it in float.
    mix_subtype = "FLOAT" if mix_peak > 1.0 else None
    writers = {}
    try:
        for n, channels in zip(source.names, source.channels, strict=True):
            writers[n] = io.open_writer(targets[n], source.sample_rate, channels, like=source.paths.get(n),
                                        overwrite=overwrite, inputs=inputs, frames_hint=source.frames)
        writers["mix"] = io.open_writer(targets["mix"], source.sample_rate, mix_channels, like=first,
                                        subtype=mix_subtype, overwrite=overwrite, inputs=inputs,
                                        frames_hint=source.frames)
        done = 0
        for blocks in renderer.blocks():
            for n, b in blocks.items():
                writers[n].write(np.asarray(b, dtype=np.float32))
            writers["mix"].write(_mix(blocks).astype(np.float32))
            done += next(iter(blocks.values())).shape[1]
            if progress is not None:
                progress("writing", done, source.frames)
        for writer in writers.values():
            writer.commit()
    except BaseException:
        for writer in writers.values():
            writer.discard()
        raise
    return tuple(str(p) for p in targets.values())
