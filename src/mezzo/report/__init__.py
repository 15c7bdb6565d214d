"""Reports: plots (PNG) and self-contained HTML pages of mezzo's measurements.

This package stays import-light: matplotlib is imported inside the functions that draw,
never when ``mezzo.report`` is imported.
"""

from __future__ import annotations

__all__ = ["platform_verdicts", "plot_analysis", "plot_gain_reduction", "plot_loudness", "plot_stems", "write_report"]

_LAZY = {
    "plot_loudness": "mezzo.report.plots",
    "plot_analysis": "mezzo.report.plots",
    "plot_gain_reduction": "mezzo.report.plots",
    "plot_stems": "mezzo.report.plots",
    "write_report": "mezzo.report.html",
    "platform_verdicts": "mezzo.report.html",
}


def __getattr__(name: str):  # PEP 562: resolve public names lazily
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mezzo.report' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
