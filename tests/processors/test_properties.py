"""Property tests (hypothesis) for the compressor family.

deadline=None: numba compile time on first use would trip the default deadline.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mezzo.processors import Compressor, Ducker, Expander, Gate

FS = 48000
SETTINGS = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def audio(draw, max_samples: int = 3000):
    channels = draw(st.integers(1, 3))
    n = draw(st.integers(0, max_samples))
    seed = draw(st.integers(0, 2**32 - 1))
    level_db = draw(st.floats(-80, 0))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(seed)
    env = 10 ** ((level_db + rng.uniform(-30, 0, size=n // 200 + 1)) / 20)
    x = rng.uniform(-1, 1, size=(channels, n)) * np.repeat(env, 200)[:n]
    return x.astype(dtype)


compressor_params = st.fixed_dictionaries(
    {
        "threshold_db": st.floats(-60, 0),
        "ratio": st.one_of(st.floats(1, 20), st.just(float("inf"))),
        "knee_db": st.floats(0, 24),
        "attack_ms": st.floats(0, 50),
        "release_ms": st.floats(0, 500),
        "hold_ms": st.floats(0, 20),
        "lookahead_ms": st.floats(0, 5),
        "link": st.floats(0, 1),
        "detector": st.sampled_from(["peak", "rms"]),
        "mix": st.floats(0, 1),
    }
)


@SETTINGS
@given(x=audio(), params=compressor_params, cuts=st.lists(st.integers(0, 3000), max_size=8))
def test_block_size_invariance(x, params, cuts):
    comp = Compressor(**params)
    comp.prepare(FS, x.shape[0])
    whole = np.concatenate([comp.process(x), comp.flush()], axis=1)
    comp.reset()
    edges = sorted({0, x.shape[1], *[min(c, x.shape[1]) for c in cuts]})
    parts = [comp.process(x[:, a:b]) for a, b in itertools.pairwise(edges)]
    np.testing.assert_array_equal(np.concatenate([*parts, comp.flush()], axis=1), whole)


def test_expander_lookahead_never_boosts_by_rounding():
    """A case hypothesis found: the lookahead ramp's running sum drifted to +3.5e-15 dB."""
    rng = np.random.default_rng(876)
    n = int(rng.integers(1, 400))
    rng.standard_normal((1, n))
    x = rng.standard_normal((1, n)) * 10 ** (-10 / 20) * 0.33
    y, gain_db = Expander(threshold_db=-6.0, ratio=6.0, knee_db=0.0, lookahead_ms=1.5)(
        x, FS, return_gain=True
    )
    assert float(gain_db.max()) <= 0.0
    assert np.all(np.abs(y) <= np.abs(x))


@SETTINGS
@given(x=audio(), params=compressor_params, kind=st.sampled_from(["compressor", "expander", "gate", "ducker"]))
def test_downward_processors_never_increase_magnitude(x, params, kind):
    if kind == "compressor":
        y = Compressor(**params, makeup_db=0.0)(x, FS)
    elif kind == "expander":
        y = Expander(threshold_db=params["threshold_db"], ratio=params["ratio"], knee_db=params["knee_db"],
                     lookahead_ms=params["lookahead_ms"])(x, FS)
    elif kind == "gate":
        y = Gate(threshold_db=params["threshold_db"], hysteresis_db=3, lookahead_ms=params["lookahead_ms"])(x, FS)
    else:
        key = np.flip(x, axis=1).copy()
        y = Ducker(threshold_db=params["threshold_db"], lookahead_ms=params["lookahead_ms"])(x, FS, key=key)
    assert np.all(np.abs(y) <= np.abs(x))


@SETTINGS
@given(x=audio(), params=compressor_params, margin_db=st.floats(0.01, 30))
def test_identity_when_ratio_one_or_threshold_above_peak(x, params, margin_db):
    np.testing.assert_array_equal(Compressor(**{**params, "ratio": 1.0})(x, FS), x)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0.0 or params["detector"] == "rms":
        return  # the RMS reading of a signal can exceed its peak (sqrt 2 scaling)
    peak_db = 20 * np.log10(peak)
    threshold = peak_db + params["knee_db"] / 2 + margin_db
    if threshold > 20:
        return
    np.testing.assert_array_equal(Compressor(**{**params, "threshold_db": threshold})(x, FS), x)


@SETTINGS
@given(
    n=st.integers(0, 5000),
    channels=st.integers(1, 3),
    threshold=st.floats(-120, 0),
    range_db=st.floats(0, 200),
    lookahead=st.floats(0, 10),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_gate_of_silence_is_silence(n, channels, threshold, range_db, lookahead, dtype):
    x = np.zeros((channels, n), dtype=dtype)
    y = Gate(threshold_db=threshold, range_db=range_db, lookahead_ms=lookahead)(x, FS)
    assert y.dtype == dtype and np.all(y == 0)


@SETTINGS
@given(x=audio(), params=compressor_params)
def test_channel_swap_changes_nothing(x, params):
    """Processing a channel-permuted signal gives the permuted output."""
    if x.shape[0] < 2:
        return
    comp = Compressor(**params)
    y = comp(x, FS)
    y_swapped = comp(x[::-1].copy(), FS)
    np.testing.assert_array_equal(y_swapped, y[::-1])
