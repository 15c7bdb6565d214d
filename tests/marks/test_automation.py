"""Gain automation on audio: closed forms of steps, ramps and fades; the Processor contract."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from mezzo.errors import AudioInputError, ParameterError
from mezzo.marks import LEVELS_DB, MarksWarning
from mezzo.processors.automation import GainAutomation, apply_marks

FS = 48000
#: float64 gain arithmetic (10**(dB/20) of an interpolated dB value): rounding only
GAIN_DB_TOL = 1e-9


def ones(seconds: float, channels: int = 1) -> np.ndarray:
    return np.ones((channels, round(seconds * FS)), dtype=np.float64)


def gain_db_of(y: np.ndarray) -> np.ndarray:
    return 20.0 * np.log10(np.abs(y))


def test_steps_ramp_linearly_in_db_over_the_smoothing():
    smoothing_ms = 10.0
    y = GainAutomation(marks="0:ff 1:p 2:mf", smoothing_ms=smoothing_ms)(ones(3.0), FS)[0]
    n = np.arange(y.size)
    t = n / FS
    s = smoothing_ms / 1000

    def step(t0, a, b):
        return np.where(t < t0, a, np.where(t >= t0 + s, b, a + (b - a) * (t - t0) / s))

    ff, p, mf = LEVELS_DB["ff"], LEVELS_DB["p"], LEVELS_DB["mf"]
    expected = np.where(t < 2.0, step(1.0, ff, p), step(2.0, p, mf))
    assert gain_db_of(y) == pytest.approx(expected, abs=GAIN_DB_TOL)


def test_hairpins_ramp_linearly_in_db():
    y = GainAutomation(marks="0:p 8:< 16:ff 24:> 32:pp")(ones(34.0), FS)[0]
    p, ff, pp = LEVELS_DB["p"], LEVELS_DB["ff"], LEVELS_DB["pp"]
    for t, want in [(0.0, p), (8.0, p), (10.0, p + (ff - p) / 4), (12.0, (p + ff) / 2), (16.0, ff),
                    (20.0, ff), (26.0, ff + (pp - ff) / 4), (32.0, pp), (33.9, pp)]:
        assert gain_db_of(y[round(t * FS)]) == pytest.approx(want, abs=GAIN_DB_TOL), t


@pytest.mark.parametrize(
    ("curve", "shape"),
    [
        ("linear", lambda x: x),
        ("equal-power", lambda x: np.sin(np.pi * x / 2)),
        ("exp", lambda x: (1000.0 ** x - 1) / 999.0),
    ],
)
def test_fades_follow_their_curve(curve, shape):
    y = GainAutomation(marks=f"0:fadein({curve}) 2:mf 6:fadeout({curve})")(ones(8.0), FS)[0]
    level = 10 ** (LEVELS_DB["mf"] / 20)
    n = np.arange(y.size)
    t = n / FS
    fade_in = t < 2.0
    fade_out = t >= 6.0
    assert y[fade_in] == pytest.approx(level * shape(t[fade_in] / 2.0), abs=1e-12)
    assert y[fade_out] == pytest.approx(level * shape(1.0 - (t[fade_out] - 6.0) / 2.0), abs=1e-12)
    assert y[~fade_in & ~fade_out] == pytest.approx(level, abs=1e-12)
    assert y[0] == 0.0


def test_equal_power_fades_sum_to_constant_power():
    a = GainAutomation(marks="0:ff 1:fadeout(equal-power)")(ones(2.0), FS)[0]
    b = GainAutomation(marks="0:ff 1:fadein(equal-power)")(ones(2.0), FS)[0]
    region = slice(FS, 2 * FS)
    assert a[region] ** 2 + b[region] ** 2 == pytest.approx(1.0, abs=1e-12)


def test_silence_before_first_fadein_and_after_fadeout():
    y = GainAutomation(marks="1:fadein 2:ff 3:fadeout 4:p 5:fadein 6:ff")(ones(7.0), FS)[0]
    assert np.all(y[: FS] == 0) and np.all(y[4 * FS: 5 * FS] == 0)
    assert y[round(6.5 * FS)] == pytest.approx(1.0)


def test_a_fadein_past_the_end_silences_nothing():
    # issue 16, case 6: "0:f 10:fadein" on a 3 s signal wrote all-silent audio.
    with pytest.warns(MarksWarning, match="after the end"):
        y = GainAutomation(marks="0:f 10:fadein")(ones(3.0), FS)[0]
    assert y == pytest.approx(10 ** (LEVELS_DB["f"] / 20), rel=1e-12)
    with pytest.warns(MarksWarning, match="after the end"):
        z = apply_marks(ones(3.0), FS, "0:f 1:fadeout 10:fadein")[0]
    assert z[: FS // 2] == pytest.approx(10 ** (LEVELS_DB["f"] / 20), rel=1e-12)  # before the fadeout: kept
    assert z[-1] > 0  # the fadeout runs towards 10 s, as written: not yet silent at 3 s


def test_no_step_larger_than_the_smoothing_allows():
    smoothing_ms = 5.0
    marks = "0:ppp 0.5:fff 1:ppp 1.5:mf 2:< 2.1:fff"
    y = GainAutomation(marks=marks, smoothing_ms=smoothing_ms)(ones(3.0), FS)[0]
    steps = np.abs(np.diff(gain_db_of(y)))
    biggest_jump_db = LEVELS_DB["fff"] - LEVELS_DB["ppp"]
    allowed = biggest_jump_db / (smoothing_ms * 1e-3 * FS)
    assert steps.max() <= allowed + 1e-9
    # the hairpin (0.1 s from mf to fff) is slower per sample than that
    assert steps.max() == pytest.approx(allowed, rel=1e-6)


def random_splits(rng, total):
    cuts = [0]
    while cuts[-1] < total:
        cuts.append(min(total, cuts[-1] + int(rng.choice([0, 1, 7, 64, 1000, 4097]))))
    return cuts


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_size_invariance(rng, dtype):
    x = rng.standard_normal((2, 3 * FS)).astype(dtype)
    marks = "0:fadein(exp) 0.4:p< 1.2:ff 1.9:> 2.2:pp 2.5:fadeout(equal-power)"
    proc = GainAutomation(marks=marks, end_s=3.0, smoothing_ms=3)
    whole = proc(x, FS)
    assert whole.dtype == dtype and whole.shape == x.shape
    proc.prepare(FS, 2)
    cuts = random_splits(rng, x.shape[1])
    parts = [proc.process(x[:, a:b]) for a, b in itertools.pairwise(cuts)]
    assert np.array_equal(np.concatenate(parts, axis=1), whole)
    assert proc.latency_samples == 0 and proc.flush().shape == (2, 0)
    proc.reset()
    assert np.array_equal(proc.process(x), whole)


def test_mono_stays_mono_and_gain_trace():
    x = np.ones(FS, dtype=np.float32)
    y, gain = GainAutomation(marks="0:p 0.5:fadeout")(x, FS, return_gain=True)
    assert y.shape == x.shape and y.dtype == np.float32
    assert gain.shape == (1, FS)
    assert gain[0, 0] == pytest.approx(LEVELS_DB["p"])
    assert np.isfinite(gain).all()


def test_streaming_fade_to_the_end_needs_end_s():
    proc = GainAutomation(marks="0:p 1:fadeout")
    with pytest.raises(ParameterError, match="end_s"):
        proc.prepare(FS, 1)


def test_parameters_are_validated():
    with pytest.raises(ParameterError, match="smoothing_ms"):
        GainAutomation(marks="0:p", smoothing_ms=-1)
    with pytest.raises(ParameterError, match="position 7"):
        GainAutomation(marks="0:p 8:x")
    with pytest.raises(ParameterError, match="bars\\|beats"):
        GainAutomation(marks="1|1:p")
    proc = GainAutomation(marks="0:p")
    with pytest.raises(ParameterError, match="levels"):
        proc.levels_db = "p=5"
    assert "smoothing_ms=5.0" in repr(proc)


def test_bar_beat_with_bpm():
    y = GainAutomation(marks="1|1:ff 2|1:p", bpm=120, smoothing_ms=0)(ones(3.0), FS)[0]
    assert gain_db_of(y[round(1.99 * FS)]) == pytest.approx(LEVELS_DB["ff"])
    assert gain_db_of(y[2 * FS + 1]) == pytest.approx(LEVELS_DB["p"])


def test_marks_past_the_end_warn():
    with pytest.warns(MarksWarning, match="after the end"):
        y = apply_marks(ones(1.0), FS, "0:p 5:f")
    assert gain_db_of(y[0, -1]) == pytest.approx(LEVELS_DB["p"])


def test_empty_marks_are_identity_and_empty_audio_is_fine():
    x = np.random.default_rng(1).standard_normal((2, 1000))
    assert np.array_equal(GainAutomation()(x, FS), x)
    assert apply_marks(np.zeros((2, 0)), FS, "0:p").shape == (2, 0)


def test_level_overrides():
    y = apply_marks(ones(1.0), FS, "0:p", levels_db="p=-13.5")
    assert gain_db_of(y[0, 100]) == pytest.approx(-13.5)


def sine(level_dbfs: np.ndarray, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * FS)) / FS
    return (10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 997 * t))[np.newaxis, :]


def short_term_at(y: np.ndarray, centre_s: float) -> float:
    """Short-term loudness (3 s window) centred at ``centre_s``: BS.1770 of a 997 Hz sine is its power."""
    from mezzo.meters.loudness import loudness

    a, b = round((centre_s - 1.5) * FS), round((centre_s + 1.5) * FS)
    return loudness(y[:, a:b], FS, true_peak=False).integrated_lufs


def test_match_mode_sets_section_loudness_whatever_the_recording_does():
    # the recording goes loud -> soft; the markings ask for p -> ff
    t = np.arange(round(24 * FS)) / FS
    levels = np.where(t < 12, -12.0, -30.0)
    x = sine(levels, 24.0)
    y = apply_marks(x, FS, "0:p 12:ff", mode="match", reference_lufs=-20.0)
    p_section = short_term_at(y, 6.0)
    ff_section = short_term_at(y, 18.0)
    assert p_section == pytest.approx(-20.0 + LEVELS_DB["p"], abs=0.5)
    assert ff_section == pytest.approx(-20.0 + LEVELS_DB["ff"], abs=0.5)
    # relative mode keeps the recording's own movement
    z = apply_marks(x, FS, "0:p 12:ff")
    assert short_term_at(z, 18.0) - short_term_at(z, 6.0) == pytest.approx(-18 + 12, abs=0.3)


def test_match_on_flat_recording_equals_relative():
    x = sine(np.full(round(12 * FS), -20.0), 12.0)
    rel = apply_marks(x, FS, "0:p 4:< 8:f")
    match = apply_marks(x, FS, "0:p 4:< 8:f", mode="match")
    mid = slice(2 * FS, 10 * FS)
    assert 20 * np.log10(np.abs(match[:, mid]).max() / np.abs(rel[:, mid]).max()) == pytest.approx(0.0, abs=0.1)


def test_match_of_silence_is_an_error():
    with pytest.raises(AudioInputError, match="silent"):
        apply_marks(np.zeros((1, FS * 4)), FS, "0:p", mode="match")


def test_mode_is_checked():
    with pytest.raises(ParameterError, match="mode"):
        apply_marks(ones(1.0), FS, "0:p", mode="loud")
    assert math.isfinite(LEVELS_DB["fff"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        apply_marks(ones(1.0), FS, "0:p 0.5:f")


#: the analysis (mezzo.meters.dynamics_map) places 4.5 dB per marking step; write with a close spacing
FOUR_DB_STEPS = "ppp=-24,pp=-20,p=-16,mp=-12,mf=-8,f=-4,ff=0,fff=4"
ORDER = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")


def test_round_trip_with_the_dynamics_map():
    """Markings written on a flat-loudness track read back within one step; hairpins with F1 >= 0.8."""
    dm = pytest.importorskip("mezzo.meters.dynamics_map")
    rng = np.random.default_rng(1)
    white = rng.standard_normal(80 * FS)
    flat = (np.convolve(white, np.ones(8) / 8, mode="same") * 0.2).astype(np.float32)  # steady noise
    marks = "0:pp 12:mf 24:< 34:ff 46:> 56:p 68:f"
    y = apply_marks(flat, FS, marks, levels_db=FOUR_DB_STEPS)
    result = dm.dynamics_map(y, FS)
    written = [(0, 12, "pp"), (12, 24, "mf"), (34, 46, "ff"), (56, 68, "p"), (68, 80, "f")]
    for start, stop, marking in written:
        mid = (start + stop) / 2
        seg = next(s for s in result.markings if s.start_s <= mid < s.end_s)
        assert abs(ORDER.index(seg.marking) - ORDER.index(marking)) <= 1, (mid, seg.marking, marking)
    hairpins = [(24, 34, "crescendo"), (46, 56, "decrescendo")]
    found = [(h.start_s, h.end_s, h.kind) for h in result.hairpins]

    def overlaps(a, b):
        return a[2] == b[2] and min(a[1], b[1]) - max(a[0], b[0]) >= 0.5 * (a[1] - a[0])

    hits = sum(any(overlaps(w, f) for f in found) for w in hairpins)
    precision = sum(any(overlaps(w, f) for w in hairpins) for f in found) / max(len(found), 1)
    recall = hits / len(hairpins)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    assert f1 >= 0.8, (found, f1)
