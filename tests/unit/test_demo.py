"""Tests of the built-in demo track (mezzo.demo).

Expectations are independent of mezzo's meters: closed forms (40 bars at 128 BPM), plain
RMS over the sections of ``SECTIONS``, and a 4x polyphase interpolation from scipy as the
true-peak reference (BS.1770-4 Annex 2 asks for at least 4x oversampling).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from mezzo import demo
from mezzo.errors import ParameterError

SAMPLE_RATE = 48000
BEAT_S = 60.0 / 128.0
BAR_S = 4 * BEAT_S
#: 40 bars of 4/4 at 128 BPM.
EXPECTED_DURATION_S = 40 * BAR_S  # 75 s

# What the demo promises (its design brief), in dB of plain RMS unless said otherwise.
MAX_PEAK_DBFS = -1.0  # sample peak and (4x) true peak stay below this
DROP_OVER_INTRO_DB = 10.0  # the drop is at least this much louder than the intro
CRESCENDO_DB = 4.0  # the build's last two bars over its first two
LOW_END_RETURN_DB = 10.0  # share of energy below 120 Hz, drop start over build end
SOFT_SECTIONS_DB = 10.0  # break and outro below the drop
FADE_DB = 12.0  # first bar of the outro over its last
KICK_ON_BEAT_DB = 12.0  # drums just after each beat of the drop over just before it
PHRASE_RANGE_DB = 4.0  # lead phrases in the drop differ by at least this
SEED_LEVEL_DB = 1.5  # two seeds: same music, nearly the same level
SILENT = 1e-4  # peak of a stem that does not play


@pytest.fixture(scope="module")
def stems48():
    return demo.stems(SAMPLE_RATE, seed=0)


@pytest.fixture(scope="module")
def track48():
    audio, rate = demo.track(SAMPLE_RATE, seed=0)
    return audio, rate


def rms_db(x: np.ndarray) -> float:
    """Plain (unweighted) RMS over all channels, dB re full scale."""
    return 10.0 * np.log10(np.mean(np.square(x, dtype=np.float64)))


def span(audio: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return audio[:, round(start_s * SAMPLE_RATE) : round(end_s * SAMPLE_RATE)]


def section(name: str) -> demo.Section:
    (found,) = [s for s in demo.SECTIONS if s.name == name]
    return found


def test_track_shape_dtype_duration(track48):
    audio, rate = track48
    assert rate == SAMPLE_RATE
    assert audio.dtype == np.float32
    assert audio.ndim == 2 and audio.shape[0] == 2
    duration_s = audio.shape[1] / rate
    assert 60.0 <= duration_s <= 90.0
    assert audio.shape[1] == round(EXPECTED_DURATION_S * SAMPLE_RATE)
    assert abs(demo.DURATION_S - EXPECTED_DURATION_S) < 1e-9
    assert demo.TEMPO_BPM == 128.0


def test_stems_shapes_and_names(stems48, track48):
    audio, _ = track48
    assert set(stems48) == {"drums", "bass", "pad", "lead"}
    assert tuple(stems48) == demo.STEM_NAMES
    for name, stem in stems48.items():
        assert stem.shape == audio.shape, name
        assert stem.dtype == np.float32, name
        assert stem.flags.c_contiguous, name


def test_stems_sum_to_track(stems48, track48):
    # Documented: the stems carry the mix gain, so their float32 sum is the track.
    audio, _ = track48
    total = stems48["drums"] + stems48["bass"] + stems48["pad"] + stems48["lead"]
    np.testing.assert_allclose(total, audio, rtol=0, atol=1e-6)


def test_finite(stems48, track48):
    assert np.isfinite(track48[0]).all()
    for name, stem in stems48.items():
        assert np.isfinite(stem).all(), name


def test_every_stem_plays(stems48):
    for name, stem in stems48.items():
        assert rms_db(stem) > -45.0, name


def test_sample_peak(track48):
    audio, _ = track48
    peak_dbfs = 20.0 * np.log10(np.abs(audio).max())
    assert peak_dbfs <= MAX_PEAK_DBFS
    assert peak_dbfs == pytest.approx(demo.PEAK_DBFS, abs=0.01)


def test_true_peak_below_minus_1_dbtp(track48):
    audio, _ = track48
    drop = section("drop")
    upsampled = signal.resample_poly(
        span(audio, drop.start_s, drop.end_s).astype(np.float64), 4, 1, axis=-1
    )
    assert 20.0 * np.log10(np.abs(upsampled).max()) < MAX_PEAK_DBFS


def test_same_seed_same_samples_other_seed_differs():
    first, _ = demo.track(16000, seed=3)
    again, _ = demo.track(16000, seed=3)
    other, _ = demo.track(16000, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # Different noise and phases, same music: the level (after peak normalisation) is close.
    assert rms_db(first) == pytest.approx(rms_db(other), abs=SEED_LEVEL_DB)


@pytest.mark.parametrize("sample_rate", [8000, 44100])
def test_other_sample_rates(sample_rate):
    audio, rate = demo.track(sample_rate)
    assert rate == sample_rate
    assert audio.shape == (2, round(EXPECTED_DURATION_S * sample_rate))
    assert audio.dtype == np.float32
    assert np.isfinite(audio).all()
    assert 20.0 * np.log10(np.abs(audio).max()) <= MAX_PEAK_DBFS


def test_sections_tile_the_track():
    names = [s.name for s in demo.SECTIONS]
    assert names == ["intro", "build", "drop", "break", "outro"]
    assert demo.SECTIONS[0].start_s == 0.0
    assert demo.SECTIONS[-1].end_s == pytest.approx(EXPECTED_DURATION_S)
    for before, after in zip(demo.SECTIONS[:-1], demo.SECTIONS[1:], strict=True):
        assert before.end_s == pytest.approx(after.start_s)
    for s in demo.SECTIONS:
        assert s.duration_s > 0
        bars = s.start_s / BAR_S
        assert bars == pytest.approx(round(bars)), f"{s.name} starts off the bar line"


def test_section_markings():
    markings = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")
    assert section("intro").marking == "p"
    assert (section("build").marking, section("build").end_marking) == ("mp", "f")
    assert section("drop").marking == "ff"
    assert section("break").marking in ("pp", "p")
    assert section("outro").marking in ("pp", "p")
    for s in demo.SECTIONS:
        assert s.marking in markings
        assert s.end_marking is None or s.end_marking in markings


def test_section_is_frozen_and_serialisable():
    s = demo.SECTIONS[0]
    with pytest.raises(AttributeError):
        s.start_s = 1.0  # type: ignore[misc]
    assert s.to_dict() == {
        "name": "intro",
        "start_s": 0.0,
        "end_s": pytest.approx(8 * BAR_S),
        "marking": "p",
        "end_marking": None,
    }


def test_drop_at_least_10_db_louder_than_intro(track48):
    audio, _ = track48
    intro, drop = section("intro"), section("drop")
    difference = rms_db(span(audio, drop.start_s, drop.end_s)) - rms_db(
        span(audio, intro.start_s, intro.end_s)
    )
    assert difference >= DROP_OVER_INTRO_DB


def test_quietest_drop_window_louder_than_loudest_intro_window(track48):
    # 3 s windows (short-term length) every second, plain RMS.
    audio, _ = track48

    def windows(s: demo.Section) -> list[float]:
        return [
            rms_db(span(audio, t, t + 3.0)) for t in np.arange(s.start_s, s.end_s - 3.0 + 1e-9, 1.0)
        ]

    assert min(windows(section("drop"))) - max(windows(section("intro"))) >= DROP_OVER_INTRO_DB


def test_build_is_a_crescendo(track48):
    audio, _ = track48
    build = section("build")
    first = rms_db(span(audio, build.start_s, build.start_s + 2 * BAR_S))
    last = rms_db(span(audio, build.end_s - 2 * BAR_S, build.end_s))
    assert last - first >= CRESCENDO_DB


def test_build_thins_the_low_end(track48):
    # Share of energy below 120 Hz: small at the end of the build, large in the drop.
    audio, _ = track48
    sos = signal.butter(4, 120.0, "lowpass", fs=SAMPLE_RATE, output="sos")

    def low_share_db(x: np.ndarray) -> float:
        return rms_db(signal.sosfilt(sos, x.astype(np.float64), axis=-1)) - rms_db(x)

    build, drop = section("build"), section("drop")
    end_of_build = low_share_db(span(audio, build.end_s - BAR_S, build.end_s))
    start_of_drop = low_share_db(span(audio, drop.start_s, drop.start_s + 2 * BAR_S))
    assert start_of_drop - end_of_build >= LOW_END_RETURN_DB


def test_break_and_outro_are_soft_and_the_outro_fades(track48):
    audio, _ = track48
    drop_db = rms_db(span(audio, section("drop").start_s, section("drop").end_s))
    for name in ("break", "outro"):
        s = section(name)
        assert drop_db - rms_db(span(audio, s.start_s, s.end_s)) >= SOFT_SECTIONS_DB, name
    outro = section("outro")
    first_bar = rms_db(span(audio, outro.start_s, outro.start_s + BAR_S))
    last_bar = rms_db(span(audio, outro.end_s - BAR_S, outro.end_s))
    assert first_bar - last_bar >= FADE_DB


def test_kick_on_the_beat_at_128_bpm(stems48):
    # In the drop, the drums are much louder just after each beat than just before it.
    drums = stems48["drums"]
    drop = section("drop")
    beats = drop.start_s + np.arange(int(drop.duration_s / BEAT_S)) * BEAT_S
    on = np.mean([np.abs(span(drums, t, t + 0.02)).mean() for t in beats])
    before = np.mean([np.abs(span(drums, t - 0.03, t - 0.005)).mean() for t in beats])
    assert 20.0 * np.log10(on / before) >= KICK_ON_BEAT_DB


def test_lead_phrases_vary_by_several_db(stems48):
    lead = stems48["lead"]
    drop = section("drop")
    phrases = [
        rms_db(span(lead, t, t + 2 * BAR_S))
        for t in np.arange(drop.start_s, drop.end_s - 1e-9, 2 * BAR_S)
    ]
    assert len(phrases) == 8
    assert max(phrases) - min(phrases) >= PHRASE_RANGE_DB


def test_intro_has_no_drums_or_bass(stems48):
    intro = section("intro")
    for name in ("drums", "bass"):
        assert np.abs(span(stems48[name], intro.start_s, intro.end_s)).max() < SILENT, name


@pytest.mark.parametrize("sample_rate", [1000, 48000.5, None])
def test_bad_sample_rate(sample_rate):
    with pytest.raises(ParameterError, match="sample_rate"):
        demo.track(sample_rate)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed(seed):
    with pytest.raises(ParameterError, match="seed"):
        demo.stems(8000, seed=seed)
