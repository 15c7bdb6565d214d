"""Any finite level is measured (issue 16, case 5): float input far beyond full scale, and far below.

The yardsticks are independent of the meter's histograms: the naive BS.1770-4 reference
(tests/reference/naive_bs1770.py, which keeps every block) and the closed form "a gain
of g moves every loudness figure by 20 log10 g".
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mezzo.errors import AudioInputError
from mezzo.meters.loudness import LevelWarning, LoudnessMeter, combined_loudness, loudness
from reference import naive_bs1770 as naive
from signals import music_like
from tolerances import GAIN_SHIFT_LU, NAIVE_REFERENCE_LRA_LU, NAIVE_REFERENCE_LU

FS = 48000


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    return music_like("mixed", 20.0, FS, np.random.default_rng(7), level_dbfs=-20.0)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LevelWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("gain", [1000.0, 32768.0, 1e12, 1e30])
def test_integer_samples_saved_as_float_are_measured(music, gain):
    base = loudness(music, FS)
    loud = quiet(loudness, music * gain, FS)
    shift = 20.0 * np.log10(gain)
    assert loud.integrated_lufs is not None
    assert abs(loud.integrated_lufs - (base.integrated_lufs + shift)) <= GAIN_SHIFT_LU
    assert abs(loud.loudness_range_lu - base.loudness_range_lu) <= GAIN_SHIFT_LU
    assert abs(loud.momentary_max_lufs - (base.momentary_max_lufs + shift)) <= GAIN_SHIFT_LU


def test_scaled_input_matches_the_naive_reference(music):
    x = music * 1000.0
    got = quiet(loudness, x, FS)
    assert abs(got.integrated_lufs - naive.integrated_loudness(x, FS)) <= NAIVE_REFERENCE_LU
    assert abs(got.loudness_range_lu - naive.loudness_range(x, FS)) <= NAIVE_REFERENCE_LRA_LU


def test_absurd_level_warns_once_naming_the_likely_cause(music):
    meter = LoudnessMeter(FS, 2)
    meter.update(music * 1000.0)
    with pytest.warns(LevelWarning, match="integer samples saved as float without scaling"):
        result = meter.result()
    assert result.integrated_lufs > 20.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", LevelWarning)
        meter.result()  # once per meter


def test_ordinary_levels_do_not_warn(music):
    with warnings.catch_warnings():
        warnings.simplefilter("error", LevelWarning)
        loudness(music, FS)
        loudness(np.clip(music * 30.0, -1.0, 1.0), FS)  # brickwall-loud, but within full scale


def test_block_splits_and_albums_with_overflow_bins(music):
    x = music * 1000.0
    whole = quiet(loudness, x, FS)
    meter = LoudnessMeter(FS, 2)
    for start in range(0, x.shape[1], 12345):
        meter.update(x[:, start : start + 12345])
    split = quiet(meter.result)
    assert split.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=1e-9)
    assert split.loudness_range_lu == pytest.approx(whole.loudness_range_lu, abs=1e-9)
    # two programmes, one far beyond full scale: the album is measured on all blocks
    soft = LoudnessMeter(FS, 2)
    soft.update(music)
    album, _ = quiet(combined_loudness, [soft, meter])
    expected = naive.integrated_loudness(np.concatenate([music, x], axis=1), FS)
    assert abs(album - expected) <= NAIVE_REFERENCE_LU


def test_minus_200_dbfs_is_below_the_gate_not_an_error(music):
    tiny = music * 10 ** (-180 / 20)  # about -200 dBFS RMS
    result = loudness(tiny, FS)
    assert result.integrated_lufs is None and result.loudness_range_lu is None
    assert result.sample_peak_dbfs is not None and result.sample_peak_dbfs < -150.0


def test_samples_beyond_any_audio_level_are_refused(music):
    with pytest.raises(AudioInputError, match="scale the samples"):
        loudness(music * 1e200, FS)
