"""A built-in demo track: a short, seeded piece of electronic music made with numpy.

The piece is 40 bars of 4/4 at 128 BPM in A minor (75 s), in five sections listed in
:data:`SECTIONS`: a quiet intro (pad and a soft lead), a build-up (riser noise with a rising
high-pass, a snare roll that doubles its rate every two bars, a crescendo and a thinning low
end), a loud drop (kick, clap, hi-hats, bass, pad and lead), a soft break and an outro that
fades out. It exists so that every meter and processor of mezzo can be tried on music
without shipping an audio file.

Everything is vectorised numpy/scipy (wavetable oscillators, one-shot drum templates placed
per event, ``scipy.signal.sosfilt`` filters, an STFT mask for the sweeping high-pass): no
per-sample Python loop. The same ``seed`` gives the same samples.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo._validate import check_range, check_sample_rate
from mezzo.errors import ParameterError
from mezzo.results import to_dict

__all__ = [
    "BARS",
    "BEATS_PER_BAR",
    "DURATION_S",
    "MARKS",
    "PEAK_DBFS",
    "SECTIONS",
    "STEM_NAMES",
    "TEMPO_BPM",
    "Section",
    "stems",
    "track",
]

#: Tempo of the piece in beats per minute.
TEMPO_BPM = 128.0
#: Beats per bar (4/4 time).
BEATS_PER_BAR = 4
#: Number of bars.
BARS = 40
#: Length of the piece in seconds (40 bars at 128 BPM = 75 s).
DURATION_S = BARS * BEATS_PER_BAR * 60.0 / TEMPO_BPM
#: Sample peak of the mix in dBFS after normalisation.
PEAK_DBFS = -1.5
#: Names of the stems, in the order they are summed into the mix.
STEM_NAMES = ("drums", "bass", "pad", "lead")
#: The written dynamics ``mezzo demo`` and the studio shape the piece with (the markings language,
#: see :mod:`mezzo.marks`): a soft intro, a written crescendo through the build-up into a
#: fortissimo drop, and a softer break and outro.
MARKS = "0:mf 15:< 30:ff 60:mf"

_BEAT_S = 60.0 / TEMPO_BPM
_BAR_S = BEATS_PER_BAR * _BEAT_S


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the demo piece's form.

    Attributes
    ----------
    name : str
        ``"intro"``, ``"build"``, ``"drop"``, ``"break"`` or ``"outro"``.
    start_s, end_s : float
        Start and end time in seconds (end exclusive).
    marking : str
        Dynamic marking at the start of the section (``"pp"`` … ``"ff"``).
    end_marking : str or None
        Marking reached at the end of a hairpin (crescendo or decrescendo) over the
        section; ``None`` when the level holds.
    """

    name: str
    start_s: float
    end_s: float
    marking: str
    end_marking: str | None = None

    @property
    def duration_s(self) -> float:
        """Length of the section in seconds."""
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        """Return the section as a JSON-ready dict."""
        return to_dict(self)


def _bars(bar: float) -> float:
    """Time in seconds of the start of ``bar`` (0-based)."""
    return bar * _BAR_S


#: The form of the piece: intro p, build mp→f, drop ff, break p, outro pp fading out.
SECTIONS: tuple[Section, ...] = (
    Section("intro", _bars(0), _bars(8), "p"),
    Section("build", _bars(8), _bars(16), "mp", "f"),
    Section("drop", _bars(16), _bars(32), "ff"),
    Section("break", _bars(32), _bars(36), "p"),
    Section("outro", _bars(36), _bars(40), "pp", "ppp"),
)

# --------------------------------------------------------------------------------------
# Score (A minor; chords per bar, a rolling bass, a four-phrase melody over 8 bars)
# --------------------------------------------------------------------------------------

# i - VI - III - VII, one chord per bar.
_CHORD_LOOP = (
    (57, 60, 64),  # Am: A3 C4 E4
    (53, 57, 60),  # F:  F3 A3 C4
    (55, 60, 64),  # C:  G3 C4 E4
    (55, 59, 62),  # G:  G3 B3 D4
)
_BASS_ROOTS = (33, 29, 36, 31)  # A1, F1, C2, G1
# Semitones above the root for each 16th of a bar; None is a rest (where the kick falls).
_BASS_STEPS = (None, 0, 0, 12) * 3 + (None, 0, 12, 7)
# (start beat, length in beats, MIDI note) over an 8-bar (32-beat) cycle; 4 two-bar phrases.
_MELODY = (
    (0.0, 1.5, 76), (1.5, 0.5, 74), (2.0, 1.0, 72), (3.0, 1.0, 69),
    (4.0, 1.5, 72), (5.5, 0.5, 69), (6.0, 0.5, 72), (6.5, 1.25, 74),
    (8.0, 1.0, 76), (9.0, 1.0, 79), (10.0, 1.0, 76), (11.0, 1.0, 74),
    (12.0, 0.5, 74), (12.5, 0.5, 72), (13.0, 1.0, 71), (14.0, 1.75, 67),
    (16.0, 1.5, 81), (17.5, 0.5, 79), (18.0, 1.5, 76), (19.5, 0.5, 74),
    (20.0, 1.0, 72), (21.0, 0.5, 74), (21.5, 0.5, 76), (22.0, 1.75, 77),
    (24.0, 1.0, 76), (25.0, 0.5, 74), (25.5, 0.5, 72), (26.0, 1.0, 74),
    (27.0, 1.0, 76), (28.0, 2.0, 74), (30.0, 1.5, 71),
)  # fmt: skip
# Level of each two-bar phrase of the lead, dB (before a seeded jitter of ±1 dB): the
# singer is uneven on purpose, so that a leveler or compressor has something to do.
_PHRASE_DB = (0.0, -6.0, -2.5, -8.0)
# Formants of an open "ah": centre Hz, relative bandwidth, gain.
_FORMANTS = ((730.0, 0.5, 1.0), (1150.0, 0.35, 0.5), (2700.0, 0.25, 0.25))

# Fader automation (bar, dB) for the continuous parts; None is silence.
_PAD_FADER = (
    (0.0, None), (0.02, -30.0), (2.0, -7.0), (8.0, -7.0), (8.0, -10.0), (16.0, 1.0), (16.0, -4.0),
    (32.0, -4.0), (32.0, -7.0), (36.0, -7.0), (36.0, -13.0), (40.0, -42.0),
)  # fmt: skip
_LEAD_FADER = (
    (0.0, -13.0), (8.0, -13.0), (8.0, None), (16.0, None), (16.0, 0.0), (32.0, 0.0),
    (32.0, -12.0), (36.0, -14.0), (36.0, None), (40.0, None),
)  # fmt: skip
_BASS_FADER = (
    (0.0, None), (8.0, None), (8.0, -12.0), (16.0, 0.0), (32.0, 0.0),
    (32.0, None), (40.0, None),
)  # fmt: skip


def _midi_hz(note: np.ndarray | float) -> np.ndarray:
    return 440.0 * np.power(2.0, (np.asarray(note, dtype=np.float64) - 69.0) / 12.0)


def _db(value_db: float) -> float:
    return 10.0 ** (value_db / 20.0)


# --------------------------------------------------------------------------------------
# Building blocks (all vectorised)
# --------------------------------------------------------------------------------------

_TABLE_SIZE = 8192


@functools.lru_cache(maxsize=16)
def _saw_table(harmonics: int) -> np.ndarray:
    """One period of a band-limited sawtooth (peak about 1), float32, ``_TABLE_SIZE`` long."""
    k = np.arange(1, max(harmonics, 1) + 1, dtype=np.float64)
    sigma = np.sinc(k / (k[-1] + 1))  # Lanczos sigma factors tame the Gibbs ripple
    x = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    table = (np.sin(2.0 * np.pi * np.outer(x, k)) * (sigma / k)).sum(axis=1)
    table = (table / np.abs(table).max()).astype(np.float32)
    table.setflags(write=False)
    return table


def _oscillator(
    freq_hz: np.ndarray, sample_rate: float, table: np.ndarray, phase0: float
) -> np.ndarray:
    """Wavetable oscillator following a per-sample frequency track (nearest-sample lookup)."""
    phase = np.cumsum(freq_hz * (_TABLE_SIZE / sample_rate))
    phase += phase0 * _TABLE_SIZE
    index = phase.astype(np.int64)
    index &= _TABLE_SIZE - 1
    return table[index]


def _harmonics(sample_rate: float, top_hz: float) -> int:
    """Number of harmonics of a note at ``top_hz`` that stay below 0.45·sample_rate."""
    return max(1, int(0.45 * sample_rate / top_hz))


def _fader(points: tuple[tuple[float, float | None], ...], t_s: np.ndarray) -> np.ndarray:
    """Piecewise-linear automation in dB (``None`` is silence) evaluated at times ``t_s``."""
    times = np.array([bar * _BAR_S for bar, _ in points])
    for i in range(1, times.size):  # a step becomes a 20 ms ramp (no clicks)
        times[i] = max(times[i], times[i - 1] + 0.02)
    levels = np.array([-120.0 if db is None else db for _, db in points])
    level_db = np.interp(t_s, times, levels)
    gain = np.power(10.0, level_db / 20.0).astype(np.float32)
    gain[level_db <= -119.0] = 0.0
    return gain


def _sweep_highpass(
    x: np.ndarray, sample_rate: float, start_hz: float, end_hz: float, *, order: int = 4
) -> np.ndarray:
    """High-pass ``x`` (…, samples) with a cutoff rising exponentially from start to end.

    Implemented as a Butterworth magnitude mask on the STFT (Hann, 2048 points, 50 %
    overlap), so the cutoff can move smoothly without a per-sample filter loop.
    """
    from scipy import signal

    nperseg = 2048
    freqs, times, spec = signal.stft(x, fs=sample_rate, nperseg=nperseg, axis=-1)
    progress = np.clip(times / (x.shape[-1] / sample_rate), 0.0, 1.0)
    cutoff = start_hz * (end_hz / start_hz) ** progress
    ratio = cutoff[np.newaxis, :] / np.maximum(freqs[:, np.newaxis], 1.0)
    spec *= 1.0 / np.sqrt(1.0 + ratio ** (2 * order))
    _, y = signal.istft(spec, fs=sample_rate, nperseg=nperseg, time_axis=-1, freq_axis=-2)
    return y[..., : x.shape[-1]].astype(np.float32)


def _place(
    out: np.ndarray, onsets_s: np.ndarray, gains: np.ndarray, hits: np.ndarray, sample_rate: int
) -> None:
    """Add one-shot ``hits`` (n_hits, 2, length) into ``out`` (2, samples) at ``onsets_s``.

    The loop runs over events (a few hundred), each a slice addition. Each hit gets a
    5 ms fade-out at its end.
    """
    total = out.shape[-1]
    length = hits.shape[-1]
    fade = np.minimum(1.0, (length - np.arange(length)) / (0.005 * sample_rate))
    hits = hits * fade.astype(np.float32)  # 5 ms fade-out so truncated tails do not click
    starts = np.round(np.asarray(onsets_s) * sample_rate).astype(np.int64)
    for start, gain, hit in zip(starts, gains, hits, strict=True):
        stop = min(start + length, total)
        if stop > start:
            out[:, start:stop] += gain * hit[:, : stop - start]


def _envelope(t_s: np.ndarray, attack_s: float, decay_s: float) -> np.ndarray:
    return (1.0 - np.exp(-t_s / attack_s)) * np.exp(-t_s / decay_s)


# --------------------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------------------


def _drums(sample_rate: int, total: int, rng: np.random.Generator) -> np.ndarray:
    """Kick, clap, hi-hats, snare roll, crash and the riser sweep, (2, total) float32."""
    from scipy import signal

    sr = sample_rate
    out = np.zeros((2, total), dtype=np.float32)
    beats_drop = np.arange(16 * 4, 32 * 4) * _BEAT_S

    # Kick: sine swept from 160 Hz down to 48 Hz (phase in closed form), exponential decay.
    t = np.arange(int(0.42 * sr)) / sr
    f_end, f_start, tau_pitch = 48.0, 160.0, 0.035
    phase = 2 * np.pi * (f_end * t + (f_start - f_end) * tau_pitch * (1 - np.exp(-t / tau_pitch)))
    kick = np.sin(phase) * _envelope(t, 0.0015, 0.16)
    click = rng.standard_normal(t.size) * np.exp(-t / 0.004)
    click = signal.sosfilt(signal.butter(2, 3000.0, "lowpass", fs=sr, output="sos"), click)
    kick = np.tanh(1.6 * (kick + 0.25 * click)) / np.tanh(1.6)
    kick_hits = np.broadcast_to(kick.astype(np.float32), (beats_drop.size, 2, t.size))
    _place(out, beats_drop, np.full(beats_drop.size, 1.0), kick_hits, sr)

    # Clap on beats 2 and 4 of the drop: three quick band-passed noise bursts and a tail.
    claps = beats_drop[1::2]
    t = np.arange(int(0.3 * sr)) / sr
    env = sum(
        np.where(t >= d, np.exp(-np.maximum(t - d, 0) / 0.004), 0.0) for d in (0.0, 0.011, 0.022)
    )
    env = env + 0.9 * np.where(t >= 0.033, np.exp(-np.maximum(t - 0.033, 0) / 0.07), 0.0)
    sos = signal.butter(2, (900.0, min(3200.0, 0.45 * sr)), "bandpass", fs=sr, output="sos")
    noise = rng.standard_normal((claps.size, 2, t.size), dtype=np.float32)
    clap_hits = (signal.sosfilt(sos, noise, axis=-1) * (2.2 * env)).astype(np.float32)
    _place(out, claps, _db(-4.0) * rng.uniform(0.9, 1.0, claps.size), clap_hits, sr)

    # Hi-hats: high-passed noise ticks; closed on the 16ths around the offbeat, open on it.
    sos = signal.butter(4, min(7000.0, 0.4 * sr), "highpass", fs=sr, output="sos")
    t = np.arange(int(0.25 * sr)) / sr
    open_times = beats_drop + 0.5 * _BEAT_S
    closed_drop = (beats_drop[:, None] + np.array([0.25, 0.75]) * _BEAT_S).ravel()
    closed_build = np.arange(12 * 16, 16 * 16) * (_BEAT_S / 4)  # 16ths in the second half
    closed_times = np.concatenate([closed_build, closed_drop])
    ramp = np.interp(closed_times, [_bars(12), _bars(16), _bars(32)], [-30.0, -20.0, -14.0])
    closed_gains = np.power(10.0, ramp / 20.0) * rng.uniform(0.6, 1.0, closed_times.size)
    pan = np.array([[0.75], [1.0]])
    noise = rng.standard_normal((closed_times.size, 2, t.size // 4), dtype=np.float32)
    closed_hits = signal.sosfilt(sos, noise, axis=-1) * (
        pan * _envelope(t[: t.size // 4], 0.0005, 0.012)
    )
    _place(out, closed_times, closed_gains, closed_hits.astype(np.float32), sr)
    noise = rng.standard_normal((open_times.size, 2, t.size), dtype=np.float32)
    open_hits = signal.sosfilt(sos, noise, axis=-1) * (pan[::-1] * _envelope(t, 0.001, 0.055))
    _place(
        out,
        open_times,
        _db(-11.0) * rng.uniform(0.85, 1.0, open_times.size),
        open_hits.astype(np.float32),
        sr,
    )

    # Crash at the start of the drop.
    t = np.arange(int(2.0 * sr)) / sr
    noise = rng.standard_normal((1, 2, t.size), dtype=np.float32)
    crash = signal.sosfilt(
        signal.butter(2, min(4000.0, 0.4 * sr), "highpass", fs=sr, output="sos"), noise, axis=-1
    )
    _place(
        out,
        np.array([_bars(16)]),
        np.array([_db(-14.0)]),
        (crash * _envelope(t, 0.002, 0.6)).astype(np.float32),
        sr,
    )

    # Snare roll through the build, doubling its rate every two bars (4ths, 8ths, 16ths, 32nds).
    roll = np.concatenate(
        [_bars(8 + 2 * i) + np.arange(8 * 2**i) * (_BEAT_S / 2**i) for i in range(4)]
    )
    t = np.arange(int(0.2 * sr)) / sr
    sos = signal.butter(2, (1200.0, min(7000.0, 0.45 * sr)), "bandpass", fs=sr, output="sos")
    noise = rng.standard_normal((roll.size, 2, t.size), dtype=np.float32)
    body = 0.6 * np.sin(2 * np.pi * 190.0 * t) * _envelope(t, 0.0005, 0.04)
    snare_hits = (
        signal.sosfilt(sos, noise, axis=-1) * (1.8 * _envelope(t, 0.0005, 0.06)) + body
    ).astype(np.float32)
    level_db = np.interp(roll, [_bars(8), _bars(16)], [-22.0, -10.0])
    _place(
        out,
        roll,
        np.power(10.0, level_db / 20.0) * rng.uniform(0.85, 1.0, roll.size),
        snare_hits,
        sr,
    )

    # Riser: white noise with a high-pass rising from 150 Hz to 9 kHz and a swelling level.
    start, stop = round(_bars(8) * sr), round(_bars(16) * sr)
    noise = rng.standard_normal((2, stop - start), dtype=np.float32)
    riser = _sweep_highpass(noise, sr, 150.0, min(9000.0, 0.4 * sr))
    swell = np.linspace(-38.0, -16.0, stop - start)
    out[:, start:stop] += riser * np.power(10.0, swell / 20.0).astype(np.float32)
    return out


def _bass(sample_rate: float, t_s: np.ndarray) -> np.ndarray:
    """Rolling 16th-note saw bass through a low-pass, mono, float32."""
    from scipy import signal

    sr = sample_rate
    step_s = _BEAT_S / 4
    step = np.minimum((t_s / step_s).astype(np.int64), BARS * 16 - 1)
    t_in_step = t_s - step * step_s
    # Per 16th step (a few hundred values), then expanded per sample through ``step``.
    steps = np.arange(BARS * 16)
    offsets = np.array([-1 if s is None else s for s in _BASS_STEPS])[steps % 16]
    notes = np.array(_BASS_ROOTS)[(steps // 16) % 4] + np.maximum(offsets, 0)
    freq = _midi_hz(notes)[step]
    tone = _oscillator(freq, sr, _saw_table(_harmonics(sr, 135.0)), 0.0)  # top note C3
    sub = _oscillator(freq, sr, _saw_table(1), 0.25)  # one harmonic: a sine
    release = np.clip((step_s - t_in_step) / 0.005, 0.0, 1.0)  # back to 0 before the next 16th
    gate = (offsets >= 0)[step] * _envelope(t_in_step, 0.002, 0.09) * release
    x = (0.7 * tone + 0.5 * sub) * gate.astype(np.float32)
    x = signal.sosfilt(signal.butter(2, 700.0, "lowpass", fs=sr, output="sos"), x).astype(
        np.float32
    )
    x *= _fader(_BASS_FADER, t_s)
    # Thin the low end through the build: high-pass rising from 30 Hz to 400 Hz.
    start, stop = round(_bars(8) * sr), round(_bars(16) * sr)
    x[start:stop] = _sweep_highpass(x[start:stop], sr, 30.0, 400.0)
    return x


def _pump(t_s: np.ndarray, depth: float) -> np.ndarray:
    """Side-chain style ducking on every beat of the drop (1 elsewhere)."""
    since_beat = np.mod(t_s, _BEAT_S)
    duck = 1.0 - depth * _envelope(since_beat, 0.004, 0.11)
    in_drop = (t_s >= _bars(16)) & (t_s < _bars(32))
    return np.where(in_drop, duck, 1.0).astype(np.float32)


def _pad(sample_rate: float, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Detuned-saw chords with a slow swell on each chord, (2, total) float32."""
    from scipy import signal

    sr = sample_rate
    bar = np.minimum((t_s / _BAR_S).astype(np.int64), BARS - 1)
    chord_index = bar % 4
    chord_index[bar >= BARS - 2] = 0  # end on A minor
    t_in_bar = t_s - bar * _BAR_S
    table = _saw_table(_harmonics(sr, 660.0 * 1.01))
    detunes_cents = (-9.0, 0.0, 9.0)
    pans = ((1.0, 0.35), (0.7, 0.7), (0.35, 1.0))  # (left, right) gain per detuned voice
    chords = np.array(_CHORD_LOOP)
    left = np.zeros(t_s.size, dtype=np.float32)
    right = np.zeros(t_s.size, dtype=np.float32)
    for voice in range(3):
        base_hz = _midi_hz(chords[:, voice])[chord_index]
        for cents, (gain_l, gain_r) in zip(detunes_cents, pans, strict=True):
            tone = _oscillator(base_hz * 2 ** (cents / 1200.0), sr, table, rng.uniform())
            left += gain_l * tone
            right += gain_r * tone
    x = np.stack([left, right]) * np.float32(1.0 / 6.0)
    x = signal.sosfilt(signal.butter(2, 1800.0, "lowpass", fs=sr, output="sos"), x, axis=-1)
    # Each chord swells in and dips over the last 150 ms of its bar (continuous gain).
    swell = 0.55 + 0.45 * (1.0 - np.exp(-t_in_bar / 0.6)) * np.clip(
        (_BAR_S - t_in_bar) / 0.15, 0.0, 1.0
    )
    x *= (swell * _pump(t_s, 0.6)).astype(np.float32) * _fader(_PAD_FADER, t_s)
    # Thin the low end through the build as well.
    start, stop = round(_bars(8) * sr), round(_bars(16) * sr)
    x[:, start:stop] = _sweep_highpass(x[:, start:stop], sr, 60.0, 900.0)
    return x.astype(np.float32)


def _lead(sample_rate: float, t_s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Vocal-like monophonic lead (glide, delayed vibrato, formant filters), mono, float32."""
    from scipy import signal

    sr = sample_rate
    # Melody (from its start) wherever the lead plays: intro (bars 4-7), drop (16-31), break (32-35).
    melody = np.array(_MELODY)
    starts, lengths, notes = [], [], []
    for first_bar, bars in ((4, 4), (16, 8), (24, 8), (32, 4)):
        keep = melody[:, 0] < bars * BEATS_PER_BAR
        starts.append(_bars(first_bar) + melody[keep, 0] * _BEAT_S)
        lengths.append(melody[keep, 1] * _BEAT_S * 0.92)
        notes.append(melody[keep, 2])
    start_s, length_s, note = (np.concatenate(a) for a in (starts, lengths, notes))
    # Phrase (two bars) levels: uneven by design, with a seeded jitter.
    phrase = np.floor(start_s / (2 * _BAR_S)).astype(np.int64)
    phrase_db = np.array(_PHRASE_DB)[phrase % 4] + rng.uniform(-1.0, 1.0, phrase.max() + 1)[phrase]
    accent = rng.uniform(0.8, 1.0, start_s.size)

    index = np.maximum(np.searchsorted(start_s, t_s, side="right") - 1, 0)
    since_on = t_s - start_s[index]
    gate = ((since_on >= 0) & (since_on < length_s[index])) * (
        np.power(10.0, phrase_db / 20.0) * accent
    )[index]
    # One-pole smoothing of the gate (25 ms) makes soft, vocal onsets and releases.
    pole = math.exp(-1.0 / (0.025 * sr))
    env = signal.lfilter([1.0 - pole], [1.0, -pole], gate).astype(np.float32)
    # Pitch: glide between notes (40 ms), vibrato 5.5 Hz of ±0.35 semitone fading in over 0.4 s.
    pole = math.exp(-1.0 / (0.04 * sr))
    pitch = signal.lfilter([1.0 - pole], [1.0, -pole], note[index], zi=[pole * note[0]])[0]
    depth = 0.35 * np.clip(since_on / 0.4, 0.0, 1.0)
    pitch = pitch + depth * np.sin(2 * np.pi * 5.5 * t_s)
    freq = _midi_hz(pitch)
    source = _oscillator(freq, sr, _saw_table(_harmonics(sr, 900.0)), 0.0)
    source += 0.12 * rng.standard_normal(t_s.size, dtype=np.float32)  # breath
    voice = np.zeros(t_s.size, dtype=np.float32)
    for centre_hz, width, gain in _FORMANTS:
        band = (centre_hz * (1 - width / 2), min(centre_hz * (1 + width / 2), 0.45 * sr))
        sos = signal.butter(1, band, "bandpass", fs=sr, output="sos")
        voice += np.float32(gain) * signal.sosfilt(sos, source).astype(np.float32)
    voice *= env * _fader(_LEAD_FADER, t_s)
    return voice


def _echo(voice: np.ndarray, sample_rate: int) -> np.ndarray:
    """Stereo echo of a mono part: dotted-8th repeat on the left, quarter on the right."""
    total = voice.size
    out = np.stack([voice, voice])
    for channel, delay_beats in ((0, 0.75), (1, 1.0)):
        delay = round(delay_beats * _BEAT_S * sample_rate)
        if delay < total:
            out[channel, delay:] += 0.3 * voice[: total - delay]
    return out


def _upsample(x: np.ndarray, factor: int, total: int) -> np.ndarray:
    """Polyphase upsampling by ``factor`` along the last axis, trimmed to ``total`` samples."""
    if factor == 1:
        return x[..., :total]
    from scipy import signal

    return signal.resample_poly(x, factor, 1, axis=-1)[..., :total].astype(np.float32)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ParameterError(f"seed={seed!r} is not an integer: pass a whole number such as 0")
    check_range("seed", seed, 0, None)
    return int(seed)


def stems(sample_rate: int = 48000, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Render the demo piece as four stereo stems at mix level.

    Parameters
    ----------
    sample_rate : int, 8000 to 384000, Hz
        Sample rate of the rendering.
    seed : int, >= 0
        Seed of ``numpy.random.default_rng`` for the noise and the small random variations;
        the same seed gives identical samples.

    Returns
    -------
    dict of str to ndarray, shape (2, samples), float32
        ``"drums"`` (kick, clap, hi-hats, crash, snare roll and the riser sweep), ``"bass"``,
        ``"pad"`` and ``"lead"``, in the order of :data:`STEM_NAMES`.

    Notes
    -----
    The stems already carry the mix gain (the one gain that puts the mix's sample peak at
    :data:`PEAK_DBFS`), so ``drums + bass + pad + lead`` summed in float32 in that order is
    exactly :func:`track`.

    Examples
    --------
    >>> parts = stems(8000)
    >>> sorted(parts), parts["lead"].shape
    (['bass', 'drums', 'lead', 'pad'], (2, 600000))
    """
    sample_rate = check_sample_rate(sample_rate)
    seed = _check_seed(seed)
    rng = np.random.default_rng(seed)
    total = round(DURATION_S * sample_rate)
    # The tonal parts live below 4 kHz: render them at a lower rate, then upsample.
    factor = max(1, sample_rate // 12000)
    low_rate = sample_rate / factor
    t_s = np.arange(-(-total // factor)) / low_rate
    drums = _drums(sample_rate, total, rng)
    bass = _upsample(_bass(low_rate, t_s), factor, total)
    pad = _upsample(_pad(low_rate, t_s, rng), factor, total)
    lead = _upsample(_lead(low_rate, t_s, rng), factor, total)
    parts = {
        "drums": drums,
        "bass": np.stack([bass, bass]),
        "pad": pad,
        "lead": _echo(lead, sample_rate),
    }
    mix = parts["drums"] + parts["bass"]
    mix += parts["pad"]
    mix += parts["lead"]
    gain = np.float32(_db(PEAK_DBFS) / max(float(mix.max()), -float(mix.min())))
    for part in parts.values():
        part *= gain
    return parts


def track(sample_rate: int = 48000, *, seed: int = 0) -> tuple[np.ndarray, int]:
    """Render the demo piece: 75 s of stereo electronic music at 128 BPM.

    Parameters
    ----------
    sample_rate : int, 8000 to 384000, Hz
        Sample rate of the rendering.
    seed : int, >= 0
        Seed of ``numpy.random.default_rng``; the same seed gives identical samples.

    Returns
    -------
    audio : ndarray, shape (2, samples), float32
        The mix; its sample peak is :data:`PEAK_DBFS` (-1.5 dBFS).
    sample_rate : int
        The sample rate, in Hz.

    Notes
    -----
    The form is in :data:`SECTIONS`; the mix is the sum of :func:`stems`.

    Examples
    --------
    >>> audio, rate = track(8000)
    >>> audio.shape, audio.dtype, rate
    ((2, 600000), dtype('float32'), 8000)
    """
    parts = stems(sample_rate, seed=seed)
    mix = parts["drums"] + parts["bass"]
    mix += parts["pad"]
    mix += parts["lead"]
    return mix, int(sample_rate)
