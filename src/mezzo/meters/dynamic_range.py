"""Dynamic-range figures: crest factor, PLR, PSR, the TT/Pleasurize DR score, dynamic complexity.

Definitions
-----------
- ``crest_factor_db``: sample peak over RMS of the whole signal, all channels pooled:
  ``20 log10(max |x|) - 10 log10(mean(x**2))``. A full-scale sine gives 3.01 dB.
- ``plr_db``: peak-to-loudness ratio, true peak (dBTP) minus integrated loudness (LUFS).
- ``psr_median_db`` / ``psr_min_db``: peak-to-short-term-loudness ratio. For every
  short-term window (3 s, every ``hop_s``) the largest true peak inside the window
  (mezzo's true peak, :mod:`mezzo.meters.peak`, per 100 ms piece) minus the window's short-term
  loudness; median and minimum over the windows above -70 LUFS and within 20 LU of the
  loudest window (the LRA gates of EBU Tech 3342, so fades and silence do not count).
- ``dr_score``: the TT / Pleasurize Music Foundation "DR" figure (the algorithm of the
  TT DR Offline Meter and the foobar2000 DR Meter). Each channel is cut into
  consecutive 3 s blocks (a last partial block counts). For each block: peak
  ``max |x|`` and RMS ``sqrt(2 * mean(x**2))`` (the factor 2 makes a sine's RMS equal
  its peak). Per channel: RMS of the loudest 20 % of blocks by RMS
  (``sqrt(mean(rms_i**2))`` over the top ``max(1, round(0.2 n))`` blocks), and the
  *second*-largest block peak (the largest if there is only one block);
  ``DR_ch = 20 log10(peak_2nd / rms_top20)``. ``dr_score`` is the mean over channels
  rounded to an integer; ``dr_db`` keeps the unrounded value.
- ``dynamic_complexity_db``: Streich (2007), *Music complexity: a multi-faceted
  description of audio content*, as implemented in Essentia's ``DynamicComplexity``:
  the mono mix is high-passed by the one-pole filter ``(0.98595 - 0.98595 z^-1) /
  (1 - 0.9719 z^-1)`` (a cheap B-curve stand-in, coefficients for 44.1 kHz used at every
  rate), squared, smoothed by a one-pole averager with a 35 ms time constant and read
  every 200 ms (``V_dB = 10 log10(max(V, 1e-9))``); silent frames (-90 dB) at the start
  and end are dropped; the global level is a weighted mean with weights ``0.9**(-V_dB)``
  (loud frames count more); the complexity is the mean absolute deviation of ``V_dB``
  from that level, in dB.

Undefined values (silence, input shorter than a window) are ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo._validate import check_audio, check_sample_rate
from mezzo.meters.peak import TruePeakMeter
from mezzo.results import to_dict

__all__ = ["DynamicRangeMeter", "DynamicRangeResult", "dynamic_range"]

DR_BLOCK_S = 3.0
DR_TOP_FRACTION = 0.2
COMPLEXITY_FRAME_S = 0.2
PSR_CHUNK_S = 0.1


@dataclass(frozen=True, slots=True)
class DynamicRangeResult:
    """Dynamic-range figures of a signal (see the module notes); ``None`` when undefined."""

    crest_factor_db: float | None
    plr_db: float | None
    psr_median_db: float | None
    psr_min_db: float | None
    dr_score: int | None
    dr_db: float | None
    dynamic_complexity_db: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``psr_db`` holds ``{"median": ..., "min": ...}`` as well."""
        out = to_dict(self)
        out["psr_db"] = {"median": out["psr_median_db"], "min": out["psr_min_db"]}
        return out


class DynamicRangeMeter:
    """Streaming accumulator of the dynamic-range figures (bounded memory).

    Memory grows by a few numbers per second of audio (3 s DR blocks, 0.2 s complexity
    frames, 0.1 s true-peak pieces), about 100 kB per hour.

    Parameters
    ----------
    sample_rate : int, 8000 to 384000
        Sample rate in Hz.
    channels : int, >= 1
        Channel count of every block.
    """

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = check_sample_rate(sample_rate)
        self.channels = int(channels)
        self._dr_block = round(DR_BLOCK_S * self.sample_rate)
        self._frame = math.floor(COMPLEXITY_FRAME_S * self.sample_rate)
        c = math.exp(-1.0 / (0.035 * self.sample_rate))
        self._c = c
        self._frame_weights = c ** np.arange(self._frame - 1, -1, -1, dtype=np.float64)
        self._decay = c**self._frame
        self.reset()

    def reset(self) -> None:
        """Forget everything measured so far."""
        ch = self.channels
        self._n = 0
        self._sum_sq = 0.0
        self._peak = 0.0
        # DR blocks: current partial block sums, then finished blocks.
        self._dr_cur_sq = np.zeros(ch)
        self._dr_cur_peak = np.zeros(ch)
        self._dr_cur_n = 0
        self._dr_sq: list[np.ndarray] = []
        self._dr_peak: list[np.ndarray] = []
        self._dr_len: list[int] = []
        # Dynamic complexity: high-pass state, pending samples, smoother, frame levels.
        self._hp_x1 = 0.0
        self._hp_y1 = 0.0
        self._pending = np.zeros(0)
        self._vms = 0.0
        self._vdb: list[np.ndarray] = []
        # PSR: true peak per 100 ms piece.
        self._tp = TruePeakMeter(ch)
        self._chunk_index = 0
        self._chunk_pos = 0
        self._chunk_peaks: list[float] = []

    def update(self, block: np.ndarray) -> None:
        """Measure the next block, shaped (channels, samples) or (samples,) for mono."""
        x = check_audio(block, name="block", allow_empty=True).astype(np.float64, copy=False)
        n = x.shape[1]
        if n == 0:
            return
        self._n += n
        self._sum_sq += float(np.einsum("ij,ij->", x, x))
        self._peak = max(self._peak, float(np.abs(x).max()))
        self._update_dr(x)
        self._update_complexity(x.mean(axis=0))
        self._update_psr(x)

    def _update_dr(self, x: np.ndarray) -> None:
        pos = 0
        n = x.shape[1]
        while pos < n:
            take = min(n - pos, self._dr_block - self._dr_cur_n)
            piece = x[:, pos : pos + take]
            self._dr_cur_sq += np.einsum("ij,ij->i", piece, piece)
            np.maximum(self._dr_cur_peak, np.abs(piece).max(axis=1), out=self._dr_cur_peak)
            self._dr_cur_n += take
            pos += take
            if self._dr_cur_n == self._dr_block:
                self._close_dr_block()

    def _close_dr_block(self) -> None:
        self._dr_sq.append(self._dr_cur_sq.copy())
        self._dr_peak.append(self._dr_cur_peak.copy())
        self._dr_len.append(self._dr_cur_n)
        self._dr_cur_sq[:] = 0.0
        self._dr_cur_peak[:] = 0.0
        self._dr_cur_n = 0

    def _update_complexity(self, mono: np.ndarray) -> None:
        from mezzo.kernels.dynamics import one_pole_filter

        # Essentia starts the filter with y[0] = b0 x[0] (zero initial state); the state
        # (x[-1], y[-1]) carries over between blocks
        state = np.array([self._hp_x1, self._hp_y1])
        y = np.empty(mono.size)
        one_pole_filter(np.ascontiguousarray(mono, dtype=np.float64), 0.98595, -0.98595, -0.9719, state, y)
        self._hp_x1, self._hp_y1 = float(state[0]), float(state[1])
        sq = np.concatenate([self._pending, y * y])
        frames = sq.size // self._frame
        if frames:
            inner = sq[: frames * self._frame].reshape(frames, self._frame) @ self._frame_weights
            vms = np.empty(frames)
            v = self._vms
            for i in range(frames):  # frames are 200 ms: a few per block
                v = self._decay * v + (1.0 - self._c) * inner[i]
                vms[i] = v
            self._vms = v
            self._vdb.append(10.0 * np.log10(np.maximum(vms, 1e-9)))
        self._pending = sq[frames * self._frame :]

    def _update_psr(self, x: np.ndarray) -> None:
        n = x.shape[1]
        pos = 0
        while pos < n:
            end_of_chunk = round((self._chunk_index + 1) * PSR_CHUNK_S * self.sample_rate)
            take = min(n - pos, end_of_chunk - self._chunk_pos)
            self._tp.update(x[:, pos : pos + take].T)
            pos += take
            self._chunk_pos += take
            if self._chunk_pos == end_of_chunk:
                # mezzo's true peak of the piece (its values lag the samples by 163: 3.4 ms at 48 kHz)
                self._chunk_peaks.append(float(self._tp.take().max()))
                self._chunk_index += 1

    # ------------------------------------------------------------------ results

    def chunk_true_peaks(self) -> np.ndarray:
        """Linear true peak of every finished 100 ms piece, all channels."""
        return np.array(self._chunk_peaks, dtype=np.float64)

    def result(self, loudness: Any = None) -> DynamicRangeResult:
        """Return the figures; ``loudness`` (a :class:`~mezzo.meters.loudness.LoudnessResult`
        of the same audio) supplies integrated and short-term loudness for PLR and PSR."""
        crest = None
        if self._n and self._sum_sq > 0 and self._peak > 0:
            mean_sq = self._sum_sq / (self._n * self.channels)
            crest = 20.0 * math.log10(self._peak) - 10.0 * math.log10(mean_sq)
        plr = psr_med = psr_min = None
        if loudness is not None:
            plr = loudness.plr_db
            psr_med, psr_min = self._psr(loudness)
        dr_db = self._dr()
        return DynamicRangeResult(
            crest_factor_db=crest,
            plr_db=plr,
            psr_median_db=psr_med,
            psr_min_db=psr_min,
            dr_score=None if dr_db is None else round(dr_db),
            dr_db=dr_db,
            dynamic_complexity_db=self._complexity(),
        )

    def _dr(self) -> float | None:
        sq = list(self._dr_sq)
        peaks = list(self._dr_peak)
        lens = list(self._dr_len)
        if self._dr_cur_n:
            sq.append(self._dr_cur_sq.copy())
            peaks.append(self._dr_cur_peak.copy())
            lens.append(self._dr_cur_n)
        if not sq:
            return None
        rms = np.sqrt(2.0 * np.array(sq) / np.array(lens, dtype=np.float64)[:, None])  # (blocks, ch)
        pk = np.array(peaks)
        top = max(1, round(DR_TOP_FRACTION * rms.shape[0]))
        values = []
        for ch in range(rms.shape[1]):
            loud = np.sort(rms[:, ch])[::-1][:top]
            rms20 = math.sqrt(float(np.mean(loud**2)))
            sorted_peaks = np.sort(pk[:, ch])[::-1]
            peak2 = sorted_peaks[1] if sorted_peaks.size > 1 else sorted_peaks[0]
            if rms20 <= 0 or peak2 <= 0:
                continue
            values.append(20.0 * math.log10(peak2 / rms20))
        return float(np.mean(values)) if values else None

    def _complexity(self) -> float | None:
        if not self._vdb:
            return None
        vdb = np.concatenate(self._vdb)
        sounding = np.flatnonzero(vdb > -90.0)
        if sounding.size == 0:
            return None
        vdb = vdb[sounding[0] : sounding[-1] + 1]
        # weights 0.9**(-VdB), normalised; computed in the log domain to avoid overflow
        logw = -vdb * math.log(0.9)
        w = np.exp(logw - logw.max())
        level = float(np.sum(w * vdb) / np.sum(w))
        return float(np.mean(np.abs(vdb - level)))

    def _psr(self, loudness: Any) -> tuple[float | None, float | None]:
        st = np.asarray(loudness.short_term_lufs, dtype=np.float64)
        times = np.asarray(loudness.short_term_times_s, dtype=np.float64)
        peaks = self.chunk_true_peaks()
        if self._chunk_pos > round(self._chunk_index * PSR_CHUNK_S * self.sample_rate):
            peaks = np.append(peaks, self._tp.peaks().max())  # the unfinished piece (since the last take)
        ok = np.isfinite(st) & (st > -70.0)
        if not ok.any() or peaks.size == 0:
            return None, None
        ok &= st >= st[ok].max() - 20.0
        # running max of the 100 ms peaks over each 3 s window ending at ``times``
        span = round(DR_BLOCK_S / PSR_CHUNK_S)
        padded = np.concatenate([np.zeros(span - 1), peaks])
        run_max = np.lib.stride_tricks.sliding_window_view(padded, span).max(axis=1)
        end_chunk = np.clip(np.round(times / PSR_CHUNK_S).astype(np.int64) - 1, 0, peaks.size - 1)
        window_peak = run_max[end_chunk]
        good = ok & (window_peak > 0)
        if not good.any():
            return None, None
        psr = 20.0 * np.log10(window_peak[good]) - st[good]
        return float(np.median(psr)), float(psr.min())


def dynamic_range(audio: np.ndarray, sample_rate: int) -> DynamicRangeResult:
    """Measure crest factor, PLR, PSR, DR score and dynamic complexity of an array.

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        Float audio.
    sample_rate : int
        Sample rate in Hz.

    Returns
    -------
    DynamicRangeResult

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 9) / 48000
    >>> r = dynamic_range(0.5 * np.sin(2 * np.pi * 1000 * t), 48000)
    >>> round(r.crest_factor_db, 2), r.dr_score
    (3.01, 0)
    """
    from mezzo.meters.loudness import loudness as measure

    rate = check_sample_rate(sample_rate)
    x = check_audio(audio)
    meter = DynamicRangeMeter(rate, x.shape[0])
    meter.update(x)
    return meter.result(measure(x, rate))
