"""The one decorator every kernel uses.

``njit`` with ``cache=True`` and ``nogil=True``, no fastmath, no parallel, no
eager signatures (see STYLE 3.6). ``MEZZO_NUMBA_CACHE=0`` turns the on-disk
cache off (read-only installs, exotic Dask workers).
"""

from __future__ import annotations

import os

import numba


def kernel(func):
    """Compile ``func`` lazily with numba (cached unless ``MEZZO_NUMBA_CACHE=0``)."""
    cache = os.environ.get("MEZZO_NUMBA_CACHE", "1") != "0"
    return numba.njit(cache=cache, nogil=True)(func)
