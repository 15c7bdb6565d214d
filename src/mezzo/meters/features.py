"""Spectral features of the mono mix, accumulated while audio streams (dynamics map, tempo, build-ups).

:class:`SpectralFrames` reduces each ~23 ms frame to log band energies as blocks arrive, so
the audio itself is never kept; :class:`FrameFeatures` is what it hands on, with the derived
series the readers share (band levels, spectral centroid, spectral flux).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mezzo._validate import check_range, check_sample_rate
from mezzo.kernels.dynamics import banded_filterbank

__all__ = ["FrameFeatures", "SpectralFrames"]

_FLOOR_DB = -120.0
_CHUNK = 16384
#: Every file is analysed at this rate (Hz): other rates are resampled to it first.
ANALYSIS_RATE = 44100
#: Lag (frames, 23.2 ms each) of :attr:`FrameFeatures.shape_flux`'s rise, and the scale of the
#: magnitudes it takes the log of (16-bit full scale: everything audible is then logarithmic).
SHAPE_FLUX_LAG = 2
SHAPE_FLUX_SCALE = 32768.0


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    """Log band energies of the mono mix on a ~23 ms grid (the input of tempo and drops).

    Attributes
    ----------
    times_s : ndarray, shape (frames,)
        Centre time of each frame, s.
    band_db : ndarray, shape (frames, bands), float32
        Energy per band in dB (relative to full scale, floor -120 dB).
    band_hz : ndarray, shape (bands,)
        Centre frequency of each band, Hz (log-spaced from 30 Hz to 16 kHz or Nyquist).
    frame_rate_hz : float
        Frames per second.
    fine_flux : ndarray, shape (frames,), or None
        Spectral flux of the log-filtered magnitude spectrum at 24 bands per octave (see
        :class:`SpectralFrames`), when computed while streaming.
    shape_flux : ndarray, shape (frames,), or None
        The same spectrum's rise over ``SHAPE_FLUX_LAG`` frames once each frame's mean is taken
        off (its shape: new pitches more than a swell of the whole), when computed while streaming.
    """

    times_s: np.ndarray
    band_db: np.ndarray
    band_hz: np.ndarray
    frame_rate_hz: float
    fine_flux: np.ndarray | None = field(default=None, repr=False)
    shape_flux: np.ndarray | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def _rows(self) -> range:
        """Row chunks (16384 frames) so temporaries stay small however long the piece."""
        return range(0, self.band_db.shape[0], _CHUNK)

    def level_db(self, lo_hz: float = 0.0, hi_hz: float = math.inf) -> np.ndarray:
        """Energy in dB of the bands whose centre lies in ``[lo_hz, hi_hz)``, per frame (cached)."""
        key = ("level", lo_hz, hi_hz)
        if key not in self._cache:
            sel = (self.band_hz >= lo_hz) & (self.band_hz < hi_hz)
            out = np.full(self.band_db.shape[0], _FLOOR_DB)
            if sel.any():
                for r in self._rows():
                    power = np.power(np.float32(10.0), self.band_db[r : r + _CHUNK, sel] / np.float32(10.0)).sum(axis=1, dtype=np.float64)
                    out[r : r + _CHUNK] = 10.0 * np.log10(np.maximum(power, 1e-12))
            self._cache[key] = out
        return self._cache[key]

    def centroid_octaves(self) -> np.ndarray:
        """Energy-weighted mean of log2(band centre / 1 kHz) per frame (NaN when silent; cached)."""
        if "centroid" not in self._cache:
            out = np.zeros(self.band_db.shape[0])
            octaves = np.log2(self.band_hz / 1000.0)
            for r in self._rows():
                power = np.power(np.float32(10.0), self.band_db[r : r + _CHUNK] / np.float32(10.0)).astype(np.float64)
                total = power.sum(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    c = power @ octaves / total
                c[total < 1e-10] = np.nan
                out[r : r + _CHUNK] = c
            self._cache["centroid"] = out
        return self._cache["centroid"]

    def onset_strength(self, lo_hz: float = 0.0, hi_hz: float = math.inf) -> np.ndarray:
        """Spectral flux: mean over bands of the rise of the band level in dB since the last frame.

        The same definition as ``librosa.onset.onset_strength`` (lag 1, no max filter),
        on log band energies floored 80 dB below the loudest band value; only the bands
        whose centre lies in ``[lo_hz, hi_hz)`` (default: all). Cached.
        """
        key = ("flux", lo_hz, hi_hz)
        if key not in self._cache:
            sel = (self.band_hz >= lo_hz) & (self.band_hz < hi_hz)
            n = self.band_db.shape[0]
            out = np.zeros(n)
            if n >= 2 and sel.any():
                floor = np.float32(float(self.band_db.max()) - 80.0)
                for r in self._rows():
                    lo = max(0, r - 1)
                    s = np.maximum(self.band_db[lo : r + _CHUNK, sel], floor)
                    flux = np.maximum(np.float32(0.0), np.diff(s, axis=0)).mean(axis=1, dtype=np.float64)
                    out[lo + 1 : lo + 1 + flux.size] = flux
            self._cache[key] = out
        return self._cache[key]

    def shape_novelty(self, width_s: float = 0.2, hi_hz: float = 2000.0) -> np.ndarray:
        """How much the spectral shape below ``hi_hz`` changes at each frame (chord and bass changes; cached).

        Foote's (2000) novelty on a time scale of ``width_s``: the RMS difference, in log10
        units, between the mean level-normalised log band energies of the ``width_s`` after
        the frame and of the ``width_s`` before it (band levels floored 80 dB below the
        loudest, as for :meth:`onset_strength`). Normalising each frame by its mean log level
        leaves the shape (which bands sound), so a new chord or bass note scores and a louder
        or softer repeat of the same notes hardly does. 0 within ``width_s`` of either end.
        """
        key = ("shape_novelty", width_s, hi_hz)
        if key not in self._cache:
            sel = self.band_hz < hi_hz
            n = self.band_db.shape[0]
            w = max(1, round(width_s * self.frame_rate_hz))
            out = np.zeros(n)
            if sel.any() and n > 2 * w:
                floor = float(self.band_db.max()) - 80.0
                for r in range(w, n - w, _CHUNK):
                    hi = min(n - w, r + _CHUNK)
                    # dB / 10 = log10 of the energy; frames r - w .. hi + w - 1 are needed
                    shape = np.maximum(self.band_db[r - w : hi + w, sel].astype(np.float64), floor) / 10.0
                    shape -= shape.mean(axis=1, keepdims=True)
                    cs = np.concatenate([np.zeros((1, shape.shape[1])), np.cumsum(shape, axis=0)])
                    t = np.arange(w, w + hi - r)
                    before = (cs[t] - cs[t - w]) / w
                    after = (cs[t + w] - cs[t]) / w
                    out[r:hi] = np.sqrt(np.mean((after - before) ** 2, axis=1))
            self._cache[key] = out
        return self._cache[key]


class SpectralFrames:
    """Streaming STFT of the mono mix reduced to log band energies (bounded, small memory).

    The mono mix is analysed at ``ANALYSIS_RATE`` (44.1 kHz): audio at any other rate is
    resampled to it first (soxr, streaming), so a 48 kHz export and its 44.1 kHz master give
    the same frames. The readers' few fitted numbers were chosen at 44.1 kHz, and on their own
    grid the frames of a 48 kHz file (21.3 ms instead of 23.2 ms) moved the metrical level
    chosen on 12 of the 50 items of the evaluation corpus's tuning part and 12 of 36 synthesised
    dance tracks (``benchmarks/dynamics_eval/robustness.py``). The frame hop is 1024 samples
    (23.2 ms), the frame length twice that, Hann window. Only the band energies are kept:
    about 20 kB per second of audio (some 70 MB for an hour), never the audio itself.

    Each frame also gives one value of a finer onset function, the spectral flux of the
    log-filtered spectrogram (Böck, Krebs & Schedl 2012; madmom's ``LogarithmicFilteredSpectrogram``
    then ``spectral_flux``): magnitudes through triangular filters 24 per octave (30 Hz to
    16 kHz), ``log10(1 + m)``, and the sum of their rises since the last frame. Semitone
    resolution sees a new note where the 48 broad bands hear only a sustained texture
    (bowed strings, legato piano), so beats are tracked on it. And one value of its *shape
    flux*: the same filtered magnitudes on the 16-bit scale (times 32768, as madmom reads integer
    audio: ``log10(1 + m)`` is then logarithmic for everything audible, so a gain does not change
    it, where on the float scale soft partials stay linear), their log less its mean over the
    filters (a rise of the whole spectrum, a swell of the texture, counts less; a new pitch
    counts fully), and the sum of its rises over ``SHAPE_FLUX_LAG`` frames (46 ms: a slow
    attack's rise is spread over many frames). Music without percussion is tracked on it
    (:mod:`mezzo.meters.tempo`).

    Parameters
    ----------
    sample_rate : int
        Sample rate in Hz.
    channels : int
        Channel count of every block.
    bands : int, 8 to 128
        Number of log-spaced bands.
    """

    def __init__(self, sample_rate: int, channels: int, *, bands: int = 48) -> None:
        self.sample_rate = check_sample_rate(sample_rate)
        self.channels = int(channels)
        self.hop = 1024
        self.n_fft = 2 * self.hop
        n_bands = int(check_range("bands", bands, 8, 128))
        freqs = np.fft.rfftfreq(self.n_fft, 1.0 / ANALYSIS_RATE)
        top = min(16000.0, 0.5 * self.sample_rate)  # what the file can hold
        edges = np.geomspace(30.0, top, n_bands + 1)
        bin_band = np.searchsorted(edges, freqs, side="right") - 1
        valid = (bin_band >= 0) & (bin_band < n_bands)
        used = np.unique(bin_band[valid])
        self._first_bin = np.array([np.flatnonzero(bin_band == b)[0] for b in used])
        self._last_bin = np.array([np.flatnonzero(bin_band == b)[-1] + 1 for b in used])
        self.band_hz = np.sqrt(edges[used] * edges[used + 1])
        self._fine_bank = _log_filterbank(freqs, top)
        # each triangular filter covers one run of bins: kept as runs for a banded product
        nz = self._fine_bank > 0
        self._fine_start = nz.argmax(axis=0).astype(np.int64)
        self._fine_stop = (nz.shape[0] - nz[::-1].argmax(axis=0)).astype(np.int64)
        self._fine_offset = np.concatenate([[0], np.cumsum(self._fine_stop - self._fine_start)[:-1]]).astype(np.int64)
        self._fine_weight = np.concatenate([self._fine_bank[a:b, j] for j, (a, b)
                                            in enumerate(zip(self._fine_start, self._fine_stop, strict=True))])
        self._window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(self.n_fft) / self.n_fft)).astype(np.float32)
        # Scale so that a full-scale sine reads about 0 dB in its band.
        self._scale = np.float32(4.0 / (self._window.sum() ** 2))
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        self._buf = np.zeros(0, dtype=np.float32)
        self._frames: list[np.ndarray] = []
        self._fine: list[np.ndarray] = []
        self._last_fine: np.ndarray | None = None
        self._shape: list[np.ndarray] = []
        self._last_shape: np.ndarray | None = None
        self._count = 0
        self._resampler = None
        if self.sample_rate != ANALYSIS_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(self.sample_rate, ANALYSIS_RATE, 1, dtype="float32", quality="HQ")

    def update(self, block: np.ndarray) -> None:
        """Add the next block, shaped (channels, samples) or (samples,)."""
        x = np.asarray(block)
        mono = (x if x.ndim == 1 else x.mean(axis=0)).astype(np.float32, copy=False)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono, last=False)
        buf = np.concatenate([self._buf, mono]) if self._buf.size else mono
        if buf.size < self.n_fft:
            self._buf = buf.copy()
            return
        n = 1 + (buf.size - self.n_fft) // self.hop
        frames = np.lib.stride_tricks.sliding_window_view(buf, self.n_fft)[:: self.hop][:n]
        spec = np.fft.rfft(frames * self._window, axis=1)
        power = (spec.real**2 + spec.imag**2).astype(np.float32)
        cumsum = np.concatenate([np.zeros((n, 1), np.float32), np.cumsum(power, axis=1)], axis=1)
        band = (cumsum[:, self._last_bin] - cumsum[:, self._first_bin]) * self._scale
        self._frames.append((10.0 * np.log10(np.maximum(band, 1e-12))).astype(np.float32))
        # log-filtered magnitude spectrum and its positive flux (the first frame has none)
        filtered = np.empty((n, self._fine_start.size), np.float32)
        banded_filterbank(np.sqrt(power), self._fine_start, self._fine_stop, self._fine_offset, self._fine_weight,
                          filtered)
        fine = np.log10(np.float32(1.0) + filtered)
        flux, self._last_fine = _rises(fine, self._last_fine, 1)
        self._fine.append(flux)
        shape = np.log10(np.float32(1.0) + np.float32(SHAPE_FLUX_SCALE) * filtered)
        shape -= shape.mean(axis=1, keepdims=True)
        flux, self._last_shape = _rises(shape, self._last_shape, SHAPE_FLUX_LAG)
        self._shape.append(flux)
        self._count += n
        self._buf = buf[n * self.hop :].copy()

    def result(self) -> FrameFeatures:
        """Return the band energies of the frames so far."""
        bands = np.concatenate(self._frames) if self._frames else np.zeros((0, self.band_hz.size), np.float32)
        bands = np.maximum(bands, _FLOOR_DB)
        times = (np.arange(bands.shape[0]) * self.hop + self.n_fft / 2) / ANALYSIS_RATE
        fine = np.concatenate(self._fine) if self._fine else np.zeros(0)
        shape = np.concatenate(self._shape) if self._shape else np.zeros(0)
        return FrameFeatures(times, bands, self.band_hz, ANALYSIS_RATE / self.hop, fine, shape)


def _rises(x: np.ndarray, last: np.ndarray | None, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum over columns of each row's rise over the row ``lag`` before (half-wave rectified).

    ``last``: the previous block's final ``lag`` rows (None for the first block, whose first
    ``lag`` rows then have no rise). Returns the sums (float64) and the rows to pass next time.
    """
    prev = np.repeat(x[:1], lag, axis=0) if last is None else last
    ext = np.concatenate([prev, x])
    return np.maximum(np.float32(0.0), ext[lag:] - ext[:-lag]).sum(axis=1, dtype=np.float64), ext[-lag:].copy()


def _log_filterbank(freqs: np.ndarray, top_hz: float) -> np.ndarray:
    """Triangular filters 24 per octave from 30 Hz to ``top_hz`` (centres on A4 = 440 Hz), each summing to 1.

    Shape ``(bins, filters)``, float32; filters that catch no FFT bin are left out.
    """
    k = np.arange(math.floor(24 * math.log2(30.0 / 440.0)), math.ceil(24 * math.log2(top_hz / 440.0)) + 1)
    edges = 440.0 * np.power(2.0, k / 24.0)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bank = np.clip(np.minimum((freqs[None, :] - lo) / (mid - lo), (hi - freqs[None, :]) / (hi - mid)), 0.0, None)
    bank = bank[bank.sum(axis=1) > 0]
    return np.ascontiguousarray((bank / bank.sum(axis=1, keepdims=True)).T.astype(np.float32))
