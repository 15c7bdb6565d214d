"""The spectral frames do not depend on the file's sample rate, nor on how it is cut into blocks."""

from __future__ import annotations

import numpy as np
from scipy import signal

from mezzo.meters.features import SpectralFrames


def _music(sr: int, seconds: float = 20.0) -> np.ndarray:
    """Kicks on the beat at 123 BPM, a chord changing every bar, hats between the beats (mono)."""
    rng = np.random.default_rng(4)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    beat = 60.0 / 123.0
    x = 0.05 * sum(np.sin(2 * np.pi * f * (1 + (np.floor(t / (4 * beat)) % 2) * 0.12) * t) for f in (220.0, 277.2, 329.6))
    k = np.arange(int(0.25 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * k + 5 * (1 - np.exp(-k / 0.03)))) * np.exp(-k / 0.12)
    hat = signal.sosfilt(signal.butter(2, 7000, "highpass", fs=sr, output="sos"), rng.standard_normal(int(0.05 * sr)))
    hat *= np.exp(-np.arange(hat.size) / sr / 0.01)
    for j in range(int(seconds / beat)):
        for hit, at, g in ((kick, j * beat, 0.8), (hat, (j + 0.5) * beat, 0.2)):
            i = int(at * sr)
            x[i : i + hit.size] += g * hit[: n - i]
    return x.astype(np.float32)


def _frames(x: np.ndarray, sr: int, block: int | None = None):
    frames = SpectralFrames(sr, 1)
    if block is None:
        frames.update(x)
    else:
        for i in range(0, x.size, block):
            frames.update(x[i : i + block])
    return frames.result()


def test_a_48_khz_file_gives_the_frames_of_its_44_1_khz_master():
    """The same music at 48 kHz (scipy's polyphase resampler, not the one mezzo uses) gives the
    frame grid, band levels and onset envelope of the 44.1 kHz original."""
    x44 = _music(44100)
    x48 = signal.resample_poly(x44, 160, 147).astype(np.float32)
    a, b = _frames(x44, 44100), _frames(x48, 48000)
    assert b.frame_rate_hz == a.frame_rate_hz
    n = min(a.times_s.size, b.times_s.size)
    assert abs(a.times_s.size - b.times_s.size) <= 1
    np.testing.assert_allclose(b.times_s[:n], a.times_s[:n])
    loud = a.band_db[:n] > a.band_db.max() - 60.0
    assert np.median(np.abs(b.band_db[:n] - a.band_db[:n])[loud]) < 0.1
    assert np.corrcoef(a.onset_strength()[:n], b.onset_strength()[:n])[0, 1] > 0.99


def test_blocks_of_any_size_give_the_frames_of_the_whole_file():
    x = signal.resample_poly(_music(44100, 8.0), 160, 147).astype(np.float32)
    whole = _frames(x, 48000)
    for block in (1000, 4096, 44100):
        cut = _frames(x, 48000, block)
        assert cut.band_db.shape[0] >= whole.band_db.shape[0] - 1
        n = min(cut.band_db.shape[0], whole.band_db.shape[0])
        np.testing.assert_allclose(cut.band_db[:n], whole.band_db[:n], atol=1e-3)
