"""Self-checks of the independent true-peak reference (``reference/true_peak.py``).

Every expected value is a closed form: a sine's amplitude, the analytic peak of the
``sign(sinc)`` construction, a lone sample, and the definition's finite sum
evaluated directly (:func:`reference.true_peak.sinc_sum`). Both kernels are checked
(``"sinc"``: the ideal interpolation; ``"windowed"``: the limiter's yardstick).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference.true_peak import (
    EXACT_SAMPLES,
    KERNELS,
    kernel_value,
    reference_peak,
    sinc_sum,
    true_peak_reference,
    true_peak_reference_db,
)
from tolerances import REFERENCE_CLOSED_FORM_DB


def db(ratio: float) -> float:
    return 20.0 * math.log10(ratio)


def sine_tolerance_db(kernel: str) -> float:
    """How closely a kernel reads a sine's amplitude: the closed-form tolerance, or for the
    Kaiser beta 5 instrument its own passband ripple (measured up to +0.012 dB at 0.46 fs)."""
    return 0.015 if kernel == "kaiser5" else REFERENCE_CLOSED_FORM_DB


def faded_sine(freq: float, phase: float, amplitude: float, n: int = 16000, fade: int = 3000) -> np.ndarray:
    """A sine at ``freq`` cycles/sample with raised-cosine fades (so no onset rings)."""
    i = np.arange(n)
    w = np.ones(n)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    w[:fade] = ramp
    w[-fade:] = ramp[::-1]
    return amplitude * np.sin(2 * np.pi * freq * i + phase) * w


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("freq", [0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.43, 0.45, 0.46, 0.465, 0.47])
def test_sines_read_their_amplitude_at_any_phase(freq, kernel, rng):
    for phase in rng.uniform(0.0, 2.0 * math.pi, 4):
        x = faded_sine(freq, phase, 0.7)
        peak, _ = reference_peak(x, kernel=kernel)
        err = db(peak / 0.7)
        assert abs(err) <= sine_tolerance_db(kernel), f"{freq} fs, phase {phase:.3f}: {err:+.5f} dB"


@pytest.mark.parametrize("kernel", KERNELS)
def test_fs4_sine_at_45_degrees_reads_its_amplitude_not_its_samples(kernel):
    x = faded_sine(0.25, math.pi / 4, 1.0)
    assert float(np.abs(x).max()) == pytest.approx(math.sqrt(0.5), abs=1e-6)
    assert abs(db(true_peak_reference(x, kernel))) <= sine_tolerance_db(kernel)


def sign_sinc(half: int = 32) -> np.ndarray:
    """``x[n] = sign(sinc(n + 1/2))`` for ``n = -half .. half - 1``: the worst case for a peak at n = -1/2."""
    k = np.arange(-half, half)
    return np.sign(np.sinc(k + 0.5))


@pytest.mark.parametrize(("kernel", "half"), [("sinc", 4), ("sinc", 32), ("sinc", 200), ("windowed", 4), ("windowed", 32)])
def test_sign_sinc_reads_its_analytic_peak(kernel, half):
    """``y(-1/2) = sum_n |sinc(n + 1/2)| = (2 / pi) sum_{k < half} 1 / (k + 1/2)``, the largest value of y
    (the windowed kernel is the sinc itself within 40 samples, so it reads the same for half <= 40)."""
    pad = 500
    x = np.concatenate([np.zeros(pad), sign_sinc(half), np.zeros(pad)])
    analytic = 2.0 / math.pi * sum(1.0 / (k + 0.5) for k in range(half))
    peak, where = reference_peak(x, kernel=kernel)
    assert abs(db(peak / analytic)) <= REFERENCE_CLOSED_FORM_DB
    assert where == pytest.approx(pad + half - 0.5, abs=0.01)
    # no point of the function (evaluated by the finite sum itself) is above the reading
    t = np.linspace(pad + half - 3, pad + half + 2, 801)
    assert float(np.abs(sinc_sum(x, t, kernel)).max()) <= peak * (1 + 1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_lone_sample_reads_itself(kernel):
    x = np.zeros(3001)
    x[1500] = -0.8
    peak, where = reference_peak(x, kernel=kernel)
    # K(0) is 1, except for the Kaiser instruments' firwin scaling (1.0001)
    assert peak == pytest.approx(0.8 * float(kernel_value(np.zeros(1), kernel)[0]), rel=1e-9)
    assert where == pytest.approx(1500.0, abs=1e-6)


@pytest.mark.parametrize("kernel", KERNELS)
def test_ringing_outside_the_signal_counts(kernel):
    """An abrupt Nyquist-rate burst rings before its first and after its last sample."""
    x = np.array([1.0, -1.0] * 20)
    peak, where = reference_peak(x, kernel=kernel)
    assert where < 0.0 or where > x.shape[0] - 1
    assert peak == pytest.approx(float(np.abs(sinc_sum(x, np.array([where]), kernel)).max()), rel=1e-4)
    assert peak > 1.5  # (1/pi) * sum 1/(k + 1/2) over 40 samples, about 1.7


@pytest.mark.parametrize("kernel", KERNELS)
def test_reading_equals_the_direct_sum_at_its_maximum(kernel, rng):
    """On noise the value read is the finite sum at the point found, and no other point is higher."""
    x = rng.standard_normal(3000) * 0.3
    peak, where = reference_peak(x, kernel=kernel)
    assert peak == pytest.approx(abs(float(sinc_sum(x, np.array([where]), kernel)[0])), rel=1e-5)
    t = np.linspace(where - 1.0, where + 1.0, 401)
    assert float(np.abs(sinc_sum(x, t, kernel)).max()) <= peak * (1 + 1e-5)


def test_kernels_agree_below_nyquist(rng):
    """On content below 0.45 fs the two kernels read the same peak (the windowed one is
    flat there): white noise low-passed by an FFT brick wall."""
    x = rng.standard_normal(20000)
    spec = np.fft.rfft(x)
    spec[int(0.45 * x.shape[0]) :] = 0.0
    x = np.fft.irfft(spec, x.shape[0]) * np.hanning(x.shape[0])
    a = reference_peak(x, kernel="sinc")[0]
    b = reference_peak(x, kernel="windowed")[0]
    assert abs(db(a / b)) <= REFERENCE_CLOSED_FORM_DB


def test_long_signals_agree_with_the_exact_sum(rng):
    """Past EXACT_SAMPLES the sinc is cut at 2**16 samples: white noise (the worst case for audio:
    the left-out terms are all its power near Nyquist) stays within the closed-form tolerance."""
    n = EXACT_SAMPLES + 5000
    x = rng.standard_normal(n) * 0.25
    peak, where = reference_peak(x, kernel="sinc")
    exact = abs(float(sinc_sum(x, np.array([where]))[0]))
    assert abs(db(peak / exact)) <= REFERENCE_CLOSED_FORM_DB
    assert peak >= float(np.abs(x).max())


def test_silence_and_channels():
    assert true_peak_reference_db(np.zeros((2, 100))) is None
    x = np.zeros((2, 500))
    x[1, 250] = 0.5
    assert true_peak_reference_db(x) == pytest.approx(db(0.5), abs=1e-9)


@pytest.mark.parametrize("name", ["kaiser5", "kaiser8"])
def test_kaiser_kernels_are_the_taps_scipy_builds(name):
    """The issue's instrument, ``firwin(2049, 1/16, window=('kaiser', beta)) * 16``, tap for tap."""
    from reference.true_peak import KAISER_BETAS, kaiser_taps, kernel_value

    taps = kaiser_taps(KAISER_BETAS[name])
    u = (np.arange(taps.shape[0]) - taps.shape[0] // 2) / 16.0
    assert np.abs(kernel_value(u, name) - taps).max() <= 1e-12


@pytest.mark.parametrize("name", ["kaiser5", "kaiser8"])
def test_kaiser_reading_is_the_largest_upfirdn_value_refined(name, rng):
    """The reading is at least scipy's ``upfirdn`` maximum and at most 0.042 dB (the 16x grid's
    worst case between points) above it."""
    from scipy.signal import upfirdn

    from reference.true_peak import KAISER_BETAS, kaiser_taps

    x = rng.standard_normal(4000) * 0.3
    grid = float(np.abs(upfirdn(kaiser_taps(KAISER_BETAS[name]), x, 16)).max())
    peak = reference_peak(x, kernel=name)[0]
    assert grid * (1 - 1e-12) <= peak <= grid * 10 ** (0.042 / 20)
