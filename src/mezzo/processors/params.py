"""Parameter tables of the processors: one :class:`ParamSpec` per parameter.

The same table drives validation (construction and attribute set), ``repr`` and
the CLI's defaults and help texts, so the three never drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mezzo._validate import check_choice, check_range
from mezzo.errors import ParameterError


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One processor parameter.

    Attributes
    ----------
    name : str
        Keyword name, with its unit suffix (``attack_ms``).
    unit : str
        Unit shown in messages and help (``"ms"``, ``"dB"``, ``""``).
    default : Any
        Default value.
    lo, hi : float or None
        Allowed closed range for numbers (``None``: unbounded on that side;
        ``hi=math.inf`` allows infinity).
    help : str
        One-line description for docs and the CLI.
    choices : tuple of str, optional
        For string parameters: the allowed values.
    special : tuple, optional
        Extra non-numeric values accepted as they are (``"auto"``, ``None``).
    """

    name: str
    unit: str
    default: Any
    lo: float | None
    hi: float | None
    help: str
    choices: tuple[str, ...] | None = None
    special: tuple[Any, ...] = ()

    def validate(self, value: Any) -> Any:
        """Return the validated value or raise :class:`ParameterError`."""
        if self.choices is not None:
            return check_choice(self.name, value, self.choices)
        if any(value is s or (isinstance(s, str) and value == s) for s in self.special):
            return value
        allow_inf = self.hi is not None and math.isinf(self.hi)
        hi = None if allow_inf else self.hi
        try:
            number = check_range(self.name, value, self.lo, hi, self.unit)
        except ParameterError as exc:
            if self.special:
                extra = " or ".join(repr(s) for s in self.special)
                raise ParameterError(f"{exc} (or {extra})") from None
            if allow_inf:
                raise ParameterError(f"{exc} (inf allowed)") from None
            raise
        if math.isinf(number) and not allow_inf:
            raise ParameterError(f"{self.name}={value!r} is out of range: expected a finite number")
        return number

    def range_text(self) -> str:
        """Human-readable range for help texts."""
        if self.choices is not None:
            return " | ".join(self.choices)
        unit = f" {self.unit}" if self.unit else ""
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "inf" if self.hi is None else f"{self.hi:g}"
        text = f"{lo} to {hi}{unit}"
        if self.special:
            text += " or " + " or ".join(str(s) for s in self.special)
        return text


def spec(name: str, unit: str, default: Any, lo: float | None, hi: float | None, help: str, **kw: Any) -> ParamSpec:
    """Shorthand constructor."""
    return ParamSpec(name, unit, default, lo, hi, help, **kw)


INF = math.inf

# shared entries ---------------------------------------------------------------------------
THRESHOLD = spec("threshold_db", "dB", -20.0, -120.0, 20.0, "Threshold T of the static curve, dBFS.")
KNEE = spec("knee_db", "dB", 6.0, 0.0, 48.0, "Knee width W (0 = hard knee), dB.")
ATTACK = spec("attack_ms", "ms", 10.0, 0.0, 2000.0, "Attack time constant: 63 % of a gain step in dB, ms.")
RELEASE = spec("release_ms", "ms", 100.0, 0.0, 20000.0, "Release time constant: 63 % of a gain step in dB, ms.")
HOLD = spec("hold_ms", "ms", 0.0, 0.0, 5000.0, "Hold: time the gain is held before releasing, ms.")
LOOKAHEAD = spec("lookahead_ms", "ms", 0.0, 0.0, 200.0, "Lookahead: audio delay (reported as latency), ms.")
DETECTOR = spec("detector", "", "peak", None, None, "Level detector.", choices=("peak", "rms"))
RMS_WINDOW = spec("rms_window_ms", "ms", 10.0, 0.1, 1000.0, "Time constant of the RMS detector's mean square, ms.")
LINK = spec("link", "", 1.0, 0.0, 1.0, "Stereo link 0 (independent) to 1 (fully linked).")
MIX = spec("mix", "", 1.0, 0.0, 1.0, "Dry/wet mix 0 (dry) to 1 (wet), latency-aligned.")
KEY_HIGHPASS = spec("key_highpass_hz", "Hz", 0.0, 0.0, 20000.0, "2nd-order high pass on the detector input (0 = off), Hz.")

COMPRESSOR_PARAMS: tuple[ParamSpec, ...] = (
    THRESHOLD,
    spec("ratio", "", 4.0, 1.0, INF, "Compression ratio R, 1 (off) to inf (limiting)."),
    KNEE,
    ATTACK,
    RELEASE,
    HOLD,
    DETECTOR,
    RMS_WINDOW,
    LINK,
    spec("makeup_db", "dB", 0.0, -48.0, 48.0, "Makeup gain, dB, or 'auto' (half the static gain reduction at 0 dBFS).", special=("auto",)),
    LOOKAHEAD,
    MIX,
    spec("mode", "", "down", None, None, "Downward or upward compression.", choices=("down", "up")),
    spec("max_gain_db", "dB", 12.0, 0.0, 60.0, "Upward mode: most gain added to quiet parts, dB."),
    KEY_HIGHPASS,
)

EXPANDER_PARAMS: tuple[ParamSpec, ...] = (
    spec("threshold_db", "dB", -40.0, -120.0, 20.0, "Threshold T below which the level is expanded, dBFS."),
    spec("ratio", "", 2.0, 1.0, INF, "Expansion ratio R (1 = off, inf = gate)."),
    spec("range_db", "dB", 40.0, 0.0, 200.0, "Most gain reduction, dB."),
    spec("knee_db", "dB", 0.0, 0.0, 48.0, "Knee width W (0 = hard knee), dB."),
    spec("attack_ms", "ms", 1.0, 0.0, 2000.0, "Attack (opening) time constant, 63 % of a gain step in dB, ms."),
    spec("hold_ms", "ms", 10.0, 0.0, 5000.0, "Hold: time kept open before closing, ms."),
    spec("release_ms", "ms", 100.0, 0.0, 20000.0, "Release (closing) time constant, 63 % of a gain step in dB, ms."),
    spec("hysteresis_db", "dB", 0.0, 0.0, 40.0, "Opens at T, closes below T - hysteresis, dB."),
    LOOKAHEAD,
    DETECTOR,
    RMS_WINDOW,
    LINK,
    KEY_HIGHPASS,
)

GATE_PARAMS: tuple[ParamSpec, ...] = tuple(
    spec("ratio", "", INF, 1.0, INF, "Expansion ratio (inf = gate).")
    if p.name == "ratio"
    else spec("range_db", "dB", 80.0, 0.0, 200.0, "Attenuation when closed, dB.")
    if p.name == "range_db"
    else spec("hysteresis_db", "dB", 3.0, 0.0, 40.0, "Opens at T, closes below T - hysteresis, dB.")
    if p.name == "hysteresis_db"
    else p
    for p in EXPANDER_PARAMS
)

DUCKER_PARAMS: tuple[ParamSpec, ...] = (
    spec("threshold_db", "dB", -30.0, -120.0, 20.0, "Key level above which the audio is ducked, dBFS."),
    spec("depth_db", "dB", 12.0, 0.0, 80.0, "Most gain reduction (duck depth), dB."),
    spec("ratio", "", INF, 1.0, INF, "Ratio of the sidechain compressor (inf: full depth 'depth_db' above T)."),
    spec("knee_db", "dB", 6.0, 0.0, 48.0, "Knee width W, dB."),
    spec("attack_ms", "ms", 10.0, 0.0, 2000.0, "Attack time constant, ms."),
    spec("hold_ms", "ms", 100.0, 0.0, 5000.0, "Hold before release, ms."),
    spec("release_ms", "ms", 300.0, 0.0, 20000.0, "Release time constant, ms."),
    DETECTOR,
    RMS_WINDOW,
    LOOKAHEAD,
    KEY_HIGHPASS,
)

LEVELER_PARAMS: tuple[ParamSpec, ...] = (
    spec("target_lufs", "LUFS", -18.0, -70.0, 0.0, "Short-term loudness to ride to, LUFS."),
    spec("range_db", "dB", 12.0, 0.0, 40.0, "Most boost or cut, dB."),
    spec("speed_ms", "ms", 1000.0, 1.0, 60000.0, "Time constant of the gain rides, ms."),
    spec("floor_lufs", "LUFS", -50.0, -100.0, 0.0, "Below this short-term loudness the gain is held (no boosting of pauses), LUFS."),
    spec("key_offset_db", "dB", 0.0, -40.0, 40.0, "With a key: aim at key loudness + this offset, dB."),
)
