"""The true peak of a whole signal in numpy equals the streaming kernel's (issue 18).

:func:`mezzo.meters.peak.whole_true_peaks` (float64, FFT convolution, pruned stage 2) is the
CLI's path for short files; the numba kernel of :mod:`mezzo.kernels.true_peak` (float32,
direct sums, its own chunked bound) is an independent implementation of the same
definition. They must agree within float rounding (``TRUE_PEAK_WHOLE_DB``) on the
adversarial signals of the limiter's grid (the ``sign(sinc)`` burst, sines and squares near
Nyquist, clipped sines, noise, impulses, Nyquist bursts, sweeps, DC steps, signals that
start at sample 0) and on music-like mixes; and both must follow the independent reference
(:mod:`reference.true_peak`) as the meter does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import limiter_grid as grid
import signals as sg
from mezzo.meters.peak import TruePeakMeter, whole_true_peaks
from reference.true_peak import reference_peak
from tolerances import METER_REFERENCE_ABOVE_DB, METER_REFERENCE_BELOW_DB, TRUE_PEAK_WHOLE_DB


def streamed_peaks(audio: np.ndarray, block: int = 4096) -> np.ndarray:
    """Linear true peak per channel of ``audio`` (channels, samples) by the numba kernel, in blocks."""
    meter = TruePeakMeter(audio.shape[0])
    for start in range(0, audio.shape[1], block):
        meter.update(np.ascontiguousarray(audio[:, start : start + block].T, dtype=np.float32))
    return meter.peaks()


def assert_same_db(whole: np.ndarray, streamed: np.ndarray, what: str) -> None:
    assert np.all(whole > 0) and np.all(streamed > 0), what
    diff = np.abs(20.0 * np.log10(whole / streamed))
    assert diff.max() <= TRUE_PEAK_WHOLE_DB, f"{what}: {diff.max():.2e} dB apart"


@pytest.mark.parametrize("family", sorted(grid.FAMILIES))
@pytest.mark.parametrize(("rate", "channels"), [(48000, 2), (44100, 1)])
def test_whole_signal_true_peak_equals_the_kernel_on_the_grid(family, rate, channels):
    audio = grid.grid_signal(family, rate, channels, -1.0).astype(np.float32)
    assert_same_db(whole_true_peaks(audio.T), streamed_peaks(audio), family)


@pytest.mark.parametrize("kind", sg.MUSIC_KINDS)
def test_whole_signal_true_peak_equals_the_kernel_on_music(kind):
    audio = sg.music_like(kind, 10.0, 48000, np.random.default_rng(18)).astype(np.float32)
    whole = whole_true_peaks(audio.T)
    assert_same_db(whole, streamed_peaks(audio), kind)
    for ch in range(audio.shape[0]):  # and both follow the independent reference
        ref = 20.0 * math.log10(reference_peak(audio[ch].astype(np.float64))[0])
        got = 20.0 * math.log10(whole[ch])
        assert ref - METER_REFERENCE_BELOW_DB <= got <= ref + METER_REFERENCE_ABOVE_DB, (kind, ch, got, ref)


@pytest.mark.parametrize("samples", [1, 2, 7, 300, 16065, 16384, 40000])
def test_short_and_odd_lengths(samples):
    # lengths around the FFT blocks and the window chunks, and shorter than the kernel
    rng = np.random.default_rng(samples)
    audio = rng.uniform(-1.0, 1.0, (2, samples)).astype(np.float32)
    assert_same_db(whole_true_peaks(audio.T), streamed_peaks(audio), f"{samples} samples")


def test_sign_sinc_burst_at_the_very_start_and_end():
    # the construction's peak rings between samples 31 and 32 of 64: 10.8 dB over its samples
    k = np.arange(-32, 32)
    pattern = np.sign(np.sinc(k + 0.5))
    for audio in (pattern[None, :], np.concatenate([np.zeros(1000), pattern])[None, :]):
        audio = audio.astype(np.float32)
        whole = whole_true_peaks(audio.T)
        assert_same_db(whole, streamed_peaks(audio), "sign(sinc)")
        assert 20.0 * math.log10(whole[0]) > 10.0


def test_silence_and_empty():
    assert np.array_equal(whole_true_peaks(np.zeros((0, 2))), [0.0, 0.0])
    assert np.array_equal(whole_true_peaks(np.zeros((4800, 1))), [0.0])


def test_a_meter_measured_whole_refuses_to_stream_on():
    meter = TruePeakMeter(1)
    meter.measure_whole(np.ones((100, 1), dtype=np.float32))
    with pytest.raises(RuntimeError, match="reset"):
        meter.update(np.zeros((10, 1), dtype=np.float32))
    with pytest.raises(RuntimeError, match="reset"):
        meter.measure_whole(np.zeros((10, 1), dtype=np.float32))
    whole = meter.peaks()[0]
    assert whole > 1.0  # a 100-sample step rings over its samples
    assert meter.take(final=True)[0] == whole  # the ringing is in already: nothing to add
    meter.reset()
    meter.update(np.zeros((10, 1), dtype=np.float32))
