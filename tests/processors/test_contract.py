"""The Processor contract, parametrised over every processor (DESIGN.md, STYLE 3.8).

Probe processors (a pure delay and an identity) live here to check Chain latency
compensation without DSP in the way.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mezzo.errors import AudioInputError, ParameterError
from mezzo.processors import (
    Chain,
    Compressor,
    Ducker,
    Expander,
    GainAutomation,
    Gate,
    Leveler,
    Limiter,
)
from mezzo.processors.base import Processor

# The automation's marks run to 0.05 s; signals of a few samples end before them, which the
# processor rightly warns about (tested in tests/marks/test_automation.py), not what these check.
pytestmark = pytest.mark.filterwarnings("ignore::mezzo.marks.MarksWarning")

FS = 48000


class Delay(Processor):
    """Probe: pure delay of ``n`` samples (latency ``n``)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def _latency(self) -> int:
        return self.n

    def _reset_state(self) -> None:
        self._buf = np.zeros((self._channels, self.n))

    def _process(self, x, key, record):
        joined = np.concatenate([self._buf, x], axis=1)
        self._buf = joined[:, x.shape[1]:]
        return joined[:, : x.shape[1]].astype(x.dtype), None


class Identity(Processor):
    """Probe: returns its input."""

    def _reset_state(self) -> None:
        pass

    def _process(self, x, key, record):
        return x.copy(), None


def make_all() -> dict[str, Processor]:
    """Every processor, set so that it actually acts on the test signals."""
    return {
        "compressor": Compressor(threshold_db=-30, ratio=4, knee_db=6, attack_ms=2, release_ms=50),
        "compressor-lookahead-rms": Compressor(
            threshold_db=-30, ratio=3, lookahead_ms=3, detector="rms", link=0.5, hold_ms=5,
            key_highpass_hz=100, makeup_db="auto", mix=0.7,
        ),
        "compressor-up": Compressor(mode="up", threshold_db=-20, ratio=2, max_gain_db=12),
        "expander": Expander(threshold_db=-30, ratio=2, range_db=30),
        "gate": Gate(threshold_db=-30, lookahead_ms=2, hold_ms=5, hysteresis_db=4),
        "ducker": Ducker(threshold_db=-30, depth_db=10, lookahead_ms=1),
        "leveler": Leveler(target_lufs=-20, speed_ms=200),
        "limiter": Limiter(ceiling_db=-6.0, release_ms=20.0),
        "limiter-sample-peak-unlinked": Limiter(
            ceiling_db=-3.0, true_peak=False, lookahead_ms=1.0, attack_ms=0.5, hold_ms=2.0, link=False
        ),
        "automation": GainAutomation(marks="0:p 0.01:< 0.05:ff", end_s=1),
        "chain": Chain([Compressor(lookahead_ms=1), Gate(threshold_db=-50, lookahead_ms=2)]),
        "delay-probe": Delay(37),
    }


NAMES = list(make_all())


def needs_key(p: Processor) -> bool:
    return p.requires_key


def signal(rng: np.random.Generator, channels: int, n: int, dtype=np.float64) -> np.ndarray:
    """Bursty noise: loud and quiet sections so that every processor acts."""
    env = np.repeat(10 ** (rng.uniform(-60, 0, size=n // 500 + 1) / 20), 500)[:n]
    return (rng.uniform(-1, 1, size=(channels, n)) * env).astype(dtype)


def run_whole(p: Processor, x: np.ndarray, key: np.ndarray | None) -> np.ndarray:
    return p(x, FS, key=key) if key is not None else p(x, FS)


@pytest.fixture(params=NAMES)
def proc(request) -> Processor:
    return make_all()[request.param]


def test_random_splits_bit_identical(proc, rng):
    x = signal(rng, 2, 20000, np.float32)
    key = signal(rng, 1, 20000) if needs_key(proc) else None
    proc.prepare(FS, 2)
    whole = proc.process(x, key)
    whole = np.concatenate([whole, proc.flush()], axis=1)
    proc.reset()
    cuts = np.sort(rng.integers(0, 20000, size=12))
    cuts = np.concatenate([[0], cuts, [0, 1, 1], [20000]])
    cuts.sort()
    parts = []
    for a, b in itertools.pairwise(cuts):
        parts.append(proc.process(x[:, a:b], None if key is None else key[:, a:b]))
    parts.append(proc.flush())
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole)


def test_one_sample_blocks(proc, rng):
    x = signal(rng, 2, 700)
    key = signal(rng, 1, 700) if needs_key(proc) else None
    expected = run_whole(proc, x, key)
    lat = proc.latency_samples
    proc.reset()
    outs = [proc.process(x[:, i : i + 1], None if key is None else key[:, i : i + 1]) for i in range(700)]
    got = np.concatenate([*outs, proc.flush()], axis=1)[:, lat:]
    np.testing.assert_array_equal(got, expected)


def test_whole_call_is_streaming_shifted(proc, rng):
    x = signal(rng, 2, 5000)
    key = signal(rng, 1, 5000) if needs_key(proc) else None
    y = run_whole(proc, x, key)
    lat = proc.latency_samples
    proc.prepare(FS, 2)
    streamed = np.concatenate([proc.process(x, key), proc.flush()], axis=1)
    np.testing.assert_array_equal(streamed[:, lat:], y)
    assert y.shape == x.shape


def test_reset_gives_identical_second_run(proc, rng):
    x = signal(rng, 2, 8000)
    key = signal(rng, 1, 8000) if needs_key(proc) else None
    proc.prepare(FS, 2)
    first = proc.process(x, key)
    proc.reset()
    second = proc.process(x, key)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(run_whole(proc, x, key), run_whole(proc, x, key))


def test_latency_is_the_impulse_delay(proc):
    """A unit impulse after silence comes out exactly latency_samples later (streaming)."""
    n = 4000
    x = np.zeros((2, n))
    x[:, 1000] = 0.5
    key = np.zeros((1, n)) if needs_key(proc) else None
    proc.prepare(FS, 2)
    y = np.concatenate([proc.process(x, key), proc.flush()], axis=1)
    nz = np.flatnonzero(np.abs(y[0]) > 0)
    assert nz.size > 0
    assert nz[0] == 1000 + proc.latency_samples
    # and the whole call puts it back in place
    assert np.flatnonzero(np.abs(run_whole(proc, x, key)[0]) > 0)[0] == 1000


@pytest.mark.parametrize(
    "kind", ["silence", "dc", "full_scale_noise", "denormal", "alternating_full_scale"]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_and_dtype_kept(proc, kind, dtype, rng):
    n = 6000
    x = {
        "silence": np.zeros((2, n)),
        "dc": np.full((2, n), 0.7),
        "full_scale_noise": rng.uniform(-1, 1, size=(2, n)),
        "denormal": np.full((2, n), 1e-42 if dtype == np.float32 else 1e-310),
        "alternating_full_scale": np.tile([1.0, -1.0], (2, n // 2)),
    }[kind].astype(dtype)
    key = x[:1].astype(np.float64) if needs_key(proc) else None
    y = run_whole(proc, x, key)
    assert y.dtype == dtype
    assert np.isfinite(y).all()
    assert y.shape == x.shape


def test_mono_stays_1d(proc, rng):
    x = signal(rng, 1, 3000)[0]
    key = signal(rng, 1, 3000)[0] if needs_key(proc) else None
    y = run_whole(proc, x, key)
    assert y.ndim == 1 and y.shape == x.shape
    proc.prepare(FS, 1)
    assert proc.process(x[:100], None if key is None else key[:100]).shape == (100,)


def test_empty_input(proc):
    for shape in [(2, 0), (0,)]:
        x = np.zeros(shape, dtype=np.float32)
        key = np.zeros((1, 0)) if needs_key(proc) else None
        y = run_whole(proc, x, key)
        assert y.shape == shape and y.dtype == np.float32


def test_wrong_layout_hint(proc):
    proc.prepare(FS, 2)
    with pytest.raises(AudioInputError, match=r"\.T"):
        proc.process(np.zeros((100, 2)))


def test_nan_refused(proc):
    x = np.zeros((2, 100))
    x[0, 5] = np.nan
    key = np.zeros((1, 100)) if needs_key(proc) else None
    with pytest.raises(AudioInputError, match="NaN"):
        run_whole(proc, x, key)


def test_repr_lists_parameters(proc):
    text = repr(proc)
    for name in proc.param_specs():
        assert f"{name}=" in text


# --- Chain ---------------------------------------------------------------------------------


def test_chain_latency_adds_up_and_is_compensated(rng):
    chain = Chain([Delay(5), Identity(), Delay(11)])
    x = signal(rng, 2, 1000)
    y = chain(x, FS)
    assert chain.latency_samples == 16
    np.testing.assert_array_equal(y, x)


def test_chain_refuses_the_same_instance_twice():
    c = Compressor()
    with pytest.raises(ParameterError, match="twice"):
        Chain([c, c])


def test_chain_equals_members_streamed_in_series(rng):
    """The chain is its members streamed one into the next, latency trimmed once at the end.

    (Calling the members one by one as whole signals differs at the start: there the
    second member sees the first one's output already latency-compensated.)
    """
    x = signal(rng, 2, 6000)
    a, b = Compressor(threshold_db=-30, lookahead_ms=1), Gate(threshold_db=-40, lookahead_ms=2)
    a.prepare(FS, 2)
    b.prepare(FS, 2)
    mid = np.concatenate([a.process(x), a.flush()], axis=1)
    y = np.concatenate([b.process(mid), b.flush()], axis=1)
    lat = a.latency_samples + b.latency_samples
    got = Chain([Compressor(threshold_db=-30, lookahead_ms=1), Gate(threshold_db=-40, lookahead_ms=2)])(x, FS)
    np.testing.assert_array_equal(got, y[:, lat : lat + 6000])


# --- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (Compressor, "attack_ms", -5.0),
        (Compressor, "ratio", 0.5),
        (Compressor, "mix", 1.5),
        (Compressor, "detector", "loud"),
        (Compressor, "makeup_db", "more"),
        (Gate, "range_db", -1.0),
        (Ducker, "depth_db", 100.0),
        (Leveler, "target_lufs", 5.0),
    ],
)
def test_parameter_errors_name_parameter_and_value(cls, name, value):
    with pytest.raises(ParameterError, match=name) as info:
        cls(**{name: value})
    assert repr(value) in str(info.value)
    assert isinstance(info.value, ValueError)
    p = cls()
    with pytest.raises(ParameterError, match=name):
        setattr(p, name, value)


def test_unknown_parameter():
    with pytest.raises(ParameterError, match="thresh"):
        Compressor(thresh=-3)


def test_positional_parameters_refused():
    with pytest.raises(TypeError):
        Compressor(-20)  # type: ignore[misc]


def test_key_rules():
    x = np.zeros((2, 100))
    with pytest.raises(ParameterError, match="key"):
        Ducker()(x, FS)
    with pytest.raises(AudioInputError, match="same length"):
        Compressor()(x, FS, key=np.zeros(99))
    with pytest.raises(ParameterError, match="key"):
        Chain([Compressor()])(x, FS, key=np.zeros(100))


def test_parameter_set_takes_effect(rng):
    x = signal(rng, 2, 4000)
    c = Compressor(threshold_db=-10)
    y1 = c(x, FS)
    c.threshold_db = -40
    assert c.threshold_db == -40
    y2 = c(x, FS)
    np.testing.assert_array_equal(y2, Compressor(threshold_db=-40)(x, FS))
    assert not np.array_equal(y1, y2)
