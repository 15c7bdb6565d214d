"""Independent test-signal generators (numpy only; never imports mezzo).

Conventions: every generator returns float64 arrays shaped ``(channels, samples)``
(or 1-D where said). A level in dBFS is the *peak amplitude* of a sine,
``10 ** (level_dbfs / 20)``, as in EBU Tech 3341/3342. Segment boundaries fall on
``round(t * sample_rate)`` so that consecutive segments tile the signal exactly.
Sines stay phase-continuous across level changes (only the amplitude steps).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SILENCE = None  # a level of None means digital silence


def n_samples(duration_s: float, sample_rate: int) -> int:
    """Number of samples of ``duration_s`` at ``sample_rate`` (rounded)."""
    return round(duration_s * sample_rate)


def db_to_amplitude(level_dbfs: float | None) -> float:
    """Peak amplitude of a sine at ``level_dbfs``; 0.0 for ``None`` (silence)."""
    return 0.0 if level_dbfs is None else float(10.0 ** (level_dbfs / 20.0))


def sine(
    freq_hz: float,
    level_dbfs: float | None,
    duration_s: float,
    sample_rate: int,
    *,
    phase_deg: float = 0.0,
    channels: int = 2,
) -> np.ndarray:
    """Sine of peak amplitude ``10**(level_dbfs/20)``, identical in every channel.

    ``x[n] = A * sin(2*pi*f*n/fs + phase)``. Shape ``(channels, samples)``.
    """
    n = np.arange(n_samples(duration_s, sample_rate))
    x = db_to_amplitude(level_dbfs) * np.sin(
        2.0 * np.pi * freq_hz * n / sample_rate + np.deg2rad(phase_deg)
    )
    return np.tile(x, (channels, 1))


def amplitude_envelope(
    levels_dbfs: Sequence[float | None], durations_s: Sequence[float], sample_rate: int
) -> np.ndarray:
    """Piecewise-constant amplitude, 1-D; boundaries at ``round(cumsum(t) * fs)``."""
    edges = [0] + [n_samples(t, sample_rate) for t in np.cumsum(durations_s)]
    env = np.zeros(edges[-1])
    for level, start, stop in zip(levels_dbfs, edges[:-1], edges[1:], strict=True):
        env[start:stop] = db_to_amplitude(level)
    return env


def sine_segments(
    levels_dbfs: Sequence[float | None],
    durations_s: Sequence[float],
    sample_rate: int,
    *,
    freq_hz: float = 1000.0,
    channels: int = 2,
) -> np.ndarray:
    """Phase-continuous sine whose level steps through ``levels_dbfs`` (None = silence)."""
    env = amplitude_envelope(levels_dbfs, durations_s, sample_rate)
    n = np.arange(env.size)
    x = env * np.sin(2.0 * np.pi * freq_hz * n / sample_rate)
    return np.tile(x, (channels, 1))


def burst(
    level_dbfs: float,
    burst_s: float,
    offset_s: float,
    total_s: float,
    sample_rate: int,
    *,
    freq_hz: float = 1000.0,
    channels: int = 2,
) -> np.ndarray:
    """A sine burst of ``burst_s`` starting at ``offset_s`` in ``total_s`` of silence."""
    if offset_s + burst_s > total_s:
        raise ValueError("burst does not fit")
    return sine_segments(
        [None, level_dbfs, None],
        [offset_s, burst_s, total_s - offset_s - burst_s],
        sample_rate,
        freq_hz=freq_hz,
        channels=channels,
    )


def per_channel_sines(
    levels_dbfs: Sequence[float | None],
    duration_s: float,
    sample_rate: int,
    *,
    freq_hz: float = 1000.0,
) -> np.ndarray:
    """One sine per channel, each at its own level (None = silent channel)."""
    n = np.arange(n_samples(duration_s, sample_rate))
    x = np.sin(2.0 * np.pi * freq_hz * n / sample_rate)
    return np.stack([db_to_amplitude(level) * x for level in levels_dbfs])


def raised_cosine_fades(x: np.ndarray, fade_s: float, sample_rate: int) -> np.ndarray:
    """Apply raised-cosine fade-in and fade-out of ``fade_s`` each (returns a copy)."""
    n = n_samples(fade_s, sample_rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    y = np.array(x, dtype=np.float64, copy=True)
    y[..., :n] *= ramp
    y[..., -n:] *= ramp[::-1]
    return y


def true_peak_sine(
    amplitude: float,
    phase_deg: float,
    sample_rate: int = 48000,
    *,
    duration_s: float = 1.0,
    fade_s: float = 0.1,
    channels: int = 2,
) -> np.ndarray:
    """EBU 3341 cases 15-19: a sine at fs/4 with raised-cosine fades.

    At fs/4 the samples sit every 90 degrees of the sine, so with ``phase_deg`` the
    largest sample is ``amplitude * max(|sin(phase)|, |cos(phase)|)`` while the
    continuous waveform reaches ``amplitude``.
    """
    n = np.arange(n_samples(duration_s, sample_rate))
    x = amplitude * np.sin(0.5 * np.pi * n + np.deg2rad(phase_deg))
    return raised_cosine_fades(np.tile(x, (channels, 1)), fade_s, sample_rate)


def level_ramp_sine(
    start_dbfs: float,
    slope_db_per_s: float,
    duration_s: float,
    sample_rate: int,
    *,
    freq_hz: float = 1000.0,
    channels: int = 2,
) -> np.ndarray:
    """Sine whose level in dB rises linearly: ``L(t) = start_dbfs + slope * t``."""
    n = np.arange(n_samples(duration_s, sample_rate))
    t = n / sample_rate
    x = 10.0 ** ((start_dbfs + slope_db_per_s * t) / 20.0) * np.sin(2.0 * np.pi * freq_hz * t)
    return np.tile(x, (channels, 1))


def pink_noise(n: int, rng: np.random.Generator, *, channels: int = 1) -> np.ndarray:
    """Pink-ish (1/f power) noise by spectral shaping, unit RMS per channel."""
    spectrum = rng.standard_normal((channels, n // 2 + 1)) + 1j * rng.standard_normal(
        (channels, n // 2 + 1)
    )
    f = np.arange(n // 2 + 1, dtype=np.float64)
    f[0] = 1.0
    spectrum /= np.sqrt(f)
    spectrum[:, 0] = 0.0
    x = np.fft.irfft(spectrum, n=n, axis=-1)
    return x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True))


def _smooth_envelope_db(
    n: int, sample_rate: int, rng: np.random.Generator, *, span_db: float, change_s: float
) -> np.ndarray:
    """Random smooth level curve in dB (0 dB mean-ish), linear between random knots."""
    knots = max(2, int(n / sample_rate / change_s) + 2)
    values = rng.uniform(-span_db / 2, span_db / 2, size=knots)
    positions = np.linspace(0, n - 1, knots)
    return np.interp(np.arange(n), positions, values)


def music_like(
    kind: str,
    duration_s: float,
    sample_rate: int,
    rng: np.random.Generator,
    *,
    channels: int = 2,
    level_dbfs: float = -20.0,
    max_peak_dbfs: float = -1.0,
) -> np.ndarray:
    """Seeded music-like signals with varied dynamics, ``(channels, samples)`` float64.

    kinds: ``"pink_envelope"`` (pink noise with slow level envelopes, partly
    decorrelated channels), ``"tremolo_chords"`` (sine mixtures with tremolo),
    ``"drums"`` (decaying noise/tone bursts on a beat grid), ``"two_sections"``
    (quiet section then loud section), ``"mixed"`` (all of the above summed).
    ``"steps"`` (stationary pink noise in 10 s sections at different levels, whose
    loudness range does not depend on the short-term hop or percentile convention).
    ``level_dbfs`` sets the RMS of the result in dB relative to full scale; the result is
    then turned down if needed so that no sample exceeds ``max_peak_dbfs``.
    """
    n = n_samples(duration_s, sample_rate)
    t = np.arange(n) / sample_rate
    if kind == "pink_envelope":
        common = pink_noise(n, rng)[0]
        x = np.stack([0.7 * common + 0.3 * pink_noise(n, rng)[0] for _ in range(channels)])
        for c in range(channels):
            x[c] *= 10.0 ** (
                _smooth_envelope_db(n, sample_rate, rng, span_db=18, change_s=2.5) / 20
            )
    elif kind == "tremolo_chords":
        x = np.zeros((channels, n))
        for c in range(channels):
            for _ in range(5):
                f = rng.uniform(80.0, 4000.0)
                rate = rng.uniform(0.5, 7.0)
                depth = rng.uniform(0.2, 0.9)
                amp = rng.uniform(0.2, 1.0)
                tremolo = 1.0 - depth * (
                    0.5 + 0.5 * np.sin(2 * np.pi * rate * t + rng.uniform(0, 6.3))
                )
                x[c] += amp * tremolo * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))
            x[c] *= 10.0 ** (
                _smooth_envelope_db(n, sample_rate, rng, span_db=12, change_s=4.0) / 20
            )
    elif kind == "drums":
        x = np.zeros((channels, n))
        beat = rng.uniform(0.3, 0.6)
        starts = np.arange(0.0, duration_s - 0.5, beat)
        for start in starts:
            i0 = n_samples(start, sample_rate)
            length = n_samples(rng.uniform(0.1, 0.4), sample_rate)
            k = np.arange(length)
            decay = np.exp(-k / (length / rng.uniform(3.0, 8.0)))
            if rng.random() < 0.5:  # kick-like tone with falling pitch
                f = rng.uniform(50.0, 120.0) * (1.0 + 2.0 * np.exp(-k / (0.02 * sample_rate)))
                hit = np.sin(2 * np.pi * np.cumsum(f) / sample_rate)
            else:  # snare/hat-like noise
                hit = rng.standard_normal(length)
            gain = 10.0 ** (rng.uniform(-15.0, 0.0) / 20.0)
            pan = rng.uniform(0.2, 0.8)
            stop = min(n, i0 + length)
            for c in range(channels):
                side = pan if c % 2 == 0 else 1.0 - pan
                x[c, i0:stop] += gain * side * (hit * decay)[: stop - i0]
    elif kind == "two_sections":
        x = 0.8 * pink_noise(n, rng, channels=channels) + 0.2 * pink_noise(n, rng)
        half = n // 2
        x[:, :half] *= 10.0 ** (-14.0 / 20.0)  # quiet section 14 dB down
    elif kind == "steps":
        x = 0.8 * pink_noise(n, rng, channels=channels) + 0.5 * pink_noise(n, rng)
        sections = max(2, int(duration_s // 10))
        levels = rng.permutation(np.linspace(-16.0, 0.0, sections))
        edges = np.linspace(0, n, sections + 1).astype(int)
        for level, a, b in zip(levels, edges[:-1], edges[1:], strict=True):
            x[:, a:b] *= 10.0 ** (level / 20.0)
    elif kind == "mixed":
        parts = [
            music_like(k, duration_s, sample_rate, rng, channels=channels, level_dbfs=level_dbfs)
            for k in ("pink_envelope", "tremolo_chords", "drums")
        ]
        x = sum(parts)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    rms = np.sqrt(np.mean(x**2))
    x = x * (10.0 ** (level_dbfs / 20.0) / rms)
    peak = np.max(np.abs(x))
    limit = 10.0 ** (max_peak_dbfs / 20.0)
    return x * (limit / peak) if peak > limit else x


MUSIC_KINDS = ("pink_envelope", "tremolo_chords", "drums", "two_sections", "steps", "mixed")
