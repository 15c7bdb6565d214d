"""Lookahead brickwall limiter with true-peak (oversampled) detection."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from mezzo.errors import ParameterError
from mezzo.processors._params import ParamSpec, spec
from mezzo.processors.base import Processor
from mezzo.processors.compressor import time_constant_coef
from mezzo.units import ms_to_samples

#: oversampling factor of the detection interpolator
DETECT_OVERSAMPLING = 16
#: half-length of the detection interpolator in input samples (taps per phase 2*D + 1)
DETECT_HALF_TAPS = 20
#: Kaiser window beta of the detection interpolator: with 41 taps per phase its
#: response is flat within 0.006 dB up to 0.45 fs and its images are below -65 dB
DETECT_KAISER_BETA = 6.25
#: the short 16x interpolator: half-length in input samples and Kaiser beta (the
#: design of scipy.signal.resample_poly's default filter, as common 16x checks use)
SHORT_HALF_TAPS = 10
SHORT_KAISER_BETA = 5.0
#: samples the gain stays at its minimum after a true peak (covers the interpolator)
POST_HOLD_SAMPLES = 32
#: shortest gain ramp with true_peak: a gain that jumps next to a loud sample makes
#: the interpolated output ring (Gibbs) over the ceiling
MIN_RAMP_SAMPLES = 32
#: the limiter aims this far below the ceiling, dB (covers the interpolators' differences
#: and the gain's own movement near a peak; see the Limiter Notes)
DETECTION_MARGIN_DB = 0.05
#: a detected sample whose cheap upper bound is within this factor (0.043 dB) of its
#: Annex 2 lower bound keeps the upper bound instead of the exact peak (see Notes)
ACCEPT_FACTOR = 1.005


@dataclass(frozen=True, slots=True)
class BoolSpec(ParamSpec):
    """A boolean parameter (``True`` or ``False`` only)."""

    def validate(self, value: Any) -> Any:
        """Return ``value`` if it is a bool, else raise :class:`ParameterError`."""
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise ParameterError(f"{self.name}={value!r} is not supported: expected True or False")

    def range_text(self) -> str:
        """Human-readable range for help texts."""
        return "True | False"


LIMITER_PARAMS: tuple[ParamSpec, ...] = (
    spec(
        "ceiling_db",
        "dB",
        -1.0,
        -60.0,
        0.0,
        "Ceiling: no output sample (or true peak) above it, dBFS / dBTP.",
    ),
    BoolSpec(
        "true_peak", "", True, None, None, "Detect inter-sample (true) peaks by oversampling."
    ),
    spec(
        "lookahead_ms", "ms", 5.0, 0.0, 200.0, "Lookahead: audio delay (reported as latency), ms."
    ),
    spec(
        "attack_ms",
        "ms",
        5.0,
        0.0,
        200.0,
        "Length of the linear gain ramp before a peak (<= lookahead_ms), ms.",
    ),
    spec(
        "hold_ms",
        "ms",
        0.0,
        0.0,
        5000.0,
        "Time the gain is held at its lowest before releasing, ms.",
    ),
    spec(
        "release_ms",
        "ms",
        100.0,
        0.0,
        20000.0,
        "Release time constant: 63 % of a gain rise in dB, ms.",
    ),
    BoolSpec(
        "link", "", True, None, None, "Linked: one gain for all channels (keeps the stereo image)."
    ),
)


@lru_cache(maxsize=1)
def detection_filters() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Return the detection interpolators and the constants of their cheap bound.

    The long 16x interpolator is a Kaiser-windowed sinc (``scipy.signal.firwin``,
    ``16 * 40 + 1`` taps, cut-off at the input Nyquist frequency, beta 6.25)
    split into 16 phases of 41 taps; phase 0 is the identity (a Nyquist filter) and is
    left out. The short one is the design of ``scipy.signal.resample_poly``'s
    default 16x filter (Kaiser beta 5, 21 taps per phase). Returned, as columns
    (tap-major, so that the kernel vectorises over phases): the 15 long phases
    (41, 16) (tap ``k`` multiplies ``x[j + 20 - k]``, last column zero), the 15
    short phases (21, 16) (tap ``k`` multiplies ``x[j + 10 - k]``), the 4
    BS.1770-4 Annex 2 phases (12, 4) (tap ``k`` multiplies ``x[j + 6 - k]``);
    then ``q_bound`` (39,) and ``c_bound``: every phase ``h``, aligned on the
    41 long taps, is split exactly (a linear solve) as ``h = q * [1, -2, 1] + r0
    delta[x[j + 1]] + r1 delta[x[j]]``; ``q_bound[k]`` is the largest ``|q[k]|``
    and ``c_bound`` the largest ``|r0| + |r1|`` over all 34 phases, so that
    ``|h . x| <= c_bound max(|x[j]|, |x[j + 1]|) + sum_k q_bound[k] |d2x|``
    with ``d2x`` the second differences of the input. Designed once and cached:
    do not modify the arrays.
    """
    from scipy.signal import firwin

    from mezzo.kernels.true_peak import ANNEX2_PHASES

    up = DETECT_OVERSAMPLING
    half = DETECT_HALF_TAPS
    taps = 2 * half + 1
    h = firwin(up * (taps - 1) + 1, 1.0 / up, window=("kaiser", DETECT_KAISER_BETA)) * up
    long_t = np.zeros((taps, up))
    for p in range(1, up):
        part = h[p::up]
        long_t[: part.shape[0], p - 1] = part
    staps = 2 * SHORT_HALF_TAPS + 1
    hs = firwin(up * (staps - 1) + 1, 1.0 / up, window=("kaiser", SHORT_KAISER_BETA)) * up
    short_t = np.zeros((staps, up))
    for p in range(1, up):
        part = hs[p::up]
        short_t[: part.shape[0], p - 1] = part
    annex = np.asarray(ANNEX2_PHASES, dtype=np.float64)
    annex_t = np.ascontiguousarray(annex.T)
    # all phases on the long taps: row = phase, column k multiplies x[j + half - k]
    rows = [long_t[:, p] for p in range(up - 1)]
    for p in range(up - 1):
        r = np.zeros(taps)
        r[half - SHORT_HALF_TAPS : half + SHORT_HALF_TAPS + 1] = short_t[:, p]
        rows.append(r)
    for p in range(annex.shape[0]):
        r = np.zeros(taps)
        r[half - 6 : half + 6] = annex[p]
        rows.append(r)
    # h = q * [1, -2, 1] + r0 e[half - 1] + r1 e[half]: a square linear system per phase
    system = np.zeros((taps, taps))
    for k in range(taps - 2):
        system[k : k + 3, k] = (1.0, -2.0, 1.0)
    system[half - 1, taps - 2] = 1.0
    system[half, taps - 1] = 1.0
    sol = np.linalg.solve(system, np.array(rows).T).T
    if not np.allclose(sol @ system.T, np.array(rows), rtol=0, atol=1e-13):  # pragma: no cover
        raise RuntimeError("detection bound: decomposition failed")
    q_bound = np.abs(sol[:, : taps - 2]).max(axis=0) * (1.0 + 1e-9)
    c_bound = float(np.abs(sol[:, taps - 2 :]).sum(axis=1).max()) * (1.0 + 1e-9)
    return long_t, short_t, annex_t, np.ascontiguousarray(q_bound), c_bound


class Limiter(Processor):
    """Lookahead brickwall limiter: the output never exceeds ``ceiling_db``.

    Parameters
    ----------
    ceiling_db : float, -60 to 0
        Ceiling in dBFS (sample peak) or dBTP (with ``true_peak``).
    true_peak : bool
        Detect inter-sample peaks by oversampling (see Notes); ``False`` limits the
        sample peak only.
    lookahead_ms : float, 0 to 200
        Audio delay, ms, reported as ``latency_samples`` (rounded to samples). With
        ``true_peak`` the latency is at least 84 samples (see Notes).
    attack_ms : float, 0 to ``lookahead_ms``
        Length of the linear gain ramp before a peak, ms (see Notes).
    hold_ms : float, 0 to 5000
        After the gain stops falling, it is held this long before releasing, ms.
    release_ms : float, 0 to 20000
        Time constant of the gain's recovery in dB: after the need for reduction
        ends, the gain covers 63 % (1 - 1/e) of its way back in dB in this time.
    link : bool
        One gain for all channels (the largest need wins). ``False``: each channel
        has its own gain.

    Notes
    -----
    Detection. With ``true_peak`` the detected peak of sample ``j`` is the largest
    of ``|x[j - 1]|``, ``|x[j]|``, ``|x[j + 1]|`` and the magnitudes of the
    interpolated values in the intervals ``(j - 1, j)`` and ``(j, j + 1)`` given by
    three interpolators:

    - a long 16x Kaiser-windowed sinc (beta 6.25, 41 taps per phase, all 15
      fractional phases): flat within 0.006 dB up to 0.45 fs, images below
      -65 dB, where the 4x BS.1770-4 filter already under-reads by tenths of
      a dB;
    - the BS.1770-4 Annex 2 4x filter, so that the BS.1770 meter (which
      over-reads low frequencies by up to 0.014 dB) reads no more than the
      limiter saw;
    - a short 16x Kaiser-windowed sinc (beta 5, 21 taps per phase, the design of
      ``scipy.signal.resample_poly``'s default filter): on full-band content
      near Nyquist short interpolators read up to about 0.25 dB above long
      ones, so common 16x checks would otherwise see the ceiling exceeded.

    How it is computed. The gain needs only the largest peak in each window of
    the sliding minimum below, so the 980 multiply-adds per interval are spent
    lazily. Every sample first gets an exact upper bound of its peak for a few
    operations: each phase ``h`` is split exactly (a linear solve) as a second
    difference convolved with ``q`` plus two taps on ``x[j]`` and ``x[j + 1]``,
    so every interpolated value of the interval is at most ``1.0016 max(|x[j]|,
    |x[j + 1]|) + sum_k q[k] |x[m] - 2 x[m - 1] + x[m - 2]|`` over the filters'
    window, with ``q[k]`` the largest ``|q|`` over the phases at that tap (sum
    0.81; a 39-tap filter on the second differences; on the benchmark's loud,
    bright music the bound is a median 3 % above the peak). A bound within
    ``ACCEPT_FACTOR`` (1.005, 0.043 dB) of the lower bound ``max(|x[j - 1]|,
    |x[j]|, |x[j + 1]|)`` is kept as the detected peak. Otherwise, when the
    sample would become the maximum of its window (a prefix or suffix maximum of
    the van Herk sliding maximum) above the ceiling, it is refined: the Annex 2
    values give a better lower bound (a bound within 0.043 dB of it is kept),
    else the three interpolators give the exact peak. So each window's maximum
    is the exact peak or a bound at most 0.043 dB above it, never below. Exact
    values are computed one interval at a time, or, after a chunk of 256
    samples where a quarter or more needed them (dense content), for the
    stretches of the next chunk whose bounds are above the ceiling, in
    vectorised runs. The output does not depend on the block splits (the same
    sums in the same order whichever way a value is computed). Without
    ``true_peak`` the detected peak is ``|x[j]|``. Linked channels use the
    largest detected peak over the channels.

    Required gain: ``r[j] = min(1, c / peak[j])`` with ``c`` the ceiling lowered by
    the detection margin of 0.05 dB (``DETECTION_MARGIN_DB``): the margin covers
    float rounding, the small difference between the detection interpolators and
    others (e.g. a 16x check) and the movement of the gain near a peak. With the
    kept bounds the limiter aims between 0.05 and 0.093 dB below the ceiling.

    Lookahead, attack, hold, release. Let ``L`` be the latency in samples, ``A``
    the ramp length in samples, ``D = 20`` the detector's delay and
    ``Gpost = 32`` (both 0 without ``true_peak``), ``Gpre = L - D - A``.

    1. ``S[i]`` is the minimum of ``r`` over ``[i - A - Gpost, i + Gpre]``.
    2. Hold and release: ``V`` falls at once to ``S``; when ``S`` rises, ``V``
       waits ``hold_ms`` and then rises towards it by a one-pole in dB with time
       constant ``release_ms`` (63 % of the way in dB in that time), never
       above ``S``.
    3. The gain of sample ``m`` is the mean of ``V`` over ``[m, m + A]``.

    Every term of that mean is at most ``r[m']`` for all ``m'`` in
    ``[m - Gpost, m + Gpre]``, hence so is the gain: before an isolated peak the
    gain falls along a straight line (linear gain) over ``A + 1`` samples,
    reaches the peak's ``r`` ``Gpre`` samples before it (exactly at the peak
    when ``Gpre = 0``), and stays there at least ``Gpost`` samples after it; with
    ``true_peak`` the gain is thus constant over the interpolators' support
    around an isolated peak. The attack is this ramp, a fixed length rather than
    a time constant, and never overshoots; the release seen at the output is
    the one-pole smoothed once more by the ``A + 1`` moving average, and the gain
    never moves by more than ``1 / (A + 1)`` per sample (no jumps, which would
    ring over the ceiling between samples).

    Numbers: ``L = round(lookahead_ms * fs / 1000)``; ``A`` is ``attack_ms`` in
    samples. With ``true_peak``, ``A`` is at least 32 and at most ``L - 52``,
    and ``L`` is at least 84 (1.75 ms at 48 kHz), whatever ``lookahead_ms``: the
    detector needs 20 samples of the future, the hold 32 and the ramp 32.
    Without ``true_peak`` ``A`` is at most ``L`` (0 allowed: ``lookahead_ms=0``
    and ``attack_ms=0`` is a zero-latency limiter whose gain jumps). While
    nothing needs limiting the gain is exactly 1: the output is the input
    delayed, bit for bit; after limiting, the release ends when the gain is
    within 1e-7 dB of 0 dB. Content that the 4x BS.1770 meter under-reads by
    more than about 0.95 dB (an abrupt stop of a tone near Nyquist rings far
    above its samples) can be limited even though its metered true peak is
    1 dB below the ceiling.

    Promises (tested): no output sample above the ceiling; the BS.1770-4 true
    peak of the output (:func:`mezzo.meters.peak.true_peak`) at most the ceiling
    (with ``true_peak``); a 16x oversampled reading within 0.1 dB of it.

    Examples
    --------
    >>> import numpy as np
    >>> lim = Limiter(ceiling_db=-1.0)
    >>> x = np.sin(2 * np.pi * 1000 * np.arange(4800) / 48000)  # 0 dBFS sine
    >>> y = lim(x, 48000)
    >>> bool(20 * np.log10(np.abs(y).max()) <= -1.0)
    True
    """

    PARAMS = LIMITER_PARAMS
    has_gain: ClassVar[bool] = True

    def _check_params(self) -> None:
        v = self._values
        if v["attack_ms"] > v["lookahead_ms"]:
            raise ParameterError(
                f"attack_ms={v['attack_ms']!r} is longer than lookahead_ms={v['lookahead_ms']!r}: "
                "the ramp must fit in the lookahead; lower attack_ms or raise lookahead_ms"
            )

    def _sizes(self) -> dict[str, int]:
        v = self._values
        fs = self._sample_rate
        look = ms_to_samples(v["lookahead_ms"], fs)
        attack = ms_to_samples(v["attack_ms"], fs)
        if v["true_peak"]:
            delay, post = DETECT_HALF_TAPS, POST_HOLD_SAMPLES
            latency = max(look, delay + post + MIN_RAMP_SAMPLES)
            ramp = max(min(attack, latency - delay - post), MIN_RAMP_SAMPLES)
        else:
            delay, post = 0, 0
            latency = look
            ramp = min(attack, latency)
        pre = latency - delay - ramp
        return {"latency": latency, "delay": delay, "ramp": ramp, "win_min": ramp + pre + post + 1}

    def _latency(self) -> int:
        return self._sizes()["latency"]

    def _configure(self) -> None:
        v = self._values
        fs = self._sample_rate
        self._z = self._sizes()
        self._long, self._short, self._annex, q_bound, self._c_bound = detection_filters()
        self._q_bound = q_bound.astype(np.float32)  # the kernel's weighted sum is float32
        self._ceiling = 10.0 ** ((v["ceiling_db"] - DETECTION_MARGIN_DB) / 20.0)
        self._hold = ms_to_samples(v["hold_ms"], fs)
        self._release = time_constant_coef(v["release_ms"], fs)
        # a parameter change mid-stream that resizes the state starts from a clean state
        allocated = getattr(self, "_layout", None)
        if allocated is not None and allocated != self._state_layout():
            self._reset_state()

    def _state_layout(self) -> tuple[Any, ...]:
        return (tuple(sorted(self._z.items())), bool(self._values["link"]), self._channels)

    def _reset_state(self) -> None:
        from mezzo.kernels.lookahead import CHUNK

        c = self._channels
        z = self._z
        g = 1 if (self._values["link"] or c == 1) else c
        win = z["win_min"]
        # the ring must hold the oldest sample a refinement reads while a whole chunk is ahead
        ring = 1 << int(win + 2 * z["delay"] + CHUNK + 8).bit_length()
        cache = 1 << int(win + CHUNK + 8).bit_length()
        self._hist = np.zeros((c, 2 * ring))
        self._d2hist = np.zeros((c, 2 * ring), dtype=np.float32)
        self._ub_prev = np.zeros(c)
        self._acache = np.zeros((c, cache))
        self._atag = np.full((c, cache), -(2**62), dtype=np.int64)
        self._icache = np.zeros((c, cache))
        self._itag = np.full((c, cache), -(2**62), dtype=np.int64)
        self._vh = np.zeros((g, 2 * win))
        self._vflag = np.ones((g, 2 * win), dtype=np.int8)
        self._vch = np.zeros((c, cache))
        self._vchx = np.ones((c, cache), dtype=np.int8)
        self._suf_v = np.zeros((g, win))
        self._pre_v = np.zeros((g, win))
        self._pre_a = np.zeros((g, win), dtype=np.int64)
        self._box = np.ones((g, z["ramp"] + 1))
        self._box_sum = np.full(g, float(z["ramp"] + 1))
        self._box_low = np.zeros(g, dtype=np.int64)
        self._rel = np.zeros(g)
        self._hold_state = np.zeros(g, dtype=np.int64)
        self._delay = np.zeros((c, max(z["latency"], 1)))
        self._counters = np.zeros(8, dtype=np.int64)
        self._layout = self._state_layout()

    def _process(
        self, x: np.ndarray, key: np.ndarray | None, record: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        from mezzo.kernels.lookahead import limiter_block

        c, n = x.shape
        g = self._rel.shape[0]
        z = self._z
        out = np.empty_like(x)
        gain = np.empty((g, n if record else 0))
        limiter_block(
            x,
            out,
            gain,
            record,
            bool(self._values["true_peak"]),
            self._long,
            self._short,
            self._annex,
            self._q_bound,
            self._c_bound,
            ACCEPT_FACTOR,
            z["delay"],
            self._ceiling,
            z["win_min"],
            z["ramp"],
            self._hold,
            self._release,
            z["latency"],
            self._hist,
            self._d2hist,
            self._ub_prev,
            self._acache,
            self._atag,
            self._icache,
            self._itag,
            self._vh,
            self._vflag,
            self._vch,
            self._vchx,
            self._suf_v,
            self._pre_v,
            self._pre_a,
            self._box,
            self._box_sum,
            self._box_low,
            self._rel,
            self._hold_state,
            self._delay,
            self._counters,
        )
        if record and g != c:
            gain = np.repeat(gain, c, axis=0)
        return out, (gain if record else None)


def limit(audio: np.ndarray, sample_rate: int, **params: Any) -> np.ndarray:
    """One-call form of :class:`Limiter`: ``Limiter(**params)(audio, sample_rate)``."""
    return Limiter(**params)(audio, sample_rate)
