"""The dance tracks of mezzo's first evaluation set, restored as TUNING material (numpy only).

Ported from ``benchmarks/dynamics_eval/evalset.py`` as it stood at commit af0cf0f (removed in
04a95a9): drums, a sine bass and pads rendered directly in numpy, in a fixed form (groove
8 bars, break 4, build 8, drop 16, break 4, build 8, drop 8, groove 4) with one of four kinds
of build-up:

- ``standard``: the kick goes on at a lower level, the bass stops, a snare roll doubles its
  rate, a high-passed noise riser grows, and a high-pass sweep (20 -> 600 Hz) runs over the
  whole mix;
- ``halftime``: the same, with a half-time drop (kick every other beat, snare on 3);
- ``silence``: the same, with a beat of silence before each drop;
- ``filter``: the groove goes on unchanged and only the high-pass sweep opens over it.

Someone else's synthetic held-out tracks are likely made this way, so the detectors are tuned on
it too (never validated on it). Truth: the build-up sections and the drops' first beats.
"""

from __future__ import annotations

from typing import Any

import numpy as np

KINDS = ("standard", "halftime", "silence", "filter")
FORM = (("groove", 8), ("break", 4), ("build", 8), ("drop", 16), ("break", 4), ("build", 8), ("drop", 8), ("groove", 4))


def track(kind: str, bpm: float, rng: np.random.Generator, sr: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One track: ``(audio (2, samples) float32, truth)`` with the keys of ``dance.py``'s truth."""
    from scipy import signal

    beat = 60.0 / bpm
    bar = 4 * beat
    total = sum(b for _, b in FORM) * bar + 1.0
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

    def put(x: np.ndarray, at: float, g: float) -> None:
        i = int(at * sr)
        if i < n:
            m = min(x.size, n - i)
            drums[i : i + m] += g * x[:m]

    buildups: list[list[float]] = []
    drops: list[float] = []
    pos = 0.0
    for section, bars in FORM:
        start, end = pos, pos + bars * bar
        nb = int(bars * 4)
        i0, i1 = int(start * sr), int(end * sr)
        if section in ("groove", "drop"):
            half = kind == "halftime" and section == "drop"
            for k in range(nb):
                tb = start + k * beat
                if not half or k % 2 == 0:
                    put(kick, tb, 0.9)
                put(hat, tb + beat / 2, 0.25)
                if (not half and k % 2 == 1) or (half and k % 4 == 2):
                    put(snare, tb, 0.5)
            bass_gate[i0:i1] = 1.0 if section == "drop" else 0.6
            if section == "drop":
                drops.append(round(start, 3))
        elif section == "build":
            build_mask[i0:i1] = 1.0
            build_pos[i0:i1] = np.linspace(0, 1, i1 - i0)
            buildups.append([round(start, 3), round(end, 3)])
            if kind != "filter":
                roll: list[float] = []
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
    mix = drums + bass + pad * 0.5
    if kind != "filter":
        riser = signal.sosfilt(signal.butter(2, 3000, "highpass", fs=sr, output="sos"), rng.standard_normal(n))
        mix += 0.2 * riser * build_pos**2 * build_mask
    # high-pass sweep over each build (STFT mask): 20 Hz -> 600 Hz
    f, frames_t, z = signal.stft(mix, fs=sr, nperseg=1024)
    cut = np.interp(frames_t, t, 20.0 + 580.0 * build_pos * build_mask)
    z *= 1.0 / np.sqrt(1.0 + (cut[None, :] / np.maximum(f[:, None], 1.0)) ** 4)
    mix = signal.istft(z, fs=sr, nperseg=1024)[1][:n]
    if kind == "silence":
        for d in drops:
            mix[int((d - beat) * sr) : int(d * sr)] = 0.0
    mix = 0.5 * mix / np.abs(mix).max()
    truth = {
        "kind": "dance", "feel": kind, "bpm": bpm, "beat_s": round(beat, 4), "gap_before_drop": kind == "silence",
        "build_kinds": [kind] * len(buildups), "sections": [list(s) for s in FORM], "duration_s": round(total, 3),
        "beats": [[round(k * beat, 3), bpm] for k in range(int((total - 1.0) / beat))],
        "buildups": buildups, "drops": drops, "markings": [], "hairpins": [], "tempo_changes": [],
    }
    return np.stack([mix, mix]).astype(np.float32), truth
