"""TPDF dither (mezzo.mastering.dither) against its closed forms: with triangular dither of
1 LSB and rounding, the error is unbiased for any input (E[q] = x), its variance is 1/6 + 1/12
= 1/4 LSB^2 and its magnitude at most 1.5 LSB; the words hold the integers exactly."""

from __future__ import annotations

import numpy as np
import pytest

from mezzo.mastering.dither import MAX_ERROR_LSB, Quantizer


@pytest.mark.parametrize("bits", [16, 24])
def test_the_error_has_the_tpdf_moments(bits):
    q = Quantizer(bits, seed=7)
    rng = np.random.default_rng(0)
    x = (0.2 * rng.standard_normal((2, 400_000))).astype(np.float32)
    values, words = q.process(x)
    error = (values.astype(np.float64) - x) * q.scale
    assert abs(error.mean()) < 0.005
    assert error.var() == pytest.approx(0.25, rel=0.01)
    assert np.abs(error).max() <= MAX_ERROR_LSB
    assert np.array_equal(words.astype(np.int64) >> (32 - bits), np.rint(values.astype(np.float64) * q.scale))


@pytest.mark.parametrize("offset_lsb", [0.0, 0.25, 0.5, 0.8])
def test_a_constant_between_two_steps_is_reproduced_on_average(offset_lsb):
    """Dither removes the quantiser's bias: a level between two integers averages to itself."""
    q = Quantizer(16, seed=1)
    x = np.full((1, 200_000), (100 + offset_lsb) / q.scale, dtype=np.float32)
    values, _ = q.process(x)
    assert values.astype(np.float64).mean() * q.scale == pytest.approx(100 + offset_lsb, abs=0.01)


def test_the_seed_decides_the_noise_and_the_range_is_clipped():
    x = np.linspace(-1.2, 1.2, 10_000, dtype=np.float32)[np.newaxis]
    a, wa = Quantizer(16, seed=3).process(x)
    b, _ = Quantizer(16, seed=3).process(x)
    c, _ = Quantizer(16, seed=4).process(x)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() == -1.0 and a.max() == (2**15 - 1) / 2**15
    assert (wa >> 16).min() == -(2**15) and (wa >> 16).max() == 2**15 - 1
