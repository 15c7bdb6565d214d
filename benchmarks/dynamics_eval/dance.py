"""Dance tracks written as MIDI stems, rendered by FluidSynth and mixed like a producer would.

Each track is 4/4 at a nominal tempo of 70-175 BPM in one of five feels:

- ``four``: four-on-the-floor kick, claps on 2 and 4, off-beat open hats (house, techno, trance);
- ``half``: half-time drums (kick on 1, snare on 3: dubstep, trap) at a nominal 130-150 BPM;
- ``dnb``: a two-step breakbeat at 160-175 BPM;
- ``breaks``: a hip-hop / breakbeat groove at 80-100 BPM;
- ``double``: a slow nominal tempo (75-95 BPM) whose drops run double-time (kick on every
  beat, 16th hats, snares on every off-beat).

Sections (bars): intro (drums and bass), breakdown (pads and a lead, no kick), build-up, drop
(everything, a crash on its first beat), and on most tracks a second breakdown, build-up and
drop, then an outro. Build-ups come in six kinds, so some have none of the usual cues:

- ``roll``: a snare roll whose rate doubles (quarters, eighths, sixteenths, 32nds), rising velocity;
- ``riser``: a noise riser (GM "Seashore" with a volume ramp) and a saw lead bending up two
  octaves, both under a high-pass filter rising from 300 Hz to 3 kHz (risers are filtered noise);
- ``sweep``: the groove goes on and only a high-pass filter opens upwards over it (subtle);
- ``lowpass``: the groove goes on under a low-pass filter that opens up into the drop;
- ``combo``: roll, riser and a high-pass sweep on the pads;
- ``plain``: pads swelling over a kick-less beat, no riser, roll or filter.

Some drops come after a beat or a bar of silence, others straight out of the build-up. The
stems (drums, bass, pads, lead, effects) are rendered separately by FluidSynth with one
SoundFont, filtered with time-varying Butterworth filters (scipy) where the build-up asks
for it, side-chain ducked under the kick in the drops (pads deeply, the bass lightly),
summed, soft-clipped and normalised.

Truth: the nominal tempo at every beat, the build-up spans (first beat of the build-up
section to the drop) and the drop times (the first beat of each drop).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

FEELS = {"four": (118, 135), "half": (130, 150), "dnb": (160, 175), "breaks": (80, 100), "double": (75, 95)}
BUILD_KINDS = ("roll", "riser", "sweep", "lowpass", "combo", "plain")
KICK, SNARE, CLAP, HAT, OPEN_HAT, CRASH = 36, 38, 39, 42, 46, 49


@dataclass
class Track:
    """The MIDI stems of a track, its effect plan and truth."""

    stems: dict[str, bytes]
    filters: list[dict[str, Any]]  # {"stems": [...], "kind": "highpass"/"lowpass", "start_s", "end_s", "from_hz", "to_hz"}
    duck: list[tuple[float, float]]  # drop spans where pads and bass duck under the kick
    kicks: list[float]
    truth: dict[str, Any]


class _Midi:
    """A one-track MIDI file at 60 BPM (1 tick = 1/480 s), events added in seconds."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int, Any]] = []

    def note(self, t: float, dur: float, note: int, vel: float, ch: int) -> None:
        import mido

        v = int(np.clip(round(vel), 1, 127))
        self.events.append((t, 1, mido.Message("note_on", note=note, velocity=v, channel=ch)))
        self.events.append((t + max(0.02, dur), 0, mido.Message("note_off", note=note, velocity=0, channel=ch)))

    def msg(self, t: float, message: Any) -> None:
        self.events.append((t, 0, message))

    def data(self) -> bytes:
        import mido

        mid = mido.MidiFile(ticks_per_beat=480)
        track = mido.MidiTrack()
        mid.tracks.append(track)
        track.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=0))
        last = 0
        for t, _, m in sorted(self.events, key=lambda e: (e[0], e[1])):
            tick = round(t * 480)
            track.append(m.copy(time=max(0, tick - last)))
            last = max(last, tick)
        buf = io.BytesIO()
        mid.save(file=buf)
        return buf.getvalue()


def _sections(rng: np.random.Generator, bar_s: float) -> list[tuple[str, int, str | None]]:
    """(section, bars, build kind) in order, about 70-150 s long."""
    two_drops = bar_s * 64 <= 150.0 and rng.random() < 0.8
    builds = [str(rng.choice(BUILD_KINDS)) for _ in range(2)]
    build_bars = [int(rng.choice([4, 8, 8, 16] if bar_s < 2.2 else [4, 4, 8])) for _ in range(2)]
    intro = int(rng.choice([4, 8])) if bar_s < 2.6 else 4
    out: list[tuple[str, int, str | None]] = [("intro", intro, None), ("breakdown", int(rng.choice([4, 8])), None),
                                              ("build", build_bars[0], builds[0]), ("drop", 8 if bar_s > 2.6 else 16, None)]
    if two_drops:
        out += [("breakdown", 4, None), ("build", min(build_bars[1], 8), builds[1]), ("drop", 8, None)]
    out.append(("outro", 4, None))
    return out


def _chords(rng: np.random.Generator) -> list[list[int]]:
    root = int(rng.integers(45, 53))
    prog = [[0, 3, 7], [-4, 0, 3], [-9, -5, 0], [-2, 2, 5]] if rng.random() < 0.5 else [[0, 3, 7], [5, 8, 12], [-2, 2, 5], [-4, 0, 3]]
    return [[root + 12 + x for x in c] for c in prog]


def track(rng: np.random.Generator, *, feel: str | None = None) -> Track:
    """Write one dance track (MIDI stems, effects, truth)."""
    import mido

    feel = feel or str(rng.choice(sorted(FEELS)))
    lo, hi = FEELS[feel]
    bpm = float(rng.integers(lo, hi + 1))
    beat = 60.0 / bpm
    bar = 4 * beat
    six = beat / 4  # a 16th
    sections = _sections(rng, bar)
    gap = str(rng.choice(["none", "beat", "bar"], p=[0.5, 0.3, 0.2]))
    chords = _chords(rng)
    drums, bass, pads, lead, fx = _Midi(), _Midi(), _Midi(), _Midi(), _Midi()
    bass_prog = int(rng.choice([38, 39, 33, 87]))
    pad_prog = int(rng.choice([89, 90, 91, 88, 94]))
    lead_prog = int(rng.choice([81, 80, 84, 62]))
    bass.msg(0.0, mido.Message("program_change", program=bass_prog, channel=1))
    pads.msg(0.0, mido.Message("program_change", program=pad_prog, channel=2))
    lead.msg(0.0, mido.Message("program_change", program=lead_prog, channel=3))
    fx.msg(0.0, mido.Message("program_change", program=122, channel=4))  # Seashore: a noise riser
    fx.msg(0.0, mido.Message("program_change", program=81, channel=5))
    for c, v in ((101, 0), (100, 0), (6, 12)):  # pitch-bend range 12 semitones on the riser lead
        fx.msg(0.0, mido.Message("control_change", control=c, value=v, channel=5))
    filters: list[dict[str, Any]] = []
    duck: list[tuple[float, float]] = []
    kicks: list[float] = []
    buildups: list[list[float]] = []
    drops: list[float] = []
    t = 0.0
    hat_16 = rng.random() < 0.5
    for si, (name, bars, kind) in enumerate(sections):
        start = t
        end = t + bars * bar
        nxt = sections[si + 1][0] if si + 1 < len(sections) else None
        silent_tail = 0.0
        if name == "build" and nxt == "drop":
            silent_tail = {"none": 0.0, "beat": beat, "bar": bar}[gap]
        for b in range(bars):
            b0 = start + b * bar
            chord = chords[(b + si) % 4]
            last_bar = b == bars - 1
            frac = b / max(1, bars)

            def in_tail(tt: float, tail: float = silent_tail, stop: float = end) -> bool:
                return tail > 0 and tt >= stop - tail - 1e-9

            groove = name in ("intro", "drop", "outro") or (name == "build" and kind in ("sweep", "lowpass"))
            if groove:
                _drum_bar(drums, kicks, rng, feel if name == "drop" or feel != "double" else "four_light",
                          b0, six, hat_16, crash=(name == "drop" and b == 0), skip=in_tail,
                          light=name in ("intro", "outro") or name == "build")
                root = chord[0] - 24
                for k in range(8):
                    tt = b0 + k * 2 * six
                    if in_tail(tt):
                        continue
                    if name == "intro" and k % 2:
                        continue
                    bass.note(tt, 2 * six * 0.8, root + (12 if k in (3, 7) and rng.random() < 0.3 else 0), 95 + rng.normal(0, 4), 1)
            if name in ("breakdown", "build", "drop") and not (name == "build" and kind == "roll" and frac >= 0.5):
                for p in chord:
                    if not in_tail(b0):
                        vel = 70 + (40 * frac if name == "build" and kind == "plain" else 0)
                        pads.note(b0, bar - 0.05 - (silent_tail if last_bar and silent_tail else 0), p, vel, 2)
            if name in ("breakdown", "drop"):
                for k in range(8 if name == "drop" else 4):
                    step = bar / (8 if name == "drop" else 4)
                    tt = b0 + k * step
                    if rng.random() < 0.8:
                        lead.note(tt, step * 0.7, chord[k % 3] + 12, 80 + rng.normal(0, 6), 3)
            if name == "build":
                if kind == "plain":
                    for k in range(4):  # a kick-less beat: hats and claps
                        tt = b0 + k * beat
                        if not in_tail(tt):
                            drums.note(tt + 2 * six, 0.05, HAT, 60 + 30 * frac, 9)
                            if k in (1, 3):
                                drums.note(tt, 0.05, CLAP, 70 + 30 * frac, 9)
                if kind in ("roll", "combo"):
                    rate = 1 if frac < 0.25 else 2 if frac < 0.5 else 4 if frac < 0.75 else 8
                    for k in range(4 * rate):
                        tt = b0 + k * beat / rate
                        if not in_tail(tt):
                            drums.note(tt, 0.05, SNARE, 50 + 70 * (b + k / (4 * rate)) / bars, 9)
        if name == "build":
            if kind in ("riser", "combo"):
                length = end - silent_tail - start
                fx.note(start, length, 64, 100, 4)
                fx.note(start, length, 60, 90, 5)
                steps = 64
                for k in range(steps + 1):
                    tt = start + length * k / steps
                    fx.msg(tt, mido.Message("control_change", control=11, value=int(20 + 107 * k / steps), channel=4))
                    fx.msg(tt, mido.Message("control_change", control=11, value=int(30 + 97 * k / steps), channel=5))
                    fx.msg(tt, mido.Message("pitchwheel", pitch=int(-8192 + 16383 * k / steps), channel=5))
                fx.msg(end, mido.Message("pitchwheel", pitch=0, channel=5))
                # a riser is filtered noise: high-passed, its cutoff rising with it
                filters.append({"stems": ["fx"], "kind": "highpass", "start_s": start, "end_s": end,
                                "from_hz": 300.0, "to_hz": 3000.0})
            if kind in ("sweep", "combo"):
                stems = ["pads", "bass", "drums"] if kind == "sweep" else ["pads"]
                filters.append({"stems": stems, "kind": "highpass", "start_s": start, "end_s": end - silent_tail,
                                "from_hz": 30.0, "to_hz": float(rng.uniform(800, 2500))})
            if kind == "lowpass":
                filters.append({"stems": ["pads", "bass", "drums", "lead"], "kind": "lowpass", "start_s": start,
                                "end_s": end - silent_tail, "from_hz": float(rng.uniform(250, 500)), "to_hz": 16000.0})
            buildups.append([round(start, 3), round(end, 3)])
        if name == "drop":
            drops.append(round(start, 3))
            duck.append((start, end))
        t = end
    total = t + 2.0
    beats = [[round(k * beat, 3), bpm] for k in range(int(t / beat))]
    truth = {
        "kind": "dance",
        "feel": feel,
        "bpm": bpm,
        "beat_s": round(beat, 4),
        "gap_before_drop": gap,
        "build_kinds": [k for _, _, k in sections if k],
        "sections": [[n, b] for n, b, _ in sections],
        "duration_s": round(total, 3),
        "beats": beats,
        "buildups": buildups,
        "drops": drops,
        "markings": [],
        "hairpins": [],
        "tempo_changes": [],
    }
    stems = {"drums": drums.data(), "bass": bass.data(), "pads": pads.data(), "lead": lead.data(), "fx": fx.data()}
    return Track(stems, filters, duck, kicks, truth)


def _drum_bar(m: _Midi, kicks: list[float], rng: np.random.Generator, feel: str, b0: float, six: float,
              hat_16: bool, *, crash: bool, skip: Any, light: bool) -> None:
    """One bar of drums in ``feel`` starting at ``b0`` (s)."""
    pattern: dict[int, list[tuple[int, float]]] = {}

    def add(step: int, note: int, vel: float) -> None:
        pattern.setdefault(step, []).append((note, vel))

    if feel in ("four", "four_light"):
        for s in (0, 4, 8, 12):
            add(s, KICK, 115)
        if feel == "four":
            for s in (4, 12):
                add(s, CLAP, 100)
        for s in range(2, 16, 4):
            add(s, OPEN_HAT, 70)
    elif feel == "half":
        add(0, KICK, 118)
        add(10, KICK, 100)
        add(8, SNARE, 115)
    elif feel == "dnb":
        for s in (0, 10):
            add(s, KICK, 118)
        for s in (4, 12):
            add(s, SNARE, 115)
    elif feel == "breaks":
        for s in (0, 7, 10):
            add(s, KICK, 115)
        for s in (4, 12):
            add(s, SNARE, 110)
    elif feel == "double":
        for s in (0, 4, 8, 12):
            add(s, KICK, 115)
        for s in (2, 6, 10, 14):
            add(s, SNARE, 105)
    for s in range(0, 16, 1 if (hat_16 or feel == "double") else 2):
        add(s, HAT, 75 if s % 4 == 0 else 55)
    if crash:
        add(0, CRASH, 110)
    for s, hits in pattern.items():
        tt = b0 + s * six + rng.normal(0, 0.002)
        tt = max(b0, tt)
        if skip(tt):
            continue
        for note, vel in hits:
            if light and note in (CLAP, SNARE, OPEN_HAT) and rng.random() < 0.5:
                continue
            m.note(tt, 0.08, note, vel + rng.normal(0, 5), 9)
            if note == KICK:
                kicks.append(tt)


def mix(track: Track, stems_audio: dict[str, np.ndarray], sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Filter, duck, sum, soft-clip and normalise the rendered stems; (2, samples) float32."""
    from scipy.signal import butter, sosfilt, sosfilt_zi

    n = max(a.shape[1] for a in stems_audio.values())
    stems = {k: np.pad(a, ((0, 0), (0, n - a.shape[1]))).astype(np.float64) for k, a in stems_audio.items()}
    for f in track.filters:
        a, b = int(f["start_s"] * sample_rate), min(n, int(f["end_s"] * sample_rate))
        hop = int(0.01 * sample_rate)
        for name in f["stems"]:
            x = stems[name]
            zi = None
            for s in range(a, b, hop):
                frac = (s - a) / max(1, b - a)
                fc = float(f["from_hz"] * (f["to_hz"] / f["from_hz"]) ** frac)
                sos = butter(2, min(fc, 0.45 * sample_rate), btype=f["kind"], fs=sample_rate, output="sos")
                if zi is None:
                    zi = np.stack([sosfilt_zi(sos) * x[c, s] for c in range(x.shape[0])], axis=0)
                seg = x[:, s:min(b, s + hop)]
                out = np.empty_like(seg)
                for c in range(x.shape[0]):
                    out[c], zi[c] = sosfilt(sos, seg[c], zi=zi[c])
                x[:, s:min(b, s + hop)] = out
    # side-chain ducking under the kick in the drops: deep on the pads, light on the bass
    env = np.ones(n)
    release = np.exp(-np.arange(int(0.25 * sample_rate)) / (0.08 * sample_rate))
    for k in track.kicks:
        if any(s <= k < e for s, e in track.duck):
            i = int(k * sample_rate)
            seg = env[i:i + release.size]
            seg[:] = np.minimum(seg, 1.0 - 0.6 * release[: seg.size])
    gains = {"drums": 1.0, "bass": 0.8, "pads": 0.45, "lead": 0.4, "fx": 0.25}
    out = np.zeros((2, n))
    for name, x in stems.items():
        g = gains.get(name, 0.5)
        if name == "pads":
            x = x * env
        elif name == "bass":
            x = x * (1.0 - 0.4 * (1.0 - env))
        out += g * x
    peak = float(np.max(np.abs(out))) or 1.0
    out = np.tanh(1.5 * out / peak) / np.tanh(1.5)
    target = 10 ** (float(rng.uniform(-3.0, -0.3)) / 20)
    return (out * target).astype(np.float32)
