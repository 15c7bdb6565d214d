"""Property tests of the limiter (hypothesis): the ceiling holds, splits are exact, transparency.

Each example draws an adversarial signal family, its level over the ceiling, the
ceiling and the time settings; the promises are checked against independent
measurements (sample peak, mezzo's meter, the independent reference of
``reference/true_peak.py``: every instrument, except the ideal sinc where a signal holds a
spectral line within 0.02 fs of Nyquist at an end -- its reading has no bound there, see
:func:`holds_nyquist`; the grid exempts its one such family the same way).
"""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mezzo.meters.peak import true_peak
from mezzo.processors.limiter import Limiter
from reference.true_peak import instrument_readings_db
from tolerances import LIMITER_REFERENCE_DB

FS = 48000
N = 3000
#: examples per property; raise it for a long run (3000 passed when this was written)
MAX_EXAMPLES = int(os.environ.get("MEZZO_LIMITER_EXAMPLES", "40"))

FAMILIES = (
    "impulses",
    "square",
    "sine",
    "isp",
    "clipped",
    "sweep",
    "noise",
    "dc_steps",
    "silence",
    "bursts",
)

SETTINGS = settings(
    deadline=None, max_examples=MAX_EXAMPLES, suppress_health_check=[HealthCheck.too_slow]
)


def make_signal(
    family: str, seed: int, over_db: float, freq: float, phase: float, channels: int
) -> np.ndarray:
    """An adversarial signal with peaks about ``over_db`` above 0 dBFS (numpy only)."""
    rng = np.random.default_rng(seed)
    t = np.arange(N)
    amp = 10 ** (over_db / 20)
    chans = []
    for _ in range(channels):
        if family == "impulses":
            x = np.zeros(N)
            idx = rng.integers(0, N, 25)
            x[idx] = rng.uniform(-1, 1, 25)
        elif family == "square":
            x = np.sign(np.sin(2 * np.pi * freq * 0.2 * t + phase) + 1e-9)
        elif family == "sine":  # any frequency up to just below Nyquist
            x = np.sin(2 * np.pi * freq * t + phase)
        elif family == "isp":  # fs/4 sine at a phase that hides its peak between samples
            x = np.sin(np.pi / 2 * t + np.pi / 4 + 0.1 * phase)
        elif family == "clipped":
            x = np.clip(3 * np.sin(2 * np.pi * freq * 0.1 * t + phase), -1, 1)
        elif family == "sweep":
            f = 20 / FS + (0.5 - 20 / FS) * (t / N) ** 2
            x = np.sin(2 * np.pi * np.cumsum(f) + phase)
        elif family == "noise":
            x = rng.standard_normal(N) / 3
        elif family == "dc_steps":
            x = np.repeat(rng.uniform(-1, 1, N // 300 + 1), 300)[:N]
        elif family == "bursts":  # short bursts near Nyquist
            x = np.zeros(N)
            for start in rng.integers(0, N - 10, 6):
                x[start : start + 5] = np.cos(np.pi * (0.9 + 0.1 * freq) * np.arange(5) + phase)
        else:
            x = np.zeros(N)
        chans.append(amp * x)
    return np.stack(chans)


limiter_settings = st.fixed_dictionaries(
    {
        "ceiling_db": st.sampled_from([-0.1, -1.0, -6.0]) | st.floats(-12.0, 0.0),
        "lookahead_ms": st.sampled_from([1.5, 5.0, 10.0]),
        "release_ms": st.sampled_from([0.0, 1.0, 20.0, 200.0]),
        "hold_ms": st.sampled_from([0.0, 2.0]),
        "link": st.booleans(),
    }
)


@st.composite
def cases(draw):
    family = draw(st.sampled_from(FAMILIES))
    params = draw(limiter_settings)
    params["attack_ms"] = draw(st.sampled_from([0.0, 0.5, 1.0])) * params["lookahead_ms"]
    signal = make_signal(
        family,
        draw(st.integers(0, 2**31)),
        draw(st.floats(-3.0, 20.0)) + params["ceiling_db"],
        draw(st.floats(0.0, 0.499)),
        draw(st.floats(0.0, 2 * math.pi)),
        draw(st.sampled_from([1, 2])),
    )
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return signal.astype(dtype), params


@SETTINGS
@given(cases())
def test_ceiling_holds(case):
    x, params = case
    y = Limiter(**params)(x, FS)
    assert y.dtype == x.dtype and y.shape == x.shape
    c = params["ceiling_db"]
    assert float(np.abs(y).max()) <= 10 ** (c / 20)
    tp = true_peak(y, FS)
    assert tp is None or tp <= c
    if np.any(y):
        readings = instrument_readings_db(y)
        if holds_nyquist(y):
            # the ideal reading of content held at exactly fs/2 that starts or stops abruptly
            # grows without bound with its length (reference/true_peak.py): no limiter bounds it
            # (the grid exempts its one such family the same way)
            del readings["sinc"]
        worst = max(v for v in readings.values() if v is not None)
        assert worst <= c + LIMITER_REFERENCE_DB, readings  # (ideal,) Kaiser beta 5/8, windowed


#: a spectral line within this fraction of the rate of Nyquist counts as "held near Nyquist"
NEAR_NYQUIST_FS = 0.02
#: ... when it is at least this share of the strongest line and this many times the median
#: of the band above 0.4 fs (a line, not broadband content such as noise)
LINE_SHARE = 0.05
LINE_OVER_MEDIAN = 8.0
#: samples at each end of a signal checked for it
EDGE_SAMPLES = 1024


def holds_nyquist(y: np.ndarray) -> bool:
    """Whether a channel of ``y`` holds a spectral line within ``NEAR_NYQUIST_FS`` of fs/2 in its
    first or last ``EDGE_SAMPLES`` samples (Hann-windowed spectrum), where its ideal reading has
    no bound (``reference/true_peak.py``)."""
    window = np.hanning(EDGE_SAMPLES)
    freqs = np.fft.rfftfreq(EDGE_SAMPLES)
    near = freqs >= 0.5 - NEAR_NYQUIST_FS
    band = freqs >= 0.4
    for ch in np.atleast_2d(np.asarray(y, dtype=np.float64)):
        for edge in (ch[:EDGE_SAMPLES], ch[-EDGE_SAMPLES:]):
            if edge.shape[0] < EDGE_SAMPLES:
                continue
            spectrum = np.abs(np.fft.rfft(edge * window))
            line = float(spectrum[near].max())
            if line > LINE_SHARE * float(spectrum.max()) and line > LINE_OVER_MEDIAN * float(np.median(spectrum[band])):
                return True
    return False


@SETTINGS
@given(cases(), st.lists(st.integers(0, N), min_size=1, max_size=12))
def test_any_split_equals_the_whole_call(case, cuts):
    x, params = case
    lim = Limiter(**params)
    whole = lim(x, FS)
    lat = lim.latency_samples
    lim.reset()
    edges = sorted({0, N, *cuts})
    parts = [lim.process(x[:, a:b]) for a, b in itertools.pairwise(edges)]
    got = np.concatenate([*parts, lim.flush()], axis=1)[:, lat:]
    np.testing.assert_array_equal(got, whole)


@settings(deadline=None, max_examples=MAX_EXAMPLES)
@given(
    st.sampled_from(["sine", "noise", "impulses", "dc_steps", "isp"]),
    st.integers(0, 2**31),
    st.floats(0.0, 0.45),
    st.floats(-20.0, -1.01),
    st.sampled_from([-0.1, -1.0, -6.0]),
    st.booleans(),
)
def test_transparent_more_than_1_db_below(family, seed, freq, below_db, ceiling_db, tp_mode):
    """True peak (BS.1770 meter) more than 1 dB below the ceiling: output == input, delayed."""
    x = make_signal(family, seed, 0.0, freq, 0.3, 2)
    if not np.any(x):
        return
    x = x * 10 ** ((ceiling_db + below_db - true_peak(x, FS)) / 20)
    lim = Limiter(ceiling_db=ceiling_db, true_peak=tp_mode)
    lim.prepare(FS, 2)
    streamed = np.concatenate([lim.process(x), lim.flush()], axis=1)
    lat = lim.latency_samples
    np.testing.assert_array_equal(streamed[:, :lat], 0.0)
    np.testing.assert_array_equal(streamed[:, lat:], x)
