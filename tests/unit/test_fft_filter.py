"""FFT filtering in blocks (overlap-save) against direct convolution and a direct recursion."""

from __future__ import annotations

import numpy as np
import pytest

from mezzo.meters.fft_filter import fft_size, overlap_save


@pytest.mark.parametrize(("n", "taps", "size"), [(1, 5, 16), (100, 33, 64), (5000, 320, 1024), (4097, 1, 8)])
def test_fir_equals_numpy_convolve(n, taps, size):
    rng = np.random.default_rng(n)
    x, h = rng.standard_normal(n), rng.standard_normal(taps)
    count = n + taps - 1
    got = overlap_save(x, np.fft.rfft(h, size), taps - 1, count)
    np.testing.assert_allclose(got, np.convolve(x, h), rtol=0, atol=1e-12)


def test_writes_into_a_strided_view():
    x, h = np.arange(10.0), np.array([1.0, -1.0])
    out = np.zeros((12, 2))
    overlap_save(x, np.fft.rfft(h, 8), 1, 11, out=out[:11, 1])
    np.testing.assert_allclose(out[:11, 1], np.convolve(x, h), atol=1e-12)
    assert not out[:, 0].any()


def test_one_pole_recursion_from_its_frequency_response():
    # y[i] = x[i] + a y[i - 1]: H = 1 / (1 - a e^{-jw}); a ** 400 < 1e-18 for a = 0.9
    a, reach, size = 0.9, 400, 2048
    w = np.exp(-1j * np.pi * np.arange(size // 2 + 1) / (size / 2))
    x = np.random.default_rng(1).standard_normal(3000)
    want = np.zeros_like(x)
    for i in range(x.size):
        want[i] = x[i] + (a * want[i - 1] if i else 0.0)
    got = overlap_save(x, 1.0 / (1.0 - a * w), reach, x.size)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_block_must_exceed_the_reach():
    with pytest.raises(ValueError, match="exceed"):
        overlap_save(np.ones(4), np.ones(5), 8, 4)


@pytest.mark.parametrize(("n", "want"), [(1, 1), (5, 6), (7, 8), (13, 16), (48001, 49152), (65536, 65536)])
def test_fft_size(n, want):
    assert fft_size(n) == want
