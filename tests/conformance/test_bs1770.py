"""ITU-R BS.1770-4 conformance: K-filter, closed-form loudness, channel weights, inputs.

Expected values come from the printed tables of BS.1770-4 (Tables 1-3), closed forms
computed from them, or the naive reference in tests/reference/naive_bs1770.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

import signals as sg
from reference import naive_bs1770 as naive
from tolerances import (
    BS1770_COEFF_ABS,
    CHANNEL_WEIGHT_LU,
    CLOSED_FORM_LU,
    DUAL_MONO_LU,
    K_RESPONSE_DB,
    NAIVE_REFERENCE_LU,
)

lm = pytest.importorskip("mezzo.meters.loudness")
kw = pytest.importorskip("mezzo.meters.kweighting")
errors = pytest.importorskip("mezzo.errors")

FS = 48000
K_RATES = (8000, 22050, 44100, 48000, 88200, 96000, 192000, 384000)


# --- K-weighting filter ---------------------------------------------------------------


def test_k_filter_coefficients_at_48k_match_printed_tables():
    """BS.1770-4 Table 1 (pre-filter) and Table 2 (RLB filter), to printed precision."""
    sos = np.asarray(kw.k_weighting_sos(48000), dtype=np.float64)
    assert sos.shape == (2, 6)
    err = np.abs(sos - naive.BS1770_48K_SOS)
    assert err.max() <= BS1770_COEFF_ABS, (
        f"K-filter coefficients differ from the printed table by up to {err.max():.3g} "
        f"(at stage/coef {np.unravel_index(err.argmax(), err.shape)}); allowed {BS1770_COEFF_ABS}"
    )


def test_reference_derivation_reproduces_printed_table():
    """Self-check of the reference's analog prototype (used to choose bands below)."""
    err = np.abs(naive.k_weighting_sos_derived(48000) - naive.BS1770_48K_SOS).max()
    assert err <= BS1770_COEFF_ABS


def _response_db(sos: np.ndarray, freqs: np.ndarray, fs: float) -> np.ndarray:
    _, h = signal.sosfreqz(sos, worN=freqs, fs=fs)
    return 20.0 * np.log10(np.abs(h))


def comparison_band_hz(fs: int) -> tuple[float, float]:
    """Band where the K-filter at ``fs`` must match the 48 kHz table within K_RESPONSE_DB.

    The analog prototype is the same at every rate; what legitimately differs is the
    bilinear transform's frequency warping, f_analog = f0 * tan(pi f / fs) / tan(pi f0 / fs),
    which bends the shelf's transition region differently at each rate (strongly at
    8 kHz, where 3.2 kHz maps to an analog 6.7 kHz). We compute that warping error
    exactly with the reference derivation at ``fs`` (analog prototype, pre-warped at each
    stage's f0, passband gain of the 48 kHz table kept) and keep the band from 20 Hz up to
    min(0.4*fs, 16 kHz) and below the first frequency where the warping alone exceeds
    half the tolerance. Result: the whole 20 Hz-16 kHz for fs >= 44.1 kHz (warping
    < 0.01 dB), up to ~2.1 kHz at 22.05 kHz and ~0.5 kHz at 8 kHz.
    """
    top = min(0.4 * fs, 16000.0)
    freqs = np.geomspace(20.0, top, 4000)
    warp = _response_db(naive.k_weighting_sos_derived(fs), freqs, fs) - _response_db(
        naive.BS1770_48K_SOS, freqs, 48000
    )
    over = np.flatnonzero(np.abs(warp) > K_RESPONSE_DB / 2)
    return 20.0, float(freqs[over[0] - 1] if over.size else top)


@pytest.mark.parametrize("fs", K_RATES)
def test_k_weighting_response_matches_48k_table(fs):
    lo, hi = comparison_band_hz(fs)
    assert hi > 400.0  # the band is never trivially small
    freqs = np.geomspace(lo, hi, 500)
    got = _response_db(np.asarray(kw.k_weighting_sos(fs), dtype=np.float64), freqs, fs)
    want = _response_db(naive.BS1770_48K_SOS, freqs, 48000)
    dev = got - want
    i = int(np.argmax(np.abs(dev)))
    assert abs(dev[i]) <= K_RESPONSE_DB, (
        f"K-filter at {fs} Hz deviates from the 48 kHz table by {dev[i]:+.4f} dB at "
        f"{freqs[i]:.0f} Hz (band {lo:.0f}-{hi:.0f} Hz, allowed {K_RESPONSE_DB} dB)"
    )


@pytest.mark.parametrize("fs", K_RATES)
def test_k_weighting_passband_gain_is_rate_independent(fs):
    """At 200-400 Hz both stages are flat; the 48 kHz table has +0.0433 dB there.

    A derivation keeping b = (1, -2, 1) for the high pass at every rate (libebur128)
    gives 20*log10(1 + K/Q + K**2) instead: +0.257 dB at 8 kHz, +0.005 dB at 384 kHz.
    """
    freqs = np.array([200.0, 300.0, 400.0])
    got = _response_db(np.asarray(kw.k_weighting_sos(fs), dtype=np.float64), freqs, fs)
    want = _response_db(naive.BS1770_48K_SOS, freqs, 48000)
    warp = _response_db(naive.k_weighting_sos_derived(fs), freqs, fs) - want
    assert np.all(np.abs(warp) < 0.01)  # warping is small here at every rate (0.008 dB at 400 Hz, 8 kHz)
    assert np.max(np.abs(got - want)) <= K_RESPONSE_DB, (
        f"{fs} Hz: K-filter gain at 200-400 Hz {np.round(got, 4)} dB, 48 kHz table {np.round(want, 4)} dB"
    )


# --- closed-form loudness ---------------------------------------------------------------


def sine_loudness_closed_form(level_dbfs: float, freq_hz: float, weight: float = 1.0) -> float:
    """One channel: -0.691 + 10 log10(G * A**2/2 * |K(f)|**2) with K from the printed table."""
    return level_dbfs + 10.0 * math.log10(0.5 * weight) + float(naive.k_gain_db(freq_hz)[0]) - 0.691


def test_997hz_mono_sine_closed_form():
    audio = sg.sine(997.0, -20.0, 10.0, FS, channels=1)[0]
    res = lm.loudness(audio, FS)
    expected = sine_loudness_closed_form(-20.0, 997.0)  # -23.010
    assert res.integrated_lufs is not None
    assert abs(res.integrated_lufs - expected) <= CLOSED_FORM_LU, (
        f"997 Hz at -20 dBFS mono: got {res.integrated_lufs:.4f}, closed form {expected:.4f}"
    )
    for name in ("momentary_max_lufs", "short_term_max_lufs"):
        got = getattr(res, name)
        assert abs(got - expected) <= CLOSED_FORM_LU, (
            f"{name}: got {got:.4f}, closed form {expected:.4f}"
        )


@pytest.mark.parametrize("freq_hz", [50.0, 100.0, 440.0, 2000.0, 5000.0, 10000.0])
def test_sine_at_other_frequencies_follows_k_curve(freq_hz):
    """The K-gain enters the loudness exactly (printed 48 kHz table, closed form)."""
    audio = sg.sine(freq_hz, -20.0, 10.0, FS, channels=1)[0]
    expected = sine_loudness_closed_form(-20.0, freq_hz)
    got = lm.loudness(audio, FS).integrated_lufs
    assert abs(got - expected) <= CLOSED_FORM_LU, (
        f"{freq_hz} Hz: got {got:.4f}, closed form {expected:.4f}"
    )


def test_dual_mono_is_3db_louder_than_mono():
    x = sg.sine(997.0, -20.0, 10.0, FS, channels=1)[0]
    mono = lm.loudness(x, FS).integrated_lufs
    mono_explicit = lm.loudness(x, FS, layout="mono").integrated_lufs
    dual = lm.loudness(x, FS, layout="dual-mono").integrated_lufs
    assert abs(mono_explicit - mono) <= 1e-9
    assert abs(dual - mono - 10.0 * math.log10(2.0)) <= DUAL_MONO_LU, (
        f"dual-mono - mono = {dual - mono:.4f}"
    )


def test_one_d_and_single_row_are_the_same_mono():
    x = sg.sine(997.0, -20.0, 5.0, FS, channels=1)
    a = lm.loudness(x[0], FS)
    b = lm.loudness(x, FS)
    assert a.integrated_lufs == pytest.approx(b.integrated_lufs, abs=1e-9)
    assert a.channels == b.channels == 1


@pytest.mark.parametrize(
    ("channel", "weight"),
    [(0, 1.0), (1, 1.0), (2, 1.0), (3, 0.0), (4, 1.41), (5, 1.41)],
    ids=["L", "R", "C", "LFE", "Ls", "Rs"],
)
def test_channel_weights_5_1(channel, weight):
    """BS.1770-4 Table 3: G = 1.0 (L, R, C), 1.41 (Ls, Rs); LFE not counted."""
    levels = [None] * 6
    levels[channel] = -20.0
    audio = sg.per_channel_sines(levels, 10.0, FS)
    got = lm.loudness(audio, FS, layout="5.1").integrated_lufs
    if weight == 0.0:
        assert got is None, f"a sine only in the LFE channel should be silence, got {got}"
        return
    expected = sine_loudness_closed_form(-20.0, 1000.0, weight)
    assert abs(got - expected) <= CHANNEL_WEIGHT_LU, (
        f"channel {channel}: got {got:.4f}, expected {expected:.4f}"
    )


def test_surround_reads_1_5_db_over_front():
    only_l = sg.per_channel_sines([-20.0, None, None, None, None], 10.0, FS)
    only_ls = sg.per_channel_sines([None, None, None, -20.0, None], 10.0, FS)
    a = lm.loudness(only_l, FS).integrated_lufs
    b = lm.loudness(only_ls, FS).integrated_lufs
    assert abs((b - a) - 10.0 * math.log10(1.41)) <= CHANNEL_WEIGHT_LU, f"Ls - L = {b - a:.4f} LU"


def test_layout_label_order_is_respected():
    """A list of labels maps channels to weights in the order given."""
    audio = sg.per_channel_sines([-20.0, None], 10.0, FS)
    front = lm.loudness(audio, FS, layout="L,R").integrated_lufs
    surround = lm.loudness(audio, FS, layout="Ls,Rs").integrated_lufs
    lfe = lm.loudness(audio, FS, layout="LFE,R").integrated_lufs
    assert abs(surround - front - 10.0 * math.log10(1.41)) <= CHANNEL_WEIGHT_LU
    assert lfe is None


@pytest.mark.parametrize(
    ("channels", "layout"),
    [(2, "5.1"), (6, "stereo"), (2, "L,R,X"), (2, "L"), (1, "surround")],
)
def test_bad_layout_raises(channels, layout):
    audio = np.zeros((channels, FS))
    with pytest.raises(errors.ParameterError, match=r"layout|channel"):
        lm.loudness(audio, FS, layout=layout)


# --- against the naive reference ----------------------------------------------------


@pytest.mark.parametrize("kind", sg.MUSIC_KINDS)
def test_integrated_matches_naive_reference(kind, rng):
    audio = sg.music_like(kind, 40.0, FS, rng)
    expected = naive.integrated_loudness(audio, FS)
    res = lm.loudness(audio, FS)
    assert abs(res.integrated_lufs - expected) <= NAIVE_REFERENCE_LU, (
        f"{kind}: I {res.integrated_lufs:.4f}, naive {expected:.4f}"
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_series_match_naive_reference(rng, dtype):
    """momentary/short-term series on the 100 ms grid = naive block loudness; maxima bound them."""
    audio = sg.music_like("mixed", 20.0, FS, rng)
    res = lm.loudness(audio.astype(dtype), FS)
    g = np.array([1.0, 1.0])
    want_m = naive.block_loudness(naive.block_mean_squares(audio, FS, block_s=0.4), g)
    want_s = naive.block_loudness(naive.block_mean_squares(audio, FS, block_s=3.0), g)
    got_m = np.asarray(res.momentary_lufs, dtype=np.float64)
    got_s = np.asarray(res.short_term_lufs, dtype=np.float64)
    assert got_m.shape == want_m.shape and got_s.shape == want_s.shape
    tol = 1e-6 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(got_m, want_m, atol=tol, err_msg="momentary series")
    np.testing.assert_allclose(got_s, want_s, atol=tol, err_msg="short-term series")
    # every-sample maxima are at least the grid maxima, and not much above
    assert res.momentary_max_lufs >= np.max(want_m) - tol
    assert res.short_term_max_lufs >= np.max(want_s) - tol
    assert res.momentary_max_lufs <= np.max(want_m) + 3.0


def test_short_input_has_no_integrated_loudness():
    res = lm.loudness(sg.sine(1000.0, -20.0, 0.399, FS), FS)
    assert res.integrated_lufs is None
    assert res.momentary_max_lufs is None
    assert res.sample_peak_dbfs is not None


def test_result_metadata_and_to_dict():
    audio = sg.sine(1000.0, -23.0, 5.0, FS)
    res = lm.loudness(audio, FS)
    assert res.sample_rate == FS
    assert res.channels == 2
    assert res.duration_s == pytest.approx(5.0, abs=1e-9)
    assert res.plr_db == pytest.approx(res.true_peak_dbtp - res.integrated_lufs, abs=1e-9)
    import json

    text = json.dumps(res.to_dict(), allow_nan=False)
    assert "integrated_lufs" in text


# --- input validation -------------------------------------------------------------------


@pytest.mark.parametrize("fs", [7999, 384001, 0, -48000])
def test_bad_sample_rate(fs):
    audio = np.zeros((2, 48000))
    with pytest.raises(errors.ParameterError, match="sample_rate"):
        lm.loudness(audio, fs)
    with pytest.raises(errors.ParameterError, match="sample_rate"):
        lm.LoudnessMeter(fs, 2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples(bad):
    audio = np.zeros((2, 48000))
    audio[1, 1234] = bad
    with pytest.raises(errors.AudioInputError):
        lm.loudness(audio, FS)
    meter = lm.LoudnessMeter(FS, 2)
    with pytest.raises(errors.AudioInputError):
        meter.update(audio)
