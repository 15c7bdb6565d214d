"""Near-Nyquist envelope of the limiter (see :class:`mezzo.processors.limiter.Limiter`, Notes).

Private to mezzo. One pass per block: the signal shifted by fs/2
(``(-1)**n x[n]``) through two cascaded low-passes (two and one second-order
sections, transposed direct form II as ``scipy.signal.sosfilt``, their states in
registers), the weighted sum of
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
def near_nyquist_envelope(x, index0, sos1, sos2, w1, w2, zi1, zi2, span, tiles, tile_max, env, out):
    """Fill ``out`` (G, n) with the sliding maximum of ``w1 |s1| + w2 |s2|``.

    x (C, n) audio of the block, its first sample at absolute index ``index0``;
    sos1 (2, 6) and sos2 (1, 6) low-passes (``s1`` filters the shifted signal through
    both sections of sos1, ``s2`` filters ``s1`` through sos2); zi1 (2, C, 2), zi2
    (1, C, 2) their states; env (C, n) scratch. G is 1 (linked: the largest over
    the channels) or C. The maximum at sample ``k`` covers the tiles (``TILE``
    samples, aligned on absolute indices) from the one holding ``k - span + 1`` to
    ``k``'s own (up to ``k``). State: tiles (G, K) float64, the maxima of the last
    ``K`` tiles (a ring, K a power of two > span / TILE + 1); tile_max (G,) the
    running maximum of the current tile.
    """
    n_ch, n = x.shape
    n_gain = out.shape[0]
    kmask = tiles.shape[1] - 1
    reach = (span + TILE - 1) // TILE  # whole tiles before the current one
    # per channel, the three sections with their states in registers
    a0, a1, a2, a4, a5 = sos1[0, 0], sos1[0, 1], sos1[0, 2], sos1[0, 4], sos1[0, 5]
    b0, b1, b2, b4, b5 = sos1[1, 0], sos1[1, 1], sos1[1, 2], sos1[1, 4], sos1[1, 5]
    c0, c1, c2, c4, c5 = sos2[0, 0], sos2[0, 1], sos2[0, 2], sos2[0, 4], sos2[0, 5]
    for ch in range(n_ch):
        p0, p1 = zi1[0, ch, 0], zi1[0, ch, 1]
        q0, q1 = zi1[1, ch, 0], zi1[1, ch, 1]
        r0, r1 = zi2[0, ch, 0], zi2[0, ch, 1]
        for t in range(n):
            v = x[ch, t] * (1.0 - 2.0 * ((index0 + t) & 1))
            y = a0 * v + p0
            p0 = a1 * v - a4 * y + p1
            p1 = a2 * v - a5 * y
            u = b0 * y + q0
            q0 = b1 * y - b4 * u + q1
            q1 = b2 * y - b5 * u
            w = c0 * u + r0
            r0 = c1 * u - c4 * w + r1
            r1 = c2 * u - c5 * w
            env[ch, t] = w1 * abs(u) + w2 * abs(w)
        zi1[0, ch, 0], zi1[0, ch, 1] = p0, p1
        zi1[1, ch, 0], zi1[1, ch, 1] = q0, q1
        zi2[0, ch, 0], zi2[0, ch, 1] = r0, r1
    for gg in range(n_gain):
        c_lo = 0 if n_gain == 1 else gg
        c_hi = n_ch if n_gain == 1 else gg + 1
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
