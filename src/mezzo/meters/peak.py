"""Sample peak and true peak (ITU-R BS.1770-4 Annex 2).

True peak is measured by 4x polyphase interpolation with the Annex 2 filter at
every sample rate (Annex 2 asks for at least 4x below 96 kHz and 2x below
192 kHz; 4x everywhere is never less accurate). The reported true peak is the
larger of the interpolated peak and the sample peak: the Annex 2 phases sit
between the input samples, and a continuous signal passes through its samples.
"""

from __future__ import annotations

import numpy as np

from mezzo._validate import check_audio, check_sample_rate
from mezzo.kernels.true_peak import ANNEX2_PHASES, true_peak_block
from mezzo.units import gain_to_db

OVERSAMPLING = ANNEX2_PHASES.shape[0]
_HISTORY = ANNEX2_PHASES.shape[1] - 1
_L1_BOUND = float(np.abs(ANNEX2_PHASES).sum(axis=1).max())


class TruePeakMeter:
    """Streaming true-peak meter (linear peaks per channel, dBTP on request).

    Parameters
    ----------
    channels : int
        Number of channels of the blocks to come.
    """

    def __init__(self, channels: int) -> None:
        self.channels = int(channels)
        self._phases = np.ascontiguousarray(ANNEX2_PHASES)
        self.reset()

    def reset(self) -> None:
        """Forget everything measured so far."""
        self._history = np.zeros((self.channels, _HISTORY))
        self._peaks = np.zeros(self.channels)
        self._work = np.zeros(0)

    def update(self, block: np.ndarray) -> None:
        """Measure a block shaped (samples, channels) — the transposed view of (channels, samples)."""
        n = block.shape[0]
        if n == 0:
            return
        if self._work.shape[0] < n + _HISTORY:
            self._work = np.zeros(n + _HISTORY)
        true_peak_block(block, self._phases, _L1_BOUND, self._history, self._work, self._peaks)

    def measure_whole(self, block: np.ndarray) -> None:
        """Measure a complete signal shaped (samples, channels) in numpy (no numba), on a fresh meter.

        The filter sees zeros before and after the signal, as :meth:`update` followed by
        :meth:`peaks` does; further :meth:`update` calls would miss the signal's last samples.
        """
        from mezzo.meters.whole_signal import true_peaks

        self._peaks = np.maximum(self._peaks, true_peaks(block))

    def peaks(self) -> np.ndarray:
        """Linear true peak per channel, including the filter's tail after the last sample."""
        peaks = self._peaks.copy()
        if not self._history.any():  # nothing left in the filter (or measured whole): no tail
            return peaks
        history = self._history.copy()
        work = np.zeros(2 * _HISTORY)
        true_peak_block(np.zeros((_HISTORY, self.channels)), self._phases, _L1_BOUND, history, work, peaks)
        return peaks


def true_peak(audio: np.ndarray, sample_rate: int) -> float | None:
    """Return the true peak of ``audio`` in dBTP (``None`` for digital silence).

    Parameters
    ----------
    audio : ndarray, shape (channels, samples) or (samples,)
        Float audio.
    sample_rate : int
        Sample rate in Hz (checked; the Annex 2 interpolator is rate-independent).

    Examples
    --------
    >>> import numpy as np
    >>> n = np.arange(48000)
    >>> x = 0.5 * np.sin(np.pi / 2 * n + np.pi / 4)  # fs/4 sine, samples at 0.354 (-9.0 dBFS)
    >>> round(true_peak(x, 48000), 1)  # -6.02 dB; the Annex 2 filter reads 0.1 dB high at fs/4
    -5.9
    """
    check_sample_rate(sample_rate)
    audio2d = check_audio(audio)
    meter = TruePeakMeter(audio2d.shape[0])
    meter.update(audio2d.T)
    return gain_to_db(float(meter.peaks().max()))
