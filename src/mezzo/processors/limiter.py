"""Lookahead brickwall limiter with true-peak (oversampled) detection."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from mezzo.errors import ParameterError
from mezzo.processors.base import Processor, one_call_signature
from mezzo.processors.compressor import time_constant_coef
from mezzo.processors.params import ParamSpec, spec
from mezzo.units import ms_to_samples

#: detection delay, samples: the kernel's reach (mezzo.meters.peak.KERNEL_HALF, 160) plus
#: the stage 2's (3 half-sample values); a test checks it against the kernel
DETECT_DELAY = 163
#: samples either side of a detected peak that its interpolated value depends on (the kernel's half)
KERNEL_REACH = 160
#: with true_peak, the gain is at its value for a peak (or lower) from PRE_HOLD_SAMPLES
#: before it to POST_HOLD_SAMPLES after it: over the kernel's main lobes, so the output's
#: interpolated peak is the gain times the input's (content near Nyquist needs ~100)
PRE_HOLD_SAMPLES = 128
POST_HOLD_SAMPLES = 128
#: shortest gain ramp with true_peak: a gain that jumps next to a loud sample makes
#: the interpolated output ring (Gibbs) over the ceiling
MIN_RAMP_SAMPLES = 32
#: the limiter aims this far below the ceiling, dB: covers the 16x grid's reading of a peak
#: between its points (at most 0.042 dB), the gain's own movement near a peak, and what the
#: near-Nyquist term below leaves of the spread between long interpolators
DETECTION_MARGIN_DB = 0.1
#: content near Nyquist: long interpolators (the ideal sinc, Kaiser-windowed sincs of 64
#: samples each side, mezzo's kernel) agree within 0.005 dB below 0.45 fs and
#: differ above, where a signal's reconstruction depends on samples far away. The limiter
#: tracks the envelope of the band above NEAR_NYQUIST_EDGE_FS (the signal shifted by fs/2,
#: ``(-1)**n x[n]``, low-passed by an order-4 elliptic filter: 0.5 dB ripple, 40 dB down
#: below 0.44 fs) and adds NEAR_NYQUIST_WEIGHT times its largest magnitude around a peak to
#: the detected peak: the extra headroom those readings need (see Notes)
NEAR_NYQUIST_EDGE_FS = 0.465
NEAR_NYQUIST_WEIGHT = 0.14
#: closer still to Nyquist the spread grows (the ideal reading of an abrupt onset at
#: ``fs / 2 - f`` gathers about ``1 / f`` samples): the band above NEAR_NYQUIST_CLOSE_FS
#: (a second-order elliptic after the first: -9 dB at 0.495 fs, -24 dB at 0.49 fs) adds
#: this weight more
NEAR_NYQUIST_CLOSE_FS = 0.4975
NEAR_NYQUIST_CLOSE_WEIGHT = 0.15
#: the envelope's window reaches this many samples past the detector's span (filter delay)
NEAR_NYQUIST_SLACK = 64
#: tile of the envelope's sliding maximum, samples (mezzo.kernels.near_nyquist.TILE)
NN_TILE = 16
#: a long block is processed in slices of this many samples (a whole signal's scratch would
#: cost fresh memory the size of the signal)
SLICE_SAMPLES = 1 << 16
#: a detected sample whose cheap upper bound is within this factor (0.043 dB) of its
#: lower bound keeps the upper bound instead of the exact peak (see Notes)
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
        "lookahead_ms", "ms", 8.0, 0.0, 200.0, "Lookahead: audio delay (reported as latency), ms."
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
        ``true_peak`` the latency is at least 323 samples (6.7 ms at 48 kHz; see Notes).
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
    The promise, in numbers (``true_peak=True``; tested on the adversarial grid of
    ``tests/limiter_grid.py`` -- the ``sign(sinc)`` worst case, clipped sines,
    squares and sines up to 0.499 fs starting abruptly, noise 20 dB over, music
    10 dB over, impulses, sweeps to Nyquist, DC steps -- at ceilings -0.1, -1 and
    -2 dB, releases 10 to 500 ms, 44.1 and 48 kHz, mono and stereo):

    - no output sample is above the ceiling;
    - the output's true peak is at most the ceiling plus 0.1 dB by each of four
      independent instruments (the test suite's, by FFT on a 16x grid refined
      between grid points): the ideal band-limited interpolation (the exact sinc
      sum over the whole signal), a 16x Kaiser-windowed sinc of 64 input samples
      each side at beta 5 and at beta 8 (``scipy.signal.firwin(2049, 1/16,
      window=('kaiser', beta)) * 16``), and the kernel ``K`` of mezzo's definition
      (:mod:`mezzo.meters.peak`: ``y(t) = sum_n x[n] K(t - n)``, ``K`` the sinc,
      exact within 40 samples and tapered by a raised cosine to zero at 160; flat
      within 0.0023 dB up to 0.47 fs). One exception, for the ideal reading only:
      content held at exactly fs/2 that starts abruptly, which it reads without
      bound (``A (ln T + 1.96) / pi`` at the onset of ``T`` samples of ``A cos(pi n)``);
    - mezzo's meter (:func:`mezzo.meters.peak.true_peak`, the same definition on
      a 16x grid) reads the output at most at the ceiling.

    Near Nyquist. Long interpolators agree within 0.005 dB on content below
    0.45 fs and disagree above it, where a reconstruction depends on samples far
    away (the sinc's tail there alternates in sign and decays only as ``1 / t``): on
    noise limited 20 dB over the ceiling, or at the abrupt onset of a 0.49 fs sine,
    the ideal and the Kaiser instruments read up to 0.4 dB above ``K``, and up to
    1 dB at a 0.499 fs onset. So the limiter adds to each window's detected peak
    ``NEAR_NYQUIST_WEIGHT`` (0.14) times the largest magnitude, over the samples
    that window's peaks depend on, of the envelope of the band above 0.465 fs (the
    signal shifted by fs/2, ``(-1)**n x[n]``, low-passed by an order-4 elliptic
    filter, 40 dB down below 0.44 fs), plus ``NEAR_NYQUIST_CLOSE_WEIGHT`` (0.15)
    times that of the band above 0.4975 fs (the ideal reading of an abrupt onset at
    ``fs / 2 - f`` gathers about ``1 / f`` samples, so it grows closest to
    Nyquist): headroom only where there is such
    content (bright noise, hard clipping, tones near Nyquist), none on music
    without it. It is causal and computed per block before the kernel, so the
    output still does not depend on the block splits.

    Detection. With ``true_peak`` the detected peak of sample ``j`` is the largest
    of ``|x[j - 1]|``, ``|x[j]|``, ``|x[j + 1]|`` and the magnitudes of the 15
    interpolated values (every 1/16 of a sample) in each of the intervals ``(j - 1,
    j)`` and ``(j, j + 1)``, with ``K`` (computed in two stages, see
    :mod:`mezzo.kernels.true_peak`: the half-sample values with the 320-tap
    kernel, then a 12-tap filter from that 2x sequence).

    How it is computed. The gain needs only the largest peak in each window of
    the sliding minimum below, so the interpolation is spent lazily. Every sample
    first gets an exact upper bound of its peak for a few operations: each phase
    ``h`` is split exactly (a linear solve) as a second difference convolved with
    ``q`` plus two taps on ``x[j]`` and ``x[j + 1]``, so every interpolated value of
    the interval is at most ``max(|x[j]|, |x[j + 1]|) + sum_k q[k] |x[m] - 2 x[m -
    1] + x[m - 2]|`` over the kernel's span, with ``q[k]`` the largest ``|q|`` over
    the phases at that tap: the 39 nearest taps one by one (sum 0.64), the other
    279 by their sum (0.25) times the largest second difference of their span
    (0.1 % slack covers the float32 sums). A bound within ``ACCEPT_FACTOR``
    (1.005, 0.043 dB) of the lower bound ``max(|x[j - 1]|, |x[j]|, |x[j + 1]|)`` is
    kept as the detected peak. Otherwise, when the sample would become the
    maximum of its window (a prefix or suffix maximum of the van Herk sliding
    maximum) above the ceiling, it is refined: the half-sample values give a
    better lower bound (a bound within 0.043 dB of it is kept), else the exact
    peak is computed. So each window's maximum is the exact peak or a bound at
    most 0.043 dB above it, never below. Exact values are computed one interval
    at a time, or, after a chunk of 256 samples where a quarter or more needed
    them (dense content), for the stretches of the next chunk whose bounds are
    above the ceiling, in vectorised runs that also settle those samples' final
    values. The output does not depend on the block splits (the same sums in the
    same order whichever way a value is computed). Without ``true_peak`` the
    detected peak is ``|x[j]|``. Linked channels use the largest detected peak
    over the channels.

    Required gain: ``r[j] = min(1, c / (peak[j] + e))`` (``e`` the near-Nyquist term
    of the window) with ``c`` the ceiling lowered by
    the detection margin of 0.1 dB (``DETECTION_MARGIN_DB``): the margin covers
    the 16x grid's reading of a peak between two of its points (at most 0.042 dB
    low, content at Nyquist), the movement of the gain near a peak, and the
    rest of the spread between long interpolators that the near-Nyquist term
    leaves. With the kept bounds the limiter aims between 0.1 and 0.143 dB below
    the ceiling (by ``K``), lower where there is content near Nyquist.

    Lookahead, attack, hold, release. Let ``L`` be the latency in samples, ``A``
    the ramp length in samples, ``D = 163`` the detector's delay (the kernel's 160
    samples and the second stage's 3), ``Gpost = 128`` (``D`` and ``Gpost`` are 0
    without ``true_peak``) and ``Gpre = L - D - A``.

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
    when ``Gpre = 0``), and stays there at least ``Gpost`` samples after it. With
    ``true_peak``, ``Gpre`` is at least 128 too, so the gain is constant over the
    kernel's main lobes around an isolated peak (the output's interpolated peak
    is the gain times the input's; content held near Nyquist needs about 100
    samples each side). The attack is this ramp, a fixed length rather than a
    time constant, and never overshoots; the release seen at the output is the
    one-pole smoothed once more by the ``A + 1`` moving average, and the gain
    never moves by more than ``1 / (A + 1)`` per sample (no jumps, which would
    ring over the ceiling between samples).

    Numbers: ``L = round(lookahead_ms * fs / 1000)``; ``A`` is ``attack_ms`` in
    samples. With ``true_peak``, ``A`` is at least 32 and at most ``L - 291``,
    and ``L`` is at least 323 (6.7 ms at 48 kHz), whatever ``lookahead_ms``: the
    detector needs 163 samples of the future, the hold before a peak 128 and the
    ramp 32; at the default 8 ms the ramp is 93 samples at 48 kHz (62 at
    44.1 kHz). Without ``true_peak`` ``A`` is at most ``L`` (0 allowed:
    ``lookahead_ms=0`` and ``attack_ms=0`` is a zero-latency limiter whose gain
    jumps). While nothing needs limiting the gain is exactly 1: the output is
    the input delayed, bit for bit; after limiting, the release ends when the
    gain is within 1e-7 dB of 0 dB.

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
            delay, post, hold_pre = DETECT_DELAY, POST_HOLD_SAMPLES, PRE_HOLD_SAMPLES
            latency = max(look, delay + MIN_RAMP_SAMPLES + hold_pre)
            ramp = max(min(attack, latency - delay - hold_pre), MIN_RAMP_SAMPLES)
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
        from mezzo.meters.peak import true_peak_filters

        self._half, self._s2p, self._s2m, self._q_near, self._q_far, self._c_bound = true_peak_filters()
        self._ceiling = 10.0 ** ((v["ceiling_db"] - DETECTION_MARGIN_DB) / 20.0)
        self._nn_sos = near_nyquist_filter(NEAR_NYQUIST_EDGE_FS, 4, 40.0)
        self._nn_sos2 = near_nyquist_filter(NEAR_NYQUIST_CLOSE_FS, 2, 30.0)
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
        ring = 1 << int(max(win + 2 * z["delay"] + CHUNK + 8, 1023)).bit_length()
        cache = 1 << int(win + CHUNK + 8).bit_length()
        self._hist = np.zeros((c, 2 * ring))
        self._hist32 = np.zeros((c, 2 * ring), dtype=np.float32)
        self._d2hist = np.zeros((c, 2 * ring), dtype=np.float32)
        self._ub_prev = np.zeros(c)
        self._ycache = np.zeros((c, cache))
        self._ytag = np.full((c, cache), -(2**62), dtype=np.int64)
        self._icache = np.zeros((c, cache))
        self._itag = np.full((c, cache), -(2**62), dtype=np.int64)
        self._vh = np.zeros((g, 2 * win))
        self._vflag = np.ones((g, 2 * win), dtype=np.int8)
        self._vch = np.zeros((c, cache))
        self._vchx = np.ones((c, cache), dtype=np.int8)
        self._suf_v = np.zeros((g, win))
        self._suf_a = np.zeros((g, win), dtype=np.int64)
        self._pre_v = np.zeros((g, win))
        self._pre_a = np.zeros((g, win), dtype=np.int64)
        self._box = np.ones((g, z["ramp"] + 1))
        self._box_sum = np.full(g, float(z["ramp"] + 1))
        self._box_low = np.zeros(g, dtype=np.int64)
        self._rel = np.zeros(g)
        self._hold_state = np.zeros(g, dtype=np.int64)
        self._delay = np.zeros((c, max(z["latency"], 1)))
        self._counters = np.zeros(8, dtype=np.int64)
        self._nn_zi = np.zeros((self._nn_sos.shape[0], c, 2))
        self._nn_zi2 = np.zeros((self._nn_sos2.shape[0], c, 2))
        self._nn_index = 0
        self._nn_span = z["delay"] + win + KERNEL_REACH + NEAR_NYQUIST_SLACK
        cap = 1 << int(self._nn_span // NN_TILE + 2).bit_length()
        self._nn_tiles = np.zeros((g, cap))
        self._nn_tile_max = np.zeros(g)
        from mezzo.kernels.lookahead import LimiterState

        self._state = LimiterState(
            self._hist, self._hist32, self._d2hist, self._ub_prev, self._ycache, self._ytag, self._icache,
            self._itag, self._vh, self._vflag, self._vch, self._vchx, self._suf_v, self._suf_a, self._pre_v,
            self._pre_a, self._box, self._box_sum, self._box_low, self._rel, self._hold_state, self._delay,
            self._counters,
        )  # fmt: skip
        self._layout = self._state_layout()

    def _near_nyquist(
        self, x: np.ndarray, g: int, start: int = 0, stop: int | None = None,
        out: np.ndarray | None = None, env: np.ndarray | None = None,
    ) -> np.ndarray:  # fmt: skip
        """Per gain channel and sample of ``x[:, start:stop]`` (into ``out[:, :stop - start]``, new
        if None): the largest weighted near-Nyquist envelope (NEAR_NYQUIST_*) over the samples the
        window maximum's peaks depend on (causal; the same values whatever the block splits).
        Zeros without ``true_peak``. ``env`` (channels, >= stop - start) is scratch."""
        from mezzo.kernels.near_nyquist import near_nyquist_envelope

        stop = x.shape[1] if stop is None else stop
        n = stop - start
        out = np.empty((g, n)) if out is None else out
        if not self._values["true_peak"] or n == 0:
            out[:, :n] = 0.0
            return out
        near_nyquist_envelope(
            x, start, stop, self._nn_index, self._nn_sos, self._nn_sos2, NEAR_NYQUIST_WEIGHT,
            NEAR_NYQUIST_CLOSE_WEIGHT, self._nn_zi, self._nn_zi2, self._nn_span, self._nn_tiles,
            self._nn_tile_max, np.empty((x.shape[0], n)) if env is None else env, out,
        )  # fmt: skip
        self._nn_index += n
        return out

    def _process(
        self, x: np.ndarray, key: np.ndarray | None, record: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        c, n = x.shape
        g = self._rel.shape[0]
        out = np.empty_like(x)
        gain = np.empty((g, n if record else 0))
        # long blocks (a whole signal) in slices: the per-slice scratch (near-Nyquist envelope)
        # stays in cache instead of costing fresh memory the size of the signal; the kernel
        # works in place on the whole arrays and the state carries over, so the output is the same
        size = min(n, SLICE_SAMPLES)
        nn = np.empty((g, size))
        env = np.empty((c, size))
        for start in range(0, n, SLICE_SAMPLES):
            self._process_slice(x, start, min(n, start + SLICE_SAMPLES), out, gain, record, nn, env)
        if record and g != c:
            gain = np.repeat(gain, c, axis=0)
        return out, (gain if record else None)

    def _process_slice(
        self, x: np.ndarray, start: int, stop: int, out: np.ndarray, gain: np.ndarray, record: bool,
        nn: np.ndarray, env: np.ndarray,
    ) -> None:  # fmt: skip
        from mezzo.kernels.lookahead import limiter_block

        z = self._z
        self._near_nyquist(x, nn.shape[0], start, stop, nn, env)
        limiter_block(
            x,
            start,
            stop,
            out,
            gain,
            record,
            bool(self._values["true_peak"]),
            self._half,
            self._s2p,
            self._s2m,
            self._q_near,
            self._q_far,
            self._c_bound,
            ACCEPT_FACTOR,
            z["delay"],
            self._ceiling,
            nn,
            z["win_min"],
            z["ramp"],
            self._hold,
            self._release,
            z["latency"],
            self._state,
        )


#: the elliptic designs of the near-Nyquist envelope as second-order sections, keyed by
#: ``(edge_fs, order, stop_db)``: ``scipy.signal.ellip(order, 0.5, stop_db, 2 * (0.5 - edge_fs),
#: output="sos")``, written out so that a limiter does not import scipy.signal (about 1 s of a
#: short command's start-up); ``tests/processors/test_limiter.py`` checks them against scipy
NEAR_NYQUIST_SOS = {
    (NEAR_NYQUIST_EDGE_FS, 4, 40.0): (
        (0.010624258574864437, -0.014713134763520498, 0.010624258574864437, 1.0, -1.7991040585511666, 0.8188490193742244),
        (1.0, -1.8584878237080553, 1.0000000000000004, 1.0, -1.8928184540730293, 0.9424329446893491),
    ),
    (NEAR_NYQUIST_CLOSE_FS, 2, 30.0): (
        (0.031363919190781124, -0.062374836045459334, 0.03136391919078113, 1.0, -1.9778600033196827, 0.978233922359196),
    ),
}


@lru_cache(maxsize=4)
def near_nyquist_filter(edge_fs: float, order: int, stop_db: float) -> np.ndarray:
    """An elliptic low-pass (second-order sections) applied to ``(-1)**n x[n]``: it keeps the band
    of ``x`` above ``edge_fs`` (a fraction of fs; 0.5 dB ripple) and takes at least ``stop_db``
    off its stop band (order 4 at 0.465 fs: below 0.44 fs). The limiter's two designs are
    stored (``NEAR_NYQUIST_SOS``); others are designed with scipy."""
    stored = NEAR_NYQUIST_SOS.get((edge_fs, order, stop_db))
    if stored is not None:
        return np.array(stored, dtype=np.float64)
    from scipy.signal import ellip

    return ellip(order, 0.5, stop_db, 2 * (0.5 - edge_fs), output="sos")


def limit(audio: np.ndarray, sample_rate: int, **params: Any) -> np.ndarray:
    """One-call form of :class:`Limiter`: ``Limiter(**params)(audio, sample_rate)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import limit, true_peak
    >>> rng = np.random.default_rng(0)
    >>> x = np.clip(0.5 * rng.standard_normal((2, 48000)), -1.0, 1.0)  # noise, peaks at 0 dBFS
    >>> y = limit(x, 48000, ceiling_db=-1.0)
    >>> true_peak(y, 48000) <= -1.0 + 0.1
    True
    """
    return Limiter(**params)(audio, sample_rate)


limit.__signature__ = one_call_signature(Limiter, key=False)  # type: ignore[attr-defined]
