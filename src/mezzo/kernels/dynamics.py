"""Kernels of the dynamics map: flat runs of a loudness series.

Per-frame loops (a few thousand values per minute of audio); numba keeps them
linear-time with no Python overhead. Private to the package.
"""

from __future__ import annotations

import numpy as np

from mezzo.kernels._jit import kernel


@kernel
def flat_runs(values, max_spread, min_length, starts, ends):
    """Find maximal runs of ``values`` whose max - min stays within ``max_spread``.

    Greedy from the left: each run is extended as far as the band allows; runs of at
    least ``min_length`` values are written to ``starts``/``ends`` (end exclusive) and
    the search resumes after them; otherwise it resumes one value later. NaN breaks
    a run.

    Parameters
    ----------
    values : float64 (n,)
    max_spread : float
    min_length : int
    starts, ends : int64 (n,) outputs

    Returns
    -------
    int
        Number of runs written.
    """
    n = values.shape[0]
    count = 0
    # Monotonic deques of indices (as arrays with head/tail pointers).
    qmax = np.empty(n, dtype=np.int64)
    qmin = np.empty(n, dtype=np.int64)
    i = 0
    while i < n:
        if values[i] != values[i]:
            i += 1
            continue
        hmax = 0
        tmax = 0
        hmin = 0
        tmin = 0
        j = i
        while j < n:
            v = values[j]
            if v != v:
                break
            while tmax > hmax and values[qmax[tmax - 1]] <= v:
                tmax -= 1
            qmax[tmax] = j
            tmax += 1
            while tmin > hmin and values[qmin[tmin - 1]] >= v:
                tmin -= 1
            qmin[tmin] = j
            tmin += 1
            if values[qmax[hmax]] - values[qmin[hmin]] > max_spread:
                break
            j += 1
        if j - i >= min_length:
            starts[count] = i
            ends[count] = j
            count += 1
            i = j
        else:
            i += 1
    return count
