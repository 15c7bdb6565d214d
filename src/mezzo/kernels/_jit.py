"""The one decorator every kernel uses.

``njit`` with ``cache=True`` and ``nogil=True``, no fastmath, no parallel, no
eager signatures (see STYLE 3.6). ``MEZZO_NUMBA_CACHE=0`` turns the on-disk
cache off (read-only installs, exotic Dask workers). ``@kernel(inline=True)``
marks a small helper that numba inlines into its callers (no call, no array
arguments to pass: worth it for helpers called per sample or per refinement).
``@kernel(float_division=True)`` compiles ``a / b`` as the IEEE division (numba's
"numpy" error model: no zero check, so loops that divide vectorise); only for
kernels whose divisors are never zero.
"""

from __future__ import annotations

import os

import numba


def kernel(func=None, *, inline: bool = False, float_division: bool = False):
    """Compile ``func`` lazily with numba (cached unless ``MEZZO_NUMBA_CACHE=0``)."""
    cache = os.environ.get("MEZZO_NUMBA_CACHE", "1") != "0"
    options = {"cache": cache, "nogil": True}
    if inline:
        options["inline"] = "always"
    if float_division:
        options["error_model"] = "numpy"
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)
