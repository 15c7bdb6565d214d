"""Streaming summaries of audio files for the report: peak envelopes, true-peak overs, gain traces.

Everything here reads files block by block (:func:`mezzo.io.blocks`) and keeps only
per-column or per-frame figures, so memory stays bounded however long the file: a
waveform of 2000 columns and a 20 ms energy grid (180 000 values for an hour).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from mezzo.errors import AudioFileError, AudioInputError

__all__ = ["GainTrace", "WaveformScan", "estimate_lag_s", "gain_trace", "match_openings", "scan_file"]

#: Samples per channel read at a time.
BLOCK_SAMPLES = 65536
#: Mean-square level under which a frame counts as silent for the gain trace (-70 dBFS).
_SILENT_MEAN_SQUARE = 10.0 ** (-70.0 / 10.0)


@dataclass(frozen=True, slots=True)
class WaveformScan:
    """Peak envelope, true peak per column and short-time energy of one file.

    Attributes
    ----------
    sample_rate : int, Hz
    channels : int
    duration_s : float, s
        Duration of the scanned part (after ``skip_s``).
    column_s : float, s
        Width of one envelope column.
    column_times_s : ndarray, shape (columns,)
        Start of each column, s.
    max_amplitude, min_amplitude : ndarray, shape (columns,)
        Largest and smallest sample value in each column over all channels (full scale 1).
    true_peak_dbtp : ndarray, shape (columns,)
        True peak (:mod:`mezzo.meters.peak`, 16x) in each column over all channels, dBTP;
        NaN for digital silence.
    frame_s : float, s
        Length of the energy frames.
    frame_mean_square : ndarray, shape (frames,)
        Mean square over the frame and the channels (full scale 1).
    """

    sample_rate: int
    channels: int
    duration_s: float
    column_s: float
    column_times_s: np.ndarray = field(repr=False)
    max_amplitude: np.ndarray = field(repr=False)
    min_amplitude: np.ndarray = field(repr=False)
    true_peak_dbtp: np.ndarray = field(repr=False)
    frame_s: float = 0.02
    frame_mean_square: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    def over_regions(self, threshold_dbtp: float) -> list[tuple[float, float]]:
        """Return ``(start_s, end_s)`` of runs of columns whose true peak exceeds ``threshold_dbtp``."""
        over = np.nan_to_num(self.true_peak_dbtp, nan=-np.inf) > threshold_dbtp
        if not over.any():
            return []
        edges = np.flatnonzero(np.diff(np.concatenate([[0], over.astype(np.int8), [0]])))
        starts, ends = edges[0::2], edges[1::2]
        return [
            (float(self.column_times_s[s]), min(self.duration_s, float(self.column_times_s[e - 1] + self.column_s)))
            for s, e in zip(starts, ends, strict=True)
        ]


def scan_file(
    path: str | os.PathLike[str],
    *,
    column_s: float,
    frame_s: float = 0.02,
    skip_s: float = 0.0,
) -> WaveformScan:
    """Scan a file once: peak envelope and true peak per column, mean square per frame.

    Parameters
    ----------
    path : str or path-like
        Audio file.
    column_s : float, > 0
        Width of an envelope column, s (rounded to whole samples, at least one).
    frame_s : float, > 0
        Length of an energy frame, s (rounded to whole samples).
    skip_s : float, >= 0
        Leave out this much audio at the start (to align a delayed file), s.

    Returns
    -------
    WaveformScan
    """
    from mezzo import io
    from mezzo.meters.peak import TruePeakMeter

    path = os.fspath(path)
    with io.blocks(path, block_samples=BLOCK_SAMPLES) as reader:
        rate = reader.info.sample_rate
        channels = reader.info.channels
        col = max(1, round(column_s * rate))
        frame = max(1, round(frame_s * rate))
        skip = max(0, round(skip_s * rate))
        meter = TruePeakMeter(channels)
        col_max: list[np.ndarray] = []
        col_min: list[np.ndarray] = []
        col_tp: list[float] = []
        energies: list[np.ndarray] = []
        carry = np.zeros((channels, 0))
        frame_carry = np.zeros((channels, 0))
        total = 0
        for block in reader:
            if not np.isfinite(block).all():
                raise AudioInputError(f"{path!r}: contains NaN or Inf samples — repair or re-export the file")
            if skip:
                cut = min(skip, block.shape[1])
                block = block[:, cut:]
                skip -= cut
                if block.shape[1] == 0:
                    continue
            total += block.shape[1]
            data = np.concatenate([carry, block], axis=1) if carry.shape[1] else block
            full = data.shape[1] // col
            if full:
                cols = data[:, : full * col].reshape(channels, full, col)
                col_max.append(cols.max(axis=(0, 2)))
                col_min.append(cols.min(axis=(0, 2)))
                for i in range(full):
                    meter.update(data[:, i * col : (i + 1) * col].T)
                    col_tp.append(float(meter.take().max()))
            carry = data[:, full * col :].copy()
            fdata = np.concatenate([frame_carry, block], axis=1) if frame_carry.shape[1] else block
            nf = fdata.shape[1] // frame
            if nf:
                sq = np.square(fdata[:, : nf * frame], dtype=np.float64)
                energies.append(sq.reshape(channels, nf, frame).mean(axis=(0, 2)))
            frame_carry = fdata[:, nf * frame :].copy()
    if total == 0:
        raise AudioInputError(f"{path!r}: contains no audio (0 samples) — check the export")
    # last partial column, then the interpolator's tail after the last sample
    if carry.shape[1]:
        col_max.append(carry.max(axis=1, keepdims=True).max(axis=0))
        col_min.append(carry.min(axis=1, keepdims=True).min(axis=0))
        meter.update(carry.T)
    last = float(meter.take(final=True).max())
    if carry.shape[1]:
        col_tp.append(last)
    elif col_tp:
        col_tp[-1] = max(col_tp[-1], last)
    tp = np.asarray(col_tp, dtype=np.float64)
    with np.errstate(divide="ignore"):
        tp_db = 20.0 * np.log10(tp)
    tp_db[~np.isfinite(tp_db)] = np.nan
    n_cols = tp.size
    return WaveformScan(
        sample_rate=rate,
        channels=channels,
        duration_s=total / rate,
        column_s=col / rate,
        column_times_s=np.arange(n_cols) * (col / rate),
        max_amplitude=np.concatenate(col_max).astype(np.float64),
        min_amplitude=np.concatenate(col_min).astype(np.float64),
        true_peak_dbtp=tp_db,
        frame_s=frame / rate,
        frame_mean_square=np.concatenate(energies) if energies else np.zeros(0),
    )


def _head_mono(path: str, seconds: float) -> tuple[np.ndarray, int]:
    """The mono mix of the first ``seconds`` of a file (at most that much is held)."""
    from mezzo import io

    parts: list[np.ndarray] = []
    with io.blocks(path, block_samples=BLOCK_SAMPLES) as reader:
        rate = reader.info.sample_rate
        want = max(1, round(seconds * rate))
        have = 0
        for block in reader:
            parts.append(block.mean(axis=0, dtype=np.float64)[: want - have])
            have += parts[-1].size
            if have >= want:
                break
    return (np.concatenate(parts) if parts else np.zeros(0)), rate


def estimate_lag_s(
    before: str | os.PathLike[str],
    after: str | os.PathLike[str],
    *,
    max_lag_s: float = 0.5,
    window_s: float = 30.0,
) -> float:
    """Delay of ``after`` relative to ``before``, s, by cross-correlation of their openings.

    Parameters
    ----------
    before, after : str or path-like
        The input and the processed file.
    max_lag_s : float, > 0
        Largest delay searched, either way, s.
    window_s : float, > 0
        How much of each file is compared (from the start), s.

    Returns
    -------
    float
        Positive when ``after`` is late (``after[t + lag] ~ g * before[t]``); 0.0 when the
        files do not correlate clearly (normalised peak under 0.3) or are silent. When the
        rates differ, ``after`` is resampled to the rate of ``before`` for this estimate.
    """
    lag_s, correlation = match_openings(before, after, max_lag_s=max_lag_s, window_s=window_s)
    return 0.0 if correlation is None or correlation < 0.3 else lag_s


def match_openings(
    before: str | os.PathLike[str],
    after: str | os.PathLike[str],
    *,
    max_lag_s: float = 0.5,
    window_s: float = 30.0,
) -> tuple[float, float | None]:
    """Best lag (s) of ``after`` against ``before`` and the normalised correlation there (0-1).

    The correlation is ``None`` when either opening is silent or too short to tell. A
    processed version of a recording (compressed, limited, mastered) correlates near 1; an
    unrelated file near 0 (see :func:`estimate_lag_s` for the parameters).
    """
    x, rate = _head_mono(os.fspath(before), window_s)
    y, rate_y = _head_mono(os.fspath(after), window_s)
    if rate_y != rate and y.size:
        import soxr

        y = soxr.resample(y, rate_y, rate)
    n = min(x.size, y.size)
    if n < 16:
        return 0.0, None
    x, y = x[:n], y[:n]
    norm = math.sqrt(float(np.dot(x, x)) * float(np.dot(y, y)))
    if norm == 0.0:
        return 0.0, None
    from scipy.signal import correlate

    corr = correlate(y, x, mode="full", method="fft")  # index k: lag k - (n - 1)
    max_lag = min(n - 1, round(max_lag_s * rate))
    centre = n - 1
    window = corr[centre - max_lag : centre + max_lag + 1]
    best = int(np.argmax(np.abs(window)))
    return (best - max_lag) / rate, float(abs(window[best]) / norm)


@dataclass(frozen=True, slots=True)
class GainTrace:
    """Gain of a processed file relative to its input over time.

    Attributes
    ----------
    times_s : ndarray, shape (frames,)
        Centre of each frame, s (on the time axis of the input).
    gain_db : ndarray, shape (frames,)
        ``10 log10(mean square after / mean square before)`` per frame, dB; NaN where the
        input frame is below -70 dBFS (nothing to compare).
    lag_s : float, s
        Delay of the processed file found by cross-correlation and compensated.
    frame_s : float, s
        Frame length.
    loudness_change_db : float or None
        Integrated loudness after minus before, LU (= dB of static gain), if known.
    """

    times_s: np.ndarray = field(repr=False)
    gain_db: np.ndarray = field(repr=False)
    lag_s: float = 0.0
    frame_s: float = 0.02
    loudness_change_db: float | None = None


def gain_trace(before: WaveformScan, after: WaveformScan, *, lag_s: float = 0.0) -> GainTrace:
    """Gain trace from two scans made on the same frame grid (``after`` scanned with ``skip_s``).

    Notes
    -----
    The processed file is compared with its input frame by frame (20 ms by default):
    ``gain_db = 10 log10(E_after / E_before)`` with ``E`` the mean square of the frame over
    all channels. For a processor that applies a slowly varying gain ``g(t)`` (compressor,
    limiter, normaliser) this is ``20 log10 g`` averaged over the frame, weighted by the
    input's energy. Filters (EQ) and added content show up as gain too. Any delay of the
    processed file is found first by cross-correlation (:func:`estimate_lag_s`) and skipped.
    """
    if abs(before.frame_s - after.frame_s) > 1e-3 * before.frame_s:
        raise AudioFileError(
            f"the files' frame grids differ ({before.frame_s * 1e3:.3f} ms vs {after.frame_s * 1e3:.3f} ms): "
            "compare files at sample rates that are multiples of 50 Hz"
        )
    n = min(before.frame_mean_square.size, after.frame_mean_square.size)
    e0 = before.frame_mean_square[:n]
    e1 = after.frame_mean_square[:n]
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = 10.0 * np.log10(e1 / e0)
    gain[(e0 < _SILENT_MEAN_SQUARE) | ~np.isfinite(gain)] = np.nan
    times = (np.arange(n) + 0.5) * before.frame_s
    return GainTrace(times_s=times, gain_db=gain, lag_s=float(lag_s), frame_s=before.frame_s)
