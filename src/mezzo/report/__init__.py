"""Reports: plots (PNG) and, later, HTML pages of mezzo's measurements.

This package stays import-light: matplotlib is imported inside the functions that draw,
never when ``mezzo.report`` is imported.
"""

from __future__ import annotations

__all__ = ["plot_loudness"]


def __getattr__(name: str):  # PEP 562: resolve public names lazily
    if name == "plot_loudness":
        from mezzo.report.plots import plot_loudness

        return plot_loudness
    raise AttributeError(f"module 'mezzo.report' has no attribute {name!r}")
