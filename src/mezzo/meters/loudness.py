"""Loudness per ITU-R BS.1770-4 and EBU R 128 (Tech 3341, Tech 3342).

One streaming pass gives integrated loudness, loudness range, momentary and
short-term loudness (series and maxima), sample peak and true peak.

Definitions
-----------
- K-weighting per BS.1770-4 for the actual sample rate (:mod:`mezzo.meters.kweighting`).
- Momentary loudness: 400 ms window; short-term: 3 s window (EBU Tech 3341).
  Series values at time ``t`` are the loudness of the window ending at ``t``,
  every ``hop_s`` from the first full window. Maxima are taken over every sample
  position of the window, not just the hop grid.
- Integrated loudness: 400 ms gating blocks every 100 ms (75 % overlap) from
  the start; absolute gate -70 LUFS, relative gate -10 LU (BS.1770-4 eqs. 1-7).
- Loudness range: 3 s short-term blocks every 100 ms, absolute gate -70 LUFS,
  relative gate -20 LU, spread from the 10th to the 95th percentile (Tech 3342).
- Bounded memory: gating and LRA use histograms of block loudness with 0.01 LU
  bins that keep a count and the exact energy sum per bin (as libebur128's
  histogram mode, plus the sums). Integrated loudness is exact except for blocks
  that fall in the same 0.01 LU bin as the relative gate; LRA percentiles are
  exact to within a bin (0.01 LU). Memory is independent of the input length,
  except for the series (two float64 values per hop).
- Any finite level is measured: the dense histograms cover -70 to +30 LUFS;
  louder blocks (float samples far beyond full scale) go, with the same 0.01 LU
  bins and exact sums, into sparse histograms whose size depends on the range
  of levels, not on the length. A loudness above :data:`ABSURD_LUFS` gets a
  :class:`LevelWarning`: such input is almost always integer samples saved as
  float without scaling.
- Undefined values (silence, input shorter than a window, nothing above the
  gates) are ``None``; series hold NaN for windows of digital silence.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mezzo._validate import check_audio, check_range, check_sample_rate
from mezzo.errors import AudioInputError, MezzoWarning, ParameterError
from mezzo.kernels import loudness as _k
from mezzo.meters.kweighting import k_weighting_sos
from mezzo.meters.layout import channel_weights
from mezzo.meters.peak import TruePeakMeter
from mezzo.results import to_dict
from mezzo.units import LOUDNESS_OFFSET_DB, energy_to_lufs, gain_to_db

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
LRA_PERCENTILES = (10.0, 95.0)
#: A window whose mean-square energy is at most this (-200.7 LUFS, 50 dB below the noise of
#: 24-bit PCM) is digital silence in the series: the filter's decaying tail after the music stops
#: (down to denormals) and the rounding of the FFT path (:meth:`LoudnessMeter.measure_whole`).
SILENT_ENERGY = 1e-20
#: Largest piece of a block handed to the kernels at once (bounds scratch memory).
CHUNK_SAMPLES = 1 << 16
#: Largest sample magnitude measured (2000 dB above full scale; int32 PCM tops at 2.1e9):
#: beyond it the energies of a window could overflow float64.
MAX_SAMPLE = 1e100
#: Loudness above which the input is taken for unscaled integer samples, LUFS. Integer PCM
#: read as float stays within ±1.0, which a K-weighted signal cannot take much past
#: +6 LUFS (a full-scale square wave near the shelf is about +3.5 LUFS).
ABSURD_LUFS = 20.0


class LevelWarning(MezzoWarning):
    """A level no real recording has: float samples far beyond full scale."""


@dataclass(frozen=True, slots=True)
class LoudnessResult:
    """Everything the loudness meter measures. ``None`` marks an undefined value."""

    integrated_lufs: float | None
    loudness_range_lu: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    sample_peak_dbfs: float | None
    true_peak_dbtp: float | None
    plr_db: float | None
    channel_sample_peak_dbfs: tuple[float | None, ...]
    channel_true_peak_dbtp: tuple[float | None, ...]
    duration_s: float
    sample_rate: int
    channels: int
    momentary_lufs: np.ndarray = field(repr=False)
    momentary_times_s: np.ndarray = field(repr=False)
    short_term_lufs: np.ndarray = field(repr=False)
    short_term_times_s: np.ndarray = field(repr=False)

    SERIES = ("momentary_lufs", "momentary_times_s", "short_term_lufs", "short_term_times_s")

    def to_dict(self, *, series: bool = False) -> dict[str, Any]:
        """Return a JSON-ready dict; the time series only when ``series=True``."""
        return to_dict(self, exclude=() if series else self.SERIES)


class LoudnessMeter:
    """Streaming BS.1770-4 / EBU R 128 meter.

    Feed blocks with :meth:`update`; call :meth:`result` at any time (it does
    not end the stream). Memory stays bounded however long the stream.

    Parameters
    ----------
    sample_rate : int, 8000 to 384000
        Sample rate in Hz.
    channels : int, 1 to 64
        Channel count of every block.
    layout : str, optional
        Channel layout for the BS.1770-4 channel weights; see
        :func:`mezzo.meters.layout.channel_weights`.
    hop_s : float, 0.01 to 10, multiple of 0.01
        Spacing of the momentary and short-term series in seconds.
    true_peak : bool
        Measure true peak (:mod:`mezzo.meters.peak`, 16x); ``False`` saves time.

    Examples
    --------
    >>> import numpy as np
    >>> meter = LoudnessMeter(48000, 2)
    >>> t = np.arange(48000 * 5) / 48000
    >>> tone = np.tile(10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t), (2, 1))
    >>> for start in range(0, tone.shape[1], 4096):
    ...     meter.update(tone[:, start:start + 4096])
    >>> round(meter.result().integrated_lufs, 1)
    -23.0
    """

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        *,
        layout: str | None = None,
        hop_s: float = 0.1,
        true_peak: bool = True,
    ) -> None:
        self.sample_rate = check_sample_rate(sample_rate)
        self.channels = int(check_range("channels", channels, 1, 64))
        self.layout = layout
        self.hop_s = check_range("hop_s", hop_s, 0.01, 10.0, "s")
        hop_sub = round(self.hop_s * _k.SUB_BLOCKS_PER_S)
        if abs(hop_sub - self.hop_s * _k.SUB_BLOCKS_PER_S) > 1e-6:
            raise ParameterError(f"hop_s={hop_s!r} is not a multiple of 0.01 s: use e.g. 0.01, 0.05 or 0.1")
        self._hop_sub = int(hop_sub)
        self.true_peak = bool(true_peak)
        self._weights = np.array(channel_weights(self.channels, layout), dtype=np.float64)
        sos = k_weighting_sos(self.sample_rate)
        self._coef = np.array([*sos[0, :3], *sos[0, 4:], *sos[1, :3], *sos[1, 4:]], dtype=np.float64)
        self._window_m = self.sample_rate * 4 // 10
        self._window_s = self.sample_rate * 3
        self._tp = TruePeakMeter(self.channels) if self.true_peak else None
        self.reset()

    def reset(self) -> None:
        """Forget everything measured so far (keeps the configuration)."""
        self._filt = np.zeros((self.channels, 4))
        self._ring = np.zeros(self._window_s)
        self._sub_ring = np.zeros(_k.SHORT_TERM_SUB_BLOCKS)
        self._hist_gate = np.zeros((2, _k.HIST_BINS))
        self._hist_short = np.zeros((2, _k.HIST_BINS))
        self._over_gate: dict[int, list[float]] = {}  # sparse bins above the dense top
        self._over_short: dict[int, list[float]] = {}
        self._over_buf = np.zeros((2, 0))
        self._warned = False
        self._istate = np.zeros(_k.I_SIZE, dtype=np.int64)
        self._istate[_k.I_RING_POS_M] = self._window_s - self._window_m
        self._fstate = np.zeros(_k.F_SIZE)
        self._peaks = np.zeros(self.channels)
        self._series: list[np.ndarray] = []
        self._series_buf = np.zeros((0, 3))
        self._whole = False  # measured by measure_whole(): no streaming state to go on from
        if self._tp is not None:
            self._tp.reset()

    @property
    def samples_seen(self) -> int:
        """Number of samples per channel measured so far."""
        return int(self._istate[_k.I_SAMPLES])

    def update(self, block: np.ndarray) -> None:
        """Measure the next block, shaped (channels, samples) or (samples,) for mono.

        Raises
        ------
        AudioInputError
            For NaN/Inf samples or samples beyond :data:`MAX_SAMPLE`, or a channel
            count that differs from the meter's.
        """
        if self._whole:
            raise RuntimeError("the meter measured a whole signal (measure_whole()): call reset() first")
        block2d = check_audio(block, name="block", allow_empty=True)
        if block2d.shape[0] != self.channels:
            hint = " (pass block.T: mezzo expects (channels, samples))" if block2d.shape[1] == self.channels else ""
            raise AudioInputError(
                f"block has {block2d.shape[0]} channel(s), the meter was made for {self.channels}{hint}"
            )
        # Long arrays go through in chunks so scratch buffers stay small; the kernels keep
        # their whole state between calls, so the result does not depend on the split.
        for start in range(0, block2d.shape[1], CHUNK_SAMPLES):
            self._update_chunk(block2d[:, start : start + CHUNK_SAMPLES].T)
        if block2d.size and self._peaks.max() > MAX_SAMPLE:
            raise AudioInputError(
                f"block holds samples up to ±{self._peaks.max():.3g}, beyond any audio level "
                "(integer PCM stays within ±2.1e9): scale the samples to ±1.0"
            )

    def _update_chunk(self, frames: np.ndarray) -> None:
        """Run the kernels on ``frames`` shaped (samples, channels) (any memory layout)."""
        rows_max = frames.shape[0] // max(1, self.sample_rate * self._hop_sub // 100) + 2
        if self._series_buf.shape[0] < rows_max:
            self._series_buf = np.zeros((rows_max, 3))
        steps_max = frames.shape[0] // max(1, self.sample_rate // 10) + 2  # 100 ms gating steps
        if self._over_buf.shape[1] < steps_max:
            self._over_buf = np.zeros((2, steps_max))
        rows = _k.loudness_block(
            frames, self._weights, self._coef, self._filt, self._ring, self._sub_ring,
            self._hist_gate, self._hist_short, self._over_buf[0], self._over_buf[1],
            self._istate, self._fstate, self._peaks,
            self._series_buf, self.sample_rate, self._window_m, self._hop_sub,
        )
        if rows:
            self._series.append(self._series_buf[:rows].copy())
        for row, counter, sparse in ((0, _k.I_OVER_GATE, self._over_gate), (1, _k.I_OVER_SHORT, self._over_short)):
            if self._istate[counter]:
                _add_sparse(sparse, self._over_buf[row, : self._istate[counter]])
                self._istate[counter] = 0
        if self._tp is not None:
            self._tp.update(frames)

    def measure_whole(self, audio: np.ndarray) -> None:
        """Measure a complete signal at once: the loudness in numpy, without the loudness kernels.

        The fast path for a short file measured on its own (see
        :mod:`mezzo.meters.whole_signal`); the results equal :meth:`update`'s to within float
        rounding. The true peak, when measured, is the streaming meter's definition in numpy
        too (:meth:`~mezzo.meters.peak.TruePeakMeter.measure_whole`), so no numba is loaded.
        The meter must be fresh (or :meth:`reset`), and :meth:`update` refuses to go
        on afterwards: the kernels' streaming state is not filled in.

        Examples
        --------
        >>> import numpy as np
        >>> t = np.arange(48000 * 5) / 48000
        >>> meter = LoudnessMeter(48000, 1)
        >>> meter.measure_whole(0.1 * np.sin(2 * np.pi * 997 * t))
        >>> round(meter.result().integrated_lufs, 1)
        -23.0
        """
        from mezzo.meters import whole_signal

        if self.samples_seen or self._whole:
            raise RuntimeError("measure_whole() needs a fresh meter: call reset() first")
        audio2d = check_audio(audio, name="audio")
        if audio2d.shape[0] != self.channels:
            raise AudioInputError(f"audio has {audio2d.shape[0]} channel(s), the meter was made for {self.channels}")
        frames = audio2d.T
        done = whole_signal.measure(frames, self._weights, k_weighting_sos(self.sample_rate), self.sample_rate, self._hop_sub)
        if done.peaks.max(initial=0.0) > MAX_SAMPLE:
            raise AudioInputError(
                f"audio holds samples up to ±{done.peaks.max():.3g}, beyond any audio level "
                "(integer PCM stays within ±2.1e9): scale the samples to ±1.0"
            )
        for hist, sparse, energies in (
            (self._hist_gate, self._over_gate, done.gate_energies),
            (self._hist_short, self._over_short, done.short_energies),
        ):
            above = whole_signal.histogram_add(hist, energies)
            if above.size:
                _add_sparse(sparse, above)
        self._peaks[:] = done.peaks
        self._istate[_k.I_SAMPLES] = done.samples
        self._istate[_k.I_SUB] = done.sub_blocks
        self._fstate[_k.F_MAX_M] = done.max_momentary
        self._fstate[_k.F_MAX_S] = done.max_short
        if done.series.size:
            self._series.append(done.series)
        if self._tp is not None:
            self._tp.measure_whole(frames)
        self._whole = True

    def _histograms(self) -> tuple[Histogram, Histogram]:
        """The gating and short-term histograms as sorted sparse (bins, counts, sums)."""
        return _sparse(self._hist_gate, self._over_gate), _sparse(self._hist_short, self._over_short)

    def result(self) -> LoudnessResult:
        """Return the measurements so far (the stream may go on afterwards).

        Warns (:class:`LevelWarning`, once per meter) when the loudness passes
        :data:`ABSURD_LUFS`.
        """
        gate, short = self._histograms()
        integrated = _gated_integrated(gate)
        lra = _loudness_range(short)
        max_m = self._fstate[_k.F_MAX_M] / self._window_m
        max_s = self._fstate[_k.F_MAX_S] / self._window_s
        n = self.samples_seen
        sample_peaks = tuple(gain_to_db(float(p)) for p in self._peaks)
        if self._tp is not None:
            tp_lin = np.maximum(self._tp.peaks(), self._peaks)
            channel_tp = tuple(gain_to_db(float(p)) for p in tp_lin)
            true_peak = gain_to_db(float(tp_lin.max()))
        else:
            channel_tp = (None,) * self.channels
            true_peak = None
        momentary, short_term, times, has_s = self._series_arrays()
        loudest = energy_to_lufs(max_m) if n >= self._window_m else integrated
        if loudest is not None and loudest > ABSURD_LUFS and not self._warned:
            self._warned = True
            _warn_absurd(loudest, float(self._peaks.max()))
        return LoudnessResult(
            integrated_lufs=integrated,
            loudness_range_lu=lra,
            momentary_max_lufs=energy_to_lufs(max_m) if n >= self._window_m else None,
            short_term_max_lufs=energy_to_lufs(max_s) if n >= self._window_s else None,
            sample_peak_dbfs=gain_to_db(float(self._peaks.max())),
            true_peak_dbtp=true_peak,
            plr_db=None if true_peak is None or integrated is None else true_peak - integrated,
            channel_sample_peak_dbfs=sample_peaks,
            channel_true_peak_dbtp=channel_tp,
            duration_s=n / self.sample_rate,
            sample_rate=self.sample_rate,
            channels=self.channels,
            momentary_lufs=momentary,
            momentary_times_s=times,
            short_term_lufs=short_term[has_s],
            short_term_times_s=times[has_s],
        )

    def _series_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Momentary LUFS, short-term LUFS, times (s) and the mask of full short-term windows."""
        rows = np.concatenate(self._series) if self._series else np.zeros((0, 3))
        sub = rows[:, 0].astype(np.int64)
        times = (sub * self.sample_rate // _k.SUB_BLOCKS_PER_S) / self.sample_rate
        short_full = rows[:, 2] >= 0.0
        return _energy_to_lufs_array(rows[:, 1]), _energy_to_lufs_array(rows[:, 2]), times, short_full


def _energy_to_lufs_array(energy: np.ndarray) -> np.ndarray:
    """LUFS of mean-square energies; NaN for silence (:data:`SILENT_ENERGY` or less) or no window (negative)."""
    out = np.full(energy.shape, np.nan)
    positive = energy > SILENT_ENERGY
    out[positive] = LOUDNESS_OFFSET_DB + 10.0 * np.log10(energy[positive])
    return out


#: A histogram as sorted arrays: bin index (0.01 LU from -70 LUFS), block count, energy sum.
Histogram = tuple[np.ndarray, np.ndarray, np.ndarray]


def _bin_of(lufs: float) -> int:
    return int(np.floor((lufs - _k.HIST_FLOOR_LUFS) * _k.HIST_BINS_PER_LU))


def _add_sparse(sparse: dict[int, list[float]], energies: np.ndarray) -> None:
    """Count block energies above the dense histograms' top into 0.01 LU sparse bins."""
    position = (LOUDNESS_OFFSET_DB + 10.0 * np.log10(energies) - _k.HIST_FLOOR_LUFS) * _k.HIST_BINS_PER_LU
    bins = np.floor(np.minimum(position, 2.0**53)).astype(np.int64)  # an infinite energy gets the top bin
    for b, e in zip(bins.tolist(), energies.tolist(), strict=True):
        entry = sparse.setdefault(max(b, _k.HIST_BINS), [0.0, 0.0])
        entry[0] += 1.0
        entry[1] += e


def _sparse(dense: np.ndarray, over: dict[int, list[float]]) -> Histogram:
    """The non-empty bins of a dense histogram followed by the overflow bins, in bin order."""
    counts, sums = dense
    bins = np.flatnonzero(counts)
    if not over:
        return bins, counts[bins], sums[bins]
    extra = sorted(over)
    return (
        np.concatenate([bins, np.array(extra, dtype=bins.dtype)]),
        np.concatenate([counts[bins], [over[b][0] for b in extra]]),
        np.concatenate([sums[bins], [over[b][1] for b in extra]]),
    )


def _merge(histograms: Sequence[Histogram]) -> Histogram:
    """The sum of several sparse histograms (an album measured as one programme)."""
    bins = np.concatenate([h[0] for h in histograms])
    unique, where = np.unique(bins, return_inverse=True)
    counts = np.bincount(where, weights=np.concatenate([h[1] for h in histograms]), minlength=unique.size)
    sums = np.bincount(where, weights=np.concatenate([h[2] for h in histograms]), minlength=unique.size)
    return unique, counts, sums


def _warn_absurd(loudness_lufs: float, peak: float) -> None:
    import warnings

    warnings.warn(
        f"the loudness reaches {loudness_lufs:+.1f} LUFS and the samples ±{peak:.4g} "
        f"({gain_to_db(peak):+.1f} dBFS), far beyond full scale (±1.0): these are likely integer "
        "samples saved as float without scaling — divide them by 32768 (16-bit) or 8388608 "
        "(24-bit), or export the file again",
        LevelWarning,
        stacklevel=3,
    )


def _gated_integrated(hist: Histogram) -> float | None:
    """Integrated loudness from the gating-block histogram (BS.1770-4 eqs. 5-7)."""
    _, counts, sums = hist
    total = counts.sum()
    if total == 0:
        return None
    relative_gate = energy_to_lufs(sums.sum() / total) + RELATIVE_GATE_LU  # eq. (6)
    keep = _above(hist, relative_gate)
    kept = counts[keep].sum()
    return energy_to_lufs(sums[keep].sum() / kept) if kept else None  # eq. (7)


def _above(hist: Histogram, gate_lufs: float) -> np.ndarray:
    """Mask of histogram bins whose blocks lie above ``gate_lufs``.

    Bins wholly above the gate count; the bin that contains the gate counts
    when the mean loudness of its blocks is above it.
    """
    bins, counts, sums = hist
    gate_bin = _bin_of(gate_lufs)
    keep = bins > gate_bin
    at = bins == gate_bin
    if at.any():
        keep[at] = energy_to_lufs(float(sums[at][0] / counts[at][0])) > gate_lufs
    return keep


def _loudness_range(hist: Histogram) -> float | None:
    """Loudness range (EBU Tech 3342) from the short-term block histogram."""
    _, counts, sums = hist
    total = counts.sum()
    if total == 0:
        return None
    relative_gate = energy_to_lufs(sums.sum() / total) + LRA_RELATIVE_GATE_LU
    keep = _above(hist, relative_gate)
    kept_counts = counts[keep]
    if kept_counts.sum() == 0:
        return None
    # Representative loudness of each bin: the loudness of its mean energy (exact for equal blocks).
    values = LOUDNESS_OFFSET_DB + 10.0 * np.log10(sums[keep] / kept_counts)
    low, high = (_histogram_percentile(values, kept_counts, q) for q in LRA_PERCENTILES)
    return float(high - low)


def _histogram_percentile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """Percentile with linear interpolation between order statistics (numpy's default)."""
    cumulative = np.cumsum(counts)
    rank = (cumulative[-1] - 1) * q / 100.0
    lower = int(np.floor(rank))
    frac = rank - lower
    v_lower = values[np.searchsorted(cumulative, lower + 1)]
    v_upper = values[np.searchsorted(cumulative, min(lower + 2, cumulative[-1]))]
    return float(v_lower + (v_upper - v_lower) * frac)


def combined_loudness(meters: Sequence[LoudnessMeter]) -> tuple[float | None, float | None]:
    """Integrated loudness (LUFS) and loudness range (LU) of several streams as one programme.

    BS.1770-4 gating depends only on the multiset of block energies, which each meter keeps
    as a histogram; the histograms of several meters add up, so an album is measured as
    one programme without the blocks that would straddle two tracks. The meters are not
    modified and may have different sample rates and channel counts.
    """
    meters = list(meters)
    if not meters:
        raise ParameterError("meters is empty: pass at least one LoudnessMeter")
    histograms = [m._histograms() for m in meters]
    gate = _merge([h[0] for h in histograms])
    short = _merge([h[1] for h in histograms])
    return _gated_integrated(gate), _loudness_range(short)


def loudness(
    audio: np.ndarray | str | os.PathLike[str],
    sample_rate: int | None = None,
    *,
    layout: str | None = None,
    hop_s: float = 0.1,
    true_peak: bool = True,
) -> LoudnessResult:
    """Measure loudness, loudness range and peaks of a whole signal, or of an audio file.

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,); or a path
        Float audio (float32 or float64), full scale 1.0; or an audio file, streamed
        (as ``mezzo.analyze(path, dynamics=False).loudness``).
    sample_rate : int, 8000 to 384000
        Sample rate in Hz; required for arrays, taken from the file for paths.
    layout, hop_s, true_peak
        As for :class:`LoudnessMeter`.

    Returns
    -------
    LoudnessResult

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 10) / 48000
    >>> tone = np.tile(10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t), (2, 1))
    >>> res = loudness(tone, 48000)
    >>> round(res.integrated_lufs, 1), round(res.true_peak_dbtp, 1)
    (-23.0, -23.0)

    A file works too: ``loudness("mix.wav").integrated_lufs``.
    """
    if isinstance(audio, (str, os.PathLike)):
        if not true_peak:
            raise ParameterError("true_peak=False is for arrays: a file is measured with its true peak")
        from mezzo.analysis import analyze

        return analyze(audio, sample_rate, layout=layout, hop_s=hop_s).loudness
    if sample_rate is None:
        raise ParameterError("sample_rate is required for an array (a file carries its own): loudness(audio, 48000)")
    audio2d = check_audio(audio)
    meter = LoudnessMeter(sample_rate, audio2d.shape[0], layout=layout, hop_s=hop_s, true_peak=true_peak)
    meter.update(audio2d)
    return meter.result()
