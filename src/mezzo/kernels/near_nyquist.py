"""Near-Nyquist envelope of the limiter (see :class:`mezzo.processors.limiter.Limiter`, Notes).

Private to mezzo. One pass per block: the signal shifted by fs/2
(``(-1)**n x[n]``) through two cascaded low-passes (two and one second-order
sections, transposed direct form II as ``scipy.signal.sosfilt`` but with fused
multiply-adds, their states in registers), the weighted sum of
their magnitudes (the largest over the channels of a gain group), then its
causal sliding maximum over at least ``span`` samples (over whole tiles of
``TILE`` samples). Every state
lives in the arrays handed in, so any block split gives the same values.
"""

from __future__ import annotations

from mezzo.kernels._jit import kernel

#: the sliding maximum works on tiles of this many samples (a power of two): the window
#: is widened to whole tiles (never narrowed), so it is at least ``span`` samples long
TILE = 16


@kernel
def near_nyquist_envelope(x, start, stop, index0, sos1, sos2, w1, w2, zi1, zi2, span, tiles, tile_max, env, out):
    """Fill ``out[:, :n]`` (G, >= n) with the sliding maximum of ``w1 |s1| + w2 |s2|``.

    x (C, >= stop) audio; the block is ``x[:, start:stop]`` (``n`` samples), its first sample at
    absolute index ``index0``;
    sos1 (2, 6) and sos2 (1, 6) low-passes (``s1`` filters the shifted signal through
    both sections of sos1, ``s2`` filters ``s1`` through sos2); zi1 (2, C, 2), zi2
    (1, C, 2) their states; env (C, >= n) scratch. G is 1 (linked: the largest over
    the channels) or C. The maximum at sample ``k`` covers the tiles (``TILE``
    samples, aligned on absolute indices) from the one holding ``k - span + 1`` to
    ``k``'s own (up to ``k``). State: tiles (G, K) float64, the maxima of the last
    ``K`` tiles (a ring, K a power of two > span / TILE + 1); tile_max (G,) the
    running maximum of the current tile.
    """
    n_ch = x.shape[0]
    n = stop - start
    n_gain = out.shape[0]
    kmask = tiles.shape[1] - 1
    reach = (span + TILE - 1) // TILE  # whole tiles before the current one
    # channels two at a time: the two recursions are independent, so they overlap in the CPU
    # (one channel's chain of dependent operations would leave it waiting)
    # linked stereo: the pair's loop keeps only the larger of the two (one row, one pass less)
    fused = n_gain == 1 and n_ch == 2
    ch = 0
    while ch + 1 < n_ch:
        _filter_pair(x, start, stop, ch, index0, sos1, sos2, w1, w2, zi1, zi2, env, fused)
        ch += 2
    if ch < n_ch:
        _filter_one(x, start, stop, ch, index0, sos1, sos2, w1, w2, zi1, zi2, env)
    for gg in range(n_gain):
        c_lo = 0 if n_gain == 1 else gg
        c_hi = c_lo + 1 if fused else (n_ch if n_gain == 1 else gg + 1)
        cur = tile_max[gg]
        # the maximum of the completed tiles in the window, recomputed when a tile completes
        done = 0.0
        j = index0 // TILE
        for q in range(1, reach + 1):
            if tiles[gg, (j - q) & kmask] > done:
                done = tiles[gg, (j - q) & kmask]
        for t in range(n):
            k = index0 + t
            e = env[c_lo, t]
            for ch in range(c_lo + 1, c_hi):
                if env[ch, t] > e:
                    e = env[ch, t]
            if e > cur:
                cur = e
            out[gg, t] = cur if cur > done else done
            if (k + 1) % TILE == 0:  # the tile is complete
                j = k // TILE
                tiles[gg, j & kmask] = cur
                cur = 0.0
                done = 0.0
                for q in range(0, reach):
                    if tiles[gg, (j - q) & kmask] > done:
                        done = tiles[gg, (j - q) & kmask]
        tile_max[gg] = cur


@kernel(inline=True)
def _coefs(sos, i):
    """Section ``i`` of ``sos`` as ``(b0, b1, b2, a1, a2)`` (local values: loads hoisted out of the loops)."""
    return sos[i, 0], sos[i, 1], sos[i, 2], sos[i, 4], sos[i, 5]


@kernel(inline=True)
def _section(v, s0, s1, k):
    """One second-order section ``k = (b0, b1, b2, a1, a2)`` (transposed direct form II, as
    ``sosfilt``) on ``v`` with state ``(s0, s1)``: the output and the new state."""
    y = k[0] * v + s0
    return y, k[1] * v - k[3] * y + s1, k[2] * v - k[4] * y


@kernel(contract=True)
def _filter_one(x, start, stop, ch, index0, sos1, sos2, w1, w2, zi1, zi2, env):
    """``env[ch] = w1 |s1| + w2 |s2|`` of channel ``ch`` of ``x[:, start:stop]`` (see
    :func:`near_nyquist_envelope`)."""
    ka, kb, kc = _coefs(sos1, 0), _coefs(sos1, 1), _coefs(sos2, 0)
    p0, p1 = zi1[0, ch, 0], zi1[0, ch, 1]
    q0, q1 = zi1[1, ch, 0], zi1[1, ch, 1]
    r0, r1 = zi2[0, ch, 0], zi2[0, ch, 1]
    for t in range(stop - start):
        v = x[ch, start + t] * (1.0 - 2.0 * ((index0 + t) & 1))
        y, p0, p1 = _section(v, p0, p1, ka)
        u, q0, q1 = _section(y, q0, q1, kb)
        w, r0, r1 = _section(u, r0, r1, kc)
        env[ch, t] = w1 * abs(u) + w2 * abs(w)
    zi1[0, ch, 0], zi1[0, ch, 1] = p0, p1
    zi1[1, ch, 0], zi1[1, ch, 1] = q0, q1
    zi2[0, ch, 0], zi2[0, ch, 1] = r0, r1


@kernel(contract=True)
def _filter_pair(x, start, stop, ch, index0, sos1, sos2, w1, w2, zi1, zi2, env, fused):
    """:func:`_filter_one` of channels ``ch`` and ``ch + 1`` in one loop (the same operations);
    ``fused``: only the larger of the two, in ``env[ch]``."""
    e = ch + 1
    ka, kb, kc = _coefs(sos1, 0), _coefs(sos1, 1), _coefs(sos2, 0)
    p0, p1 = zi1[0, ch, 0], zi1[0, ch, 1]
    q0, q1 = zi1[1, ch, 0], zi1[1, ch, 1]
    r0, r1 = zi2[0, ch, 0], zi2[0, ch, 1]
    pe0, pe1 = zi1[0, e, 0], zi1[0, e, 1]
    qe0, qe1 = zi1[1, e, 0], zi1[1, e, 1]
    re0, re1 = zi2[0, e, 0], zi2[0, e, 1]
    for t in range(stop - start):
        sign = 1.0 - 2.0 * ((index0 + t) & 1)
        v = x[ch, start + t] * sign
        ve = x[e, start + t] * sign
        y, p0, p1 = _section(v, p0, p1, ka)
        ye, pe0, pe1 = _section(ve, pe0, pe1, ka)
        u, q0, q1 = _section(y, q0, q1, kb)
        ue, qe0, qe1 = _section(ye, qe0, qe1, kb)
        w, r0, r1 = _section(u, r0, r1, kc)
        we, re0, re1 = _section(ue, re0, re1, kc)
        va = w1 * abs(u) + w2 * abs(w)
        vb = w1 * abs(ue) + w2 * abs(we)
        if fused:
            env[ch, t] = vb if vb > va else va
        else:
            env[ch, t] = va
            env[e, t] = vb
    zi1[0, ch, 0], zi1[0, ch, 1] = p0, p1
    zi1[1, ch, 0], zi1[1, ch, 1] = q0, q1
    zi2[0, ch, 0], zi2[0, ch, 1] = r0, r1
    zi1[0, e, 0], zi1[0, e, 1] = pe0, pe1
    zi1[1, e, 0], zi1[1, e, 1] = qe0, qe1
    zi2[0, e, 0], zi2[0, e, 1] = re0, re1
