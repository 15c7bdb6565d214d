"""Running figures of a gain trace, one pass per block (see :class:`mezzo.before_after.GainStats`).

Private to mezzo. Per sample the largest reduction over the gain channels
(``-min(gain_db)``), and over all values the sum of reductions and the largest
gain; with the output block, the energy of the sample (sum of squares over its
channels) and of the samples reduced by more than the threshold.
"""

from __future__ import annotations

from mezzo.kernels._jit import kernel

# slots of ``acc`` (float64 array of 7)
#: largest reduction so far, dB
MAX_REDUCTION = 0
#: index in this block of a new largest reduction (-1: none in this block)
MAX_INDEX = 1
#: largest gain so far, dB
MAX_GAIN = 2
#: sum over values of the reduction (positive part of -gain), dB
REDUCTION_SUM = 3
#: samples whose largest reduction is over the threshold
REDUCED = 4
#: energy of the output, and of its reduced samples
ENERGY = 5
REDUCED_ENERGY = 6


@kernel
def gain_stats_block(gain_db, frame, threshold_db, acc):
    """Add the ``(G, n)`` trace ``gain_db`` (and the ``(C, n)`` output ``frame``, or a
    ``(C, 0)`` array for none) to ``acc``; ``acc[MAX_INDEX]`` is set for this block."""
    n_g, n = gain_db.shape
    with_frame = frame.shape[1] == n
    best = acc[MAX_REDUCTION]
    best_at = -1
    top = acc[MAX_GAIN]
    total = 0.0
    reduced = 0
    energy = 0.0
    reduced_energy = 0.0
    for t in range(n):
        worst = -gain_db[0, t]
        for ch in range(n_g):
            v = gain_db[ch, t]
            if -v > worst:
                worst = -v
            if v > top:
                top = v
            if v < 0.0:
                total -= v
        if worst > best:
            best = worst
            best_at = t
        power = 0.0
        if with_frame:
            for ch in range(frame.shape[0]):
                s = float(frame[ch, t])
                power += s * s
            energy += power
        if worst > threshold_db:
            reduced += 1
            reduced_energy += power
    acc[MAX_REDUCTION] = best
    acc[MAX_INDEX] = best_at
    acc[MAX_GAIN] = top
    acc[REDUCTION_SUM] += total
    acc[REDUCED] += reduced
    acc[ENERGY] += energy
    acc[REDUCED_ENERGY] += reduced_energy
