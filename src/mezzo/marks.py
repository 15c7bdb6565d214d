"""The markings language: dynamics written as one short line of text.

A line such as ``"0:p 8:< 16:ff 24:> 32:pp"`` is a list of *time:marking* items
separated by spaces (or commas):

- **markings** ``ppp pp p mp mf f ff fff``: the level from that time on;
- **hairpins** ``<`` (crescendo, also ``cresc``) and ``>`` (decrescendo, also
  ``dim``/``decresc``): ramp from the level in force to the *next* marking,
  which must be a dynamic marking louder (``<``) or softer (``>``) than the
  start. ``p<`` is a marking and a hairpin starting at the same time;
- **fades** ``fadein`` and ``fadeout``, with an optional curve in brackets
  (``fadeout(equal-power)``; ``linear`` by default, ``equal-power``,
  ``exponential``/``exp``): a multiplier going from silence to the level
  (``fadein``) or from the level to silence (``fadeout``) until the next item,
  or until the end of the signal when there is none. Before a first
  ``fadein`` and after a ``fadeout`` the signal is silent until the next
  ``fadein``. Items after the end of the signal have no effect (a warning
  says so): a ``fadein`` written past the end does not silence what comes
  before it.

Times are seconds (``8``, ``8.5``, ``8.5s``), minutes and seconds (``1m20.5``,
``2m``) or bars and beats (``9|1``, ``9|2.5``; bar 1 beat 1 is time 0), which
need a tempo map (:class:`TempoMap`: a constant ``bpm`` and ``meter`` or a MIDI
file's own). Items must be in time order, one per time.

Levels
------
:data:`LEVELS_DB` gives the gain offset of each marking for audio, in dB
(3 dB per step, ``ff`` = 0 dB, so written dynamics only cut, except ``fff``
+3 dB). :data:`VELOCITIES` gives MIDI velocities, the defaults of MuseScore's
dynamics (the "Velocity" property of its dynamic markings: ppp 16, pp 33, p 49,
mp 64, mf 80, f 96, ff 112, fff 126; MuseScore handbook, "Dynamics"). Both are
overridable (:func:`parse_table`, ``--levels "p=-12,ff=0"``,
``--velocities "p=49,ff=112"``); a table must not decrease from ppp to fff.

Examples
--------
>>> m = parse_marks("0:p 8:< 16:ff 24:> 32:pp")
>>> [(e.time_s, e.kind, e.marking) for e in m.events][:3]
[(0.0, 'level', 'p'), (8.0, 'crescendo', None), (16.0, 'level', 'ff')]
>>> float(m.level_curve(LEVELS_DB).value_at(12.0))
-6.0
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mezzo.errors import MezzoWarning, ParameterError

#: the dynamic markings, softest first
MARKINGS: tuple[str, ...] = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")

#: gain offset of each marking for audio, dB (3 dB per step, ff = 0 dB)
LEVELS_DB: dict[str, float] = {
    "ppp": -18.0, "pp": -15.0, "p": -12.0, "mp": -9.0, "mf": -6.0, "f": -3.0, "ff": 0.0, "fff": 3.0,
}

#: MIDI velocity of each marking: MuseScore's default dynamics velocities
VELOCITIES: dict[str, int] = {
    "ppp": 16, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 126,
}

#: fade curves understood after ``fadein``/``fadeout``
FADE_CURVES: tuple[str, ...] = ("linear", "equal-power", "exponential")
_CURVE_ALIASES = {"linear": "linear", "lin": "linear", "equal-power": "equal-power", "equalpower": "equal-power",
                  "eqp": "equal-power", "exponential": "exponential", "exp": "exponential"}
_HAIRPINS = {"<": "crescendo", "cresc": "crescendo", ">": "decrescendo", "dim": "decrescendo",
             "decresc": "decrescendo"}
#: 60 dB of range for the exponential fade: (exp(k x) - 1) / (exp(k) - 1), k = ln 1000
_EXP_K = math.log(1000.0)


class MarksWarning(MezzoWarning):
    """Markings that cannot act (after the end of the signal or the file)."""


# --- tempo map ---------------------------------------------------------------------------------


class TempoMap:
    """Tempo and meter over time, to turn bars|beats into seconds.

    Positions are in quarter notes from the start. Tempi are in quarter notes per
    minute (the MIDI convention: a set_tempo gives microseconds per quarter). A
    beat is the meter's denominator note (in 6/8, six eighth-note beats per bar),
    as DAWs count bar|beat.

    Parameters
    ----------
    tempos : sequence of (quarters, bpm)
        Tempo changes; the first applies from 0 whatever its position.
    meters : sequence of (quarters, numerator, denominator)
        Meter changes; a change that falls inside a bar starts a new bar there.
    """

    def __init__(
        self,
        tempos: Sequence[tuple[float, float]] = ((0.0, 120.0),),
        meters: Sequence[tuple[float, int, int]] = ((0.0, 4, 4),),
    ) -> None:
        tempos = sorted(tempos, key=lambda p: p[0]) or [(0.0, 120.0)]
        for _, bpm in tempos:
            if not (math.isfinite(bpm) and bpm > 0):
                raise ParameterError(f"tempo {bpm!r} BPM is not a positive number")
        q = [0.0] + [float(p) for p, _ in tempos[1:]]
        bpm_list = [float(b) for _, b in tempos]
        secs = [0.0]
        for i in range(1, len(q)):
            secs.append(secs[-1] + (q[i] - q[i - 1]) * 60.0 / bpm_list[i - 1])
        self._q = np.array(q)
        self._bpm = np.array(bpm_list)
        self._s = np.array(secs)
        meters = sorted(meters, key=lambda m: m[0]) or [(0.0, 4, 4)]
        segs: list[tuple[float, float, int, int]] = []  # (quarters, first bar, num, den)
        bar = 1.0
        prev_q = 0.0
        for i, (pos, num, den) in enumerate(meters):
            _check_meter(num, den, 255)
            pos = 0.0 if i == 0 else float(pos)
            if segs:
                length = segs[-1][2] * 4.0 / segs[-1][3]
                bar = segs[-1][1] + math.ceil((pos - prev_q) / length - 1e-9)
            segs.append((pos, bar, int(num), int(den)))
            prev_q = pos
        self._meters = segs

    @classmethod
    def constant(cls, bpm: float, meter: str | tuple[int, int] = "4/4") -> TempoMap:
        """A constant tempo (quarter notes per minute) and meter (``"4/4"``)."""
        num, den = parse_meter(meter) if isinstance(meter, str) else meter
        return cls(((0.0, _check_bpm(bpm)),), ((0.0, num, den),))

    def quarters_to_seconds(self, quarters: Any) -> np.ndarray:
        """Seconds at positions in quarter notes (vectorised)."""
        q = np.asarray(quarters, dtype=np.float64)
        i = np.clip(np.searchsorted(self._q, q, side="right") - 1, 0, None)
        return self._s[i] + (q - self._q[i]) * 60.0 / self._bpm[i]

    def seconds_to_quarters(self, seconds: Any) -> np.ndarray:
        """Positions in quarter notes at times in seconds (vectorised)."""
        t = np.asarray(seconds, dtype=np.float64)
        i = np.clip(np.searchsorted(self._s, t, side="right") - 1, 0, None)
        return self._q[i] + (t - self._s[i]) * self._bpm[i] / 60.0

    def bar_beat_to_quarters(self, bar: float, beat: float) -> float:
        """Quarter-note position of bar ``bar`` (from 1), beat ``beat`` (from 1)."""
        seg = self._meters[0]
        for s in self._meters:
            if s[1] <= bar:
                seg = s
        pos, first, num, den = seg
        if not 1 <= beat < num + 1:
            raise ParameterError(f"beat {beat:g} is outside a bar of {num}/{den}: expected 1 to {num}")
        return pos + (bar - first) * num * 4.0 / den + (beat - 1.0) * 4.0 / den

    def quarters_to_bar_beat(self, quarters: float) -> tuple[int, float]:
        """(bar from 1, beat from 1) at a quarter-note position."""
        seg = self._meters[0]
        for s in self._meters:
            if s[0] <= quarters + 1e-9:
                seg = s
        pos, first, num, den = seg
        length = num * 4.0 / den
        k = math.floor((quarters - pos) / length + 1e-9)
        beat = (quarters - pos - k * length) / (4.0 / den) + 1.0
        return int(first + k), max(beat, 1.0)

    def meter_at(self, quarters: float) -> tuple[int, int]:
        """(numerator, denominator) in force at a quarter-note position."""
        seg = self._meters[0]
        for s in self._meters:
            if s[0] <= quarters + 1e-9:
                seg = s
        return seg[2], seg[3]

    def bpm_at(self, quarters: float) -> float:
        """Tempo in force at a quarter-note position, quarter notes per minute."""
        i = max(0, int(np.searchsorted(self._q, quarters, side="right")) - 1)
        return float(self._bpm[i])

    def bar_length_quarters(self, bar: int) -> float:
        """Length of bar ``bar`` in quarter notes."""
        q = self.bar_beat_to_quarters(bar, 1.0)
        _, _, num, den = next(s for s in reversed(self._meters) if s[0] <= q + 1e-9)
        return num * 4.0 / den

    def bar_beat_to_seconds(self, bar: float, beat: float) -> float:
        """Seconds at bar|beat."""
        return float(self.quarters_to_seconds(self.bar_beat_to_quarters(bar, beat)))

    def seconds_to_bar_beat(self, seconds: float) -> tuple[int, float]:
        """(bar, beat) at a time in seconds."""
        return self.quarters_to_bar_beat(float(self.seconds_to_quarters(seconds)))


def _check_bpm(bpm: Any) -> float:
    from mezzo._validate import check_range

    return check_range("bpm", bpm, 1.0, 1000.0, "BPM")


def _check_meter(num: Any, den: Any, most: int = 64) -> None:
    if not (isinstance(num, (int, np.integer)) and 1 <= num <= most and den in (1, 2, 4, 8, 16, 32, 64, 128)):
        raise ParameterError(f"meter {num}/{den} is not supported: expected N/D with N 1 to {most} and D a power of two")


def parse_meter(text: str) -> tuple[int, int]:
    """Parse a meter like ``"4/4"`` or ``"6/8"``."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise ParameterError(f"meter={text!r} is not a meter: expected N/D like '4/4' or '6/8'")
    num, den = int(match.group(1)), int(match.group(2))
    _check_meter(num, den)
    return num, den


# --- the parsed markings -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    """One item of a markings line.

    Attributes
    ----------
    time_s : float or None
        Time in seconds (``None`` while a bar|beat time is unresolved).
    kind : str
        ``"level"``, ``"crescendo"``, ``"decrescendo"``, ``"fadein"`` or ``"fadeout"``.
    marking : str or None
        ``ppp`` … ``fff`` for a level.
    curve : str or None
        Fade curve (fades only).
    bar, beat : float or None
        The bar|beat written, if any.
    position : int
        1-based character position of the item in the text (for messages).
    text : str
        The item as written.
    """

    time_s: float | None
    kind: str
    marking: str | None = None
    curve: str | None = None
    bar: float | None = None
    beat: float | None = None
    position: int = 1
    text: str = ""


@dataclass(frozen=True, slots=True)
class LevelCurve:
    """The written level over time, before smoothing.

    At ``times_s[i]`` the value jumps from ``before[i]`` to ``after[i]``; between
    two times it moves linearly from ``after[i]`` to ``before[i + 1]`` (hairpins),
    constant otherwise. Before the first time it is ``before[0]``, after the
    last ``after[-1]``.
    """

    times_s: np.ndarray
    before: np.ndarray
    after: np.ndarray

    def value_at(self, t_s: Any) -> np.ndarray:
        """Value at times ``t_s`` (right-continuous at the jumps), vectorised."""
        t = np.asarray(t_s, dtype=np.float64)
        if self.times_s.size == 0:
            return np.zeros_like(t)
        i = np.searchsorted(self.times_s, t, side="right") - 1
        out = np.where(i < 0, self.before[0], 0.0)
        ok = i >= 0
        j = np.clip(i, 0, None)
        nxt = np.clip(j + 1, None, self.times_s.size - 1)
        t0, t1 = self.times_s[j], self.times_s[nxt]
        a, b = self.after[j], self.before[nxt]
        span = np.where(t1 > t0, t1 - t0, 1.0)
        frac = np.where(nxt > j, np.clip((t - t0) / span, 0.0, 1.0), 0.0)
        return np.where(ok, a + (b - a) * frac, out)


@dataclass(frozen=True, slots=True)
class Fade:
    """A fade: the multiplier goes 0 -> 1 (``fadein``) or 1 -> 0 over [start_s, end_s]."""

    start_s: float
    end_s: float
    kind: str
    curve: str


@dataclass(frozen=True, slots=True)
class Marks:
    """A parsed markings line (see the module docstring)."""

    events: tuple[Mark, ...] = ()
    source: str = ""
    resolved: bool = True

    def __bool__(self) -> bool:
        return bool(self.events)

    def __repr__(self) -> str:
        return f"Marks({self.source!r})"

    @property
    def last_time_s(self) -> float | None:
        """Time of the last item, s (``None`` if empty)."""
        self._need_resolved()
        return self.events[-1].time_s if self.events else None

    def _need_resolved(self) -> None:
        if not self.resolved:
            first = next(e for e in self.events if e.time_s is None)
            raise ParameterError(
                f"marks: position {first.position}: {first.text.split(':')[0]!r} is in bars|beats: "
                "give a tempo (bpm=... and meter=..., or a MIDI file's tempo map)"
            )

    def resolve(self, tempo_map: TempoMap) -> Marks:
        """Return the markings with bar|beat times turned into seconds and checked."""
        events = []
        for e in self.events:
            if e.time_s is None:
                try:
                    t = tempo_map.bar_beat_to_seconds(e.bar, e.beat)
                except ParameterError as exc:
                    raise ParameterError(f"marks: position {e.position}: {exc}") from None
                e = replace(e, time_s=t)
            events.append(e)
        _check_order(events)
        return Marks(tuple(events), self.source, True)

    def level_curve(self, table: Mapping[str, float]) -> LevelCurve:
        """The written level over time, with values from ``table`` (dB or velocities)."""
        self._need_resolved()
        table = check_table(table, name="levels")
        levels = [e for e in self.events if e.kind == "level"]
        if not levels:
            z = np.zeros(len(self.events))
            return LevelCurve(np.array([e.time_s for e in self.events], dtype=np.float64), z, z.copy())
        current = float(table[levels[0].marking])
        times, before, after = [], [], []
        for e in self.events:
            times.append(e.time_s)
            before.append(current)
            if e.kind == "level":
                current = float(table[e.marking])
            after.append(current)
        # a hairpin ramps from its start to the marking that ends it: its end "before"
        # value is the hairpin start level; rewrite so the segment ramps instead.
        before_arr = np.array(before)
        after_arr = np.array(after)
        for i, e in enumerate(self.events):
            if e.kind in ("crescendo", "decrescendo"):
                end = i + 1  # checked by the parser: the next item is a level marking
                before_arr[end] = after_arr[end]
        return LevelCurve(np.array(times, dtype=np.float64), before_arr, after_arr)

    def fades(self, end_s: float | None) -> tuple[tuple[Fade, ...], tuple[tuple[float, float], ...]]:
        """Fades and silent spans ``(start_s, end_s)`` (end ``inf`` = to the end).

        ``end_s`` closes a fade that is the last item; ``None`` leaves it open, an
        error if such a fade exists. A first ``fadein`` at or after ``end_s`` does
        not silence the signal before it (it acts on nothing).
        """
        self._need_resolved()
        fades: list[Fade] = []
        silent: list[tuple[float, float]] = []
        ev = self.events
        first_fade = next((e for e in ev if e.kind in ("fadein", "fadeout")), None)
        # A first fadein silences what comes before it, unless it is written past the end:
        # then it acts on nothing and must not silence the whole signal.
        if first_fade is not None and first_fade.kind == "fadein" and (end_s is None or first_fade.time_s < end_s):
            silent.append((-math.inf, first_fade.time_s))
        for i, e in enumerate(ev):
            if e.kind not in ("fadein", "fadeout"):
                continue
            if i + 1 < len(ev):
                stop = ev[i + 1].time_s
            elif end_s is None:
                raise ParameterError(
                    f"marks: position {e.position}: {e.kind} runs to the end of the signal, which is unknown "
                    "while streaming: give end_s=..., or put a marking where it ends"
                )
            else:
                stop = max(float(end_s), e.time_s)
            fades.append(Fade(e.time_s, stop, e.kind, e.curve or "linear"))
            if e.kind == "fadeout":
                nxt = next((f for f in ev[i + 1:] if f.kind == "fadein"), None)
                silent.append((stop, math.inf if nxt is None else nxt.time_s))
        return tuple(fades), tuple(silent)


def fade_shape(x: np.ndarray, curve: str) -> np.ndarray:
    """Fade-in multiplier at progress ``x`` in [0, 1] (fade-out: ``fade_shape(1 - x)``).

    linear ``x``; equal-power ``sin(pi x / 2)`` (the sum of the squares of a
    fade-in and its fade-out is 1); exponential ``(e^(k x) - 1) / (e^k - 1)``
    with ``k = ln 1000``: linear in dB over its top 60 dB, exactly 0 at the start.
    """
    x = np.clip(x, 0.0, 1.0)
    if curve == "linear":
        return x
    if curve == "equal-power":
        return np.sin(0.5 * np.pi * x)
    return np.expm1(_EXP_K * x) / math.expm1(_EXP_K)


def fade_factor(marks: Marks, t_s: np.ndarray, end_s: float | None) -> np.ndarray:
    """The fade multiplier (0 to 1) of ``marks`` at times ``t_s``."""
    fades, silent = marks.fades(end_s)
    f = np.ones_like(t_s, dtype=np.float64)
    for a, b in silent:
        f[(t_s >= a) & (t_s < b)] = 0.0
    for fd in fades:
        mask = (t_s >= fd.start_s) & (t_s < fd.end_s)
        if not mask.any():
            continue
        span = fd.end_s - fd.start_s
        x = (t_s[mask] - fd.start_s) / span if span > 0 else np.ones(int(mask.sum()))
        f[mask] = fade_shape(x, fd.curve) if fd.kind == "fadein" else fade_shape(1.0 - x, fd.curve)
    return f


# --- parsing -----------------------------------------------------------------------------------

_TIME_RE = re.compile(
    r"(?P<bar>\d+)\|(?P<beat>\d+(?:\.\d*)?)"
    r"|(?P<min>\d+)m(?P<msec>\d+(?:\.\d*)?)?s?"
    r"|(?P<sec>\d+(?:\.\d*)?|\.\d+)s?"
)
_MARK_RE = re.compile(r"(?P<word>[a-z]+|[<>])(?:\((?P<curve>[a-z-]*)\))?(?P<pin>[<>])?")

TIME_FORMS = "seconds like 8.5, minutes like 1m20.5 or bar|beat like 9|1"


def parse_marks(
    text: str | Marks,
    *,
    bpm: float | None = None,
    meter: str | None = None,
    tempo_map: TempoMap | None = None,
) -> Marks:
    """Parse a markings line; resolve bar|beat times if a tempo is given.

    Parameters
    ----------
    text : str
        The markings, e.g. ``"0:p 8:< 16:ff 1m:fadeout(exp)"``.
    bpm : float, 1 to 1000, optional
        Constant tempo in quarter notes per minute, for bar|beat times.
    meter : str, optional
        Meter for bar|beat times (``"4/4"`` by default when ``bpm`` is given).
    tempo_map : TempoMap, optional
        A full tempo map (e.g. a MIDI file's), instead of ``bpm``/``meter``.

    Returns
    -------
    Marks
        ``resolved`` is false if bar|beat times remain and no tempo was given.

    Raises
    ------
    ParameterError
        ``marks: position N: expected …, got "…"`` with the 1-based character
        position of the problem.

    Examples
    --------
    >>> from mezzo import parse_marks
    >>> marks = parse_marks("1|1:p 3|1:< 5|1:ff", bpm=120)  # bar|beat times, 4/4 at 120 BPM
    >>> [(m.time_s, m.kind, m.marking) for m in marks.events]
    [(0.0, 'level', 'p'), (4.0, 'crescendo', None), (8.0, 'level', 'ff')]
    """
    if isinstance(text, Marks):
        marks = text
    else:
        if not isinstance(text, str):
            raise ParameterError(f"marks={text!r} is not text: expected a line like '0:p 8:< 16:ff'")
        marks = _parse(text)
    if meter is not None and bpm is None and tempo_map is None:
        raise ParameterError("meter needs a tempo: give bpm=... (quarter notes per minute) too")
    if tempo_map is None and bpm is not None:
        tempo_map = TempoMap.constant(bpm, meter or "4/4")
    if tempo_map is not None and not marks.resolved:
        marks = marks.resolve(tempo_map)
    return marks


def _got(text: str, pos: int) -> str:
    if pos >= len(text):
        return "the end of the text"
    m = re.match(r"[^\s,]*", text[pos:])
    word = m.group(0) if m and m.group(0) else text[pos]
    return f'"{word}"'


def _error(pos: int, what: str) -> ParameterError:
    return ParameterError(f"marks: position {pos + 1}: {what}")


def _parse(text: str) -> Marks:
    events: list[Mark] = []
    pos = 0
    n = len(text)
    while True:
        while pos < n and (text[pos].isspace() or text[pos] == ","):
            pos += 1
        if pos >= n:
            break
        start = pos
        tm = _TIME_RE.match(text, pos)
        if tm is None or tm.end() == pos:
            raise _error(pos, f"expected a time ({TIME_FORMS}), got {_got(text, pos)}")
        end_of_time = tm.end()
        if end_of_time >= n or text[end_of_time] != ":":
            got = "nothing" if end_of_time >= n or text[end_of_time].isspace() else _got(text, end_of_time)
            raise _error(end_of_time, f'expected ":" and a marking after the time "{text[pos:end_of_time]}", got {got}')
        time_s: float | None
        bar = beat = None
        if tm.group("bar") is not None:
            bar, beat = float(tm.group("bar")), float(tm.group("beat"))
            if bar < 1 or beat < 1:
                raise _error(pos, f'bar|beat "{tm.group(0)}" counts from 1|1')
            time_s = None
        elif tm.group("min") is not None:
            time_s = 60.0 * float(tm.group("min")) + float(tm.group("msec") or 0.0)
        else:
            time_s = float(tm.group("sec"))
        pos = end_of_time + 1  # the colon
        after_colon = text[start:pos]
        mm = _MARK_RE.match(text, pos)
        if mm is None:
            raise _error(pos, f'expected a marking after "{after_colon}", got {_got(text, pos)}')
        word, curve, pin = mm.group("word"), mm.group("curve"), mm.group("pin")
        stop = mm.end()
        if stop < n and not (text[stop].isspace() or text[stop] == ","):
            raise _error(pos, f'expected a marking after "{after_colon}", got {_got(text, pos)}')
        item = text[start:stop]
        common = {"bar": bar, "beat": beat, "position": start + 1, "text": item}
        if word in MARKINGS:
            if curve is not None:
                raise _error(pos, f'a marking takes no curve: got "{text[pos:stop]}"')
            events.append(Mark(time_s, "level", marking=word, **common))
            if pin:
                events.append(Mark(time_s, _HAIRPINS[pin], **{**common, "position": mm.start("pin") + 1}))
        elif word in _HAIRPINS:
            if curve is not None or pin:
                raise _error(pos, f'expected a marking after "{after_colon}", got "{text[pos:stop]}"')
            events.append(Mark(time_s, _HAIRPINS[word], **common))
        elif word in ("fadein", "fadeout"):
            if pin:
                raise _error(pos, f'expected a marking after "{after_colon}", got "{text[pos:stop]}"')
            name = "linear"
            if curve is not None:
                if curve not in _CURVE_ALIASES:
                    raise _error(
                        mm.start("curve"),
                        f"expected a fade curve ({', '.join(FADE_CURVES)}), got \"{curve}\"",
                    )
                name = _CURVE_ALIASES[curve]
            events.append(Mark(time_s, word, curve=name, **common))
        else:
            raise _error(
                pos,
                f'expected a marking after "{after_colon}", got {_got(text, pos)} '
                "(ppp pp p mp mf f ff fff, <, >, fadein, fadeout)",
            )
        pos = stop
    resolved = all(e.time_s is not None for e in events)
    _check_structure(events)
    if resolved:
        _check_order(events)
    return Marks(tuple(events), text, resolved)


def _check_structure(events: list[Mark]) -> None:
    """Hairpins need a start level and a level marking that ends them the right way; fades alternate."""
    level: str | None = None
    for i, e in enumerate(events):
        if e.kind in ("crescendo", "decrescendo"):
            sign = "<" if e.kind == "crescendo" else ">"
            if level is None:
                raise _error(e.position - 1, f"a {e.kind} '{sign}' needs a marking before it to start from (e.g. 0:p{sign})")
            nxt = events[i + 1] if i + 1 < len(events) else None
            if nxt is None:
                raise _error(e.position - 1, f"the {e.kind} '{sign}' needs a marking after it to end on")
            if nxt.kind != "level":
                raise _error(nxt.position - 1, f"expected a marking to end the {e.kind} at position {e.position}, got \"{nxt.text}\"")
            a, b = MARKINGS.index(level), MARKINGS.index(nxt.marking)
            if (e.kind == "crescendo" and b <= a) or (e.kind == "decrescendo" and b >= a):
                want = "louder" if e.kind == "crescendo" else "softer"
                raise _error(
                    nxt.position - 1,
                    f"the {e.kind} '{sign}' from {level} ends on {nxt.marking}, which is not {want}: "
                    f"use '{'>' if sign == '<' else '<'}' or change the marking",
                )
        elif e.kind == "level":
            level = e.marking
    state = None
    for e in events:
        if e.kind in ("fadein", "fadeout"):
            if state == e.kind:
                raise _error(e.position - 1, f"two {e.kind}s in a row: put a {'fadeout' if e.kind == 'fadein' else 'fadein'} between them")
            state = e.kind


def _check_order(events: Sequence[Mark]) -> None:
    prev: Mark | None = None
    for e in events:
        if prev is not None and prev.time_s is not None and e.time_s is not None:
            same_item = e.position != prev.position and e.text == prev.text
            if e.time_s < prev.time_s:
                raise _error(
                    e.position - 1,
                    f"time {e.time_s:g} s comes before the previous item at {prev.time_s:g} s "
                    f'("{prev.text}"): write the markings in time order',
                )
            if e.time_s == prev.time_s and not same_item:
                raise _error(
                    e.position - 1,
                    f'two items at {e.time_s:g} s ("{prev.text}" at position {prev.position}): '
                    "one per time (write p< for a marking with a hairpin)",
                )
        prev = e


# --- tables ------------------------------------------------------------------------------------


def check_table(table: Mapping[str, float], *, name: str = "levels") -> dict[str, float]:
    """Return a full table (every marking) that does not decrease from ppp to fff."""
    missing = [m for m in MARKINGS if m not in table]
    if missing:
        raise ParameterError(f"{name}: no value for {', '.join(missing)}: give all of {' '.join(MARKINGS)}")
    out = {m: float(table[m]) for m in MARKINGS}
    for soft, loud in itertools.pairwise(MARKINGS):
        if out[soft] > out[loud]:
            raise ParameterError(
                f"{name}: {soft}={out[soft]:g} is louder than {loud}={out[loud]:g}: keep the values rising from ppp to fff"
            )
    return out


def parse_table(
    text: str | Mapping[str, float] | None,
    *,
    kind: str = "levels",
) -> dict[str, float]:
    """Merge overrides such as ``"p=-12,ff=0"`` into the default table.

    Parameters
    ----------
    text : str or mapping or None
        Overrides; ``None`` gives the defaults.
    kind : {"levels", "velocities"}
        ``levels``: dB offsets (-60 to 24 dB) over :data:`LEVELS_DB`;
        ``velocities``: MIDI velocities (whole numbers 1 to 127) over :data:`VELOCITIES`.
    """
    from mezzo._validate import check_choice, check_range

    check_choice("kind", kind, ("levels", "velocities"))
    base: dict[str, float] = dict(LEVELS_DB) if kind == "levels" else {k: float(v) for k, v in VELOCITIES.items()}
    if text is None:
        return base
    items: Iterable[tuple[str, Any]]
    if isinstance(text, Mapping):
        items = text.items()
    else:
        pairs = []
        for chunk in str(text).replace(";", ",").split(","):
            chunk = chunk.strip()
            if not chunk:
                continue
            if "=" not in chunk:
                raise ParameterError(f"{kind}: {chunk!r} is not marking=value: write e.g. 'p=-12,ff=0'")
            k, v = chunk.split("=", 1)
            pairs.append((k.strip(), v.strip()))
        items = pairs
    for k, v in items:
        if k not in MARKINGS:
            raise ParameterError(f"{kind}: {k!r} is not a marking: expected one of {' '.join(MARKINGS)}")
        if kind == "levels":
            base[k] = check_range(f"{kind} {k}", v, -60.0, 24.0, "dB")
        else:
            value = check_range(f"{kind} {k}", v, 1, 127)
            if value != int(value):
                raise ParameterError(f"{kind} {k}={v!r} is not a whole number: expected 1 to 127")
            base[k] = value
    return check_table(base, name=kind)


def nearest_marking(value: float, table: Mapping[str, float]) -> str:
    """The marking whose table value is nearest to ``value`` (ties go to the softer)."""
    return min(MARKINGS, key=lambda m: (abs(table[m] - value), MARKINGS.index(m)))


def warn_past_end(marks: Marks, end_s: float, what: str = "the signal") -> None:
    """Warn (:class:`MarksWarning`) about items after ``end_s``."""
    import warnings

    late = [e for e in marks.events if e.time_s is not None and e.time_s > end_s]
    if late:
        items = ", ".join(f'"{e.text}"' for e in late[:3]) + (" …" if len(late) > 3 else "")
        warnings.warn(
            f"marks: {len(late)} item(s) after the end of {what} at {end_s:.2f} s have no effect: {items}",
            MarksWarning,
            stacklevel=3,
        )


__all__ = [
    "FADE_CURVES",
    "LEVELS_DB",
    "MARKINGS",
    "VELOCITIES",
    "Fade",
    "LevelCurve",
    "Mark",
    "Marks",
    "MarksWarning",
    "TempoMap",
    "check_table",
    "fade_factor",
    "fade_shape",
    "nearest_marking",
    "parse_marks",
    "parse_meter",
    "parse_table",
    "warn_past_end",
]
