"""Dance tracks synthesised sound by sound in numpy: a second, differently made TUNING source.

    .venv/bin/python benchmarks/dynamics_eval/synth_dance.py            # build what is missing
    .venv/bin/python benchmarks/dynamics_eval/synth_dance.py --force    # rebuild everything

The dance tracks of ``dance.py`` are General MIDI stems rendered by FluidSynth; a detector tuned
on them alone learns that renderer (its snare rolls, for one, ring at 135 Hz and fill the kick
band). These tracks are made another way, as a drum machine and a few synthesisers would make
them: a sine kick with a falling pitch, band-passed noise snares, claps and hats, a saw or sine
bass, detuned-saw pads, plucked arpeggios, white-noise and pitch risers, and filter sweeps as
STFT masks on the whole mix or on groups of sounds. They are for TUNING only (never scored as
validation) and written by code from seeds, never stored in git. The builder also writes the
tracks of mezzo's first evaluation set (``classic_dance.py``), a third way of making them.

Each track is 4/4 at 70-176 BPM in one of five feels (``four``: four on the floor; ``half``:
half-time drums; ``dnb``: two-step breakbeat; ``breaks``: a slower breakbeat; ``trap``: a slow
half-time pattern with rolling hats), with one to three cycles of [breakdown] build-up drop
between an intro and an outro. A build-up is 4-16 bars and combines one to three of these cues:

- ``roll``: a snare or clap roll whose rate doubles (quarters to 32nds), rising level;
- ``kick``: the kick carries on through the build-up and speeds up (quarters, eighths, 16ths);
- ``riser``: white noise whose band and level rise;
- ``pitch``: a saw sweeping up two to three octaves;
- ``highpass``: a high-pass sweep over the whole mix (the groove may go on under it);
- ``lowpass``: the groove goes on under a low-pass filter that opens into the drop;
- ``swell``: pads and hats growing louder (alone it is the subtlest build-up).

A breakdown (pads and a lead, no kick) may come before a build-up or not; a drop comes straight
in, after a beat, half a bar or a bar of silence, or after one bar with only a lead. Truth has
the keys of ``dance.py``'s: the nominal tempo at every beat, the build-up spans (first beat of
the build-up to the drop) and the drop times (the first beat of each drop).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus_synth"
VERSION = 2
SAMPLE_RATE = 44100
TRACKS = 24
#: And this many tracks of the first evaluation set's kind (``classic_dance.py``).
CLASSIC_TRACKS = 12
FEELS = {"four": (118, 132), "half": (136, 150), "dnb": (160, 176), "breaks": (84, 104), "trap": (70, 82)}
CUES = ("roll", "kick", "riser", "pitch", "highpass", "lowpass", "swell")


# ------------------------------------------------------------------ sounds


def _decay(n: int, sr: int, tau_s: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (tau_s * sr))


def _bandpass_noise(rng: np.random.Generator, n: int, sr: int, lo: float, hi: float) -> np.ndarray:
    """White noise limited to ``lo``-``hi`` Hz by zeroing its spectrum outside (no IIR filter)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / sr)
    spec[(f < lo) | (f > hi)] = 0.0
    x = np.fft.irfft(spec, n)
    return x / (np.max(np.abs(x)) or 1.0)


def _kit(rng: np.random.Generator, sr: int) -> dict[str, np.ndarray]:
    """One drum machine: kick, snare, clap, closed and open hat, crash (mono, peak about 1)."""
    t = np.arange(int(0.45 * sr)) / sr
    f_end, f_start, tau = rng.uniform(42, 62), rng.uniform(110, 220), rng.uniform(0.015, 0.05)
    phase = 2 * np.pi * (f_end * t + (f_start - f_end) * tau * (1 - np.exp(-t / tau)))
    kick = np.sin(phase) * np.exp(-t / rng.uniform(0.1, 0.3))
    kick = np.tanh(rng.uniform(1.0, 3.0) * kick)
    kick[: int(0.002 * sr)] += 0.3 * rng.standard_normal(int(0.002 * sr))
    n = int(0.3 * sr)
    snare = _bandpass_noise(rng, n, sr, rng.uniform(700, 2000), rng.uniform(5000, 9000)) * _decay(n, sr, rng.uniform(0.04, 0.12))
    body = rng.uniform(0.0, 0.6) * np.sin(2 * np.pi * rng.uniform(160, 240) * np.arange(n) / sr) * _decay(n, sr, 0.05)
    clap = np.zeros(n)
    burst = _bandpass_noise(rng, n, sr, 900, 3500)
    for k in range(3):
        i = int(k * 0.011 * sr)
        clap[i:] += burst[: n - i] * _decay(n - i, sr, 0.012 if k < 2 else 0.08)
    hat_n = int(0.25 * sr)
    hat_noise = _bandpass_noise(rng, hat_n, sr, rng.uniform(6000, 9000), 16000)
    crash_n = int(2.0 * sr)
    return {
        "kick": kick,
        "snare": (snare + body) / np.max(np.abs(snare + body)),
        "clap": clap / np.max(np.abs(clap)),
        "hat": hat_noise * _decay(hat_n, sr, rng.uniform(0.01, 0.035)),
        "open_hat": hat_noise * _decay(hat_n, sr, rng.uniform(0.08, 0.15)),
        "crash": _bandpass_noise(rng, crash_n, sr, 3000, 16000) * _decay(crash_n, sr, 0.7),
    }


def _saw(freq: np.ndarray | float, n: int, sr: int, phase0: float = 0.0) -> np.ndarray:
    """A naive sawtooth (some aliasing, as cheap synthesisers have) of ``freq`` Hz."""
    ph = phase0 + np.cumsum(np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))) / sr
    return 2.0 * (ph % 1.0) - 1.0


def _one_pole_lowpass(x: np.ndarray, sr: int, hz: float) -> np.ndarray:
    from scipy.signal import lfilter

    a = np.exp(-2 * np.pi * hz / sr)
    return lfilter([1 - a], [1, -a], x)


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


# ------------------------------------------------------------------ arrangement


class _Bus:
    """A mono buffer sounds are added into at times in seconds."""

    def __init__(self, n: int, sr: int) -> None:
        self.x = np.zeros(n)
        self.sr = sr

    def put(self, sound: np.ndarray, at_s: float, gain: float) -> None:
        i = round(at_s * self.sr)
        if 0 <= i < self.x.size:
            m = min(sound.size, self.x.size - i)
            self.x[i : i + m] += gain * sound[:m]


def _plan(rng: np.random.Generator, bar_s: float) -> list[dict[str, Any]]:
    """Sections in order: {"name", "bars", and for build-ups "cues" and "gap"}."""
    longest = 32.0  # s, longest build-up
    out: list[dict[str, Any]] = [{"name": "intro", "bars": int(rng.choice([4, 8, 8, 16])),
                                  "pads_only": bool(rng.random() < 0.2), "bass": bool(rng.random() < 0.5)}]
    cycles = int(rng.choice([1, 2, 2, 3]))
    for c in range(cycles):
        if c == 0 and out[0]["pads_only"] and rng.random() < 0.5:
            pass  # a pads-only intro leads straight into the first build-up
        elif rng.random() < 0.75:
            out.append({"name": "breakdown", "bars": int(rng.choice([4, 8, 8, 16]))})
        bars = [b for b in (4, 8, 16) if b * bar_s <= longest]
        cues = [str(c) for c in rng.choice(CUES, size=int(rng.choice([1, 2, 2, 3])), replace=False)]
        if "highpass" in cues and "lowpass" in cues:
            cues.remove("lowpass")
        out.append({"name": "build", "bars": int(rng.choice(bars)), "cues": cues,
                    "gap": str(rng.choice(["none", "beat", "half", "bar", "lead"], p=[0.4, 0.2, 0.15, 0.1, 0.15])),
                    "groove": bool("lowpass" in cues or ("highpass" in cues and rng.random() < 0.6))})
        out.append({"name": "drop", "bars": int(rng.choice([8, 16])) if bar_s < 2.5 else 8})
    out.append({"name": "outro", "bars": int(rng.choice([4, 8]))})
    return out


def _drum_pattern(feel: str) -> dict[str, list[int]]:
    """16th steps of one bar per drum in a drop."""
    return {
        "four": {"kick": [0, 4, 8, 12], "clap": [4, 12], "hat": list(range(0, 16, 2)), "open_hat": [2, 6, 10, 14]},
        "half": {"kick": [0, 10], "snare": [8], "hat": list(range(0, 16, 2))},
        "dnb": {"kick": [0, 10], "snare": [4, 12], "hat": list(range(0, 16, 2))},
        "breaks": {"kick": [0, 7, 10], "snare": [4, 12], "hat": list(range(0, 16, 2)), "open_hat": [14]},
        "trap": {"kick": [0, 3, 10], "clap": [8], "hat": list(range(16))},
    }[feel]


def track(rng: np.random.Generator, feel: str) -> tuple[np.ndarray, dict[str, Any]]:
    """Synthesise one track; ``(audio (2, samples) float32, truth)``."""
    sr = SAMPLE_RATE
    lo, hi = FEELS[feel]
    bpm = float(rng.integers(lo, hi + 1))
    beat = 60.0 / bpm
    bar = 4 * beat
    six = beat / 4
    plan = _plan(rng, bar)
    total_s = sum(s["bars"] for s in plan) * bar
    n = int((total_s + 2.5) * sr)
    kit = _kit(rng, sr)
    drums, bass, music, fx, gap_lead = (_Bus(n, sr) for _ in range(5))
    root = int(rng.integers(28, 36))  # bass root, MIDI (41-65 Hz)
    prog = [[0, 3, 7], [8, 12, 15], [3, 7, 10], [10, 14, 17]] if rng.random() < 0.5 else [[0, 3, 7], [5, 8, 12], [-2, 2, 5], [3, 7, 10]]
    pad_cut = float(rng.uniform(1500, 4000))
    bass_saw = rng.random() < 0.5
    pump = rng.random() < 0.6
    pattern = _drum_pattern(feel)
    gains = {"kick": 1.0, "snare": 0.5, "clap": 0.45, "hat": 0.18, "open_hat": 0.15, "crash": 0.3}
    sweeps: list[tuple[str, float, float, float, float, str]] = []  # (kind, start, end, from_hz, to_hz, what)
    silences: list[tuple[float, float]] = []
    pump_spans: list[tuple[float, float]] = []
    buildups: list[list[float]] = []
    drops: list[float] = []
    t0 = 0.0

    def pad_chord(at: float, dur: float, chord: list[int], gain: float) -> None:
        m = int(dur * sr)
        env = np.minimum(1.0, np.arange(m) / (0.15 * sr)) * np.minimum(1.0, (m - np.arange(m)) / (0.05 * sr))
        x = np.zeros(m)
        for p in chord:
            for d in (-0.08, 0.0, 0.08):
                x += _saw(_hz(root + 24 + p + d), m, sr, float(rng.random()))
        music.put(_one_pole_lowpass(x, sr, pad_cut) * env / 9.0, at, gain)

    def pluck(at: float, dur: float, midi: int, gain: float, bus: _Bus = music) -> None:
        m = int(dur * sr)
        x = _saw(_hz(midi), m, sr) * _decay(m, sr, 0.12)
        bus.put(_one_pole_lowpass(x, sr, 3000.0), at, gain)

    def bass_note(at: float, dur: float, midi: int, gain: float) -> None:
        m = int(dur * sr)
        f = _hz(midi)
        x = _one_pole_lowpass(_saw(f, m, sr), sr, 300.0) * 2.0 if bass_saw else np.sin(2 * np.pi * f * np.arange(m) / sr)
        env = np.minimum(1.0, np.arange(m) / (0.005 * sr)) * np.minimum(1.0, (m - np.arange(m)) / (0.01 * sr))
        bass.put(x * env, at, gain)

    for sec in plan:
        name, bars = sec["name"], sec["bars"]
        start, end = t0, t0 + bars * bar
        for b in range(bars):
            b0 = start + b * bar
            chord = prog[(b // (2 if bar < 2.0 else 1)) % 4]
            frac = b / bars
            groove = name in ("drop", "outro") or (name == "intro" and not sec.get("pads_only")) or (
                name == "build" and sec["groove"])
            if groove:
                light = name != "drop"
                for drum, steps in pattern.items():
                    if light and drum not in ("kick", "hat"):
                        continue
                    for s in steps:
                        vel = 1.0 if s % 4 == 0 else 0.8
                        drums.put(kit[drum], b0 + s * six + rng.normal(0, 0.002), gains[drum] * vel)
                if name != "intro" or sec["bass"]:
                    for k in range(8 if name != "intro" else 4):
                        step = bar / (8 if name != "intro" else 4)
                        bass_note(b0 + k * step, step * 0.85, root + (12 if k % 4 == 3 and name == "drop" else 0),
                                  0.55 if name == "drop" else 0.45)
            if name == "drop" and b == 0:
                drums.put(kit["crash"], b0, gains["crash"])
            if name in ("breakdown", "drop") or (name == "intro" and sec.get("pads_only")) or (
                    name == "build" and "roll" not in sec["cues"]) or (name == "build" and frac < 0.5):
                swell = 1.0 + (2.0 * frac if name == "build" and "swell" in sec["cues"] else 0.0)
                pad_chord(b0, bar, chord, 0.35 * swell)
            if name in ("breakdown", "drop"):
                for k in range(8):
                    if rng.random() < 0.75:
                        pluck(b0 + k * bar / 8, bar / 8, root + 36 + chord[k % 3] + 12 * (k % 2), 0.12)
            if name == "build":
                cues = sec["cues"]
                if "swell" in cues:
                    for k in range(8):
                        drums.put(kit["hat"], b0 + k * 2 * six, gains["hat"] * (0.3 + 1.2 * frac))
                if "roll" in cues:
                    rate = 1 if frac < 0.25 else 2 if frac < 0.5 else 4 if frac < 0.75 else 8
                    drum = "snare" if feel != "trap" else "clap"
                    for k in range(4 * rate):
                        pos = (b + k / (4 * rate)) / bars
                        drums.put(kit[drum], b0 + k * beat / rate, gains[drum] * (0.25 + 0.9 * pos))
                if "kick" in cues and not sec["groove"]:
                    rate = 1 if frac < 0.5 else 2 if frac < 0.75 else 4
                    for k in range(4 * rate):
                        drums.put(kit["kick"], b0 + k * beat / rate, 0.7)
        if name == "build":
            cues = sec["cues"]
            length = end - start
            m = int(length * sr)
            pos = np.arange(m) / m
            if "riser" in cues:
                noise = rng.standard_normal(m)
                fx.put(noise * (0.02 + 0.5 * pos ** rng.uniform(1.5, 3.0)), start, 1.0)
                sweeps.append(("highpass", start, end, 400.0, 6000.0, "fx"))
            if "pitch" in cues:
                f = 220.0 * 2 ** (rng.uniform(2.0, 3.0) * pos)
                fx.put(_saw(f, m, sr) * (0.05 + 0.25 * pos), start, 1.0)
            if "highpass" in cues:
                sweeps.append(("highpass", start, end, 20.0, float(rng.uniform(300, 1500)),
                               str(rng.choice(["all", "music"]))))
            if "lowpass" in cues:
                sweeps.append(("lowpass", start, end, float(rng.uniform(200, 500)), 16000.0, "all"))
            gap = {"none": 0.0, "beat": beat, "half": 2 * beat, "bar": bar, "lead": bar}[sec["gap"]]
            if gap:
                silences.append((end - gap, end))
                if sec["gap"] == "lead":
                    for k in range(4):
                        pluck(end - bar + k * beat, beat, root + 48 + prog[0][k % 3], 0.2, gap_lead)
            buildups.append([round(start, 3), round(end, 3)])
        if name == "drop":
            drops.append(round(start, 3))
            if pump:
                pump_spans.append((start, end))
        t0 = end

    # mixing: side-chain pump, filter sweeps (STFT masks), silences, sum, saturation, level
    groups = {"drums": drums.x, "bass": bass.x, "music": music.x, "fx": fx.x}
    if pump_spans:
        env = np.ones(n)
        rel = 1.0 - 0.7 * _decay(int(beat * sr), sr, 0.25 * beat)
        for s, e in pump_spans:
            for k in range(round((e - s) / beat)):
                i = int((s + k * beat) * sr)
                env[i : i + rel.size] = np.minimum(env[i : i + rel.size], rel[: max(0, min(rel.size, n - i))])
        groups["music"] = groups["music"] * env
    for kind, s, e, f0, f1, what in sweeps:
        names = ["fx"] if what == "fx" else (["music"] if what == "music" else list(groups))
        for g in names:
            groups[g] = _sweep(groups[g], sr, kind, s, e, f0, f1)
    levels = {"drums": 1.0, "bass": 0.8, "music": 0.6, "fx": 0.5}
    mix = sum(levels[g] * groups[g] for g in groups)
    for s, e in silences:
        mix[int(s * sr) : int(e * sr)] = 0.0
    mix = mix + gap_lead.x  # a 'lead' gap: one bar of a lead alone before the drop
    mix = np.tanh(rng.uniform(1.0, 2.5) * mix / (np.max(np.abs(mix)) or 1.0))
    mix *= 10 ** (rng.uniform(-6.0, -0.5) / 20) / (np.max(np.abs(mix)) or 1.0)
    width = _one_pole_lowpass(groups["music"] * 0.05, sr, 2000.0)
    audio = np.stack([mix + width, mix - width])[:, : int((total_s + 2.0) * sr)].astype(np.float32)
    truth = {
        "kind": "dance", "feel": feel, "bpm": bpm, "beat_s": round(beat, 4),
        "gap_before_drop": [s["gap"] for s in plan if s["name"] == "build"],
        "build_kinds": ["+".join(s["cues"]) + ("/groove" if s["groove"] else "") for s in plan if s["name"] == "build"],
        "sections": [[s["name"], s["bars"]] for s in plan],
        "duration_s": round(total_s + 2.0, 3),
        "beats": [[round(k * beat, 3), bpm] for k in range(int(total_s / beat))],
        "buildups": buildups, "drops": drops, "markings": [], "hairpins": [], "tempo_changes": [],
    }
    return audio, truth


def _sweep(x: np.ndarray, sr: int, kind: str, start_s: float, end_s: float, f0: float, f1: float) -> np.ndarray:
    """A filter sweep from ``f0`` to ``f1`` Hz (exponential) over ``start_s``-``end_s``: an STFT mask.

    The mask is a 2nd-order Butterworth magnitude response at each frame's cutoff.
    """
    from scipy.signal import istft, stft

    nper = 2048
    a, b = max(0, int(start_s * sr) - nper), min(x.size, int(end_s * sr) + nper)
    f, tt, z = stft(x[a:b], fs=sr, nperseg=nper)
    t_abs = a / sr + tt
    frac = np.clip((t_abs - start_s) / (end_s - start_s), 0.0, 1.0)
    cut = f0 * (f1 / f0) ** frac
    inside = (t_abs >= start_s) & (t_abs < end_s)
    ratio = (np.maximum(f[:, None], 1.0) / cut[None, :]) ** 4
    mask = np.sqrt(ratio / (1.0 + ratio)) if kind == "highpass" else np.sqrt(1.0 / (1.0 + ratio))
    mask[:, ~inside] = 1.0
    y = istft(z * mask, fs=sr, nperseg=nper)[1][: b - a]
    out = x.copy()
    out[a : a + y.size] = y
    return out


# ------------------------------------------------------------------ building


def _job(index: int, force: bool) -> str:
    from build_corpus import _write

    classic = index >= TRACKS
    name = f"classic_{index - TRACKS:02d}" if classic else f"synth_{index:02d}"
    folder = CORPUS / "tuning"
    if not force and (folder / f"{name}.json").exists():
        return name
    rng = np.random.default_rng(9000 + index)
    if classic:
        import classic_dance

        kind = classic_dance.KINDS[index % len(classic_dance.KINDS)]
        audio, truth = classic_dance.track(kind, float(rng.integers(85, 176)), rng, SAMPLE_RATE)
        source = "classic_dance.py (mezzo's first evaluation set, af0cf0f)"
    else:
        kind = sorted(FEELS)[index % len(FEELS)]
        audio, truth = track(rng, kind)
        source = "synth_dance.py numpy synthesis"
    truth = dict(truth, split="tuning", composer=f"{name.split('_')[0]}/{kind}", source=source)
    _write(folder, name, audio, truth)
    return name


def build(*, force: bool = False, workers: int = 2, log: Any = print) -> list[str]:
    """Write the tracks that are missing (all with ``force``) into ``corpus_synth/tuning/``.

    24 ``synth_NN`` tracks (this module) and 12 ``classic_NN`` tracks (``classic_dance.py``).
    """
    sys.path.insert(0, str(HERE))
    manifest = CORPUS / "manifest.json"
    if manifest.exists() and not force and json.loads(manifest.read_text()).get("version") == VERSION:
        return json.loads(manifest.read_text())["items"]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        names = list(pool.map(_job, range(TRACKS + CLASSIC_TRACKS), [force] * (TRACKS + CLASSIC_TRACKS)))
    for n in names:
        log(f"  synth      {n}")
    manifest.write_text(json.dumps({"version": VERSION, "sample_rate": SAMPLE_RATE, "items": names}, indent=1))
    return names


def main(argv: list[str] | None = None) -> int:
    """Build the synthesised tuning tracks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild every track")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    names = build(force=args.force, workers=args.workers)
    print(f"{len(names)} synthesised dance tracks (synth_*, classic_*) in {CORPUS / 'tuning'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
