"""True-peak kernel: ITU-R BS.1770-4 Annex 2 4x polyphase interpolation.

The interpolation is spent only where it can raise the running maximum: for a
chunk of outputs, ``sum_k |h_p[k]| * max|x|`` over the chunk's input window is
an exact upper bound of every interpolated value in it, so chunks whose bound
does not exceed the maximum found so far are skipped.
"""

from __future__ import annotations

import numpy as np

from mezzo.kernels._jit import kernel

#: BS.1770-4 Annex 2, Table: 48-tap interpolator as 4 phases x 12 taps.
#: Phase p gives y[4n + p] = sum_k H[p, k] * x[n - k].
ANNEX2_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)

CHUNK = 32


@kernel
def true_peak_block(x, phases, l1_bound, history, work, peaks):
    """Raise ``peaks[c]`` to the largest |interpolated or sample value| of channel c.

    Parameters
    ----------
    x : float array, shape (samples, channels), any layout
    phases : float64 (P, T) polyphase interpolator
    l1_bound : float; max over phases of sum |h_p|
    history : float64 (channels, T - 1) last input samples of the previous block
    work : float64 (>= samples + T - 1,) scratch buffer
    peaks : float64 (channels,) running true peak, linear
    """
    n = x.shape[0]
    channels = x.shape[1]
    n_phases = phases.shape[0]
    taps = phases.shape[1]
    hist_len = taps - 1
    for c in range(channels):
        for j in range(hist_len):
            work[j] = history[c, j]
        for i in range(n):
            work[hist_len + i] = x[i, c]
        peak = peaks[c]
        start = 0
        while start < n:
            stop = min(start + CHUNK, n)
            # inputs seen by outputs start..stop-1: work[start .. stop + hist_len)
            chunk_max = 0.0
            for j in range(start + hist_len, stop + hist_len):
                a = abs(work[j])
                if a > chunk_max:
                    chunk_max = a
            if chunk_max > peak:
                peak = chunk_max
            window_max = chunk_max
            for j in range(start, start + hist_len):
                a = abs(work[j])
                if a > window_max:
                    window_max = a
            if window_max * l1_bound > peak:
                for m in range(start, stop):
                    # newest input of output m is work[m + hist_len]
                    for p in range(n_phases):
                        acc = 0.0
                        for kk in range(taps):
                            acc += phases[p, kk] * work[m + hist_len - kk]
                        a = abs(acc)
                        if a > peak:
                            peak = a
            start = stop
        peaks[c] = peak
        # keep the last hist_len inputs for the next block
        for j in range(hist_len):
            history[c, j] = work[n + j]
