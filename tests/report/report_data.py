"""Shared inputs of the report tests: a short music-like file with known true-peak overs, and a
processed copy of it that is 6.02 dB quieter and 5 ms late (the fixture is in conftest.py)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from signals import music_like, n_samples, raised_cosine_fades

SAMPLE_RATE = 48000
DURATION_S = 16.0
#: The windows of the quarter-rate sines that make the overs (s): over -1 dBTP only, and over 0 dBTP.
OVER_MINUS_1_S = (5.0, 6.0)
OVER_0_S = (10.0, 11.0)
#: Peak amplitudes of those sines: their true peak (the sine's amplitude, 20*log10 of it) is
#: -0.45 dBTP and +2.92 dBTP, while their samples (at 45 degrees of phase) are 0.707 of it.
AMP_MINUS_1 = 0.95
AMP_0 = 1.4
#: The processed copy: gain and delay.
GAIN = 0.5
DELAY_SAMPLES = 240

#: Expected plot sizes (width, height) in pixels, as documented in mezzo.report.figures.
PLOT_SIZES = {
    "loudness": (1400, 500),
    "waveform": (1400, 450),
    "markings": (1400, 300),
    "tempo": (1400, 400),
    "histogram": (1400, 450),
    "compare-loudness": (1400, 500),
    "compare-waveform": (1400, 500),
    "gain-reduction": (1400, 400),
}
BASE_PLOTS = ("loudness", "waveform", "markings", "tempo", "histogram")
COMPARE_PLOTS = ("compare-loudness", "compare-waveform", "gain-reduction")
BASE_HEADINGS = (
    "Summary",
    "Platform targets",
    "Loudness over time",
    "Waveform and true-peak overs",
    "Dynamics: markings and hairpins",
    "Tempo, build-ups and drops",
    "Loudness distribution",
)
COMPARE_HEADINGS = ("Before and after: loudness", "Before and after: waveform", "Gain-reduction trace")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) read from the PNG header; fails if ``data`` is not a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _quarter_rate_sine(amplitude: float, window_s: tuple[float, float]) -> np.ndarray:
    n = n_samples(window_s[1] - window_s[0], SAMPLE_RATE)
    x = amplitude * np.sin(np.pi / 2 * np.arange(n) + np.pi / 4)
    return raised_cosine_fades(np.tile(x, (2, 1)), 0.02, SAMPLE_RATE)


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """Write (input, processed) FLOAT WAV files into ``folder``; processed = ``GAIN * input`` delayed."""
    rng = np.random.default_rng(20240611)
    x = music_like("drums", DURATION_S, SAMPLE_RATE, rng, level_dbfs=-24.0, max_peak_dbfs=-8.0)
    for amplitude, window in ((AMP_MINUS_1, OVER_MINUS_1_S), (AMP_0, OVER_0_S)):
        a, b = (n_samples(t, SAMPLE_RATE) for t in window)
        x[:, a:b] = _quarter_rate_sine(amplitude, window)
    y = np.zeros_like(x)
    y[:, DELAY_SAMPLES:] = GAIN * x[:, :-DELAY_SAMPLES]
    before, after = folder / "take.wav", folder / "take-mastered.wav"
    sf.write(before, x.T, SAMPLE_RATE, subtype="FLOAT")
    sf.write(after, y.T, SAMPLE_RATE, subtype="FLOAT")
    return before, after
