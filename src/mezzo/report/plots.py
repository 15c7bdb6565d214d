"""Plots of mezzo's measurements: a matplotlib Figure, or an image file when given a path.

matplotlib is imported inside the functions (Agg canvas, no pyplot state), so importing
this module costs nothing. It is mezzo's ``plot`` extra (``pip install 'mezzo[plot]'``):
without it the plot functions raise a one-line :class:`~mezzo.errors.MissingExtraError`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from mezzo._extras import require
from mezzo.errors import ParameterError
from mezzo.marks import MARKINGS

__all__ = [
    "draw_markings_lane", "draw_stems_lane", "plot_analysis", "plot_gain_reduction", "plot_loudness", "plot_stems",
    "stem_colour",
]

#: Size of the figure in inches and its resolution: 1400 x 600 pixels.
FIGURE_SIZE_IN = (14.0, 6.0)
DPI = 100
#: Formats by file suffix.
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: Lowest loudness shown: the absolute gate of BS.1770-4.
FLOOR_LUFS = -70.0
_MINUS = "\u2212"

LOUDNESS_COLOURS = {
    "momentary": "#9ecae1",
    "short_term": "#08519c",
    "integrated": "#e6550d",
    "warning": "#cb181d",
    "note": "#636363",
}


def plot_loudness(
    result: Any, path: str | os.PathLike[str] | None = None, *, title: str | None = None, overwrite: bool = False
) -> Any:
    """Write a plot of loudness over time (momentary, short-term, integrated).

    Parameters
    ----------
    result : loudness result
        Any object with the attributes ``momentary_lufs`` and ``momentary_times_s``,
        ``short_term_lufs`` and ``short_term_times_s`` (1-D arrays of equal length per pair,
        LUFS and seconds; NaN where a window is silent), ``integrated_lufs``,
        ``true_peak_dbtp`` and ``loudness_range_lu`` (float, LUFS / dBTP / LU, or ``None``).
        An optional ``true_peak_time_s`` (s) marks where the true peak is.
    path : str or path-like, optional
        File to write, ending in ``.png`` (1400 x 600 pixels at 100 dpi), ``.svg`` or
        ``.pdf``. It is written atomically: a temporary file in the same folder, then a rename.
    title : str, optional
        Title above the plot; default ``"Loudness"``.
    overwrite : bool
        Replace an existing file (only a regular file is ever replaced).

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written; without ``path``, the Figure (nothing is written: for notebooks).

    Raises
    ------
    ParameterError
        If ``path`` has another suffix or ``result`` lacks the series, or a series and its
        times differ in length.
    AudioFileError
        If the file exists without ``overwrite``, is not a regular file, or cannot be
        written (missing folder, no permission, full disk).

    Notes
    -----
    Momentary loudness uses 400 ms windows and short-term loudness 3 s windows (EBU
    Tech 3341); the integrated level is drawn as a horizontal line. Loudness below the
    absolute gate (-70 LUFS) is not drawn. Silence gives a valid plot with a note.
    """
    path, fmt = _output(path, overwrite) if path is not None else (None, "png")
    momentary_t, momentary = loudness_series(result, "momentary")
    short_t, short = loudness_series(result, "short_term")
    integrated = finite_number(result, "integrated_lufs")
    true_peak = finite_number(result, "true_peak_dbtp")
    lra = finite_number(result, "loudness_range_lu")
    true_peak_time = finite_number(result, "true_peak_time_s")

    fig = agg_figure(FIGURE_SIZE_IN)
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig.subplots_adjust(left=0.06, right=0.985, top=0.85, bottom=0.1)
    ax = fig.add_subplot()

    ax.plot(
        momentary_t,
        momentary,
        color=LOUDNESS_COLOURS["momentary"],
        linewidth=0.9,
        label="Momentary (400 ms)",
    )
    ax.plot(short_t, short, color=LOUDNESS_COLOURS["short_term"], linewidth=1.8, label="Short-term (3 s)")
    if integrated is not None:
        ax.axhline(
            integrated,
            color=LOUDNESS_COLOURS["integrated"],
            linestyle="--",
            linewidth=1.5,
            label=f"Integrated {signed_text(integrated)} LUFS",
        )

    finite = np.concatenate([momentary[np.isfinite(momentary)], short[np.isfinite(short)]])
    finite = finite[finite >= FLOOR_LUFS]
    if integrated is not None:
        finite = np.append(finite, integrated)
    bottom, top = level_limits(finite)
    ax.set_ylim(bottom, top)
    times = np.concatenate([momentary_t, short_t])
    times = times[np.isfinite(times)]
    end_s = max(1.0, float(times.max())) if times.size else 1.0
    ax.set_xlim(0.0, end_s)

    if true_peak_time is not None and 0.0 <= true_peak_time <= end_s:
        ax.axvline(true_peak_time, color=LOUDNESS_COLOURS["warning"], linestyle=":", linewidth=1.2)
        ax.annotate(
            f"true peak {signed_text(true_peak)} dBTP" if true_peak is not None else "true peak",
            xy=(true_peak_time, top),
            xytext=(4, -14),
            textcoords="offset points",
            color=LOUDNESS_COLOURS["warning"],
            fontsize=9,
        )

    if finite.size == 0 or (finite.size == 1 and integrated is not None):
        ax.text(
            0.5,
            0.5,
            "No loudness to show: the audio is silent\n"
            f"(every window is below the {signed_text(FLOOR_LUFS, 0)} LUFS gate or undefined)",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=13,
            color=LOUDNESS_COLOURS["note"],
        )

    steps = [1, 1.5, 2, 3, 5, 6, 10]
    ax.xaxis.set_major_locator(MaxNLocator(nbins=15, steps=steps, integer=end_s >= 10.0))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: clock_label(value, end_s)))
    clock_unit = "h:mm:ss" if end_s >= 3600 else "m:ss.s" if end_s < 10 else "m:ss"
    ax.set_xlabel(f"Time ({clock_unit})")
    ax.set_ylabel("Loudness (LUFS)")
    ax.grid(True, color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, fontsize=10)

    fig.text(
        0.06,
        0.955,
        title if title is not None else "Loudness",
        fontsize=15,
        fontweight="bold",
        ha="left",
        va="center",
    )
    _stats(fig, integrated, lra, true_peak)
    if path is None:  # a notebook: the Figure, nothing written
        return fig
    _save_atomic(fig, path, fmt, overwrite)
    return path


def agg_figure(size_in: tuple[float, float], feature: str = "plotting", *, dpi: int = DPI) -> Any:
    """A matplotlib Figure of ``size_in`` inches at ``dpi`` on an Agg canvas (no pyplot state).

    Without matplotlib, a one-line :class:`~mezzo.errors.MissingExtraError`: ``feature``
    needs mezzo's ``plot`` extra, ``pip install 'mezzo[plot]'``.
    """
    require_plot(feature)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size_in, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def require_plot(feature: str) -> None:
    """Raise :class:`~mezzo.errors.MissingExtraError` (``pip install 'mezzo[plot]'``) unless matplotlib
    is installed: for commands that check before long work (``--plot``, ``mezzo report``)."""
    require("matplotlib", "plot", feature)


def loudness_series(result: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (times_s, lufs) of a series of ``result`` as 1-D float arrays."""
    try:
        values = getattr(result, f"{name}_lufs")
        times = getattr(result, f"{name}_times_s")
    except AttributeError as error:
        raise ParameterError(
            f"result has no attribute {error.name!r}: pass a loudness result "
            "(with momentary/short-term series and their times)"
        ) from None
    values = np.array([] if values is None else values, dtype=np.float64).ravel()
    times = np.array([] if times is None else times, dtype=np.float64).ravel()
    if values.size != times.size:
        raise ParameterError(
            f"result.{name}_lufs has {values.size} values but result.{name}_times_s has "
            f"{times.size}: they must match"
        )
    values = values.copy()
    values[values < FLOOR_LUFS] = np.nan  # below the absolute gate: not drawn
    return times, values


def finite_number(result: Any, name: str) -> float | None:
    """A finite float attribute of ``result``, else ``None`` (missing, None, NaN, ±inf)."""
    value = getattr(result, name, None)
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def level_limits(levels: np.ndarray) -> tuple[float, float]:
    """Y limits: 3 LU of room around the data, at least 24 LU tall, never below -70 LUFS."""
    if levels.size == 0:
        return FLOOR_LUFS, 0.0
    top = math.ceil((float(levels.max()) + 3.0) / 2.0) * 2.0
    bottom = max(FLOOR_LUFS, math.floor((float(levels.min()) - 3.0) / 2.0) * 2.0)
    if top - bottom < 24.0:
        bottom = max(FLOOR_LUFS, top - 24.0)
        top = max(top, bottom + 24.0)
    return bottom, top


def signed_text(value: float | None, digits: int = 1) -> str:
    """Format with a typographic minus sign; an em dash for None."""
    if value is None:
        return "\u2014"
    text = f"{value:.{digits}f}"
    return text.replace("-", _MINUS)


def clock_label(seconds: float, end_s: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour, ``m:ss.s`` under 10 s) for a tick at ``seconds``."""
    sign = _MINUS if seconds < 0 else ""
    if end_s < 10.0:
        minutes, secs = divmod(abs(seconds), 60.0)
        return f"{sign}{int(minutes)}:{secs:04.1f}"
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if end_s >= 3600:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{hours * 60 + minutes}:{secs:02d}"


def _stats(fig: Any, integrated: float | None, lra: float | None, true_peak: float | None) -> None:
    """Summary line at the top right: integrated, loudness range, true peak."""
    parts = [
        ("Integrated", f"{signed_text(integrated)} LUFS" if integrated is not None else "\u2014"),
        ("LRA", f"{signed_text(lra)} LU" if lra is not None else "\u2014"),
    ]
    x = 0.985
    peak_text = (
        f"True peak {signed_text(true_peak)} dBTP" if true_peak is not None else "True peak \u2014"
    )
    over = true_peak is not None and true_peak > -1.0
    fig.text(
        x,
        0.955,
        peak_text + ("  (above \u22121 dBTP)" if over else ""),
        ha="right",
        va="center",
        fontsize=12,
        color=LOUDNESS_COLOURS["warning"] if over else "black",
    )
    fig.text(
        x,
        0.915,
        "    ".join(f"{name} {value}" for name, value in parts),
        ha="right",
        va="center",
        fontsize=12,
    )


def _output(path: str | os.PathLike[str], overwrite: bool) -> tuple[Path, str]:
    """The plot's path and image format; refuse another suffix or a target mezzo must not write.

    Checked before anything is drawn, so a refusal costs nothing.
    """
    from mezzo.io.atomic import check_target

    path = Path(os.fspath(path))
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ParameterError(f"path={str(path)!r} has suffix {path.suffix!r}: expected .png, .svg or .pdf")
    check_target(path, overwrite=overwrite)
    return path, fmt


def _save_atomic(fig: Any, path: Path, fmt: str, overwrite: bool) -> None:
    """Save ``fig`` through :class:`mezzo.io.atomic.AtomicFile` (temporary file, then a rename)."""
    from mezzo.io.atomic import AtomicFile

    with AtomicFile(path, overwrite=overwrite) as out:
        try:
            fig.savefig(out.file(), format=fmt, dpi=DPI)
        except OSError as exc:
            raise out.failure(exc) from None


#: Readings under this confidence (the readers' default ``min_confidence``: reported only when
#: asked for, ``--all``) are drawn dashed or fainter.
LOW_CONFIDENCE = 0.5
#: Colour of the flat-section bars.
FLAT_COLOUR = "#756bb1"
#: Colours of the markings lane, ppp (pale) to fff (dark red).
MARKING_COLOURS = {
    "ppp": "#deebf7", "pp": "#c6dbef", "p": "#9ecae1", "mp": "#fdd0a2",
    "mf": "#fdae6b", "f": "#f16913", "ff": "#d94801", "fff": "#7f2704",
}  # fmt: skip


def draw_markings_lane(ax: Any, dmap: Any, end_s: float, *, fontsize: float = 9,
                       label_min_fraction: float = 1 / 120) -> None:
    """Draw a dynamics map on ``ax``: marking bands (top), hairpin wedges (middle), flat sections (bottom).

    The one drawer of the markings lane, for the analysis plot and the report. ``ax`` gets a
    0-1 y range and no y ticks; a marking's name is written inside its band when the band is
    wider than ``label_min_fraction`` of ``end_s`` (s). Hairpins open for a crescendo and close
    for a decrescendo, dashed under a confidence of 0.5 (shown only when asked for: ``--all``);
    ``dmap`` is a :class:`~mezzo.meters.dynamics_map.DynamicsMap`.
    """
    from matplotlib.patches import Polygon, Rectangle

    ax.set_ylim(0.0, 1.0)
    ax.set_yticks([])
    for m in dmap.markings:
        ax.add_patch(Rectangle((m.start_s, 0.5), m.end_s - m.start_s, 0.45,
                               color=MARKING_COLOURS.get(m.marking, "#bbbbbb"), linewidth=0))
        if m.end_s - m.start_s > end_s * label_min_fraction:
            dark = m.marking in MARKINGS and MARKINGS.index(m.marking) >= 5
            ax.text(0.5 * (m.start_s + m.end_s), 0.725, m.marking, ha="center", va="center", fontsize=fontsize,
                    fontstyle="italic", fontweight="bold", color="white" if dark else "black")
    for h in dmap.hairpins:
        a, b = h.start_s, h.end_s
        pts = [(b, 0.42), (a, 0.29), (b, 0.16)] if h.kind == "crescendo" else [(a, 0.42), (b, 0.29), (a, 0.16)]
        ax.add_patch(Polygon(pts, closed=False, fill=False, color="black", linewidth=1.3,
                             linestyle="-" if h.confidence >= LOW_CONFIDENCE else "--"))
    for f in dmap.flat_sections:
        ax.plot([f.start_s, f.end_s], [0.05, 0.05], color=FLAT_COLOUR, linewidth=3.5, solid_capstyle="butt")


def plot_analysis(
    analysis: Any, path: str | os.PathLike[str] | None = None, *, title: str | None = None, overwrite: bool = False
) -> Any:
    """Write a plot of loudness with the dynamics map and tempo lanes.

    Three rows sharing the time axis: loudness (momentary, short-term, integrated) with
    build-ups shaded and drops marked; a markings lane (coloured bands ppp ... fff) with
    hairpin wedges (opening for crescendo, closing for decrescendo) and flat sections;
    the tempo curve with accelerando/ritardando spans.

    Parameters
    ----------
    analysis : Analysis
        A :class:`mezzo.analysis.Analysis` (``analyze(..., dynamics=True)``); without the
        dynamics the lanes stay empty with a note.
    path : str or path-like, optional
        ``.png`` (1400 x 900 pixels at 100 dpi), ``.svg`` or ``.pdf``; written atomically.
    title : str, optional
        Title above the plot; default ``"Dynamics"``.
    overwrite : bool
        Replace an existing file (only a regular file is ever replaced).

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written; without ``path``, the Figure (nothing is written: for notebooks).
    """
    path, fmt = _output(path, overwrite) if path is not None else (None, "png")
    loud = getattr(analysis, "loudness", analysis)
    momentary_t, momentary = loudness_series(loud, "momentary")
    short_t, short = loudness_series(loud, "short_term")
    integrated = finite_number(loud, "integrated_lufs")
    dmap = getattr(analysis, "dynamics", None)
    tempo = getattr(analysis, "tempo", None)

    fig = agg_figure((FIGURE_SIZE_IN[0], 9.0))
    grid = fig.add_gridspec(3, 1, height_ratios=(3.0, 1.0, 1.6), hspace=0.12)
    fig.subplots_adjust(left=0.06, right=0.985, top=0.9, bottom=0.07)
    ax = fig.add_subplot(grid[0])
    lane = fig.add_subplot(grid[1], sharex=ax)
    tax = fig.add_subplot(grid[2], sharex=ax)

    ax.plot(momentary_t, momentary, color=LOUDNESS_COLOURS["momentary"], linewidth=0.9, label="Momentary (400 ms)")
    ax.plot(short_t, short, color=LOUDNESS_COLOURS["short_term"], linewidth=1.8, label="Short-term (3 s)")
    if integrated is not None:
        ax.axhline(integrated, color=LOUDNESS_COLOURS["integrated"], linestyle="--", linewidth=1.5,
                   label=f"Integrated {signed_text(integrated)} LUFS")
    finite = np.concatenate([momentary[np.isfinite(momentary)], short[np.isfinite(short)]])
    bottom, top = level_limits(finite[finite >= FLOOR_LUFS])
    ax.set_ylim(bottom, top)
    times = np.concatenate([momentary_t, short_t])
    end_s = max(1.0, float(times.max())) if times.size else 1.0
    duration = finite_number(loud, "duration_s")
    if duration is not None:
        end_s = max(end_s, duration)
    ax.set_xlim(0.0, end_s)
    if tempo is not None:
        for i, b in enumerate(tempo.buildups):
            ax.axvspan(b.start_s, b.end_s, color="#fee391", alpha=0.5, zorder=0,
                       label="Build-up" if i == 0 else None)
        for i, d in enumerate(tempo.drops):
            ax.axvline(d.time_s, color=LOUDNESS_COLOURS["warning"], linewidth=2.0,
                       label="Drop" if i == 0 else None)
            ax.annotate("drop", xy=(d.time_s, top), xytext=(3, -12), textcoords="offset points",
                        color=LOUDNESS_COLOURS["warning"], fontsize=9)
    if finite.size == 0:
        ax.text(0.5, 0.5, "No loudness to show: the audio is silent", transform=ax.transAxes,
                ha="center", va="center", fontsize=13, color=LOUDNESS_COLOURS["note"])
    ax.set_ylabel("Loudness (LUFS)")
    ax.grid(True, color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=5, frameon=False, fontsize=10)
    ax.tick_params(labelbottom=False)

    # markings lane: bands, hairpin wedges, flat sections
    lane.set_ylabel("Markings", rotation=0, ha="right", va="center")
    if dmap is not None:
        draw_markings_lane(lane, dmap, end_s, fontsize=9, label_min_fraction=1 / 120)
    else:
        lane.set_ylim(0.0, 1.0)
        lane.set_yticks([])
        lane.text(0.5, 0.5, "dynamics not analysed", transform=lane.transAxes, ha="center",
                  va="center", color=LOUDNESS_COLOURS["note"])
    lane.tick_params(labelbottom=False)

    # tempo lane
    tax.set_ylabel("Tempo (BPM)")
    tax.grid(True, color="#e0e0e0", linewidth=0.8)
    if tempo is not None and tempo.curve_bpm.size:
        from mezzo.meters.tempo import WEAK_PULSE, pulse_description

        # dashed on a weak pulse: the curve follows beats that are barely there
        tax.plot(tempo.curve_times_s, tempo.curve_bpm, color="#31a354", linewidth=1.6,
                 linestyle="--" if tempo.confidence < WEAK_PULSE else "-")
        lo_b, hi_b = float(np.min(tempo.curve_bpm)), float(np.max(tempo.curve_bpm))
        pad = max(5.0, 0.1 * (hi_b - lo_b))
        tax.set_ylim(lo_b - pad, hi_b + pad)
        for c in tempo.tempo_changes:  # fainter under a confidence of 0.5 (--all)
            tax.axvspan(c.start_s, c.end_s, color="#c7e9c0" if c.kind == "accelerando" else "#fcbba1",
                        alpha=0.6 if c.confidence >= LOW_CONFIDENCE else 0.25, zorder=0)
            tax.text(0.5 * (c.start_s + c.end_s), hi_b + 0.5 * pad,
                     "accel." if c.kind == "accelerando" else "rit.", ha="center", fontsize=9,
                     fontstyle="italic")
        if tempo.tempo_bpm is not None:
            tax.set_title(f"Tempo {tempo.tempo_bpm:.1f} BPM ({pulse_description(tempo.confidence)})",
                          loc="right", fontsize=10)
    else:
        tax.text(0.5, 0.5, "no tempo", transform=tax.transAxes, ha="center", va="center",
                 color=LOUDNESS_COLOURS["note"])
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    tax.xaxis.set_major_locator(MaxNLocator(nbins=15, steps=[1, 1.5, 2, 3, 5, 6, 10], integer=end_s >= 10.0))
    tax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: clock_label(value, end_s)))
    tax.set_xlabel("Time (m:ss)" if end_s >= 10 else "Time (m:ss.s)")
    fig.text(0.06, 0.965, title if title is not None else "Dynamics", fontsize=15,
             fontweight="bold", ha="left", va="center")
    _stats(fig, integrated, finite_number(loud, "loudness_range_lu"), finite_number(loud, "true_peak_dbtp"))
    if path is None:  # a notebook: the Figure, nothing written
        return fig
    _save_atomic(fig, path, fmt, overwrite)
    return path


def plot_gain_reduction(
    before: np.ndarray,
    after: np.ndarray,
    gain_db: np.ndarray,
    sample_rate: int,
    path: str | os.PathLike[str] | None = None,
    *,
    title: str | None = None,
    overwrite: bool = False,
    processor: Any = None,
) -> Any:
    """Write a plot of a processor's work: waveform before and after, and the gain in dB.

    Parameters
    ----------
    before, after : ndarray, shape (channels, samples) or (samples,)
        Input and latency-aligned output of the processor.
    gain_db : ndarray, shape (channels, samples) or (samples,)
        The processor's gain trace in dB (``return_gain=True``); the first channel is drawn.
    sample_rate : int
        Sample rate in Hz.
    path : str or path-like, optional
        ``.png`` (1400 x 600 pixels at 100 dpi), ``.svg`` or ``.pdf``; written atomically.
    title : str, optional
        Title above the plot; default ``"Gain reduction"``.
    overwrite : bool
        Replace an existing file (only a regular file is ever replaced).
    processor : Compressor, Expander, Gate..., optional
        The processor that made ``after``: adds its threshold as lines on the waveform and
        its static curve (input level to output level, with the 1:1 line) beside the plot.

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written; without ``path``, the Figure (nothing is written: for notebooks).
    """
    path, fmt = _output(path, overwrite) if path is not None else (None, "png")
    curve = getattr(processor, "static_curve", None)
    x0, x1, gain = (np.atleast_2d(np.asarray(a, dtype=np.float64)) for a in (before, after, gain_db))
    n = x0.shape[1]
    if x1.shape[1] != n or gain.shape[1] != n:
        raise ParameterError("before, after and gain_db must have the same number of samples")
    # Peak envelopes over ~2000 columns keep the plot light however long the audio.
    hop = max(1, n // 2000)
    cols = n // hop

    def envelope(x: np.ndarray) -> np.ndarray:
        return np.abs(x[:, : cols * hop]).max(axis=0).reshape(cols, hop).max(axis=1)

    times = (np.arange(cols) * hop + hop / 2) / sample_rate
    gain_min = gain[0, : cols * hop].reshape(cols, hop).min(axis=1)
    end_s = n / sample_rate

    fig = agg_figure(FIGURE_SIZE_IN)
    from matplotlib.ticker import FuncFormatter

    fig.subplots_adjust(left=0.06, right=0.985, top=0.9, bottom=0.1, hspace=0.08, wspace=0.12)
    grid = fig.add_gridspec(2, 2 if curve else 1, height_ratios=[3, 2], width_ratios=[4.2, 1] if curve else [1])
    wave = fig.add_subplot(grid[0, 0])
    gr = fig.add_subplot(grid[1, 0], sharex=wave)
    wave.tick_params(labelbottom=False)
    # "before" behind, "after" in front of it: what the processor took away shows around "after"
    wave.fill_between(times, -envelope(x0), envelope(x0), color="#c9c9c9", label="Before", zorder=1)
    wave.fill_between(times, -envelope(x1), envelope(x1), color=LOUDNESS_COLOURS["short_term"], alpha=0.9, label="After",
                      zorder=2)
    threshold = getattr(processor, "threshold_db", None) if curve else None
    if threshold is not None and threshold > -60.0:
        level = 10.0 ** (threshold / 20.0)
        for sign in (1.0, -1.0):
            wave.axhline(sign * level, color=LOUDNESS_COLOURS["integrated"], linestyle="--", linewidth=1.0, zorder=3,
                         label=f"Threshold {signed_text(threshold)} dBFS" if sign > 0 else None)
    wave.set_ylabel("Amplitude (full scale 1)")
    wave.set_ylim(-1.0, 1.0)
    wave.legend(loc="upper left", frameon=False, ncols=2)
    wave.grid(True, color="#e0e0e0")
    gr.plot(times, gain_min, color=LOUDNESS_COLOURS["integrated"], linewidth=1.2)
    gr.fill_between(times, gain_min, 0.0, color=LOUDNESS_COLOURS["integrated"], alpha=0.25)
    gr.set_ylabel("Gain (dB)")
    gr.set_ylim(min(-1.0, float(gain_min.min()) * 1.1 if cols else -1.0), max(1.0, float(gain_min.max()) + 1.0))
    gr.grid(True, color="#e0e0e0")
    gr.set_xlabel("Time (m:ss)")
    gr.set_xlim(0.0, end_s)
    gr.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: clock_label(value, end_s)))
    if curve:
        static = fig.add_subplot(grid[:, 1])
        levels = np.linspace(-60.0, 0.0, 121)
        static.plot(levels, levels, color="#9e9e9e", linestyle=":", linewidth=1.0, label="1:1")
        static.plot(levels, curve(levels), color=LOUDNESS_COLOURS["integrated"], linewidth=1.6, label="Static curve (with makeup)")
        if threshold is not None:
            static.axvline(threshold, color=LOUDNESS_COLOURS["integrated"], linestyle="--", linewidth=0.8)
        static.set_xlim(-60.0, 0.0)
        static.set_ylim(-60.0, 6.0)
        static.set_aspect("equal", adjustable="box")
        static.set_xlabel("Input (dB)")
        static.set_ylabel("Output (dB)")
        static.grid(True, color="#e0e0e0")
        static.legend(loc="upper left", frameon=False, fontsize=8)
    fig.suptitle(title or "Gain reduction", x=0.06, ha="left", fontsize=14, fontweight="bold")
    if path is None:  # a notebook: the Figure, nothing written
        return fig
    _save_atomic(fig, path, fmt, overwrite)
    return path


#: Colours of the stems in the stems lane (a buried span takes the colour of its first masker).
_STEM_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")


def stem_colour(index: int) -> str:
    """Colour of stem number ``index`` in the stems lane."""
    return _STEM_COLOURS[index % len(_STEM_COLOURS)]


def draw_stems_lane(ax: Any, result: Any, *, label_spans: bool = True) -> None:
    """Draw the stems lane of an audibility result on ``ax``: one row per stem.

    Each row shows the stem's audibility (0-1, grey area; blank where it is silent) and
    its buried spans shaded in the colour of the stem that masks it most, labelled
    "by <masker>" where there is room; a legend names the colours.

    Parameters
    ----------
    ax : matplotlib Axes
    result : AudibilityResult
        From :func:`mezzo.meters.audibility.audibility`.
    label_spans : bool
        Write "by <masker>" on spans wide enough for it.
    """
    from matplotlib.patches import Patch, Rectangle

    names = list(result.names)
    rows = len(names)
    end_s = max(float(result.duration_s), 1.0)
    colour_of = {name: stem_colour(i) for i, name in enumerate(names)}
    used: dict[str, str] = {}
    for row, stem in enumerate(result.stems):
        base = rows - 1 - row  # first stem on top
        curve = np.asarray(stem.audibility, dtype=np.float64)
        ax.fill_between(result.times_s, base + 0.08, base + 0.08 + 0.84 * np.nan_to_num(curve, nan=0.0),
                        where=np.isfinite(curve), color="#bdbdbd", linewidth=0, step="mid")
        ax.axhline(base + 0.08 + 0.84 * result.buried_below, color="#969696", linewidth=0.6, linestyle=":")
        for b in stem.buried:
            masker = b.masked_by[0] if b.masked_by else None
            colour = colour_of.get(masker, "#525252") if masker else "#525252"
            used[masker or "threshold of hearing"] = colour
            ax.add_patch(Rectangle((b.start_s, base + 0.04), b.end_s - b.start_s, 0.92, facecolor=colour,
                                   alpha=0.45, edgecolor=colour, linewidth=1.0))
            if label_spans and masker and (b.end_s - b.start_s) > end_s / 25:
                ax.text(0.5 * (b.start_s + b.end_s), base + 0.5, f"by {'+'.join(b.masked_by)}", ha="center",
                        va="center", fontsize=9, color="black", clip_on=True)
        ax.axhline(base, color="#d9d9d9", linewidth=0.8)
    ax.set_ylim(0.0, rows)
    ax.set_xlim(0.0, end_s)
    ax.set_yticks([rows - 1 - i + 0.5 for i in range(rows)])
    ax.set_yticklabels(names)
    handles = [Patch(facecolor="#bdbdbd", label=f"audibility 0\u20131 (dotted: {result.buried_below:g}, buried below)")]
    handles += [Patch(facecolor=c, alpha=0.45, edgecolor=c, label=f"buried by {m}") for m, c in used.items()]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=min(len(handles), 6),
              frameon=False, fontsize=10)


def plot_stems(
    result: Any, path: str | os.PathLike[str] | None = None, *, title: str | None = None, overwrite: bool = False
) -> Any:
    """Write a plot of the stems lane: which stem is buried, when, and by what.

    Parameters
    ----------
    result : AudibilityResult
        From :func:`mezzo.meters.audibility.audibility`.
    path : str or path-like, optional
        ``.png`` (1400 pixels wide, 150 + 70 per stem tall, at 100 dpi), ``.svg`` or ``.pdf``;
        written atomically.
    title : str, optional
        Title above the plot; default ``"Stems: audibility in the mix"``.
    overwrite : bool
        Replace an existing file (only a regular file is ever replaced).

    Returns
    -------
    pathlib.Path or matplotlib.figure.Figure
        The path written; without ``path``, the Figure (nothing is written: for notebooks).
    """
    path, fmt = _output(path, overwrite) if path is not None else (None, "png")
    rows = max(1, len(result.stems))
    height_in = 1.5 + 0.7 * rows
    fig = agg_figure((FIGURE_SIZE_IN[0], height_in))
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig.subplots_adjust(left=0.08, right=0.985, top=1.0 - 0.75 / height_in, bottom=0.5 / height_in)
    ax = fig.add_subplot()
    draw_stems_lane(ax, result)
    end_s = max(float(result.duration_s), 1.0)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=15, steps=[1, 1.5, 2, 3, 5, 6, 10], integer=end_s >= 10.0))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: clock_label(value, end_s)))
    ax.set_xlabel("Time (m:ss)" if end_s >= 10 else "Time (m:ss.s)")
    fig.text(0.08, 1.0 - 0.22 / height_in, title if title is not None else "Stems: audibility in the mix",
             fontsize=14, fontweight="bold", ha="left", va="center")
    if path is None:  # a notebook: the Figure, nothing written
        return fig
    _save_atomic(fig, path, fmt, overwrite)
    return path
