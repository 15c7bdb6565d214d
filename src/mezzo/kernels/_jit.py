"""The one decorator every kernel uses.

``njit`` with ``cache=True`` and ``nogil=True``, no fastmath (but see ``contract``), no parallel, no
eager signatures (those would compile every type at import). ``MEZZO_NUMBA_CACHE=0`` turns the on-disk
cache off (read-only installs, exotic Dask workers). ``@kernel(inline=True)``
marks a small helper that numba inlines into its callers (no call, no array
arguments to pass: worth it for helpers called per sample or per refinement).
``@kernel(float_division=True)`` compiles ``a / b`` as the IEEE division (numba's
"numpy" error model: no zero check, so loops that divide vectorise); only for
kernels whose divisors are never zero. ``@kernel(refcount=False)`` compiles without
numba's reference counting (its ``_nrt=False``): a kernel called once per chunk or per
refinement with twenty arrays otherwise pays an atomic increment and decrement per array
per call (each one a full memory barrier: 12 % of the limiter's time), and its row views
and slices are free; only for kernels that allocate nothing and return no array.
``@kernel(contract=True)`` lets LLVM fuse ``a * b + c`` into one FMA (fastmath's
"contract" flag alone: one rounding instead of two, deterministic, so block splits still
give bit-identical output); for recursive filters whose exact rounding nothing relies on.

Lazy: decorating does not import numba. The first call of a kernel imports it,
turns every kernel of that module into its numba dispatcher (so kernels calling
each other see dispatchers) and loads the compiled code from the cache, so a
command pays only for the kernels it runs. When a kernel has no cached code yet,
"compiling kernels (first run only)…" goes to stderr if it is a terminal
(``make setup`` compiles the common ones ahead: ``python -m mezzo.kernels.warm``).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from typing import Any

_announced = False
_LOCK = threading.RLock()


class LazyKernel:
    """A kernel not yet handed to numba; behaves as the numba dispatcher once called."""

    def __init__(self, func: Any, options: dict[str, Any]) -> None:
        functools.update_wrapper(self, func)
        self._func = func
        self._options = options
        self._dispatcher: Any = None
        self._checked = False

    def dispatcher(self) -> Any:
        """The numba dispatcher (created, with its module's siblings, on first use)."""
        if self._dispatcher is None:
            _materialize(self._func.__globals__)
        return self._dispatcher

    def _create(self) -> Any:
        if self._dispatcher is None:
            import numba

            self._dispatcher = numba.njit(**self._options)(self._func)
        return self._dispatcher

    def __call__(self, *args: Any) -> Any:
        dispatcher = self.dispatcher()
        if not self._checked:
            self._checked = True
            _announce_compile(dispatcher)
        return dispatcher(*args)

    def __getattr__(self, name: str) -> Any:  # py_func, signatures, stats…
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)


def _materialize(namespace: dict[str, Any]) -> None:
    """Replace every lazy kernel of ``namespace`` (and of the modules they come from) by its dispatcher."""
    with _LOCK:  # two threads calling their first kernel at once make one dispatcher each, not two
        _materialize_locked(namespace)


def _materialize_locked(namespace: dict[str, Any]) -> None:
    pending, seen = [namespace], set()
    while pending:
        ns = pending.pop()
        if id(ns) in seen:
            continue
        seen.add(id(ns))
        for name, value in list(ns.items()):
            if isinstance(value, LazyKernel):
                ns[name] = value._create()
                pending.append(value._func.__globals__)


def mark_announced() -> None:
    """Keep the first-compile message from being printed (the caller has said it)."""
    global _announced
    _announced = True


def _announce_compile(dispatcher: Any) -> None:
    """Say once per process that kernels are being compiled, when one has no cached code."""
    global _announced
    if _announced:
        return
    try:
        index = dispatcher._cache._cache_file._index_path
    except AttributeError:  # no cache (MEZZO_NUMBA_CACHE=0) or another numba layout: stay silent
        return
    if os.path.exists(index):
        return
    _announced = True
    if sys.stderr is not None and sys.stderr.isatty():
        sys.stderr.write("mezzo: compiling kernels (first run only)…\n")
        sys.stderr.flush()


def kernel(
    func=None, *, inline: bool = False, float_division: bool = False, refcount: bool = True, contract: bool = False
):
    """Compile ``func`` lazily with numba (cached unless ``MEZZO_NUMBA_CACHE=0``)."""
    cache = os.environ.get("MEZZO_NUMBA_CACHE", "1") != "0"
    options: dict[str, Any] = {"cache": cache, "nogil": True}
    if inline:
        options["inline"] = "always"
    if float_division:
        options["error_model"] = "numpy"
    if not refcount:
        options["_nrt"] = False
    if contract:
        options["fastmath"] = {"contract"}
    if func is None:
        return lambda f: LazyKernel(f, options)
    return LazyKernel(func, options)
