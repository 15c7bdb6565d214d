"""Tempo, accelerando, build-ups and drops on generated signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mezzo.meters.tempo import WEAK_PULSE, tempo

SR = 22050
#: The issue's tolerance for a steady click: 120 +/- 1 BPM.
CLICK_BPM = 1.0


def _clicks(times_s: np.ndarray, duration_s: float, sr: int = SR) -> np.ndarray:
    x = np.zeros(int(duration_s * sr))
    n = int(0.02 * sr)
    c = np.sin(2 * np.pi * 1500 * np.arange(n) / sr) * np.exp(-np.arange(n) / sr / 0.005)
    for t in times_s:
        i = int(t * sr)
        if i < x.size:
            x[i : i + n] += c[: x.size - i]
    return 0.5 * x


def test_steady_click_at_120_bpm():
    r = tempo(_clicks(np.arange(0, 30, 0.5), 30), SR)
    assert r.tempo_bpm == pytest.approx(120.0, abs=CLICK_BPM)
    assert r.tempo_changes == ()


#: A loop of a few bars: its tempo within this share (the click spacing is the truth).
LOOP_TOLERANCE = 0.003


@pytest.mark.parametrize(("bpm", "duration_s"), [(120.0, 6.0), (140.5, 6.0), (128.0, 8.0), (97.0, 5.0), (174.0, 6.0),
                                                (120.0, 4.0), (128.0, 3.75)])
def test_a_loop_of_a_few_bars_reads_its_tempo_to_a_fraction_of_a_percent(bpm, duration_s):
    """Too short for a tempo curve, the tempo comes from the beats, not the tempogram's 1.25 % steps."""
    r = tempo(_clicks(np.arange(0, duration_s, 60.0 / bpm), duration_s), SR)
    assert r.tempo_bpm == pytest.approx(bpm, rel=LOOP_TOLERANCE)
    assert r.tempo_changes == ()
    assert np.all(r.curve_bpm == r.tempo_bpm)  # one tempo: the curve says the same


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_short_clip_whose_pulse_fades_has_one_tempo_in_its_tempo_and_its_curve(seed):
    """Its last 3 s 26 dB softer under noise: the beats there weigh less, in the curve as in the tempo."""
    x = _clicks(np.arange(0, 7.0, 0.5), 7.0)
    x[4 * SR :] *= 0.05
    x += 0.02 * np.random.default_rng(seed).standard_normal(x.size)
    r = tempo(x, SR)
    assert r.tempo_bpm is not None and np.all(r.curve_bpm == r.tempo_bpm)


@pytest.mark.parametrize("bpm", [120.0, 128.0, 97.0])
def test_a_one_bar_loop_has_a_tempo(bpm):
    """Two seconds at 120 BPM: four beats, too few for the beats' own slope; the tempogram's within 2.5 %."""
    duration_s = 4 * 60.0 / bpm
    r = tempo(_clicks(np.arange(0, duration_s, 60.0 / bpm), duration_s), SR)
    assert r.tempo_bpm == pytest.approx(bpm, rel=0.025)


#: Drum patterns of one bar, in beats: a breakbeat's syncopated kick, drum and bass's two-step.
_PATTERNS = {
    "breaks": {"kick": (0.0, 1.75, 2.5), "snare": (1.0, 3.0), "hat": tuple(np.arange(0, 4, 0.5))},
    "dnb": {"kick": (0.0, 2.5), "snare": (1.0, 3.0), "hat": tuple(np.arange(0, 4, 0.5))},
}


def _kick(sr: int = SR, seconds: float = 0.25, decay_s: float = 0.12) -> np.ndarray:
    """A kick drum: a sine swept down from about 140 Hz to 50 Hz, decaying with ``decay_s``."""
    t = np.arange(int(seconds * sr)) / sr
    return np.sin(2 * np.pi * (50 * t + 3 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / decay_s)


def _drum_loop(pattern: str, bpm: float, duration_s: float, sr: int = SR) -> np.ndarray:
    """A drum loop: a pitch-swept kick, a band-passed noise snare and a high-passed noise hat."""
    from scipy import signal

    rng = np.random.default_rng(0)
    n = int(0.15 * sr)
    t = np.arange(n) / sr
    band = {"snare": signal.butter(2, [300, 5000], "bandpass", fs=sr, output="sos"),
            "hat": signal.butter(2, 6000, "highpass", fs=sr, output="sos")}
    x = np.zeros(int(duration_s * sr))
    beat = 60.0 / bpm
    for bar in range(int(duration_s / (4 * beat)) + 1):
        for drum, beats in _PATTERNS[pattern].items():
            for b in beats:
                if drum == "kick":
                    hit = _kick(sr, 0.15, 0.1)
                else:
                    hit = signal.sosfilt(band[drum], rng.standard_normal(n)) * np.exp(-t / (0.05 if drum == "snare" else 0.015))
                    hit *= 0.6 if drum == "snare" else 0.2
                i = int((4 * bar + b) * beat * sr)
                if i < x.size:
                    x[i : i + n] += hit[: x.size - i]
    return 0.3 * x


@pytest.mark.parametrize(("pattern", "bpm", "duration_s"),
                         [("breaks", 93.0, 2.0), ("breaks", 93.0, 2.5), ("dnb", 164.0, 2.0), ("dnb", 164.0, 3.0)])
def test_a_drum_loop_of_a_bar_or_two_reads_its_beat_or_an_octave_of_it(pattern, bpm, duration_s):
    """Not a dotted (3:2) or 4:3 level: a clip under 8 s weighs its periods as an 8 s window does."""
    r = tempo(_drum_loop(pattern, bpm, duration_s), SR)
    octaves = np.log2(r.tempo_bpm / bpm)
    assert abs(octaves - round(octaves)) < 0.05


@pytest.mark.parametrize(("pattern", "bpm"), [("clicks", 120.0), ("clicks", 133.0), ("breaks", 72.75)])
def test_a_one_bar_loop_reads_its_tempo_within_a_percent(pattern, bpm):
    """Four beats: the period at the autocorrelation's interpolated peak, not on the path's 1.25 % grid."""
    duration_s = 4 * 60.0 / bpm
    x = (_clicks(np.arange(0, duration_s, 60.0 / bpm), duration_s) if pattern == "clicks"
         else _drum_loop(pattern, bpm, duration_s))
    assert tempo(x, SR).tempo_bpm == pytest.approx(bpm, rel=0.01)


@pytest.mark.parametrize("edit", ["missing", "extra"])
def test_a_short_loop_with_a_missing_or_an_extra_click_still_reads_its_tempo(edit):
    times = np.arange(0, 7.0, 0.5)
    times = np.delete(times, 7) if edit == "missing" else np.sort(np.append(times, 3.3))
    r = tempo(_clicks(times, 7.0), SR)
    assert r.tempo_bpm == pytest.approx(120.0, rel=LOOP_TOLERANCE)


@pytest.mark.parametrize("duration_s", [4.5, 6.0, 7.5])
def test_noise_shorter_than_a_tempogram_window_has_no_pulse(duration_s):
    """A clip under 8 s is one window of its own length, not one padded with zeros."""
    x = 0.1 * np.random.default_rng(5).standard_normal(int(duration_s * SR))
    assert tempo(x, SR).confidence < WEAK_PULSE / 2


def test_a_bar_of_noise_has_no_pulse():
    """Two seconds: the level choice's lag reweighting lifts chance peaks too, so the pulse
    confidence is read on the raw autocorrelation (0.14 at most here; reweighted, 0.75)."""
    rng = np.random.default_rng(0)
    assert max(tempo(0.1 * rng.standard_normal(2 * SR), SR).confidence for _ in range(8)) < WEAK_PULSE / 2


@pytest.mark.parametrize("hz", [220.0, 1000.0])
def test_a_steady_tone_has_no_tempo(hz):
    t = np.arange(20 * SR) / SR
    r = tempo(0.5 * np.sin(2 * np.pi * hz * t) * np.minimum(1.0, t / 0.5), SR)
    assert r.tempo_bpm is None and r.confidence == 0.0 and r.beat_times_s.size == 0


def test_tempo_ramp_100_to_130_is_one_accelerando():
    times = [0.0]
    while times[-1] < 50.0:
        t = times[-1]
        bpm = 100.0 if t < 10 else min(130.0, 100.0 + 30.0 * (t - 10.0) / 30.0)
        times.append(t + 60.0 / bpm)
    r = tempo(_clicks(np.array(times[:-1]), 50.0), SR)
    assert [c.kind for c in r.tempo_changes] == ["accelerando"]
    c = r.tempo_changes[0]
    assert c.start_s < 20.0 and c.end_s > 30.0


def _dance(sr: int, bpm: float = 128.0):
    """Four bars groove, eight bars build (snare roll, high-passed noise riser, no bass), drop."""
    from scipy import signal

    beat = 60.0 / bpm
    bar = 4 * beat
    rng = np.random.default_rng(3)
    total = 20 * bar
    t = np.arange(int(total * sr)) / sr
    x = np.zeros(t.size)
    drop = 12 * bar
    kick = _kick(sr, 0.3, 0.12)
    for k in range(int(total / beat)):
        tb = k * beat
        if tb < 4 * bar or tb >= drop:
            i = int(tb * sr)
            x[i : i + kick.size] += kick[: x.size - i]
    bass = 0.4 * np.sin(2 * np.pi * 55 * t) * ((t < 4 * bar) | (t >= drop))
    x += bass
    roll = []
    for i in range(4):  # rate doubles every two bars
        start = 4 * bar + 2 * i * bar
        roll += list(start + np.arange(4 * 2**i) * beat / 2**i)
    noise_hit = signal.sosfilt(signal.butter(2, [1000, 6000], "bandpass", fs=sr, output="sos"), rng.standard_normal(int(0.1 * sr)))
    noise_hit *= np.exp(-np.arange(noise_hit.size) / sr / 0.04)
    for tr in roll:
        g = 0.1 + 0.4 * (tr - 4 * bar) / (8 * bar)
        i = int(tr * sr)
        x[i : i + noise_hit.size] += g * noise_hit[: x.size - i]
    riser = signal.sosfilt(signal.butter(2, 2000, "highpass", fs=sr, output="sos"), rng.standard_normal(t.size))
    x += 0.15 * riser * np.clip((t - 4 * bar) / (8 * bar), 0, 1) * (t < drop)
    return 0.3 * x, drop, 4 * bar, beat


@pytest.mark.parametrize("bpm", [126.0, 140.5, 86.3])
def test_a_steady_click_track_reads_its_tempo_to_a_fiftieth_of_a_percent(bpm):
    """30 s of clicks: the tempo of all the beats, not the median of the curve's 0.005-octave steps."""
    r = tempo(_clicks(np.arange(0, 30, 60.0 / bpm), 30), SR)
    assert r.tempo_bpm == pytest.approx(bpm, rel=2e-4)


@pytest.mark.parametrize("bpm", [123.5, 140.0, 97.0])
def test_a_dance_track_with_a_build_up_reads_its_tempo_to_a_twentieth_of_a_percent(bpm):
    x = _dance(22050, bpm)[0]
    assert tempo(x, 22050).tempo_bpm == pytest.approx(bpm, rel=5e-4)


def test_generated_buildup_ends_in_a_drop_within_one_beat():
    x, drop, build_start, beat = _dance(SR)
    r = tempo(x, SR)
    assert len(r.drops) == 1
    assert abs(r.drops[0].time_s - drop) <= beat
    assert len(r.buildups) == 1
    b = r.buildups[0]
    assert abs(b.end_s - drop) <= beat
    overlap = min(b.end_s, drop) - max(b.start_s, build_start)
    assert overlap >= 0.5 * (drop - build_start)


def test_silence_gives_none_and_empty_lists():
    r = tempo(np.zeros(SR * 6), SR)
    assert r.tempo_bpm is None
    d = r.to_dict()
    assert d["tempo_curve"] == [] and d["tempo_changes"] == [] and d["buildups"] == [] and d["drops"] == []


def test_four_on_the_floor_with_backbeat_is_not_read_at_half_tempo():
    """Kick on every beat, a louder snare on beats 2 and 4: the beat is the kick's rate (126), not 63."""
    from scipy import signal

    bpm, dur = 126.0, 40.0
    beat = 60.0 / bpm
    x = np.zeros(int(dur * SR))
    kick = _kick()
    rng = np.random.default_rng(5)
    snare = signal.sosfilt(signal.butter(2, [1200, 6000], "bandpass", fs=SR, output="sos"), rng.standard_normal(int(0.15 * SR)))
    snare *= 2.0 * np.exp(-np.arange(snare.size) / SR / 0.05)
    for k in range(int(dur / beat)):
        i = int(k * beat * SR)
        x[i : i + kick.size] += kick[: x.size - i]
        if k % 2 == 1:
            x[i : i + snare.size] += snare[: x.size - i]
    r = tempo(0.3 * x, SR)
    assert r.tempo_bpm == pytest.approx(bpm, rel=0.04)


def test_half_time_section_keeps_the_track_tempo():
    """20 s of kicks on every beat at 140 BPM, then 12 s of kicks on every other beat: one level throughout.

    A bare kick track is ambiguous between 140 and 70 (nothing else marks the beat), so the
    level may be either; what must hold is that the half-time section does not move the
    reading to another level.
    """
    bpm = 140.0
    beat = 60.0 / bpm
    dur = 32.0
    x = np.zeros(int(dur * SR))
    kick = _kick()
    for k in range(int(dur / beat)):
        if k * beat < 20.0 or k % 2 == 0:
            i = int(k * beat * SR)
            x[i : i + kick.size] += kick[: x.size - i]
    r = tempo(0.3 * x, SR)
    level = bpm if r.tempo_bpm > 0.75 * bpm else bpm / 2
    assert r.tempo_bpm == pytest.approx(level, rel=0.04)
    early, late = r.curve_times_s < 18.0, r.curve_times_s > 22.0
    assert early.any() and late.any()
    assert np.all(np.abs(r.curve_bpm / level - 1.0) <= 0.04)
    assert r.tempo_changes == ()


def _bumps(size: int, lags: list[float], height: float) -> np.ndarray:
    """A periodicity profile with Gaussian peaks of ``height`` at ``lags``."""
    i = np.arange(size, dtype=np.float64)
    return sum(height * np.exp(-0.5 * ((i - lag) / 1.5) ** 2) for lag in lags)


def test_harmonic_rhythm_chooses_between_two_equally_strong_levels():
    from mezzo.meters.tempo import choose_level

    fps = 43.0
    # onsets as periodic at 30 frames (86 BPM) as at 45 (57 BPM, 3:2): the tempo prior alone
    # takes 86 BPM; chords changing every 45 frames make 57 BPM the beat
    onsets = _bumps(200, [30.0, 45.0], 0.4)
    chords = _bumps(200, [45.0, 90.0, 135.0, 180.0], 0.5)
    assert choose_level(onsets, fps)[0] == pytest.approx(30.0, abs=0.5)
    assert choose_level(onsets, fps, chords)[0] == pytest.approx(45.0, abs=0.5)
    # a clear drum pulse keeps its own choice
    assert choose_level(onsets * 2.0, fps, chords)[0] == pytest.approx(30.0, abs=0.5)


def test_shape_novelty_marks_a_chord_change_and_ignores_a_level_change():
    from mezzo.meters.features import FrameFeatures

    bands = np.full((300, 48), -80.0, dtype=np.float32)
    bands[:100, [5, 10, 15]] = -20.0  # one chord
    bands[100:200, [7, 12, 17]] = -20.0  # another
    bands[200:] = bands[100:200] + 10.0  # the same chord 10 dB louder
    hz = np.geomspace(30.0, 16000.0, 48)
    nov = FrameFeatures(np.arange(300) / 43.0, bands, hz, 43.0).shape_novelty()
    assert abs(int(np.argmax(nov)) - 100) <= 1
    # a level change moves every band alike: the normalised shape does not change at all
    assert nov[195:205].max() == pytest.approx(0.0, abs=1e-9)


def test_shape_flux_is_zero_on_a_steady_tone_peaks_at_a_new_pitch_and_streams_like_one_block():
    from mezzo.meters.features import SpectralFrames

    rate = 44100
    t = np.arange(3 * rate) / rate
    bin_hz = rate / 2048  # a tone on an FFT bin has the same magnitude spectrum in every frame
    x = np.where(t < 1.5, np.sin(2 * np.pi * 20 * bin_hz * t), np.sin(2 * np.pi * 27 * bin_hz * t))
    x = (0.3 * x).astype(np.float32)

    def read(block: int):
        frames = SpectralFrames(rate, 1)
        for i in range(0, x.size, block):
            frames.update(x[i:i + block])
        return frames.result()

    f = read(4096)
    steady = (f.times_s > 0.2) & (f.times_s < 1.3)
    assert f.shape_flux[steady].max() == pytest.approx(0.0, abs=1e-3)
    change = int(np.argmax(f.shape_flux))
    assert abs(f.times_s[change] - 1.5) < 0.05  # the new pitch, within two frames
    for block in (1000, 44100, x.size):  # the lag reaches across blocks
        assert np.allclose(read(block).shape_flux, f.shape_flux, atol=1e-4)


def _ramp_times(duration_s: float, start_s: float, end_s: float, bpm0: float, bpm1: float) -> np.ndarray:
    """Beat times of a tempo held at ``bpm0``, ramped linearly in time to ``bpm1``, then held."""
    times = [0.0]
    while times[-1] < duration_s:
        t = times[-1]
        frac = min(1.0, max(0.0, (t - start_s) / (end_s - start_s)))
        times.append(t + 60.0 / (bpm0 + (bpm1 - bpm0) * frac))
    return np.array(times[:-1])


def test_a_change_where_the_pulse_fades_is_less_sure_than_the_piece():
    # a clear click track (pulse confidence 1) whose accelerando happens where the clicks stop
    # and only noise sounds: the change is seen across the gap, but the pulse is not clear where
    # it happens, so its confidence stays below the piece's
    times = _ramp_times(60.0, 25.0, 35.0, 100.0, 125.0)
    x = _clicks(times[(times < 25.0) | (times >= 35.0)], 60.0)
    x[int(23 * SR) : int(37 * SR)] += 0.05 * np.random.default_rng(1).standard_normal(int(37 * SR) - int(23 * SR))
    everything = tempo(x, SR, min_confidence=0.0)
    assert everything.confidence == pytest.approx(1.0)
    assert [c.kind for c in everything.tempo_changes] == ["accelerando"]
    # the same accelerando played through: as sure as the piece
    clear = tempo(_clicks(times, 60.0), SR)
    assert [c.kind for c in clear.tempo_changes] == ["accelerando"]
    assert clear.tempo_changes[0].confidence > 0.9
    assert everything.tempo_changes[0].confidence < clear.tempo_changes[0].confidence - 0.1


@pytest.mark.parametrize("seed", [2, 3])
def test_a_clear_accelerando_under_a_weak_pulse_is_reported(seed):
    # the clicks of an accelerando from 100 to 125 BPM over 25-35 s, with as many clicks again at
    # random times: the pulse is weak (under WEAK_PULSE), the change is plain, so it is reported
    # by default (legato strings and quiet orchestras read like this; tuning material, module notes)
    times = _ramp_times(60.0, 25.0, 35.0, 100.0, 125.0)
    noise = np.random.default_rng(seed).uniform(0.0, 60.0, 120)
    r = tempo(_clicks(np.sort(np.concatenate([times, noise])), 60.0), SR)
    assert 0.25 < r.confidence < WEAK_PULSE
    assert [c.kind for c in r.tempo_changes] == ["accelerando"]
    change = r.tempo_changes[0]
    assert change.start_s < 27.0 and change.end_s > 33.0
