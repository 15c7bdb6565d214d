"""Sample peak and true peak: mezzo's definition of the true peak, its filters, and the meter.

**Definition.** A signal ``x[n]`` (silent before and after) stands for ``y(t) =
sum_n x[n] K(t - n)`` with the kernel ``K(u) = sinc(u) w(u)``: the ideal
band-limited interpolator, exact (``w = 1``) within ``KERNEL_FLAT = 40``
samples of its centre and tapered by a raised cosine to zero at ``KERNEL_HALF =
160``. Its frequency response is flat within 0.0023 dB up to 0.47 fs, -6 dB at
fs/2 and below -50 dB from 0.52 fs. The true peak is ``max |y(t)|``, read at every
1/16 of a sample (``y`` is computed at the half samples with ``K`` and
interpolated to 16x from that 2x sequence by a short filter, within 1e-4 of
``K``'s values; see :mod:`mezzo.kernels.true_peak`), and at least the sample
peak. Between two points of the 16x grid a peak can rise by at most 0.042 dB
(content at Nyquist; 0.007 dB at 0.2 fs).

This is an ITU-R BS.1770-4 Annex 2 true-peak meter: Annex 2 asks for at least 4x
oversampling with an interpolating low-pass and prints a 48-tap example filter
as a minimum. That example (4x, 12 taps per phase) reads the band near Nyquist
tenths of a dB low and misses the part of an inter-sample peak that comes from
samples more than 6 away (a ``sign(sinc)`` burst rings 10.8 dB above its
samples, and the Annex 2 filter reads 3.4 dB of it); a meter that reads low
calls files compliant that are not. The ideal sinc itself is not used because
content held at or just below Nyquist makes its reading grow without bound with
the content's length (its tail decays as ``1 / t``); every real reconstruction
filter is finite, as ``K`` is.

The same definition is the limiter's (:class:`mezzo.processors.Limiter`):
what it promises is what this meter reads.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mezzo._validate import check_audio, check_sample_rate
from mezzo.meters.fft_filter import overlap_save
from mezzo.units import gain_to_db

#: the kernel K: exact sinc within KERNEL_FLAT samples, raised-cosine taper to 0 at KERNEL_HALF
KERNEL_FLAT = 40
KERNEL_HALF = 160
#: values per sample of the true-peak grid
OVERSAMPLING = 16
#: the stage-2 interpolator (2x rate to 16x): taps and Kaiser beta of its windowed sinc
STAGE2_TAPS = 12
STAGE2_KAISER_BETA = 7.0
#: the cheap bound's near taps (second differences weighted one by one) reach this far
#: after ``x[j]``; the rest are bounded by their sum times the largest second difference
BOUND_NEAR_AHEAD = 20
BOUND_NEAR_TAPS = 39
#: inputs kept between blocks by the meter (an interval needs x[j - H - 2 .. j + H + 3])
_METER_HISTORY = 2 * KERNEL_HALF + 5
#: a whole signal's true peak: FFT size of the half-sample values' blocks, and windows of the
#: 2x sequence bounded (and computed where the bound says so) at once
_WHOLE_FFT = 1 << 14
_WHOLE_WINDOWS = 1 << 14


def kernel_window(u: np.ndarray) -> np.ndarray:
    """The window ``w(u)`` of the kernel at distance ``u`` (samples): 1 within
    ``KERNEL_FLAT``, a raised-cosine taper to 0 at ``KERNEL_HALF``."""
    a = np.abs(np.asarray(u, dtype=np.float64))
    v = np.clip((a - KERNEL_FLAT) / (KERNEL_HALF - KERNEL_FLAT), 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * v))


def interpolation_kernel(u: np.ndarray) -> np.ndarray:
    """The kernel ``K(u) = sinc(u) w(u)`` that defines mezzo's true peak (``K(0) = 1``,
    ``K(k) = 0`` at the other integers, 0 from ``KERNEL_HALF`` on)."""
    u = np.asarray(u, dtype=np.float64)
    return np.sinc(u) * kernel_window(u)


def kaiser_lowpass(taps: int, cutoff: float, beta: float) -> np.ndarray:
    """``scipy.signal.firwin(taps, cutoff, window=("kaiser", beta))`` in numpy (cut-off relative
    to Nyquist, unit gain at DC): importing ``scipy.signal`` costs a short file's CLI run ~1.3 s."""
    m = np.arange(taps) - 0.5 * (taps - 1)
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(taps, beta)
    return h / h.sum()


def half_sample_taps() -> np.ndarray:
    """``K(k + 1/2)`` for ``k = 0 .. KERNEL_HALF - 1`` (float64): the folded taps of the half-sample values."""
    return interpolation_kernel(np.arange(KERNEL_HALF) + 0.5)


def stage2_taps() -> np.ndarray:
    """The stage-2 interpolator (float64, shape (12, 7)): ``s[m, q - 1]`` weighs the ``m``-th of
    12 consecutive values of the 2x sequence for the position ``q / 8`` of the way from the 6th
    to the 7th (a Kaiser-windowed sinc at 16x, :func:`kaiser_lowpass`, beta 7, cut-off at the
    2x rate's Nyquist frequency)."""
    s2_up = OVERSAMPLING // 2
    proto = kaiser_lowpass(s2_up * STAGE2_TAPS + 1, 1.0 / s2_up, STAGE2_KAISER_BETA) * s2_up
    center = (proto.shape[0] - 1) // 2
    left = STAGE2_TAPS // 2 - 1  # the interval's left end is the 6th value
    q = np.arange(1, s2_up)
    m = np.arange(STAGE2_TAPS)[:, None]
    return proto[center + q - s2_up * (m - left)]


@lru_cache(maxsize=1)
def true_peak_filters() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float]:
    """The true-peak filters and the constants of their cheap bound.

    Returns ``half_t, s2p, s2m, q_near, q_far, c_bound``:

    - ``half_t`` (160,) float32: ``K(k + 1/2)`` for ``k = 0 .. 159``, the folded taps
      of the half-sample values ``Y[j] = sum_k K(k + 1/2) (x[j - k] + x[j + 1 + k])``;
    - ``s2p`` (6, 4), ``s2m`` (6, 3) float32: the stage-2 interpolator of the 2x
      sequence ``x[j], Y[j], x[j + 1], ...`` (a 97-tap Kaiser-windowed sinc at 16x,
      a Kaiser-windowed sinc as ``scipy.signal.firwin`` designs it (:func:`kaiser_lowpass`), beta 7, cut-off at the 2x rate's Nyquist frequency;
      ``s[m, q - 1]`` weighs the ``m``-th of 12 consecutive values for the position
      ``q / 8`` of the way from the 6th to the 7th), folded on its symmetry
      ``s[m, q] = s[11 - m, 8 - q]``: ``s2p[m, q - 1] = (s[m, q] + s[11 - m, q]) / 2``
      and ``s2m[m, q - 1] = (s[m, q] - s[11 - m, q]) / 2`` for ``q = 1, 2, 3``, and
      ``s2p[m, 3] = s[m, 4]``;
    - ``q_near`` (39,) float32, ``q_far``, ``c_bound``: every one of the 15
      fractional phases ``h`` of ``K`` at 16x (320 taps, ``x[j - 159 .. j + 160]``)
      is split exactly (a linear solve) as ``h = q * [1, -2, 1] + r0 delta[x[j + 1]]
      + r1 delta[x[j]]``; ``q_near[k]`` is the largest ``|q|`` over the phases at the
      second difference whose newest sample is ``x[j + 20 - k]``, ``q_far`` the
      largest sum of the other ``|q|``, ``c_bound`` the largest ``|r0| + |r1|``; so
      ``|h . x| <= c_bound max(|x[j]|, |x[j + 1]|) + sum_k q_near[k] |d2| + q_far
      max|d2|`` over the kernel's span (``d2`` the second differences).

    Designed once and cached: do not modify the arrays.
    """
    up = OVERSAMPLING
    half = KERNEL_HALF
    half_t = half_sample_taps()
    s2 = stage2_taps()
    mirror = s2[::-1]  # mirror[m, q - 1] = s[11 - m, q - 1]
    pairs = STAGE2_TAPS // 2
    s2p = np.empty((pairs, 4))
    s2m = np.empty((pairs, 3))
    s2p[:, :3] = 0.5 * (s2[:pairs, :3] + mirror[:pairs, :3])
    s2m[:, :3] = 0.5 * (s2[:pairs, :3] - mirror[:pairs, :3])
    s2p[:, 3] = s2[:pairs, 3]
    # the bound: phases p / 16 of K over x[j - 159 .. j + 160] (column i is x[j - 159 + i])
    taps = 2 * half
    offsets = np.arange(-half + 1, half + 1)
    rows = np.array([interpolation_kernel(p / up - offsets) for p in range(1, up)])
    system = np.zeros((taps, taps))
    for k in range(taps - 2):  # column k: d2 whose newest sample is x[j - 157 + k]
        system[k : k + 3, k] = (1.0, -2.0, 1.0)
    system[half, taps - 2] = 1.0  # x[j + 1]
    system[half - 1, taps - 1] = 1.0  # x[j]
    sol = np.linalg.solve(system, rows.T).T
    if not np.allclose(sol @ system.T, rows, rtol=0, atol=1e-12):  # pragma: no cover
        raise RuntimeError("true-peak bound: decomposition failed")
    q = np.abs(sol[:, : taps - 2])
    newest = np.arange(taps - 2) - (half - 3)  # offset of the newest sample of each d2 from j
    near = (newest <= BOUND_NEAR_AHEAD) & (newest > BOUND_NEAR_AHEAD - BOUND_NEAR_TAPS)
    q_near = q[:, near].max(axis=0)[::-1] * (1.0 + 1e-9)  # k = 0 is newest j + 20
    q_far = float(q[:, ~near].sum(axis=1).max()) * (1.0 + 1e-9)
    c_bound = float(np.abs(sol[:, taps - 2 :]).sum(axis=1).max()) * (1.0 + 1e-9)
    f32 = np.float32
    return half_t.astype(f32), s2p.astype(f32), s2m.astype(f32), q_near.astype(f32), q_far, c_bound


def whole_true_peaks(frames: np.ndarray) -> np.ndarray:
    """Linear true peak per channel of a complete signal shaped (samples, channels), in numpy.

    The definition of the streaming kernel (:mod:`mezzo.kernels.true_peak`) in float64
    instead of float32, with the signal silent before and after (the ringing on both
    sides included): the half-sample values ``Y`` by FFT convolution (overlap-save) of each
    channel with the 320 taps of ``K(. + 1/2)``, the 2x sequence ``x[j], Y[j], x[j + 1], ...``,
    and the 12-tap stage 2 between every two of its values that could hold the peak: a
    window's stage-2 values are at most ``max_q sum_m |s[m, q]|`` times the largest magnitude
    of its 12 values, so windows are visited by that bound from the largest down and skipped
    once it is below the peak found (an exact prune). Loads no numba: the short-file path of
    :meth:`mezzo.meters.loudness.LoudnessMeter.measure_whole`. Scratch memory is about 24
    bytes per sample (the 2x sequence and a float64 copy of one channel) plus fixed blocks.
    """
    n, channels = frames.shape
    peaks = np.zeros(channels)
    if n == 0:
        return peaks
    half_t = half_sample_taps()
    taps = np.concatenate([half_t[::-1], half_t])  # Y[i - H] = sum_e x[i - e] taps[e]
    reach = taps.shape[0] - 1
    spectrum = np.fft.rfft(taps, _WHOLE_FFT)
    s2 = stage2_taps()
    gain = float(np.abs(s2).sum(axis=0).max())
    rows = n + reach  # Y[-H .. n + H - 2]: every half-sample value that can be non-zero
    edge = STAGE2_TAPS // 2  # zero rows on each side: every window that reaches a non-zero value
    pairs = np.zeros((rows + 2 * edge, 2))
    sequence = pairs.ravel()  # the 2x sequence ..., x[j], Y[j], x[j + 1], ...
    windows = np.lib.stride_tricks.sliding_window_view(sequence, STAGE2_TAPS)  # row r: w[r .. r + 11]
    starts = range(0, windows.shape[0], _WHOLE_WINDOWS)
    for c in range(channels):
        x = np.asarray(frames[:, c], dtype=np.float64)
        pairs[edge + KERNEL_HALF : edge + KERNEL_HALF + n, 0] = x
        overlap_save(x, spectrum, reach, rows, out=pairs[edge : edge + rows, 1])
        best = max(float(sequence.max()), -float(sequence.min()))
        # chunks of windows from the largest bound down, each window only if its bound can beat the best
        spans = [sequence[r : r + _WHOLE_WINDOWS + STAGE2_TAPS - 1] for r in starts]
        tops = [max(float(span.max()), -float(span.min())) for span in spans]
        for top, r in sorted(zip(tops, starts, strict=True), reverse=True):
            if gain * top <= best:
                break
            chunk = windows[r : r + _WHOLE_WINDOWS]
            bound = gain * _running_max_12(np.abs(sequence[r : r + chunk.shape[0] + STAGE2_TAPS - 1]))
            hot = np.flatnonzero(bound > best)
            if hot.size:
                best = max(best, float(np.abs(chunk[hot] @ s2).max()))
        peaks[c] = best
    return peaks


def _running_max_12(a: np.ndarray) -> np.ndarray:
    """``out[r] = max(a[r .. r + 11])`` (a doubling ladder: four vectorised maxima)."""
    m2 = np.maximum(a[:-1], a[1:])
    m4 = np.maximum(m2[:-2], m2[2:])
    m8 = np.maximum(m4[:-4], m4[4:])
    return np.maximum(m8[: a.shape[0] - 11], m4[8 : a.shape[0] - 3])


class TruePeakMeter:
    """Streaming true-peak meter (linear peaks per channel, dBTP on request).

    Parameters
    ----------
    channels : int
        Number of channels of the blocks to come.

    Notes
    -----
    Intervals are computed a chunk of 32 at a time, and only where an upper bound
    (``c_bound max|x| + (sum q_near + q_far) max|d2|`` over the chunk and the
    kernel's span, see :func:`true_peak_filters`) could raise the peak found so
    far: on music most chunks are skipped.
    """

    def __init__(self, channels: int) -> None:
        self.channels = int(channels)
        self.reset()

    def reset(self) -> None:
        """Forget everything measured so far."""
        self._history = np.zeros((self.channels, _METER_HISTORY), dtype=np.float32)
        self._peaks = np.zeros(self.channels)
        self._work = np.zeros(0, dtype=np.float32)
        self._whole = False  # measured by measure_whole(): no streaming state to go on from

    def _run(self, block: np.ndarray, history: np.ndarray, peaks: np.ndarray) -> None:
        from mezzo.kernels.true_peak import METER_CHUNK, true_peak_update

        n = block.shape[0]
        if self._work.shape[0] < n + _METER_HISTORY:
            self._work = np.zeros(n + _METER_HISTORY, dtype=np.float32)
            self._scratch = (
                np.zeros(METER_CHUNK + 8, dtype=np.float32),
                np.zeros((12, METER_CHUNK + 6), dtype=np.float32),
                np.zeros(METER_CHUNK, dtype=np.float32),
                np.zeros(METER_CHUNK, dtype=np.float32),
                np.zeros(self._work.shape[0] // 32 + 2, dtype=np.float32),
            )
        # designed on first use (a linear solve): a whole signal measured in numpy does without
        half_t, s2p, s2m, q_near, q_far, c_bound = true_peak_filters()
        q_sum = float(q_near.astype(np.float64).sum()) * (1.0 + 1e-5) + q_far
        yb, sbuf, dbuf, best, bmax = self._scratch
        true_peak_update(
            block, half_t, s2p, s2m, c_bound, q_sum, history, peaks, self._work, yb, sbuf, dbuf, best, bmax
        )

    def update(self, block: np.ndarray) -> None:
        """Measure a block shaped (samples, channels) — the transposed view of (channels, samples)."""
        if self._whole:
            raise RuntimeError("the meter measured a whole signal (measure_whole()): call reset() first")
        if block.shape[0] == 0:
            return
        self._run(block, self._history, self._peaks)

    def measure_whole(self, block: np.ndarray) -> None:
        """Measure a complete signal shaped (samples, channels) on a fresh meter, in numpy.

        The same definition as :meth:`update` (:func:`whole_true_peaks`: float64 instead of
        float32, equal within 1e-4 dB) without loading numba; the ringing after the last
        sample is included. :meth:`update` must not follow (there is no streaming state):
        call :meth:`reset` first.
        """
        if self._whole or self._peaks.any() or self._history.any():
            raise RuntimeError("measure_whole() needs a fresh meter: call reset() first")
        self._peaks = whole_true_peaks(block)
        self._whole = True

    def peaks(self) -> np.ndarray:
        """Linear true peak per channel, including the kernel's ringing after the last sample."""
        peaks = self._peaks.copy()
        if not self._history.any():  # nothing left in the filter (or measured whole): no tail
            return peaks
        history = self._history.copy()
        self._run(np.zeros((_METER_HISTORY, self.channels), dtype=np.float32), history, peaks)
        return peaks

    def take(self, *, final: bool = False) -> np.ndarray:
        """Linear peak per channel since the last ``take`` (then forget it), for peaks by section.

        The interpolated values of an update are those of the intervals whose inputs
        have all arrived, so they lag the samples by the kernel's reach (163 samples);
        ``final=True`` adds the ringing after the last sample (the stream must end there).
        """
        if final and not self._whole:  # a whole signal's peaks hold its ringing already
            self._run(np.zeros((_METER_HISTORY, self.channels), dtype=np.float32), self._history, self._peaks)
        peaks = self._peaks.copy()
        self._peaks[:] = 0.0
        return peaks


def true_peak(audio: np.ndarray, sample_rate: int) -> float | None:
    """Return the true peak of ``audio`` in dBTP (``None`` for digital silence).

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        Float audio.
    sample_rate : int
        Sample rate in Hz (checked; the interpolation is in samples, rate-independent).

    Examples
    --------
    >>> import numpy as np
    >>> n = np.arange(48000)
    >>> fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 4800)  # 100 ms fades: no onset rings
    >>> x = 0.5 * np.sin(np.pi / 2 * n + np.pi / 4) * fade  # fs/4 sine, samples at most 0.354
    >>> round(true_peak(x, 48000), 2)  # its amplitude, -6.02 dBFS
    -6.02
    """
    check_sample_rate(sample_rate)
    audio2d = check_audio(audio)
    meter = TruePeakMeter(audio2d.shape[0])
    meter.update(audio2d.T)
    return gain_to_db(float(meter.peaks().max()))
