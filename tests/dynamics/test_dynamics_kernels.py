"""The beat tracker, the complexity filter and the banded filterbank against librosa, scipy and numpy
(independent implementations)."""

from __future__ import annotations

import numpy as np
import pytest

from mezzo.kernels.dynamics import banded_filterbank, one_pole_filter


def test_one_pole_filter_equals_scipy_lfilter_across_blocks():
    from scipy.signal import lfilter

    rng = np.random.default_rng(0)
    x = rng.standard_normal(5000)
    b, a = [0.98595, -0.98595], [1.0, -0.9719]
    want = lfilter(b, a, x)
    state = np.zeros(2)
    got = np.concatenate([_filt(part, state) for part in np.split(x, [7, 1000, 1001, 3333])])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _filt(x, state):
    y = np.empty(x.size)
    one_pole_filter(x, 0.98595, -0.98595, -0.9719, state, y)
    return y


def test_beat_tracker_matches_librosa_on_a_steady_envelope():
    """Same onset envelope, same fixed tempo: mezzo's numba tracker and librosa's agree beat for beat.

    One test for every tempo, so one process calls librosa: its beat tracker is compiled with
    numba's ``@guvectorize(cache=True)``, whose two cache files per function are written without
    atomicity between them, and two processes compiling it at once (two xdist workers on a fresh
    checkout) can leave a mismatched pair that segfaults every later call (numba/numba#10128,
    librosa#1998; seen here with numba 0.68, 2 of 6 runs on a cold cache with the tempi as
    separate tests).
    """
    import librosa

    from mezzo.meters.tempo import _track_beats

    fps = 44100 / 1024

    def near(a, b):
        return np.mean(np.min(np.abs(a[:, None] - b[None, :]), axis=1) <= 1)

    for bpm in (92.0, 128.0, 150.0):
        rng = np.random.default_rng(int(bpm))
        n = int(40 * fps)
        env = 0.1 * rng.random(n)
        period = 60.0 * fps / bpm
        for k in np.arange(1.3 * fps, n - 2, period):
            env[round(k)] += 1.0 + 0.2 * rng.random()
        mine = _track_beats(env, fps, np.full(n, bpm))
        _, theirs = librosa.beat.beat_track(onset_envelope=env, sr=fps * 512, hop_length=512, bpm=bpm,
                                            units="frames", trim=False)
        assert mine.size == pytest.approx(theirs.size, abs=1), bpm
        # the first and last beat may differ (where each decides the track starts and ends)
        assert near(mine, theirs) >= 0.95 and near(theirs, mine) >= 0.95, bpm


def test_banded_filterbank_equals_the_dense_product():
    from mezzo.meters.features import SpectralFrames

    frames = SpectralFrames(48000, 1)
    bank = frames._fine_bank
    mag = np.random.default_rng(1).random((37, bank.shape[0])).astype(np.float32)
    got = np.empty((mag.shape[0], bank.shape[1]), np.float32)
    banded_filterbank(mag, frames._fine_start, frames._fine_stop, frames._fine_offset, frames._fine_weight, got)
    np.testing.assert_allclose(got, mag.astype(np.float64) @ bank.astype(np.float64), rtol=1e-5, atol=1e-6)
