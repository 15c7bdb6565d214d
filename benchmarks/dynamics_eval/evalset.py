"""Seeded evaluation set for the dynamics map and tempo (generated, nothing stored).

Scored pieces ("score"): MIDI files written with mido (velocities at designed markings,
velocity ramps for hairpins, tempo maps with accelerando, ritardando and steps), rendered
by the additive numpy synthesiser below; brightness grows with velocity as in real
instruments, and the level follows 4 dB per marking step.

Dance tracks ("dance"): drums, bass and pads rendered directly in numpy with designed
build-ups (riser, snare roll doubling its rate, high-pass sweep, thinning low end) and
drops at known times: a standard drop, a half-time drop, a drop after a beat of silence
and a subtle filter-only build-up.

``cases(quick)`` yields ``(name, kind, audio, sample_rate, truth)``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

SR = 22050
MARKINGS = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")
VELOCITY = {"ppp": 16, "pp": 32, "p": 48, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 127}
STEP_DB = 4.0


def velocity_db(v: float) -> float:
    """4 dB per marking step, 16 velocity units per step (mf = 80 -> 0 dB)."""
    return STEP_DB * (v - 80.0) / 16.0


# ------------------------------------------------------------------ scored pieces (MIDI)


def _piece_midi(rng: np.random.Generator, plan: list[tuple[str, str | None, float]],
                tempo_map: list[tuple[float, float, float]], rhythm: str = "eighths") -> tuple[bytes, dict[str, Any]]:
    """Write a MIDI file: ``plan`` = (marking, end marking or None, beats) sections;
    ``tempo_map`` = (beat, bpm at start, bpm at end) segments (linear ramps in 1/8 beats).
    ``rhythm``: ``"eighths"`` (running eighth notes) or ``"mixed"`` (quarters and eighths at
    random, a bass note on every bar's first beat, as in a score)."""
    import mido

    tpb = 480
    mid = mido.MidiFile(ticks_per_beat=tpb)
    meta = mido.MidiTrack()
    notes = mido.MidiTrack()
    mid.tracks += [meta, notes]
    # tempo events every 1/8 beat
    events = []
    for i, (b0, bpm0, bpm1) in enumerate(tempo_map):
        b1 = tempo_map[i + 1][0] if i + 1 < len(tempo_map) else sum(p[2] for p in plan)
        for k in range(int((b1 - b0) * 8)):
            frac = k / max(1, (b1 - b0) * 8)
            events.append((b0 + k / 8, bpm0 + (bpm1 - bpm0) * frac))
    last = 0
    for beat, bpm in events:
        tick = round(beat * tpb)
        meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=tick - last))
        last = tick
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])
    beat = 0.0
    last = 0
    for marking, end_marking, beats in plan:
        v0 = VELOCITY[marking]
        v1 = VELOCITY[end_marking] if end_marking else v0
        n = int(beats * 2)  # eighth-note positions
        k = 0
        while k < n:
            vel = round(v0 + (v1 - v0) * k / max(1, n - 1))
            pitch = int(60 + scale[rng.integers(0, 8)] + 12 * rng.integers(-1, 1))
            length = 1
            if rhythm == "mixed" and k % 2 == 0 and rng.random() < 0.5:
                length = 2  # a quarter note
            on = round((beat + k * 0.5) * tpb)
            off = round(length * 0.45 * tpb)
            if rhythm == "mixed" and k % 8 == 0:  # bass note on the bar's first beat
                bass = int(36 + scale[rng.integers(0, 5)])
                notes.append(mido.Message("note_on", note=bass, velocity=vel, time=on - last))
                last = on
            notes.append(mido.Message("note_on", note=pitch, velocity=vel, time=on - last))
            if rhythm == "mixed" and k % 8 == 0:
                notes.append(mido.Message("note_off", note=bass, velocity=0, time=0))
            notes.append(mido.Message("note_off", note=pitch, velocity=0, time=off))
            last = on + off
            k += length
        beat += beats
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue(), {"plan": plan, "tempo_map": tempo_map}


def render_midi(data: bytes, timbre: str, sr: int = SR) -> np.ndarray:
    """Render a MIDI file (bytes) with an additive synth; brighter with velocity."""
    import mido

    mid = mido.MidiFile(file=io.BytesIO(data))
    notes = []
    active: dict[int, tuple[float, int]] = {}
    t = 0.0
    for msg in mid:  # iterating a MidiFile gives times in seconds (tempo map applied)
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            active[msg.note] = (t, msg.velocity)
        elif msg.type in ("note_off", "note_on") and msg.note in active:
            start, vel = active.pop(msg.note)
            notes.append((start, t, msg.note, vel))
    total = max(n[1] for n in notes) + 2.0
    out = np.zeros(int(total * sr))
    for start, end, pitch, vel in notes:
        f0 = 440.0 * 2 ** ((pitch - 69) / 12)
        dur = end - start + (1.5 if timbre == "piano" else 0.12)
        n = int(dur * sr)
        tt = np.arange(n) / sr
        amp = 10 ** (velocity_db(vel) / 20)
        bright = 0.35 + 0.5 * vel / 127  # harmonic roll-off: brighter when louder
        x = np.zeros(n)
        for h in range(1, 12):
            if f0 * h > 0.45 * sr:
                break
            if timbre == "clarinet" and h % 2 == 0:
                continue
            x += bright ** (h - 1) * np.sin(2 * np.pi * f0 * h * tt)
        if timbre == "piano":
            env = np.minimum(1, tt / 0.005) * np.exp(-tt / 0.8)
        else:
            rel = np.clip((dur - tt) / 0.1, 0, 1)
            env = np.minimum(1, tt / 0.05) * rel
        i = int(start * sr)
        seg = out[i : i + n]
        seg += 0.05 * amp * x[: seg.size] * env[: seg.size]
    return (out / max(1e-9, np.abs(out).max()) * 0.5).astype(np.float32)


def _truth_times(plan, tempo_map) -> dict[str, Any]:
    """Marking per 0.1 s, hairpins and tempo per 0.1 s (seconds) from the beat plan."""
    # beat -> seconds by integrating the tempo map (1/8-beat steps as written)
    total_beats = sum(p[2] for p in plan)
    beats = np.arange(0, total_beats + 1e-9, 1 / 8)
    bpm = np.empty(beats.size)
    for i, b in enumerate(beats):
        seg = max(j for j, m in enumerate(tempo_map) if m[0] <= b + 1e-9)
        b0, bpm0, bpm1 = tempo_map[seg]
        b1 = tempo_map[seg + 1][0] if seg + 1 < len(tempo_map) else total_beats
        k = math.floor((b - b0) * 8 + 1e-9)
        bpm[i] = bpm0 + (bpm1 - bpm0) * k / max(1, (b1 - b0) * 8)
    secs = np.concatenate([[0.0], np.cumsum(60.0 / bpm[:-1] / 8)])
    to_s = lambda b: float(np.interp(b, beats, secs))  # noqa: E731
    marks, hairpins = [], []
    b = 0.0
    for marking, end_marking, n_beats in plan:
        s0, s1 = to_s(b), to_s(b + n_beats)
        i0 = MARKINGS.index(marking)
        i1 = MARKINGS.index(end_marking) if end_marking else i0
        marks.append((s0, s1, i0, i1))
        if end_marking:
            hairpins.append((s0, s1, "crescendo" if i1 > i0 else "decrescendo"))
        b += n_beats
    return {"marks": marks, "hairpins": hairpins, "tempo": (secs, bpm), "end_s": to_s(total_beats)}


PIECES = [
    ("score-steps-piano", "piano",
     [("p", None, 16), ("ff", None, 16), ("mp", None, 16), ("f", None, 16)], [(0, 96, 96)]),
    ("score-hairpins-strings", "strings",
     [("p", None, 12), ("p", "f", 16), ("f", None, 12), ("f", "pp", 16), ("pp", None, 12)],
     [(0, 84, 84)]),
    ("score-accel-clarinet", "clarinet",
     [("mf", None, 16), ("mp", "ff", 24), ("ff", None, 16)], [(0, 90, 90), (16, 90, 120), (40, 120, 120)]),
    ("score-rit-step-piano", "piano",
     [("f", None, 20), ("mf", None, 20), ("pp", "mf", 16), ("mf", None, 12)],
     [(0, 132, 132), (20, 132, 100), (40, 100, 100), (52, 116, 116)]),
]


# ------------------------------------------------------------------ dance tracks


def _dance(kind: str, bpm: float, seed: int, sr: int = SR) -> tuple[np.ndarray, dict[str, Any]]:
    from scipy import signal

    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    bar = 4 * beat
    # form: intro 8 bars (groove), break 4, build 8, drop 16, break 4, build 8, drop 8, outro 4
    form = [("groove", 8), ("break", 4), ("build", 8), ("drop", 16), ("break", 4), ("build", 8), ("drop", 8), ("groove", 4)]
    total = sum(b for _, b in form) * bar + 1.0
    n = int(total * sr)
    t = np.arange(n) / sr
    kick_t = np.arange(int(0.3 * sr)) / sr
    kick = np.sin(2 * np.pi * (45 * kick_t + 4 * (1 - np.exp(-kick_t / 0.03)))) * np.exp(-kick_t / 0.15)
    hat = signal.sosfilt(signal.butter(2, 7000, "highpass", fs=sr, output="sos"), rng.standard_normal(int(0.05 * sr)))
    hat *= np.exp(-np.arange(hat.size) / sr / 0.01)
    snare = signal.sosfilt(signal.butter(2, [1200, 6000], "bandpass", fs=sr, output="sos"), rng.standard_normal(int(0.15 * sr)))
    snare *= np.exp(-np.arange(snare.size) / sr / 0.05)
    drums = np.zeros(n)
    bass_gate = np.zeros(n)
    build_mask = np.zeros(n)
    build_pos = np.zeros(n)
    pad = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.6, 329.6)) * 0.1
    mix_pad_level = np.full(n, 0.5)

    def put(x, at, g):
        i = int(at * sr)
        if i < n:
            m = min(x.size, n - i)
            drums[i : i + m] += g * x[:m]

    truth = {"buildups": [], "drops": [], "beat_s": beat, "tempo_bpm": bpm}
    pos = 0.0
    for section, bars in form:
        start, end = pos, pos + bars * bar
        nb = int(bars * 4)
        if section in ("groove", "drop"):
            half = kind == "halftime" and section == "drop"
            for k in range(nb):
                tb = start + k * beat
                if not half or k % 2 == 0:
                    put(kick, tb, 0.9)
                put(hat, tb + beat / 2, 0.25)
                if (not half and k % 2 == 1) or (half and k % 4 == 2):
                    put(snare, tb, 0.5)
            i0, i1 = int(start * sr), int(end * sr)
            bass_gate[i0:i1] = 1.0 if section == "drop" else 0.6
            if section == "drop":
                truth["drops"].append(start)
        elif section == "build":
            i0, i1 = int(start * sr), int(end * sr)
            build_mask[i0:i1] = 1.0
            build_pos[i0:i1] = np.linspace(0, 1, i1 - i0)
            truth["buildups"].append((start, end))
            if kind != "filter":
                roll = []
                for q in range(4):
                    s0 = start + q * bars / 4 * bar
                    roll += list(s0 + np.arange(int(bars / 4 * 4 * 2**q)) * beat / 2**q)
                for tr in roll:
                    put(snare, tr, 0.15 + 0.45 * (tr - start) / (end - start))
                for k in range(nb):  # kick continues, bass stops
                    put(kick, start + k * beat, 0.6)
            else:
                for k in range(nb):  # the groove goes on; only a filter opens upwards
                    tb = start + k * beat
                    put(kick, tb, 0.9)
                    put(hat, tb + beat / 2, 0.25)
                    if k % 2 == 1:
                        put(snare, tb, 0.5)
                bass_gate[i0:i1] = 1.0
            if kind == "silence":  # one beat of silence before the drop
                drums[int((end - beat) * sr) : i1] = 0.0
        pos = end
    bass_f = np.where(np.mod(t, 2 * bar) < bar, 55.0, 49.0)
    bass = 0.5 * np.sin(2 * np.pi * np.cumsum(bass_f) / sr) * bass_gate
    mix = drums + bass + pad * mix_pad_level
    if kind != "filter":
        riser = signal.sosfilt(signal.butter(2, 3000, "highpass", fs=sr, output="sos"), rng.standard_normal(n))
        mix += 0.2 * riser * build_pos**2 * build_mask
    # high-pass sweep over each build (STFT mask): 20 Hz -> 600 Hz (subtle in "filter")
    from scipy.signal import istft, stft

    f, frames_t, z = stft(mix, fs=sr, nperseg=1024)
    cut = np.interp(frames_t, t, 20.0 + 580.0 * build_pos * build_mask)
    z *= 1.0 / np.sqrt(1.0 + (cut[None, :] / np.maximum(f[:, None], 1.0)) ** 4)
    mix = istft(z, fs=sr, nperseg=1024)[1][:n]
    if kind == "silence":
        for d in truth["drops"]:
            mix[int((d - beat) * sr) : int(d * sr)] = 0.0
    mix = (0.5 * mix / np.abs(mix).max()).astype(np.float32)
    truth["end_s"] = total
    return mix, truth


#: Held-out-style cases written after the constants above were settled and never used to
#: tune them: scored separately (``heldout_cases``).
HELDOUT_PIECES = [
    ("heldout-piano-72-rubato", "piano",
     [("mp", None, 16), ("mp", "f", 16), ("f", None, 8), ("p", None, 16)],
     [(0, 72, 75), (4, 75, 69), (8, 69, 72), (16, 72, 75), (20, 75, 70), (28, 70, 72), (40, 72, 74), (48, 74, 70)]),
    ("heldout-quartet-100-rit", "strings",
     [("f", None, 16), ("f", "p", 12), ("p", None, 12), ("mf", None, 12)],
     [(0, 100, 100), (28, 100, 78), (40, 78, 78), (44, 100, 100)]),
]
HELDOUT_DANCE = [("heldout-dance-halftime-174", "halftime", 174.0)]

DANCE = [("dance-standard-126", "standard", 126.0), ("dance-halftime-140", "halftime", 140.0),
         ("dance-silence-124", "silence", 124.0), ("dance-filter-128", "filter", 128.0)]


def cases(quick: bool = False, seed: int = 6) -> Iterator[tuple[str, str, np.ndarray, int, dict[str, Any]]]:
    """Yield every evaluation case: ``(name, kind, audio, sample_rate, truth)``."""
    pieces = PIECES[:2] if quick else PIECES
    for i, (name, timbre, plan, tempo_map) in enumerate(pieces):
        rng = np.random.default_rng([seed, i])
        data, _ = _piece_midi(rng, plan, tempo_map)
        yield name, "score", render_midi(data, timbre), SR, _truth_times(plan, tempo_map)
    dance = DANCE[:2] if quick else DANCE
    for i, (name, kind, bpm) in enumerate(dance):
        audio, truth = _dance(kind, bpm, seed * 100 + i)
        yield name, "dance", audio, SR, truth


def heldout_cases(seed: int = 61) -> Iterator[tuple[str, str, np.ndarray, int, dict[str, Any]]]:
    """Yield the held-out-style cases (mixed rhythms with a bass line, rubato, ritardando, 174 BPM)."""
    for i, (name, timbre, plan, tempo_map) in enumerate(HELDOUT_PIECES):
        rng = np.random.default_rng([seed, i])
        data, _ = _piece_midi(rng, plan, tempo_map, rhythm="mixed")
        yield name, "score", render_midi(data, timbre), SR, _truth_times(plan, tempo_map)
    for i, (name, kind, bpm) in enumerate(HELDOUT_DANCE):
        audio, truth = _dance(kind, bpm, seed * 100 + i)
        yield name, "dance", audio, SR, truth
