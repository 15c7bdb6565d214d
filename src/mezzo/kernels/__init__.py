"""Numba kernels: the per-sample loops. Private to the package."""
