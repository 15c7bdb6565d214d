"""How each corpus SoundFont turns MIDI velocity into level and brightness.

    .venv/bin/python benchmarks/dynamics_eval/soundfont_curves.py

One E4 note (1 s, held) per General MIDI program and velocity, rendered by FluidSynth as the
corpus renders (``build_corpus.render``); printed: the level over its first 0.8 s (RMS of the
mono mix) in dB relative to velocity 120, the spectral centroid (Hz), and the attack time at
velocity 88 (ms from 10 % to 90 % of the envelope's peak, its Hilbert magnitude smoothed over
5 ms). A SoundFont that follows the SoundFont 2 default curve reads -28 dB at velocity 24
(40 log10(24/120)) and the same centroid at every velocity (gain only: no brighter timbre to read
the force from); a slow attack hides a note's onset from the onset functions the tempo reader uses.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_corpus

PROGRAMS = {"piano": 0, "violin": 40, "viola": 41, "cello": 42, "clarinet": 71, "choir aahs": 52}
VELOCITIES = (24, 40, 56, 72, 88, 104, 120)


def note_midi(program: int, velocity: int) -> bytes:
    """A one-note MIDI file: ``program`` playing E4 at ``velocity`` for one second (120 BPM)."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.Message("program_change", program=program, time=0))
    track.append(mido.Message("note_on", note=64, velocity=velocity, time=0))
    track.append(mido.Message("note_off", note=64, velocity=0, time=960))
    track.append(mido.MetaMessage("end_of_track", time=480))
    out = io.BytesIO()
    mid.save(file=out)
    return out.getvalue()


def level_and_centroid(audio: np.ndarray, rate: int) -> tuple[float, float]:
    """(RMS level in dB, spectral centroid in Hz) of the first 0.8 s of ``audio`` (channels, samples)."""
    mono = audio[:, : int(0.8 * rate)].mean(axis=0)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.size)))
    freqs = np.fft.rfftfreq(mono.size, 1.0 / rate)
    return 10.0 * np.log10(np.mean(mono**2) + 1e-20), float(np.sum(spectrum * freqs) / np.sum(spectrum))


def attack_ms(audio: np.ndarray, rate: int) -> float:
    """Time (ms) from 10 % to 90 % of the peak of the envelope of ``audio`` (channels, samples)."""
    from scipy.signal import hilbert

    mono = audio.mean(axis=0)
    width = max(1, int(0.005 * rate))
    env = np.convolve(np.abs(hilbert(mono)), np.ones(width) / width, mode="same")
    peak = float(env.max())
    return 1000.0 * float(np.argmax(env >= 0.9 * peak) - np.argmax(env >= 0.1 * peak)) / rate


def main() -> int:
    missing = build_corpus.missing_prerequisites()
    if missing:
        for m in missing:
            print(f"skipped: {m}", file=sys.stderr)
        return 2
    print(f"{'SoundFont':<18} {'program':<11} level (dB re velocity 120) at {VELOCITIES} | centroid (Hz) | attack")
    rate = build_corpus.SAMPLE_RATE
    for font in build_corpus.FONTS:
        for name, program in PROGRAMS.items():
            notes = {v: build_corpus.render(note_midi(program, v), font) for v in VELOCITIES}
            rows = [level_and_centroid(audio, rate) for audio in notes.values()]
            top = rows[-1][0]
            attack = attack_ms(notes[88], rate)
            print(f"{font:<18} {name:<11} " + " ".join(f"{db - top:6.1f}" for db, _ in rows)
                  + " | " + " ".join(f"{hz:5.0f}" for _, hz in rows) + f" | {attack:4.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
