"""Stems with known masking, made with numpy only (never mezzo code).

Every generator returns a stereo float64 array ``(2, samples)`` normalised to a given RMS
level (dB relative to a full-scale sine, i.e. the level a sine of that peak would have),
so that relative levels between stems are exact by construction. ``ride`` multiplies a
stem by a gain curve given as ``(time_s, gain_db)`` breakpoints, linear in dB between them.

Spectra (where each stem lives):

- ``lead``: a melody of harmonic tones, 440-880 Hz fundamentals, harmonics up to 3.5 kHz;
  transposed, a second voice with the same spectrum.
- ``pad``: three-note chords of three detuned voices, 98-185 Hz notes, harmonics up to
  3.5 kHz falling as ``1/k^1.5`` (a darker sound that covers the lead's band).
- ``keys``: a second masker in the lead's band: square-ish chords, odd harmonics to 3.5 kHz.
- ``bass``: a saw bass at 55-110 Hz with its harmonics cut above 250 Hz.
- ``kick``: a sine sweeping 120 -> 45 Hz every beat.
- ``hats``: noise high-passed at 7 kHz, a tick every eighth note.
- ``band_noise``: steady noise in one band (for the five-bands case).
"""

from __future__ import annotations

import numpy as np

SR = 48000


def _t(duration_s: float) -> np.ndarray:
    return np.arange(round(duration_s * SR)) / SR


def _normalise(x: np.ndarray, rms_db: float) -> np.ndarray:
    """Scale to the mean square of a sine of peak ``10^(rms_db/20)``; stereo copy if mono."""
    x = np.atleast_2d(x)
    ms = float(np.mean(x**2))
    y = x * (10.0 ** (rms_db / 20.0) * np.sqrt(0.5 / ms))
    return np.repeat(y, 2, axis=0) if y.shape[0] == 1 else y


def _brickwall(x: np.ndarray, lo_hz: float, hi_hz: float) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1.0 / SR)
    spectrum[(freqs < lo_hz) | (freqs > hi_hz)] = 0.0
    return np.fft.irfft(spectrum, x.size)


_TABLE = 4096


def _table(f0_hz: float, top_hz: float, odd_only: bool, rolloff: float) -> np.ndarray:
    """One period of a harmonic tone: harmonics ``k`` of ``f0`` below ``top_hz``, amplitude ``1/k^rolloff``."""
    k = np.arange(1, max(1, int(top_hz // f0_hz)) + 1)
    if odd_only:
        k = k[k % 2 == 1]
    x = np.arange(_TABLE) / _TABLE
    return (np.sin(2 * np.pi * np.outer(x, k)) / k**rolloff).sum(axis=1)


def _harmonic_notes(notes_hz, note_s: float, duration_s: float, top_hz: float, odd_only: bool = False,
                    voices=(1.0,), rolloff: float = 1.0) -> np.ndarray:
    """A melody of harmonic tones (wavetables, continuous phase), one note every ``note_s``."""
    t = _t(duration_s)
    index = (t / note_s).astype(int) % len(notes_hz)
    notes = np.asarray(notes_hz, dtype=float)
    out = np.zeros(t.size)
    for detune in voices:
        f0 = notes[index] * detune
        phase = (np.cumsum(f0) / SR) % 1.0 * _TABLE
        for i, note in enumerate(notes):
            mask = index == i
            table = _table(note * detune, top_hz, odd_only, rolloff)
            out[mask] += np.interp(phase[mask], np.arange(_TABLE + 1), np.append(table, table[0]))
    # soft note edges (10 ms) so notes do not click
    since = t % note_s
    edge = np.clip(np.minimum(since, note_s - since) / 0.01, 0.0, 1.0)
    return out * edge


def lead(duration_s: float, rms_db: float, *, transpose: float = 0.0) -> np.ndarray:
    """The melody, optionally transposed by ``transpose`` semitones (a second voice)."""
    melody = np.array([440.0, 494.0, 523.0, 587.0, 659.0, 587.0, 523.0, 880.0]) * 2.0 ** (transpose / 12.0)
    return _normalise(_harmonic_notes(melody, 0.25, duration_s, 3500.0), rms_db)


def pad(duration_s: float, rms_db: float) -> np.ndarray:
    chords = [(110.0, 138.6, 165.0), (123.5, 155.6, 185.0), (98.0, 123.5, 146.8)]
    x = sum(_harmonic_notes([c[i] for c in chords], 2.0, duration_s, 3500.0, voices=(0.996, 1.0, 1.004),
                            rolloff=1.5) for i in range(3))
    return _normalise(x, rms_db)


def keys(duration_s: float, rms_db: float) -> np.ndarray:
    chords = [(262.0, 330.0, 392.0), (294.0, 349.0, 440.0)]
    x = sum(_harmonic_notes([c[i] for c in chords], 1.0, duration_s, 3500.0, odd_only=True) for i in range(3))
    return _normalise(x, rms_db)


def bass(duration_s: float, rms_db: float) -> np.ndarray:
    x = _harmonic_notes([55.0, 55.0, 73.4, 82.4, 110.0, 98.0], 0.25, duration_s, 250.0)
    return _normalise(_brickwall(x, 20.0, 250.0), rms_db)


def kick(duration_s: float, rms_db: float, beat_s: float = 0.5) -> np.ndarray:
    t = _t(duration_s)
    since = t % beat_s
    freq = 45.0 + 75.0 * np.exp(-since / 0.04)
    phase = 2 * np.pi * np.cumsum(freq) / SR
    return _normalise(np.sin(phase) * np.exp(-since / 0.15), rms_db)


def hats(duration_s: float, rms_db: float, seed: int = 3) -> np.ndarray:
    t = _t(duration_s)
    noise = np.random.default_rng(seed).standard_normal((2, t.size))
    noise = np.stack([_brickwall(ch, 7000.0, 16000.0) for ch in noise])
    since = t % 0.25
    return _normalise(noise * np.exp(-since / 0.03), rms_db)


def band_noise(duration_s: float, rms_db: float, lo_hz: float, hi_hz: float, seed: int = 5) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal((2, _t(duration_s).size))
    return _normalise(np.stack([_brickwall(ch, lo_hz, hi_hz) for ch in noise]), rms_db)


def ride(x: np.ndarray, points: list[tuple[float, float]]) -> np.ndarray:
    """Multiply by a gain curve: ``(time_s, gain_db)`` breakpoints, linear in dB, held at the ends."""
    times, gains = zip(*points, strict=True)
    curve = np.interp(np.arange(x.shape[-1]) / SR, times, gains)
    return x * 10.0 ** (curve / 20.0)


def silence(duration_s: float) -> np.ndarray:
    return np.zeros((2, _t(duration_s).size))
