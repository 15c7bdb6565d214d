"""Compressor (downward and upward), after Giannoulis, Massberg & Reiss (JAES 2012).

Also holds :class:`DynamicsProcessor`, the shared machinery of the compressor
family (expander, gate, ducker): one numba kernel per block
(:func:`mezzo.kernels.envelope.dynamics_block`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from mezzo._validate import check_choice
from mezzo.errors import AudioInputError, ParameterError
from mezzo.processors.base import Processor, one_call_signature
from mezzo.processors.params import COMPRESSOR_PARAMS
from mezzo.units import ms_to_samples

CURVES = {"down": 0, "up": 1, "expand": 2}


def time_constant_coef(time_ms: float, sample_rate: int) -> float:
    """One-pole coefficient ``alpha = exp(-1 / (tau fs))`` for ``tau = time_ms / 1000``.

    After a step, ``y`` covers ``1 - 1/e`` (63 %) of the way in ``tau``
    (paper eq. 7). ``time_ms = 0`` gives 0 (instant).
    """
    tau_samples = time_ms * 1e-3 * sample_rate
    if tau_samples < 1e-6:  # 0 or so short that 1/tau overflows: instant
        return 0.0
    return math.exp(-1.0 / tau_samples)


class DynamicsProcessor(Processor):
    """Shared machinery of the compressor family (not used directly).

    Subclasses give :meth:`_settings`: a dict with ``curve`` ("down", "up",
    "expand"), ``threshold_db``, ``ratio``, ``knee_db``, ``range_db``,
    ``hysteresis_db``, ``makeup_db``, ``mix``, ``link``, ``attack_ms``,
    ``release_ms``, ``hold_ms``, ``lookahead_ms``, ``detector``, ``rms_window_ms``,
    ``key_highpass_hz``.
    """

    accepts_key: ClassVar[bool] = True
    has_gain: ClassVar[bool] = True

    #: Settings every member of the family takes straight from its parameters.
    SHARED_SETTINGS: ClassVar[tuple[str, ...]] = (
        "threshold_db", "ratio", "knee_db", "attack_ms", "release_ms", "hold_ms",
        "lookahead_ms", "detector", "rms_window_ms", "key_highpass_hz",
    )

    def _settings(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _shared_settings(self, **specific: Any) -> dict[str, Any]:
        """The shared settings from the parameters, plus the member's ``specific`` ones."""
        return {**{name: self._values[name] for name in self.SHARED_SETTINGS}, **specific}

    def _configure(self) -> None:
        s = self._settings()
        fs = self._sample_rate
        self._curve = CURVES[s["curve"]]
        self._lookahead = ms_to_samples(s["lookahead_ms"], fs)
        self._attack = time_constant_coef(s["attack_ms"], fs)
        self._release = time_constant_coef(s["release_ms"], fs)
        self._rms_coef = time_constant_coef(s["rms_window_ms"], fs)
        self._hold = ms_to_samples(s["hold_ms"], fs)
        hp = s["key_highpass_hz"]
        self._hp_on = hp > 0
        self._hp = np.zeros(5)
        if self._hp_on:
            if hp >= 0.45 * fs:
                raise ParameterError(
                    f"key_highpass_hz={hp!r} is out of range at {fs} Hz: expected 0 (off) or below {0.45 * fs:g} Hz"
                )
            from scipy.signal import butter

            sos = butter(2, hp, btype="highpass", fs=fs, output="sos")[0]
            self._hp = np.array([sos[0], sos[1], sos[2], sos[4], sos[5]], dtype=np.float64)
        self._s = s

    def _gain_channels(self) -> int:
        c = self._channels
        k = self._key_channels if self._key_channels is not None else c
        if c == 1 or k != c or self._s["link"] >= 1.0:
            return 1
        return c

    def _reset_state(self) -> None:
        c = self._channels
        k = self._key_channels if self._key_channels is not None else c
        g = self._gain_channels()
        look = self._lookahead
        self._hp_state = np.zeros((k, 2))
        self._rms_state = np.zeros(k)
        self._smooth = np.zeros(g)
        self._hold_state = np.zeros(g, dtype=np.int64)
        self._open = np.zeros(g)
        self._delay = np.zeros((c, look))
        self._dq_val = np.zeros((g, look + 1))
        self._dq_idx = np.zeros((g, look + 1), dtype=np.int64)
        self._dq_ptr = np.zeros((g, 2), dtype=np.int64)
        self._box = np.zeros((g, look + 1))
        self._box_sum = np.zeros(g)
        self._counters = np.zeros(2, dtype=np.int64)

    def _key_changed(self) -> None:
        if self._counters[1] > 0:
            raise AudioInputError("a key appeared after blocks without one: give the key from the first block")
        self._reset_state()

    def _latency(self) -> int:
        if self._dirty:
            s = self._settings()
            return ms_to_samples(s["lookahead_ms"], self._sample_rate)
        return self._lookahead

    def _makeup(self) -> float:
        m = self._s["makeup_db"]
        if m == "auto":
            return self.auto_makeup_db()
        return float(m)

    def static_curve(self, levels_db: np.ndarray) -> np.ndarray:
        """Output level (dB) for steady input levels (dB): the static curve with the makeup gain.

        Examples
        --------
        >>> import numpy as np
        >>> c = Compressor(threshold_db=-20.0, ratio=4.0, knee_db=0.0)
        >>> c.static_curve(np.array([-40.0, -20.0, 0.0])).round(1).tolist()
        [-40.0, -20.0, -15.0]
        """
        from mezzo.kernels.envelope import static_gain_db

        s = self._settings()
        levels = np.asarray(levels_db, dtype=np.float64)
        gain = np.array([static_gain_db(float(v), CURVES[s["curve"]], s["threshold_db"], s["ratio"], s["knee_db"],
                                        s["range_db"]) for v in levels.ravel()]).reshape(levels.shape)
        makeup = self._values["makeup_db"]
        return levels + gain + (self.auto_makeup_db() if makeup == "auto" else float(makeup))

    def auto_makeup_db(self) -> float:
        """Makeup for ``makeup_db="auto"``: half the static gain reduction at 0 dBFS, dB.

        ``-0.5 * g(0 dBFS)`` with ``g`` the static curve (paper eq. 4). It restores
        half of what a full-scale peak loses, so loud material comes back up without
        the full compensation pushing quieter material above its original level.
        Zero for upward compression and expanders (their curves leave 0 dBFS alone).
        """
        from mezzo.kernels.envelope import static_gain_db

        s = self._settings()
        g = static_gain_db(0.0, CURVES[s["curve"]], s["threshold_db"], s["ratio"], s["knee_db"], s["range_db"])
        return -0.5 * g if g < 0 else 0.0

    def _process(self, x: np.ndarray, key: np.ndarray | None, record: bool) -> tuple[np.ndarray, np.ndarray | None]:
        from mezzo.kernels.envelope import dynamics_block

        s = self._s
        c, n = x.shape
        g = self._smooth.shape[0]
        out = np.empty_like(x)
        gain = np.empty((g, n if record else 0))
        dynamics_block(
            x,
            x if key is None else key,
            out,
            gain,
            record,
            self._curve,
            float(s["threshold_db"]),
            float(s["ratio"]),
            float(s["knee_db"]),
            float(s["range_db"]),
            float(s["hysteresis_db"]),
            s["detector"] == "rms",
            self._rms_coef,
            float(s["link"]),
            self._hp_on,
            self._hp,
            self._attack,
            self._release,
            self._hold,
            self._lookahead,
            float(self._makeup()),
            float(s["mix"]),
            self._hp_state,
            self._rms_state,
            self._smooth,
            self._hold_state,
            self._open,
            self._delay,
            self._dq_val,
            self._dq_idx,
            self._dq_ptr,
            self._box,
            self._box_sum,
            self._counters,
        )
        if record and g != c:
            gain = np.repeat(gain, c, axis=0)
        return out, (gain if record else None)


#: documented presets: parameter values by name (the rest keep their defaults)
PRESETS: dict[str, dict[str, Any]] = {
    # vocals: moderate ratio, soft knee, fast attack to catch syllables, RMS-ish feel
    "vocal": {"threshold_db": -20.0, "ratio": 3.0, "knee_db": 6.0, "attack_ms": 5.0, "release_ms": 80.0,
              "detector": "rms", "rms_window_ms": 5.0, "makeup_db": "auto", "key_highpass_hz": 80.0},
    # drum bus: slower attack lets transients through, fast release, parallel blend
    "drum-bus": {"threshold_db": -18.0, "ratio": 4.0, "knee_db": 3.0, "attack_ms": 20.0, "release_ms": 120.0,
                 "detector": "peak", "mix": 0.6, "makeup_db": "auto"},
    # mix bus ("glue"): low ratio, slow attack, program-style release, linked
    "mix-bus": {"threshold_db": -12.0, "ratio": 2.0, "knee_db": 6.0, "attack_ms": 30.0, "release_ms": 300.0,
                "detector": "rms", "rms_window_ms": 30.0, "link": 1.0, "key_highpass_hz": 60.0},
    # gentle: 1.5:1 over a wide knee, transparent levelling
    "gentle": {"threshold_db": -24.0, "ratio": 1.5, "knee_db": 12.0, "attack_ms": 25.0, "release_ms": 250.0,
               "detector": "rms", "rms_window_ms": 50.0},
}


class Compressor(DynamicsProcessor):
    """Feed-forward dynamic range compressor with soft knee, lookahead and sidechain.

    Parameters
    ----------
    threshold_db : float, -120 to 20
        Threshold ``T`` in dBFS (level of the detector, see ``detector``).
    ratio : float, 1 to inf
        Ratio ``R``: above the threshold the output level rises 1 dB per ``R`` dB.
        1 is transparent; inf is a limiter curve.
    knee_db : float, 0 to 48
        Knee width ``W``, dB; 0 is a hard knee.
    attack_ms, release_ms : float, >= 0
        Time constants of the gain smoothing in dB (see Notes).
    hold_ms : float, >= 0
        After the gain reduction stops growing, the release waits this long.
    detector : {"peak", "rms"}
        Level detector. "peak": ``|x|``. "rms": one-pole mean square with time
        constant ``rms_window_ms``, read as ``10 log10(2 ms)`` so that a sine of
        peak amplitude A reads ``20 log10 A`` dBFS (the same scale as the peak
        detector for sines).
    rms_window_ms : float, 0.1 to 1000
        Time constant of the RMS detector's mean square, ms.
    link : float, 0 to 1
        Stereo link. The detector level (dB) of channel c is
        ``link * max_over_channels + (1 - link) * own``, mixed in dB. 1: one gain
        for all channels; 0: independent channels.
    makeup_db : float, -48 to 48, or "auto"
        Gain added after compression. "auto": half the static gain reduction at
        0 dBFS (``-g(0)/2``, see :meth:`auto_makeup_db`).
    lookahead_ms : float, 0 to 200
        Delays the audio by this much (reported by ``latency_samples``) so that the
        gain reduction starts before a transient arrives.
    mix : float, 0 to 1
        Dry/wet (parallel compression): ``out = dry * (1 - mix (1 - G))`` with the
        wet gain ``G``; the dry path is delayed like the wet one.
    mode : {"down", "up"}
        "down": levels above the threshold are reduced. "up": levels below the
        threshold are lifted by ``(T - x)(1 - 1/R)`` dB, at most ``max_gain_db``.
    max_gain_db : float, 0 to 60
        Upward mode: most gain added, dB.
    key_highpass_hz : float, 0 (off) to 20000
        2nd-order Butterworth high pass (scipy-designed biquad run in the kernel)
        on the detector input, so bass does not pump the gain.

    Notes
    -----
    Gain computer (paper eq. 4), in dB with ``x`` the detector level:
    ``y = x`` for ``2(x - T) < -W``; ``y = x + (1/R - 1)(x - T + W/2)^2 / (2W)``
    for ``2|x - T| <= W``; ``y = T + (x - T)/R`` for ``2(x - T) > W``. The gain is
    ``g = y - x`` dB.

    Smoothing: the *smooth branching* peak detector of the paper (eq. 16) applied to
    the gain in dB, after the gain computer (the paper's log-domain placement of the
    detector): ``g_s[n] = a g_s[n-1] + (1 - a) g[n]`` with ``a = a_A``
    when the reduction grows and ``a_R`` otherwise, ``a = exp(-1/(tau fs))``
    (eq. 7). The branching form (not the decoupled one, eq. 17) keeps attack and
    release independent: after a step of the target gain, the gain covers
    ``1 - 1/e`` (63 %) of its way in dB in ``attack_ms`` (reduction growing) or
    ``release_ms`` (shrinking), as every time constant in mezzo (:func:`time_constant_coef`).

    Comparison: pedalboard's ``Compressor`` (JUCE ``dsp::Compressor``) smooths the
    *linear* detector level with a ballistics filter whose coefficient is
    ``exp(-2 pi * 1000 / (t_ms fs))`` — the time constant is ``t / (2 pi)``, so its
    "100 ms" is ~15.9 ms here — and has a hard knee. ffmpeg ``acompressor`` uses
    ``coef = 1 - exp(-1000 / (t_ms fs))`` (a one-pole on the linear level, same
    ``tau = t``) and a log-domain knee; so ``attack_ms`` here and there agree as
    time constants but act on different quantities (dB gain vs linear level), which
    makes the dB-gain response differ for large steps.

    Lookahead: the key is analysed undelayed while the audio goes through a delay
    line of ``L`` samples. The gain is the smoothed gain or, if that reduces less,
    a linear ramp (moving average over ``L + 1`` samples of the sliding maximum of
    the target reduction over ``L + 1`` samples): the ramp reaches the full target
    exactly when the transient leaves the delay line, so with lookahead no hard
    transient overshoots the static curve, whatever ``attack_ms``.

    Sidechain: ``key`` may have any channel count. If it has as many channels as
    the audio, channel c's detector uses key channel c (then ``link``); otherwise
    (mono key, or another count) the key channels are combined by the maximum and
    one gain is applied to every channel.

    Examples
    --------
    >>> import numpy as np
    >>> comp = Compressor(threshold_db=-20, ratio=4, knee_db=0, attack_ms=0)
    >>> x = np.full(48000, 10 ** (-8 / 20))  # DC at -8 dBFS
    >>> y = comp(x, 48000)
    >>> round(float(20 * np.log10(y[-1])), 3)  # -20 + (-8 + 20) / 4
    -17.0
    """

    PARAMS = COMPRESSOR_PARAMS

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Compressor:
        """Return a compressor with the values of ``PRESETS[name]`` and ``overrides``."""
        check_choice("preset", name, tuple(PRESETS))
        return cls(**{**PRESETS[name], **overrides})

    def _settings(self) -> dict[str, Any]:
        v = self._values
        up = v["mode"] == "up"
        return self._shared_settings(
            curve=v["mode"],
            range_db=v["max_gain_db"] if up else math.inf,
            hysteresis_db=0.0,
            makeup_db=v["makeup_db"],
            mix=v["mix"],
            link=v["link"],
        )


def compress(audio: np.ndarray, sample_rate: int, *, key: np.ndarray | None = None, **params: Any) -> np.ndarray:
    """One-call form of :class:`Compressor`: ``Compressor(**params)(audio, sample_rate, key=key)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import compress
    >>> x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)  # -6 dBFS peaks
    >>> y = compress(x, 48000, threshold_db=-26.0, ratio=4.0, knee_db=0.0, attack_ms=1.0, release_ms=1000.0)
    >>> round(20 * np.log10(np.abs(y[24000:]).max()))  # 20 dB over the threshold comes out 5 dB over
    -21
    """
    return Compressor(**params)(audio, sample_rate, key=key)


compress.__signature__ = one_call_signature(Compressor, key=True)  # type: ignore[attr-defined]
