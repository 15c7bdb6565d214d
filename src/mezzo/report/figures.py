"""The figures of the HTML report, drawn from series and envelopes (never from raw audio).

Every function returns PNG bytes of a fixed size (:data:`PLOT_SIZES_PX`, at 100 dpi).
matplotlib is imported inside the functions (Agg canvas, no pyplot state).
"""

from __future__ import annotations

import io as _io
import math
from typing import Any

import numpy as np

from mezzo.marks import MARKINGS
from mezzo.report.plots import (
    FLAT_COLOUR,
    FLOOR_LUFS,
    LOUDNESS_COLOURS,
    MARKING_COLOURS,
    agg_figure,
    clock_label,
    draw_markings_lane,
    draw_stems_lane,
    finite_number,
    level_limits,
    loudness_series,
    signed_text,
)

__all__ = ["PLOT_SIZES_PX", "PLOT_TITLES"]

DPI = 100
WIDTH_PX = 1400
#: Width and height in pixels of each plot, by file stem.
PLOT_SIZES_PX: dict[str, tuple[int, int]] = {
    "loudness": (WIDTH_PX, 500),
    "waveform": (WIDTH_PX, 450),
    "markings": (WIDTH_PX, 300),
    "tempo": (WIDTH_PX, 400),
    "histogram": (WIDTH_PX, 450),
    "compare-loudness": (WIDTH_PX, 500),
    "compare-waveform": (WIDTH_PX, 500),
    "gain-reduction": (WIDTH_PX, 400),
}
#: Section heading of each plot.
PLOT_TITLES: dict[str, str] = {
    "loudness": "Loudness over time",
    "waveform": "Waveform and true-peak overs",
    "markings": "Dynamics: markings and hairpins",
    "tempo": "Tempo, build-ups and drops",
    "histogram": "Loudness distribution",
    "compare-loudness": "Before and after: loudness",
    "compare-waveform": "Before and after: waveform",
    "gain-reduction": "Gain-reduction trace",
    "stems": "Stems: which is buried, when, by what",
}

BEFORE = "#969696"
AFTER = "#08519c"
OVER_1 = "#fd8d3c"  # true peak above -1 dBTP
OVER_0 = "#cb181d"  # true peak above 0 dBTP
BUILDUP = "#fee391"
GRID = "#e0e0e0"
TEMPO = "#31a354"
DBTP_MINUS_1 = 10.0 ** (-1.0 / 20.0)


def _figure(name: str) -> tuple[Any, Any]:
    width, height = PLOT_SIZES_PX[name]
    return agg_figure((width / DPI, height / DPI), "the HTML report", dpi=DPI), height


def _margins(fig: Any, height_px: int, *, top_px: int = 50, bottom_px: int = 55) -> None:
    fig.subplots_adjust(left=0.065, right=0.985, top=1.0 - top_px / height_px, bottom=bottom_px / height_px)


def _png(fig: Any) -> bytes:
    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _time_axis(ax: Any, end_s: float, *, label: bool = True) -> None:
    """m:ss ticks (h:mm:ss from an hour, m:ss.s under 10 s) from 0 to ``end_s``."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    end_s = max(end_s, 1.0)
    ax.set_xlim(0.0, end_s)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=15, steps=[1, 1.5, 2, 3, 5, 6, 10], integer=end_s >= 10.0))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: clock_label(value, end_s)))
    if label:
        unit = "h:mm:ss" if end_s >= 3600 else "m:ss.s" if end_s < 10 else "m:ss"
        ax.set_xlabel(f"Time ({unit})")


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=13, color=LOUDNESS_COLOURS["note"])


def _grid(ax: Any) -> None:
    ax.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _title(fig: Any, text: str, height_px: int) -> None:
    fig.text(0.065, 1.0 - 18 / height_px, text, fontsize=14, fontweight="bold", ha="left", va="center")


def _end_s(loud: Any) -> float:
    duration = finite_number(loud, "duration_s")
    if duration is not None:
        return duration
    times = np.concatenate([np.ravel(loud.momentary_times_s), np.ravel(loud.short_term_times_s)])
    return float(times.max()) if times.size else 1.0


def loudness_png(loud: Any, *, target_lufs: float | None, target_label: str, title: str) -> bytes:
    """Momentary and short-term loudness with the integrated level and the target line."""
    fig, height = _figure("loudness")
    _margins(fig, height, top_px=70)
    ax = fig.add_subplot()
    mt, mv = loudness_series(loud, "momentary")
    st, sv = loudness_series(loud, "short_term")
    integrated = finite_number(loud, "integrated_lufs")
    ax.plot(mt, mv, color=LOUDNESS_COLOURS["momentary"], linewidth=0.9, label="Momentary (400 ms)")
    ax.plot(st, sv, color=LOUDNESS_COLOURS["short_term"], linewidth=1.8, label="Short-term (3 s)")
    levels = np.concatenate([mv[np.isfinite(mv)], sv[np.isfinite(sv)]])
    if integrated is not None:
        ax.axhline(integrated, color=LOUDNESS_COLOURS["integrated"], linestyle="--", linewidth=1.6,
                   label=f"Integrated {signed_text(integrated)} LUFS")
        levels = np.append(levels, integrated)
    if target_lufs is not None:
        ax.axhline(target_lufs, color="#54278f", linestyle=":", linewidth=1.6,
                   label=f"Target {signed_text(target_lufs)} LUFS ({target_label})")
        levels = np.append(levels, target_lufs)
    ax.set_ylim(*level_limits(levels[levels >= FLOOR_LUFS]))
    if not np.isfinite(mv).any() and not np.isfinite(sv).any():
        _note(ax, "No loudness to show: the audio is silent (below the \u221270 LUFS gate)")
    ax.set_ylabel("Loudness (LUFS)")
    _grid(ax)
    _time_axis(ax, _end_s(loud))
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, frameon=False, fontsize=10)
    _title(fig, title, height)
    return _png(fig)


def _envelope(ax: Any, scan: Any, colour: str, label: str, alpha: float = 1.0) -> None:
    t = np.repeat(scan.column_times_s, 2)
    t[1::2] += scan.column_s
    ax.fill_between(t, np.repeat(scan.min_amplitude, 2), np.repeat(scan.max_amplitude, 2), color=colour,
                    alpha=alpha, linewidth=0, label=label)


def _overs(ax: Any, scan: Any) -> tuple[float, float]:
    """Shade the regions over -1 dBTP and 0 dBTP; return their total durations, s."""
    totals = []
    for threshold, colour, name in ((-1.0, OVER_1, "\u22121"), (0.0, OVER_0, "0")):
        regions = scan.over_regions(threshold)
        total = sum(b - a for a, b in regions)
        totals.append(total)
        for i, (a, b) in enumerate(regions):
            width = max(b - a, scan.duration_s / 700.0)  # at least two pixels wide
            ax.axvspan(a, a + width, color=colour, alpha=0.45 if threshold < 0 else 0.8, linewidth=0, zorder=0,
                       label=f"True peak > {name} dBTP ({len(regions)} region{'s' * (len(regions) != 1)}, "
                       f"{total:.1f} s)" if i == 0 else None)
    return totals[0], totals[1]


def _true_peak_line(ax: Any, scan: Any) -> None:
    """True peak over time (per column, as an amplitude) and where its maximum is."""
    tp = np.asarray(scan.true_peak_dbtp, dtype=np.float64)
    finite = np.isfinite(tp)
    if not finite.any():
        return
    amplitude = np.where(finite, 10.0 ** (np.where(finite, tp, 0.0) / 20.0), np.nan)
    ax.plot(scan.column_times_s, amplitude, color="#6a51a3", linewidth=0.8, zorder=3, label="True peak")
    i = int(np.nanargmax(np.where(finite, tp, -np.inf)))
    t = float(scan.column_times_s[i])
    ax.plot([t], [amplitude[i]], marker="v", color="#6a51a3", markersize=7, zorder=4, linestyle="none")
    ax.annotate(f"max {tp[i]:+.1f} dBTP at {clock_label(t, scan.duration_s)}".replace("-", "\u2212"),
                (t, amplitude[i]), xytext=(4, 6), textcoords="offset points", fontsize=9, color="#6a51a3")


def _amplitude_axis(ax: Any, scan_peak: float) -> None:
    top = max(1.05, scan_peak * 1.05)
    ax.set_ylim(-top, top)
    for level, style in ((DBTP_MINUS_1, ":"), (1.0, "--")):
        ax.axhline(level, color="#525252", linestyle=style, linewidth=0.9)
        ax.axhline(-level, color="#525252", linestyle=style, linewidth=0.9)
    ax.text(0.003, DBTP_MINUS_1, "\u22121 dBFS", transform=ax.get_yaxis_transform(), fontsize=8, va="bottom",
            ha="left", color="#525252")
    ax.set_ylabel("Amplitude (full scale = 1)")


def waveform_png(scan: Any, *, title: str) -> bytes:
    """Peak envelope (min/max per column) with the columns whose true peak is over -1 / 0 dBTP shaded."""
    fig, height = _figure("waveform")
    _margins(fig, height, top_px=70)
    ax = fig.add_subplot()
    _envelope(ax, scan, AFTER, "Peak envelope (all channels)")
    over1, _over0 = _overs(ax, scan)
    _true_peak_line(ax, scan)
    peak = float(np.max(np.abs(np.concatenate([scan.max_amplitude, scan.min_amplitude])))) if scan.max_amplitude.size else 0.0
    _amplitude_axis(ax, peak)
    if peak == 0.0:
        _note(ax, "Digital silence")
    elif over1 == 0.0:
        ax.text(0.99, 0.04, "No true peak above \u22121 dBTP", transform=ax.transAxes, ha="right", fontsize=10,
                color="#238b45")
    _grid(ax)
    _time_axis(ax, scan.duration_s)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, fontsize=10)
    _title(fig, title, height)
    return _png(fig)


def markings_png(dmap: Any, end_s: float, *, title: str) -> bytes:
    """Markings lane (ppp..fff bands) with hairpin wedges and flat sections, plus a colour key."""
    from matplotlib.patches import Patch

    fig, height = _figure("markings")
    _margins(fig, height, top_px=75)
    lane = fig.add_subplot()
    if dmap is None:
        lane.set_ylim(0.0, 1.0)
        lane.set_yticks([])
        _note(lane, "Dynamics not analysed")
    else:
        draw_markings_lane(lane, dmap, end_s, fontsize=12, label_min_fraction=1 / 60)
        if not dmap.markings:
            _note(lane, "No markings: the audio is silent")
    lane.text(-0.005, 0.725, "Marking", transform=lane.transAxes, ha="right", va="center", fontsize=10)
    lane.text(-0.005, 0.29, "Hairpins", transform=lane.transAxes, ha="right", va="center", fontsize=10)
    lane.text(-0.005, 0.05, "Flat", transform=lane.transAxes, ha="right", va="center", fontsize=10)
    handles = [Patch(color=MARKING_COLOURS[m], label=m) for m in MARKINGS]
    handles.append(Patch(facecolor="white", edgecolor="black", label="< cresc.  > decresc."))
    handles.append(Patch(color=FLAT_COLOUR, label="flat section"))
    lane.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles), frameon=False,
                fontsize=10, handlelength=1.5, columnspacing=1.2)
    _time_axis(lane, end_s)
    _title(fig, title, height)
    return _png(fig)


def tempo_png(tempo: Any, end_s: float, *, title: str) -> bytes:
    """Local tempo curve with accelerando/ritardando spans, build-ups shaded and drops marked."""
    from matplotlib.patches import Patch

    fig, height = _figure("tempo")
    _margins(fig, height, top_px=70)
    ax = fig.add_subplot()
    handles: list[Any] = []
    if tempo is not None and np.size(tempo.curve_bpm):
        from mezzo.meters.tempo import WEAK_PULSE, pulse_description

        label = "Local tempo"
        if tempo.tempo_bpm:
            label += f" (global {tempo.tempo_bpm:.1f} BPM, {pulse_description(tempo.confidence)})"
        # dashed on a weak pulse: the curve follows beats that are barely there
        (line,) = ax.plot(tempo.curve_times_s, tempo.curve_bpm, color=TEMPO, linewidth=1.8, label=label,
                          linestyle="--" if tempo.confidence < WEAK_PULSE else "-")
        handles.append(line)
        lo, hi = float(np.min(tempo.curve_bpm)), float(np.max(tempo.curve_bpm))
        pad = max(6.0, 0.15 * (hi - lo))
        ax.set_ylim(lo - pad, hi + pad)
        for c in tempo.tempo_changes:
            accel = c.kind == "accelerando"
            ax.axvspan(c.start_s, c.end_s, color="#c7e9c0" if accel else "#fcbba1", alpha=0.7, zorder=0)
            ax.text(0.5 * (c.start_s + c.end_s), hi + 0.6 * pad, "accel." if accel else "rit.", ha="center",
                    fontsize=10, fontstyle="italic")
        if tempo.tempo_changes:
            handles.append(Patch(color="#c7e9c0", label="accelerando"))
            handles.append(Patch(color="#fcbba1", label="ritardando"))
    else:
        ax.set_ylim(60, 180)
        _note(ax, "No steady beat found: no tempo to show")
    if tempo is not None:
        for b in tempo.buildups:
            ax.axvspan(b.start_s, b.end_s, color=BUILDUP, alpha=0.6, zorder=0)
        for d in tempo.drops:
            ax.axvline(d.time_s, color=OVER_0, linewidth=2.2)
            ax.annotate(f"drop {clock_label(d.time_s, end_s)}", xy=(d.time_s, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(4, -14), textcoords="offset points", color=OVER_0, fontsize=10)
        if tempo.buildups:
            handles.append(Patch(color=BUILDUP, label="build-up"))
        if tempo.drops:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color=OVER_0, linewidth=2.2, label="drop"))
    ax.set_ylabel("Tempo (BPM)")
    _grid(ax)
    _time_axis(ax, end_s)
    if handles:
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles), frameon=False,
                  fontsize=10)
    _title(fig, title, height)
    return _png(fig)


def lra_span(loud: Any) -> tuple[float, float] | None:
    """10th and 95th percentiles of the gated short-term loudness (EBU Tech 3342), LUFS."""
    _t, short = loudness_series(loud, "short_term")
    short = short[np.isfinite(short)]
    if short.size == 0:
        return None
    mean = 10.0 * math.log10(float(np.mean(10.0 ** (short / 10.0))))
    gated = short[short >= mean - 20.0]
    if gated.size == 0:
        return None
    return float(np.percentile(gated, 10.0)), float(np.percentile(gated, 95.0))


def histogram_png(loud: Any, *, title: str, hop_s: float = 0.1) -> bytes:
    """Time spent at each short-term loudness (1 LU bins) with the loudness-range span."""
    fig, height = _figure("histogram")
    _margins(fig, height, top_px=70)
    ax = fig.add_subplot()
    _t, short = loudness_series(loud, "short_term")
    short = short[np.isfinite(short)]
    integrated = finite_number(loud, "integrated_lufs")
    lra = finite_number(loud, "loudness_range_lu")
    if short.size:
        lo, hi = math.floor(float(short.min())) - 1, math.ceil(float(short.max())) + 1
        bins = np.arange(lo, hi + 1.0, 1.0)
        ax.hist(short, bins=bins, weights=np.full(short.size, hop_s), color=LOUDNESS_COLOURS["short_term"],
                edgecolor="white", label="Short-term loudness (3 s windows)")
        span = lra_span(loud)
        if span is not None:
            ax.axvspan(span[0], span[1], color="#fdd0a2", alpha=0.6, zorder=0,
                       label=f"Loudness range {signed_text(lra)} LU (10th\u201395th percentile)"
                       if lra is not None else "Loudness range")
        if integrated is not None:
            ax.axvline(integrated, color=LOUDNESS_COLOURS["integrated"], linestyle="--", linewidth=1.6,
                       label=f"Integrated {signed_text(integrated)} LUFS")
        ax.set_xlim(lo, hi)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, fontsize=10)
    else:
        ax.set_xlim(-70, 0)
        _note(ax, "No short-term loudness above the \u221270 LUFS gate")
    ax.set_xlabel("Short-term loudness (LUFS)")
    ax.set_ylabel("Time at this level (s)")
    _grid(ax)
    _title(fig, title, height)
    return _png(fig)


def compare_loudness_png(before: Any, after: Any, *, target_lufs: float | None, target_label: str,
                         title: str) -> bytes:
    """Short-term loudness before and after, with both integrated levels and the target."""
    fig, height = _figure("compare-loudness")
    _margins(fig, height, top_px=70)
    ax = fig.add_subplot()
    levels = []
    for loud, colour, name, width in ((before, BEFORE, "Before", 1.6), (after, AFTER, "After", 1.9)):
        st, sv = loudness_series(loud, "short_term")
        integrated = finite_number(loud, "integrated_lufs")
        ax.plot(st, sv, color=colour, linewidth=width, label=f"{name}: short-term (3 s)")
        levels.append(sv[np.isfinite(sv)])
        if integrated is not None:
            ax.axhline(integrated, color=colour, linestyle="--", linewidth=1.3,
                       label=f"{name}: integrated {signed_text(integrated)} LUFS")
            levels.append(np.array([integrated]))
    if target_lufs is not None:
        ax.axhline(target_lufs, color="#54278f", linestyle=":", linewidth=1.6,
                   label=f"Target {signed_text(target_lufs)} LUFS ({target_label})")
        levels.append(np.array([target_lufs]))
    allv = np.concatenate(levels)
    ax.set_ylim(*level_limits(allv[allv >= FLOOR_LUFS]))
    ax.set_ylabel("Loudness (LUFS)")
    _grid(ax)
    _time_axis(ax, max(_end_s(before), _end_s(after)))
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=5, frameon=False, fontsize=10)
    _title(fig, title, height)
    return _png(fig)


def compare_waveform_png(before: Any, after: Any, *, title: str) -> bytes:
    """Peak envelopes before (grey) and after (blue, aligned), overs of the after file shaded."""
    fig, height = _figure("compare-waveform")
    _margins(fig, height, top_px=70)
    ax = fig.add_subplot()
    _envelope(ax, after, AFTER, "After", alpha=0.45)
    _envelope(ax, before, "#525252", "Before", alpha=0.75)
    _overs(ax, after)
    peaks = [np.max(np.abs(s.max_amplitude)) if s.max_amplitude.size else 0.0 for s in (before, after)]
    peaks += [np.max(np.abs(s.min_amplitude)) if s.min_amplitude.size else 0.0 for s in (before, after)]
    _amplitude_axis(ax, float(max(peaks)))
    _grid(ax)
    _time_axis(ax, max(before.duration_s, after.duration_s))
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=4, frameon=False, fontsize=10)
    _title(fig, title, height)
    return _png(fig)


def static_gain_db(trace: Any) -> float | None:
    """The gain applied outside gain reduction: the 95th percentile of the trace, dB."""
    finite = trace.gain_db[np.isfinite(trace.gain_db)]
    return float(np.percentile(finite, 95.0)) if finite.size else None


def gain_png(trace: Any, end_s: float, *, title: str) -> bytes:
    """The gain of the processed file relative to the input, dB, with its static part and the reduction."""
    fig, height = _figure("gain-reduction")
    _margins(fig, height, top_px=70)
    ax = fig.add_subplot()
    gain = trace.gain_db
    static = static_gain_db(trace)
    ax.plot(trace.times_s, gain, color=LOUDNESS_COLOURS["integrated"], linewidth=1.0,
            label=f"Gain, {trace.frame_s * 1e3:.0f} ms frames (after \u2212 before)")
    ax.axhline(0.0, color="black", linewidth=0.8)
    if static is not None:
        ax.axhline(static, color="#54278f", linestyle="--", linewidth=1.3,
                   label=f"Static gain {signed_text(static)} dB (95th percentile)")
        finite = gain[np.isfinite(gain)]
        lo = min(float(np.percentile(finite, 0.5)), 0.0) - 2.0
        hi = max(float(np.percentile(finite, 99.5)), 0.0) + 2.0
        ax.set_ylim(math.floor(lo), math.ceil(hi))
        below = np.nan_to_num(gain, nan=np.inf) < static - 0.1
        ax.fill_between(trace.times_s, gain, static, where=below, color=LOUDNESS_COLOURS["integrated"], alpha=0.3,
                        linewidth=0, label="Gain reduction (below the static gain)")
        reduction = static - finite
        ax.text(0.99, 0.04, f"max gain reduction {max(0.0, float(reduction.max())):.1f} dB", transform=ax.transAxes,
                ha="right", fontsize=10, color="#333333")
    else:
        ax.set_ylim(-6, 6)
        _note(ax, "Nothing to compare: the input is silent")
    ax.set_ylabel("Gain (dB)")
    _grid(ax)
    _time_axis(ax, end_s)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, fontsize=10)
    _title(fig, title, height)
    return _png(fig)


def stems_size_px(count: int) -> tuple[int, int]:
    """Width and height in pixels of the stems plot for ``count`` stems."""
    return WIDTH_PX, 150 + 70 * max(1, count)


def stems_png(result: Any, *, title: str) -> bytes:
    """The stems lane: one row per stem, audibility 0-1, buried spans shaded by masker."""
    width, height = stems_size_px(len(result.stems))
    fig = agg_figure((width / DPI, height / DPI), "the HTML report", dpi=DPI)
    fig.subplots_adjust(left=0.08, right=0.985, top=1.0 - 75 / height, bottom=55 / height)
    ax = fig.add_subplot()
    draw_stems_lane(ax, result)
    _time_axis(ax, float(result.duration_s))
    _title(fig, title, height)
    return _png(fig)
