"""The limiter's ceiling on the whole adversarial grid of issue 13, by the independent reference.

Every signal family of ``limiter_grid.py`` (the worst-case ``sign(sinc)`` burst,
clipped sines, squares and sines near Nyquist starting abruptly, noise driven
20 dB over, a music-like mix driven 10 dB over, impulses, sweeps to Nyquist, DC
steps, ...), at ceilings -0.1, -1 and -2 dB, releases 10, 100 and 500 ms, 44.1
and 48 kHz, mono and stereo: the output's true peak by the reference
(``reference/true_peak.py``, the windowed sinc of the definition) is at most the
ceiling plus 0.1 dB, and no sample is above the ceiling. ``python
tests/limiter_grid.py`` prints the worst overshoot of each family.
"""

from __future__ import annotations

import numpy as np
import pytest

import limiter_grid as grid
from tolerances import LIMITER_REFERENCE_DB

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("family", list(grid.FAMILIES))
@pytest.mark.parametrize("sample_rate", grid.SAMPLE_RATES)
@pytest.mark.parametrize("channels", grid.CHANNELS)
def test_ceiling_holds_on_the_grid(family, sample_rate, channels):
    worst = -np.inf
    for ceiling in grid.CEILINGS_DB:
        x = grid.grid_signal(family, sample_rate, channels, ceiling)
        for release in grid.RELEASES_MS:
            y = grid.run_limiter(x, sample_rate, ceiling, release)
            assert float(np.abs(y).max()) <= 10 ** (ceiling / 20), f"a sample above {ceiling} dB"
            over = grid.overshoot_db(y, ceiling)
            worst = max(worst, over)
            assert over <= LIMITER_REFERENCE_DB, (
                f"{family}, ceiling {ceiling} dB, release {release} ms: {over:+.3f} dB over"
            )
