"""The limiter's ceiling on the whole adversarial grid of issue 13, by the independent reference.

Every signal family of ``limiter_grid.py`` (the worst-case ``sign(sinc)`` burst,
clipped sines, squares and sines near Nyquist starting abruptly, noise driven
20 dB over, a music-like mix driven 10 dB over, impulses, sweeps to Nyquist, DC
steps, ...), at ceilings -0.1, -1 and -2 dB, releases 10, 100 and 500 ms, 44.1
and 48 kHz, mono and stereo: the output's true peak by EACH instrument of
``reference/true_peak.py`` -- the ideal band-limited interpolation (exact sinc
sum), issue 13's 16x Kaiser-windowed sinc of 64 samples each side at beta 5 and
beta 8, and the windowed sinc (mezzo's own definition) -- is at most the ceiling
plus 0.1 dB, and no sample is above the ceiling. ``python tests/limiter_grid.py``
prints the worst overshoot of each family by each instrument.

The one exception: the ideal interpolation of content held at EXACTLY fs/2 that
starts abruptly has no bound. A tone ``A cos(pi n)`` from ``n = 0`` for ``T`` samples
reads ``(A / pi) sum_{k<T} 1 / (k + 1/2) ~ A (ln T + 1.96) / pi`` at ``t = -1/2``:
9.0 dB over its amplitude for 1000 samples, 12.1 dB for 44100, growing without end
with the length, so no limiter with a finite lookahead can hold it. On the grid
that is the 7350 Hz sine clipped at 44.1 kHz (its third harmonic is exactly
22050 Hz): there only the ideal reading is exempt; the Kaiser instruments and the
windowed kernel must still hold.
"""

from __future__ import annotations

import numpy as np
import pytest

import limiter_grid as grid
from reference.true_peak import INSTRUMENTS
from tolerances import LIMITER_REFERENCE_DB

#: (family, sample rate) whose ideal reading has no bound (content held at exactly fs/2, see above)
IDEAL_EXEMPT = {("clipped_7350", 44100)}

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
            for kernel in INSTRUMENTS:
                if kernel == "sinc" and (family, sample_rate) in IDEAL_EXEMPT:
                    continue
                over = grid.overshoot_db(y, ceiling, kernel)
                worst = max(worst, over)
                assert over <= LIMITER_REFERENCE_DB, (
                    f"{family}, ceiling {ceiling} dB, release {release} ms, by {kernel}: {over:+.3f} dB over"
                )
