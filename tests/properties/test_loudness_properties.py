"""Property-based tests (hypothesis) of the loudness meter's invariants.

- block-size invariance: any split fed to LoudnessMeter.update == one loudness() call,
  exactly, and calling result() mid-stream changes nothing;
- gain: +x dB moves integrated, max momentary and max short-term by x, LRA unchanged;
- swapping L and R changes nothing;
- a mono signal duplicated into two channels reads 10*log10(2) LU louder;
- digital silence: every loudness figure and every peak is None;
- shorter than one 400 ms block: integrated loudness is None.
"""

from __future__ import annotations

import functools
import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import signals as sg
from tolerances import DUAL_MONO_LU, GAIN_SHIFT_LU

lm = pytest.importorskip("mezzo.meters.loudness")

FS = 16000  # small rate keeps hypothesis fast; the properties do not depend on it
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SCALARS = (
    "integrated_lufs",
    "loudness_range_lu",
    "momentary_max_lufs",
    "short_term_max_lufs",
    "sample_peak_dbfs",
    "true_peak_dbtp",
    "plr_db",
    "channel_sample_peak_dbfs",
    "channel_true_peak_dbtp",
    "duration_s",
    "sample_rate",
    "channels",
)
SERIES = ("momentary_lufs", "momentary_times_s", "short_term_lufs", "short_term_times_s")
LOUDNESS_FIELDS = (
    "integrated_lufs",
    "loudness_range_lu",
    "momentary_max_lufs",
    "short_term_max_lufs",
)
PEAK_FIELDS = ("sample_peak_dbfs", "true_peak_dbtp", "plr_db")


@functools.cache
def music(seed: int, duration_s: float = 6.0, channels: int = 2, kind: str = "mixed") -> np.ndarray:
    audio = sg.music_like(kind, duration_s, FS, np.random.default_rng(seed), channels=channels)
    audio.setflags(write=False)
    return audio


def assert_same_result(a, b, what: str) -> None:
    for name in SCALARS:
        assert getattr(a, name) == getattr(b, name), (
            f"{what}: {name} differs: {getattr(a, name)!r} vs {getattr(b, name)!r}"
        )
    for name in SERIES:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert x.shape == y.shape, f"{what}: {name} shape {x.shape} vs {y.shape}"
        assert np.array_equal(x, y, equal_nan=True), (
            f"{what}: {name} differs, max |diff| {np.nanmax(np.abs(x - y)):.3g}"
        )


@SETTINGS
@given(
    seed=st.integers(0, 3),
    cuts=st.lists(st.integers(0, 6 * FS), min_size=0, max_size=12),
    dtype=st.sampled_from([np.float32, np.float64]),
    peek=st.booleans(),
)
def test_any_split_gives_the_whole_call_result(seed, cuts, dtype, peek):
    audio = music(seed).astype(dtype)
    whole = lm.loudness(audio, FS)
    meter = lm.LoudnessMeter(FS, 2)
    edges = [0, *sorted(cuts), audio.shape[1]]
    for start, stop in itertools.pairwise(edges):
        meter.update(audio[:, start:stop])
        if peek:
            meter.result()  # result() does not end or disturb the stream
    assert_same_result(meter.result(), whole, f"split at {edges[1:-1]}")


def test_reset_restores_a_fresh_meter():
    audio = music(0)
    meter = lm.LoudnessMeter(FS, 2)
    meter.update(music(1))
    meter.reset()
    meter.update(audio)
    assert_same_result(meter.result(), lm.loudness(audio, FS), "after reset()")


@SETTINGS
@given(seed=st.integers(0, 3), gain_db=st.floats(-20.0, 12.0, allow_nan=False))
def test_gain_shifts_loudness_by_exactly_its_db(seed, gain_db):
    audio = music(seed, 10.0, 2, "pink_envelope")  # about -20 LUFS: far above the gates
    base = lm.loudness(audio, FS)
    moved = lm.loudness(audio * 10.0 ** (gain_db / 20.0), FS)
    for name in ("integrated_lufs", "momentary_max_lufs", "short_term_max_lufs"):
        diff = getattr(moved, name) - getattr(base, name)
        assert abs(diff - gain_db) <= GAIN_SHIFT_LU, f"{name} moved {diff:.4f} for {gain_db:.4f} dB"
    lra_diff = moved.loudness_range_lu - base.loudness_range_lu
    assert abs(lra_diff) <= GAIN_SHIFT_LU, f"LRA changed by {lra_diff:.4f} LU for {gain_db:.4f} dB"


@SETTINGS
@given(seed=st.integers(0, 3))
def test_swapping_left_and_right_changes_nothing(seed):
    audio = music(seed)
    a = lm.loudness(audio, FS)
    b = lm.loudness(audio[::-1].copy(), FS)
    for name in (*LOUDNESS_FIELDS, *PEAK_FIELDS):
        assert getattr(a, name) == pytest.approx(getattr(b, name), abs=1e-9), name
    assert tuple(a.channel_true_peak_dbtp) == tuple(b.channel_true_peak_dbtp)[::-1]
    assert tuple(a.channel_sample_peak_dbfs) == tuple(b.channel_sample_peak_dbfs)[::-1]
    for name in ("momentary_lufs", "short_term_lufs"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=1e-9)


@SETTINGS
@given(seed=st.integers(0, 3))
def test_mono_duplicated_reads_3db_louder(seed):
    x = music(seed, 6.0, 1)[0]
    mono = lm.loudness(x, FS)
    stereo = lm.loudness(np.stack([x, x]), FS)
    dual = lm.loudness(x, FS, layout="dual-mono")
    for name in ("integrated_lufs", "momentary_max_lufs", "short_term_max_lufs"):
        for other, label in ((stereo, "stereo copy"), (dual, "dual-mono")):
            diff = getattr(other, name) - getattr(mono, name)
            assert abs(diff - 10.0 * math.log10(2.0)) <= DUAL_MONO_LU, (
                f"{label} {name}: +{diff:.4f} LU"
            )
    assert abs(stereo.loudness_range_lu - mono.loudness_range_lu) <= DUAL_MONO_LU


@SETTINGS
@given(
    n=st.integers(1, 5 * FS),
    channels=st.sampled_from([1, 2, 6]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_digital_silence_is_undefined(n, channels, dtype):
    res = lm.loudness(np.zeros((channels, n), dtype=dtype), FS)
    for name in (*LOUDNESS_FIELDS, *PEAK_FIELDS):
        assert getattr(res, name) is None, f"{name} = {getattr(res, name)!r} for silence"
    assert all(v is None for v in res.channel_sample_peak_dbfs)
    assert all(v is None for v in res.channel_true_peak_dbtp)
    for name in ("momentary_lufs", "short_term_lufs"):
        assert np.all(np.isnan(np.asarray(getattr(res, name)))), name
    json.dumps(res.to_dict(), allow_nan=False)


@SETTINGS
@given(n=st.integers(1, round(0.4 * FS) - 1), seed=st.integers(0, 1000))
def test_shorter_than_one_block_has_no_integrated(n, seed):
    audio = np.random.default_rng(seed).uniform(-0.5, 0.5, (2, n))
    res = lm.loudness(audio, FS)
    assert res.integrated_lufs is None
    assert res.momentary_max_lufs is None
    assert res.short_term_max_lufs is None
    assert res.loudness_range_lu is None
    assert res.sample_peak_dbfs is not None
    assert np.asarray(res.momentary_lufs).size == 0
    json.dumps(res.to_dict(), allow_nan=False)
