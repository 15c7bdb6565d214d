"""Shared fixtures for mezzo's tests.

The tests directory is put on ``sys.path`` so that test modules can import the
helpers ``signals``, ``tolerances`` and ``reference.naive_bs1770`` (there are no
``__init__.py`` files under tests/).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

SEED = 20240611
SAMPLE_RATES = (44100, 48000, 96000)


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded random generator (same numbers in every test)."""
    return np.random.default_rng(SEED)


@pytest.fixture(
    params=SAMPLE_RATES, ids=lambda fs: f"{fs // 1000}k" if fs % 1000 == 0 else f"{fs / 1000:g}k"
)
def sample_rate(request: pytest.FixtureRequest) -> int:
    """The common sample rates (44.1, 48, 96 kHz)."""
    return request.param


@pytest.fixture(scope="session", autouse=True)
def _warm_loudness_kernels() -> None:
    """Compile (or load from cache) the loudness meter's numba kernels once per session."""
    try:
        from mezzo.meters.loudness import loudness
    except ImportError:
        return
    noise = np.random.default_rng(0).standard_normal((2, 48000)) * 0.1
    for dtype in (np.float32, np.float64):
        try:
            loudness(noise.astype(dtype), 48000)
        except Exception:  # the tests will report it properly
            return
