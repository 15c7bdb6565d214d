"""Streaming power spectra of several stems on the auditory band grid, one per 0.1 s cell.

Each stem is cut into Hann-windowed frames (about 85 ms: 4096 samples at 44.1 and 48 kHz),
two per 0.1 s cell, centred at a quarter and three quarters of the cell. The power of each
frame is weighted by the outer- and middle-ear transfer (ANSI S3.4-2007), calibrated to dB
SPL (a full-scale sine is ``full_scale_spl_db``) and summed into the bands of
:class:`~mezzo.meters.auditory.AuditoryBands`; the two frames of a cell are averaged. Only
these band powers are kept (75 values per ear, stem and cell at 48 kHz: about 30 kB per
second for five stems), never the audio.

Channels are ears: a mono stem is heard by both, a stereo stem's left channel by the left
ear; a stem with more channels is heard by both ears as the mean power of its channels.
"""

from __future__ import annotations

import math

import numpy as np

from mezzo.meters.auditory import AuditoryBands, ear_transfer_db

__all__ = ["CELL_S", "StemSpectra"]

#: Length of one cell of the time grid, s.
CELL_S = 0.1
#: Analysis frames per cell.
_FRAMES_PER_CELL = 2
#: Target frame length, s (rounded to a power of two of samples).
_FRAME_S = 0.085
#: Ears of the listener.
EARS = 2
#: Frames analysed at a time (an even number: whole cells).
_CHUNK_FRAMES = 64


class StemSpectra:
    """Accumulate band powers per cell for a fixed set of stems.

    Parameters
    ----------
    sample_rate : int
        Sample rate in Hz.
    channels : sequence of int
        Channel count of each stem, in the order of the blocks given to :meth:`update`.
    full_scale_spl_db : float
        Sound pressure level of a full-scale sine (peak 1.0), dB SPL.
    """

    def __init__(self, sample_rate: int, channels: list[int], *, full_scale_spl_db: float) -> None:
        self.sample_rate = int(sample_rate)
        self.channels = [int(c) for c in channels]
        self.bands = AuditoryBands(self.sample_rate)
        self.n_fft = 1 << max(8, round(math.log2(_FRAME_S * self.sample_rate)))
        self._cell_samples = CELL_S * self.sample_rate
        freqs = np.fft.rfftfreq(self.n_fft, 1.0 / self.sample_rate)
        window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(self.n_fft) / self.n_fft)
        self._window = window.astype(np.float32)
        # |X_k|^2 * scale_k: a sine of peak 1.0 sums to 10^(full_scale_spl_db / 10) over its bins,
        # weighted by the ear's transfer at each bin (mean square of the windowed frame, one-sided).
        scale = 4.0 / (self.n_fft * float(np.sum(window**2)))
        scale = scale * 10.0 ** ((full_scale_spl_db + ear_transfer_db(freqs)) / 10.0)
        scale[0] = 0.0
        # Bins to bands: band b sums the scaled bins first[b]..first[b+1] (contiguous groups;
        # np.add.reduceat over the bands that hold bins, then placed among the empty ones).
        edges = np.searchsorted(freqs, self.bands.edges_hz)
        self._used = np.flatnonzero(edges[1:] > edges[:-1])
        self._starts = edges[:-1][self._used] - edges[0]
        self._bin_range = (int(edges[0]), int(edges[-1]))
        self._bin_scale = scale[edges[0] : edges[-1]].astype(np.float32)
        hop = self._cell_samples / _FRAMES_PER_CELL
        self._hop = int(hop) if hop == int(hop) else None  # frames evenly spaced: strided views
        self.reset()

    def reset(self) -> None:
        """Forget every block seen."""
        half = self.n_fft // 2
        self._buf = [np.zeros((c, half), dtype=np.float32) for c in self.channels]
        self._buf_start = -half  # absolute sample index of self._buf[..][:, 0]
        self._next_frame = 0
        self._samples = 0
        self._cells: list[np.ndarray] = []  # each (cells, stems, ears, bands) float32

    @property
    def samples_seen(self) -> int:
        """Samples per channel given so far."""
        return self._samples

    def _frame_start(self, k: np.ndarray | int) -> np.ndarray:
        centre = (np.asarray(k, dtype=np.float64) + 0.5) * (self._cell_samples / _FRAMES_PER_CELL)
        return np.round(centre).astype(np.int64) - self.n_fft // 2

    def update(self, blocks: list[np.ndarray]) -> None:
        """Add the next block of every stem: ``(channels, n)`` arrays with the same ``n``."""
        n = blocks[0].shape[1]
        for i, block in enumerate(blocks):
            self._buf[i] = np.concatenate([self._buf[i], np.asarray(block, dtype=np.float32)], axis=1)
        self._samples += n
        self._analyse(self._buf_start + self._buf[0].shape[1])

    def _analyse(self, available_end: int) -> None:
        """Analyse every complete cell whose frames end before ``available_end``."""
        # Whole cells only, so a cell's frames are always averaged together.
        k_end = self._next_frame
        while self._frame_start(k_end + _FRAMES_PER_CELL - 1) + self.n_fft <= available_end:
            k_end += _FRAMES_PER_CELL
        if k_end == self._next_frame:
            return
        for first in range(self._next_frame, k_end, _CHUNK_FRAMES):  # bounded temporary memory
            ks = np.arange(first, min(first + _CHUNK_FRAMES, k_end))
            offset = int(self._frame_start(ks[0])) - self._buf_start
            if self._hop is not None:
                stop = offset + (ks.size - 1) * self._hop + self.n_fft
                per_stem = [
                    self._band_power(np.lib.stride_tricks.sliding_window_view(buf[:, offset:stop], self.n_fft, axis=1)[:, :: self._hop])
                    for buf in self._buf
                ]
            else:
                idx = (self._frame_start(ks) - self._buf_start)[:, np.newaxis] + np.arange(self.n_fft)
                per_stem = [self._band_power(buf[:, idx]) for buf in self._buf]
            cells = np.stack(per_stem, axis=1)  # (frames, stems, ears, bands)
            cells = cells.reshape(-1, _FRAMES_PER_CELL, *cells.shape[1:]).mean(axis=1)
            self._cells.append(cells.astype(np.float32))
        self._next_frame = k_end
        drop = int(self._frame_start(k_end)) - self._buf_start
        if drop > 0:
            self._buf = [buf[:, drop:] for buf in self._buf]
            self._buf_start += drop

    def _band_power(self, frames: np.ndarray) -> np.ndarray:
        """Band powers ``(frames, ears, bands)`` of one stem's frames ``(channels, frames, n_fft)``."""
        from scipy import fft

        spectrum = fft.rfft(frames * self._window, axis=-1)
        lo, hi = self._bin_range
        spectrum = spectrum[..., lo:hi]
        power = (spectrum.real**2 + spectrum.imag**2) * self._bin_scale
        bands = np.zeros((*power.shape[:-1], self.bands.count), dtype=np.float32)
        bands[..., self._used] = np.add.reduceat(power, self._starts, axis=-1)
        bands = bands.transpose(1, 0, 2)  # (frames, channels, bands)
        channels = bands.shape[1]
        if channels == EARS:
            return bands
        mean = bands if channels == 1 else bands.mean(axis=1, keepdims=True)
        return np.repeat(mean, EARS, axis=1)

    def result(self) -> np.ndarray:
        """Band powers of every cell so far, shape ``(cells, stems, ears, bands)``, float32.

        The last, partial cell is completed with silence. Calling it does not end the stream.
        """
        cells = list(self._cells)
        total_cells = math.ceil(self._samples / self._cell_samples - 1e-9)
        done = self._next_frame // _FRAMES_PER_CELL
        if total_cells > done:
            # Analyse the tail on padded copies, leaving the stream's state untouched.
            end = self._frame_start(total_cells * _FRAMES_PER_CELL - 1) + self.n_fft
            pad = max(0, int(end) - (self._buf_start + self._buf[0].shape[1]))
            saved = (self._buf, self._buf_start, self._next_frame, self._cells)
            self._buf = [np.pad(buf, ((0, 0), (0, pad))) for buf in self._buf]
            self._cells = []
            try:
                self._analyse(int(end))
                cells += self._cells
            finally:
                self._buf, self._buf_start, self._next_frame, self._cells = saved
        if not cells:
            return np.zeros((0, len(self.channels), EARS, self.bands.count), dtype=np.float32)
        return np.concatenate(cells)[:total_cells]
