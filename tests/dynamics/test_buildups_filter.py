"""A build-up made only by an opening filter (no riser, no roll, the groove goes on)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import istft, stft

from mezzo.meters.tempo import tempo

SR = 22050
BPM = 124.0


def _loop(kind: str, seed: int = 3) -> tuple[np.ndarray, float, float, float]:
    """Groove 8 bars, break 4 bars (pad only), 8-bar filter sweep over the full groove, drop 8 bars.

    ``kind`` is ``"highpass"`` (cut-off 20 Hz -> 700 Hz) or ``"lowpass"`` (400 Hz -> 10 kHz).
    Returns the audio, the drop time, the build-up start and the beat period (s).
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / BPM
    bar = 4 * beat
    build0, drop = 12 * bar, 20 * bar
    total = 28 * bar + 0.5
    n = int(total * SR)
    t = np.arange(n) / SR
    kt = np.arange(int(0.25 * SR)) / SR
    kick = np.sin(2 * np.pi * (50 * kt + 3 * (1 - np.exp(-kt / 0.03)))) * np.exp(-kt / 0.12)
    hat = np.diff(rng.standard_normal(int(0.04 * SR) + 1)) * np.exp(-np.arange(int(0.04 * SR)) / SR / 0.01)
    drums = np.zeros(n)
    groove = (t < 8 * bar) | (t >= build0)
    for k in range(28 * 4):
        tb = k * beat
        if not (8 * bar <= tb < build0):
            i = int(tb * SR)
            m = min(kick.size, n - i)
            drums[i : i + m] += 0.8 * kick[:m]
            j = int((tb + beat / 2) * SR)
            m = min(hat.size, n - j)
            if m > 0:
                drums[j : j + m] += 0.2 * hat[:m]
    bass = 0.45 * np.sin(2 * np.pi * 55.0 * t) * groove
    pad = 0.06 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 880.0, 1760.0))
    mix = drums + bass + pad
    pos = np.clip((t - build0) / (drop - build0), 0.0, 1.0) * ((t >= build0) & (t < drop))
    f, ft, z = stft(mix, fs=SR, nperseg=1024)
    p = np.interp(ft, t, pos)
    inside = (ft >= build0) & (ft < drop)
    fmax = np.maximum(f[:, None], 1.0)
    if kind == "highpass":
        cut = 20.0 + 680.0 * p
        gain = 1.0 / np.sqrt(1.0 + (cut[None, :] / fmax) ** 4)
    else:
        cut = 400.0 * (25.0 ** p)  # 400 Hz -> 10 kHz, log-spaced
        gain = np.where(inside[None, :], 1.0 / np.sqrt(1.0 + (fmax / cut[None, :]) ** 4), 1.0)
    mix = istft(z * gain, fs=SR, nperseg=1024)[1][:n]
    return (0.5 * mix / np.abs(mix).max()).astype(np.float32), drop, build0, beat


@pytest.mark.parametrize("kind", ["highpass"])
def test_filter_sweep_buildup_is_found_and_drop_on_the_beat(kind):
    x, drop, build0, beat = _loop(kind)
    r = tempo(x, SR)
    # the drop within one beat, and no drop anywhere else (not where the groove returns after the break)
    assert [abs(d.time_s - drop) <= beat for d in r.drops] == [True]
    assert len(r.buildups) == 1
    b = r.buildups[0]
    assert abs(b.end_s - drop) <= beat
    overlap = min(b.end_s, drop) - max(b.start_s, build0)
    union = max(b.end_s, drop) - min(b.start_s, build0)
    assert overlap >= 0.5 * union
