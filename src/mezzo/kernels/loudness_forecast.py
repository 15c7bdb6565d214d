"""Loudness forecast of a limited signal at other gains (see :mod:`mezzo.mastering.forecast`).

Private to mezzo. One pass per block over the limiter's input: K-weighting
(two biquads per channel, transposed direct form II, states handed in) and per
group of ``group`` samples its sample peak (the largest over the channels) and
its weighted K energy. Each group, three groups late (the window reaches
``LOOK`` groups either side), drives a model limiter at every offset ``u`` of
``offsets_db``: the reduction it needs is how far the largest group peak of the
window, raised by ``u``, is above ``ceiling_db``; the reduction follows it at
once when it rises and by a one-pole in dB (after ``hold`` groups) when it
falls, as the limiter's. The group's energy, raised by ``u`` and lowered by the
reduction, is summed into sub-blocks of ``sub_groups`` groups; every four
sub-blocks (a BS.1770 gating block, 75 % overlap) go to a histogram of block
loudness per offset. Every state lives in the arrays handed in, so any block
split gives the same values.
"""

from __future__ import annotations

import math

import numpy as np

from mezzo.kernels._jit import kernel

#: groups either side of a group whose peaks set its reduction (the limiter's window)
LOOK = 3
#: histogram of block loudness: lowest bin edge, LUFS, and bins per LU
HIST_FLOOR_LUFS = -70.0
HIST_PER_LU = 10.0

# counter slots of ``counts`` (int64 array of 4)
#: samples in the current group
N_IN_GROUP = 0
#: groups completed so far
N_GROUPS = 1
#: groups in the current sub-block
N_IN_SUB = 2
#: sub-blocks completed so far
N_SUBS = 3


@kernel
def forecast_block(
    x, weights, sos, zk, tail, half, group, sub_groups, hold, release_coef, offsets_db, ceiling_db,
    acc, peaks, energies, reduction_db, hold_left, sub_energy, sub_ring, reduction_sum, hist_e, hist_n, counts,
):  # fmt: skip
    """Feed the block ``x`` (C, n) at the rendered gain to the model limiters.

    weights (C,) BS.1770 channel weights; sos (2, 6) K-weighting; zk (C, 2, 2) its
    states; release_coef the one-pole coefficient per group; offsets_db (U,).
    State: acc (2,) the current group's peak and energy; peaks/energies (2 LOOK + 1,)
    rings of the last groups; reduction_db, hold_left (U,); sub_energy (U,) the
    current sub-block's energy; sub_ring (U, 3) the last three sub-blocks';
    reduction_sum (U,) sum of the model's reduction over groups, dB; hist_e/hist_n
    (U, B) energy and count of the gating blocks per loudness bin; counts (4,).
    """
    g_peak, g_energy, done = _group_features(x, weights, sos, zk, tail, half, group, acc, counts)
    for j in range(done):
        _model_group(
            g_peak[j], g_energy[j], sub_groups, hold, release_coef, offsets_db, ceiling_db, peaks, energies,
            reduction_db, hold_left, sub_energy, sub_ring, reduction_sum, hist_e, hist_n, counts, group,
        )  # fmt: skip


@kernel
def group_features(x, weights, sos, zk, tail, half, group, acc, counts):
    """The sample peak and weighted K energy of every group the block ``x`` (C, n) completes,
    as two float32 arrays (states as in :func:`forecast_block`), to be fed later to
    :func:`forecast_groups`."""
    g_peak, g_energy, done = _group_features(x, weights, sos, zk, tail, half, group, acc, counts)
    return g_peak[:done].astype(np.float32), g_energy[:done].astype(np.float32)


@kernel
def forecast_groups(
    g_peak, g_energy, group, sub_groups, hold, release_coef, offsets_db, ceiling_db,
    peaks, energies, reduction_db, hold_left, sub_energy, sub_ring, reduction_sum, hist_e, hist_n, counts,
):  # fmt: skip
    """Feed groups recorded by :func:`group_features` to the model limiters (states as in
    :func:`forecast_block`)."""
    for j in range(g_peak.shape[0]):
        _model_group(
            float(g_peak[j]), float(g_energy[j]), sub_groups, hold, release_coef, offsets_db, ceiling_db, peaks,
            energies, reduction_db, hold_left, sub_energy, sub_ring, reduction_sum, hist_e, hist_n, counts, group,
        )  # fmt: skip


@kernel(inline=True)
def _group_features(x, weights, sos, zk, tail, half, group, acc, counts):
    """K-weighting, and per group the sample peak (largest over channels) and weighted energy:
    ``(peaks, energies, done)``, ``done`` the groups completed (the partial one is kept in ``acc``)."""
    n_ch, n = x.shape
    pos0 = counts[N_IN_GROUP]
    n_local = (pos0 + n) // group + 1  # groups touched by this block (the last one partial)
    g_peak = np.zeros(n_local)
    g_energy = np.zeros(n_local)
    g_peak[0] = acc[0]
    g_energy[0] = acc[1]
    b0, b1, b2, a1, a2 = sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5]
    c0, c1, c2, d1, d2 = sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5]
    for ch in range(n_ch):  # K-weighting with the states in registers, per group sums
        p0, p1, q0, q1 = zk[ch, 0, 0], zk[ch, 0, 1], zk[ch, 1, 0], zk[ch, 1, 1]
        wc = weights[ch]
        k = 0
        left = group - pos0
        peak = g_peak[0]
        energy = 0.0
        reach = tail.shape[1]  # samples the half-sample interpolator looks back
        taps = half.shape[0]
        ext = np.empty(n + reach)
        ext[:reach] = tail[ch]
        for t in range(n):
            ext[reach + t] = x[ch, t]
        for t in range(n):
            v = ext[reach + t]
            # what lies between samples: the value half a sample after ext[t + taps - 1]
            mid = 0.0
            for j in range(taps):
                mid += half[j] * (ext[t + taps - 1 - j] + ext[t + taps + j])
            peak = max(peak, abs(mid))
            y = b0 * v + p0
            p0 = b1 * v - a1 * y + p1
            p1 = b2 * v - a2 * y
            w = c0 * y + q0
            q0 = c1 * y - d1 * w + q1
            q1 = c2 * y - d2 * w
            energy += w * w
            peak = max(peak, abs(v))
            left -= 1
            if left == 0:
                g_peak[k] = peak
                g_energy[k] += wc * energy
                k += 1
                left = group
                peak = g_peak[k]
                energy = 0.0
        g_peak[k] = peak
        g_energy[k] += wc * energy
        zk[ch, 0, 0], zk[ch, 0, 1], zk[ch, 1, 0], zk[ch, 1, 1] = p0, p1, q0, q1
        tail[ch] = ext[n:]
    done = (pos0 + n) // group  # groups completed in this block
    counts[N_IN_GROUP] = (pos0 + n) % group
    acc[0] = g_peak[done]
    acc[1] = g_energy[done]
    return g_peak, g_energy, done


@kernel(inline=True)
def _model_group(
    peak, energy, sub_groups, hold, release_coef, offsets_db, ceiling_db, peaks, energies,
    reduction_db, hold_left, sub_energy, sub_ring, reduction_sum, hist_e, hist_n, counts, group,
):  # fmt: skip
    """One completed group into the rings; the group ``LOOK`` groups back through the model limiters."""
    n_u = offsets_db.shape[0]
    ring = peaks.shape[0]
    k = counts[N_GROUPS]
    peaks[k % ring] = peak
    energies[k % ring] = energy
    counts[N_GROUPS] = k + 1
    if k < 2 * LOOK:
        return
    top = 0.0
    for q in range(ring):
        top = max(top, peaks[q])
    over_db = 20.0 * math.log10(max(top, 1e-30)) - ceiling_db
    e = energies[(k - LOOK) % ring]
    ln10_10 = math.log(10.0) * 0.1
    for u in range(n_u):
        need = max(over_db + offsets_db[u], 0.0)
        cur = reduction_db[u]
        if need >= cur:
            cur = need
            hold_left[u] = hold
        elif hold_left[u] > 0:
            hold_left[u] -= 1
        else:
            cur = need + release_coef * (cur - need)
        reduction_db[u] = cur
        reduction_sum[u] += cur
        sub_energy[u] += e * math.exp((offsets_db[u] - cur) * ln10_10)
    counts[N_IN_SUB] += 1
    if counts[N_IN_SUB] < sub_groups:
        return
    counts[N_IN_SUB] = 0
    s = counts[N_SUBS]
    counts[N_SUBS] = s + 1
    block_samples = 4.0 * sub_groups * group
    bins = hist_e.shape[1]
    for u in range(n_u):
        total = sub_energy[u] + sub_ring[u, 0] + sub_ring[u, 1] + sub_ring[u, 2]
        sub_ring[u, s % 3] = sub_energy[u]
        sub_energy[u] = 0.0
        if s < 3:
            continue
        mean = total / block_samples
        if mean <= 0.0:
            continue
        b = math.floor((-0.691 + 10.0 * math.log10(mean) - HIST_FLOOR_LUFS) * HIST_PER_LU)
        if b < 0:
            continue
        b = min(b, bins - 1)
        hist_e[u, b] += mean
        hist_n[u, b] += 1.0
