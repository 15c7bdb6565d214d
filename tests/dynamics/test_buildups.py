"""Build-ups and drops: Foote's novelty against its definition, and generated tracks whose
sections are known by construction (numpy only, nothing from mezzo builds them)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

import mezzo
from mezzo.meters.buildups import novelty

SR = 22050


def test_novelty_is_footes_checkerboard_kernel_on_the_distance_matrix():
    """Foote (2000): the checkerboard kernel (+1 within the w cells before and the w after, -1
    across) correlated with the self-similarity matrix, similarity = minus the squared distance;
    computed here cell pair by cell pair. It equals 2 w**2 times the squared distance of the
    two windows' mean spectra, which ``novelty`` returns as an RMS over bands."""
    rng = np.random.default_rng(1)
    x = rng.normal(-30.0, 5.0, (40, 6))
    x[20:] += 8.0
    w = 4
    ours = novelty(x, w)
    for i in range(w, x.shape[0] - w):
        total = 0.0
        for a in range(i - w, i + w):
            for b in range(i - w, i + w):
                sign = 1.0 if (a < i) == (b < i) else -1.0
                total += sign * -float(np.sum((x[a] - x[b]) ** 2))
        assert total == pytest.approx(2 * w * w * x.shape[1] * ours[i] ** 2, rel=1e-9)
    assert int(np.argmax(ours)) == 20


def _kick(sr: int) -> np.ndarray:
    t = np.arange(int(0.3 * sr)) / sr
    return np.sin(2 * np.pi * (48 * t + 4 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.15)


def _noise_hit(rng: np.random.Generator, lo: float, hi: float, decay_s: float, sr: int) -> np.ndarray:
    n = int(0.2 * sr)
    x = signal.sosfilt(signal.butter(2, [lo, hi], "bandpass", fs=sr, output="sos"), rng.standard_normal(n))
    return x * np.exp(-np.arange(n) / sr / decay_s)


def _track(build: str, *, bpm: float = 126.0, gap_beats: int = 0, half_time: bool = False,
           breakdown_bars: int = 8, build_bars: int = 8, seed: int = 0, sr: int = SR):
    """Groove 8 bars, breakdown (pads only), build-up, drop 16 bars, outro 4 bars (no bass).

    ``build``: ``"roll"`` (the kick goes on softer, a snare roll doubles its rate, a noise riser
    grows, no bass) or ``"lowpass"`` (the groove goes on under a low-pass filter opening from
    300 Hz to 10 kHz). ``gap_beats`` of silence end the build-up. Returns the audio, the drop
    time, the build-up start and the beat period (s).
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    bar = 4 * beat
    b0 = (8 + breakdown_bars) * bar
    drop = b0 + build_bars * bar
    total = drop + 20 * bar
    n = int(total * sr)
    t = np.arange(n) / sr
    kick, snare = _kick(sr), _noise_hit(rng, 1500, 6000, 0.05, sr)
    hat = _noise_hit(rng, 6000, 10000, 0.01, sr)
    drums, fx = np.zeros(n), np.zeros(n)

    def put(buf: np.ndarray, x: np.ndarray, at: float, g: float) -> None:
        i = int(at * sr)
        if 0 <= i < n:
            buf[i : i + x.size] += g * x[: n - i]

    def groove(start: float, stop: float, full: bool) -> None:
        for k in range(round((stop - start) / beat)):
            tb = start + k * beat
            if not (half_time and full and k % 2):
                put(drums, kick, tb, 0.9)
            put(drums, hat, tb + beat / 2, 0.3)
            if full and (k % 4 == 2 if half_time else k % 2 == 1):
                put(drums, snare, tb, 0.5)

    groove(0.0, 8 * bar, full=False)
    groove(drop, drop + 16 * bar, full=True)
    groove(drop + 16 * bar, total, full=False)
    bass_on = ((t < 8 * bar) | ((t >= drop) & (t < drop + 16 * bar))).astype(float)
    pos = np.clip((t - b0) / (drop - b0), 0.0, 1.0) * ((t >= b0) & (t < drop))
    if build == "roll":
        for q in range(4):
            s0 = b0 + q * build_bars / 4 * bar
            for k in range(build_bars * 2**q):
                put(drums, snare, s0 + k * beat / 2**q, 0.15 + 0.45 * (q + k / (build_bars * 2**q)) / 4)
        for k in range(build_bars * 4):
            put(drums, kick, b0 + k * beat, 0.6)
    elif build == "lowpass":
        groove(b0, drop, full=False)
        bass_on[(t >= b0) & (t < drop)] = 1.0
    if build == "roll":
        riser = signal.sosfilt(signal.butter(2, 3000, "highpass", fs=sr, output="sos"), rng.standard_normal(n))
        fx += 0.2 * riser * pos**2
    bass = 0.45 * np.sin(2 * np.pi * np.where(np.mod(t, 2 * bar) < bar, 55.0, 49.0) * t) * bass_on
    pads = 0.05 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.6, 329.6, 659.3))
    mix = drums + bass + fx
    if build == "lowpass":  # the filter opens over everything but the pads
        f, ft, z = signal.stft(mix, fs=sr, nperseg=1024)
        p = np.interp(ft, t, pos)
        cut = np.where((ft >= b0) & (ft < drop), 300.0 * (10000.0 / 300.0) ** p, 1e9)
        z *= 1.0 / np.sqrt(1.0 + (f[:, None] / cut[None, :]) ** 4)
        mix = signal.istft(z, fs=sr, nperseg=1024)[1][:n]
    mix = mix + pads
    if gap_beats:
        mix[int((drop - gap_beats * beat) * sr) : int(drop * sr)] = 0.0
    return (0.4 * mix / np.max(np.abs(mix))).astype(np.float32), drop, b0, beat


def _overlap(found: tuple[float, float], true: tuple[float, float]) -> float:
    """Overlap over the longer span (the evaluation's 50 % rule)."""
    inter = min(found[1], true[1]) - max(found[0], true[0])
    return inter / max(found[1] - found[0], true[1] - true[0])


@pytest.mark.parametrize(
    ("build", "options"),
    [
        ("roll", {}),
        ("roll", {"gap_beats": 1, "bpm": 140.0}),
        ("roll", {"half_time": True, "bpm": 140.0}),
        ("lowpass", {"bpm": 124.0}),
    ],
)
def test_the_drop_is_found_within_a_beat_and_the_build_up_before_it(build, options):
    audio, drop, build0, beat = _track(build, **options)
    d = mezzo.analyze(audio, SR, dynamics=True).to_dict()
    assert [abs(x["time_s"] - drop) <= beat for x in d["drops"]] == [True]
    assert len(d["buildups"]) == 1
    b = d["buildups"][0]
    assert _overlap((b["start_s"], b["end_s"]), (build0, drop)) >= 0.5
    assert all(x["confidence"] >= 0.5 for x in d["drops"] + d["buildups"])


def test_the_build_up_starts_where_it_rises_not_where_the_breakdown_starts():
    """A 16-bar breakdown (pads only) before an 8-bar roll: the build-up starts within a bar of
    the roll, not at the breakdown (where kick and bass stopped)."""
    audio, _, build0, beat = _track("roll", breakdown_bars=16)
    d = mezzo.analyze(audio, SR, dynamics=True).to_dict()
    assert len(d["buildups"]) == 1
    assert abs(d["buildups"][0]["start_s"] - build0) <= 4 * beat


def test_a_tutti_entry_without_kick_and_bass_carrying_it_is_no_drop():
    """20 s of soft chords, then loud chords on every beat with a soft bass (the level carried
    above 200 Hz, as in an orchestral tutti or a piano's chords): a pulse, a jump, no drop."""
    rng = np.random.default_rng(3)
    beat = 0.5
    total = 60.0
    n = int(total * SR)
    t = np.arange(n) / SR
    x = np.zeros(n)
    chord = sum(np.sin(2 * np.pi * f * np.arange(int(0.45 * SR)) / SR) for f in (262.0, 330.0, 392.0, 523.0))
    chord = chord * np.exp(-np.arange(chord.size) / SR / 0.2)
    for k in range(int(total / beat)):
        tb = k * beat + rng.normal(0, 0.005)
        g = 0.05 if tb < 20.0 else 0.5
        i = int(max(0.0, tb) * SR)
        x[i : i + chord.size] += g * chord[: n - i]
    x += 0.03 * np.sin(2 * np.pi * 65.0 * t) * (t >= 20.0)
    d = mezzo.analyze((0.3 * x / np.max(np.abs(x))).astype(np.float32), SR, dynamics=True).to_dict()
    assert d["drops"] == [] and d["buildups"] == []


def test_the_demo_build_up_and_drop_are_found():
    """The demo's own sections: build-up bars 8-16, drop at bar 16 (128 BPM)."""
    audio, sample_rate = mezzo.demo.track()
    sections = {s.name: s for s in mezzo.demo.SECTIONS}
    beat = 60.0 / mezzo.demo.TEMPO_BPM
    d = mezzo.analyze(audio, sample_rate, dynamics=True).to_dict()
    assert [abs(x["time_s"] - sections["drop"].start_s) <= beat for x in d["drops"]] == [True]
    assert len(d["buildups"]) == 1
    b = d["buildups"][0]
    assert _overlap((b["start_s"], b["end_s"]), (sections["build"].start_s, sections["build"].end_s)) >= 0.5


def _arrangement(plan: list[tuple[str, int, bool]], *, bpm: float = 128.0, seed: int = 1) -> tuple[np.ndarray, list[float]]:
    """Sections of ``(kind, bars, with_lead)``: ``"groove"`` (kick, snare, bass; a saw lead and hats
    when ``with_lead``), ``"pads"`` (pads only) or ``"roll"`` (a snare roll doubling its rate).
    Returns the audio and the drop times (s): every groove but the first."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    bar = 4 * beat
    n = int(sum(bars for _, bars, _ in plan) * bar * SR)
    t = np.arange(n) / SR
    kick, snare, hat = _kick(SR), _noise_hit(rng, 1500, 6000, 0.05, SR), _noise_hit(rng, 6000, 10000, 0.01, SR)
    drums, lead, bass_on = np.zeros(n), np.zeros(n), np.zeros(n)

    def put(x: np.ndarray, at: float, g: float) -> None:
        i = int(at * SR)
        if 0 <= i < n:
            drums[i : i + x.size] += g * x[: n - i]

    pos, drops = 0.0, []
    for kind, bars, with_lead in plan:
        end = pos + bars * bar
        here = (t >= pos) & (t < end)
        if kind == "groove":
            if pos > 0:
                drops.append(pos)
            for k in range(bars * 4):
                put(kick, pos + k * beat, 0.9)
                if k % 2:
                    put(snare, pos + k * beat, 0.5)
                if with_lead:
                    put(hat, pos + (k + 0.5) * beat, 0.3)
            bass_on[here] = 1.0
            if with_lead:
                lead[here] = 0.15 * signal.sawtooth(2 * np.pi * 440.0 * t[here])
        elif kind == "roll":
            for q in range(4):
                for k in range(bars * 2**q):
                    put(snare, pos + (q * bars / 4 * bar) + k * beat / 2**q, 0.15 + 0.45 * (q + k / (bars * 2**q)) / 4)
        pos = end
    bass = 0.45 * np.sin(2 * np.pi * np.where(np.mod(t, 2 * bar) < bar, 55.0, 49.0) * t) * bass_on
    pads = 0.05 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.6, 329.6, 659.3))
    mix = drums + bass + lead + pads
    return (0.4 * mix / np.max(np.abs(mix))).astype(np.float32), drops


def test_a_first_drop_thinner_than_the_last_is_a_drop():
    """Kick and bass come in from nothing after a roll, without the lead and hats that the intro
    and the last drop carry: still a drop (the full texture is the last drop's)."""
    audio, drops = _arrangement([("groove", 8, True), ("pads", 8, False), ("roll", 8, False), ("groove", 16, False),
                                 ("pads", 8, False), ("roll", 8, False), ("groove", 16, True), ("pads", 4, False)])
    d = mezzo.analyze(audio, SR, dynamics=True).to_dict()
    assert [round(x["time_s"], 1) for x in d["drops"]] == [round(x, 1) for x in drops]


def test_a_half_time_groove_repeating_only_at_the_bar_is_periodic():
    """Kicks on beats 1 and 3.5 of every bar at 105 BPM: the pattern repeats only at the bar
    (2.29 s), which is where a half-time kick pattern is periodic."""
    from mezzo.meters.buildups import groove_after
    from mezzo.meters.features import SpectralFrames

    bar = 4 * 60.0 / 105.0
    n = int(24.0 * SR)
    x = np.zeros(n)
    kick = _kick(SR)
    for b in range(int(24.0 / bar) + 1):
        for beat in (0.0, 2.5):
            i = int((b + beat / 4) * bar * SR)
            if i < n:
                x[i : i + kick.size] += kick[: n - i]
    frames = SpectralFrames(SR, 1)
    frames.update(x[None].astype(np.float32))
    assert groove_after(frames.result(), 0) >= 0.6
