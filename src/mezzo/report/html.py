"""``write_report``: one self-contained HTML page with mezzo's measurements and plots.

The page embeds its plots as base64 PNG (``data:`` URLs) and its style in a ``<style>``
element: no scripts, no external files, no network. It opens from a USB stick.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mezzo.errors import AudioFileError, ParameterError

__all__ = ["PlatformVerdict", "platform_verdicts", "write_report"]

#: Envelope columns of the waveform plots (about one per pixel of the plot area).
WAVEFORM_COLUMNS = 2000
#: Loudness within this many LU of a platform's target counts as on target.
TOLERANCE_LU = 1.0
#: ``--compare`` is refused when the two files' openings correlate less than this (unrelated files).
UNRELATED_BELOW = 0.2
#: Platforms that only normalise playback loudness (a louder master is turned down, not refused);
#: the broadcast and podcast presets are delivery specifications.
NORMALISING = frozenset({"spotify", "apple", "youtube", "tidal", "amazon", "deezer"})
_MINUS = "\u2212"


@dataclass(frozen=True, slots=True)
class PlatformVerdict:
    """How a file fares against one platform preset.

    Attributes
    ----------
    name, label : str
        Preset name and platform in words.
    target_lufs, ceiling_dbtp : float
        The preset's integrated target (LUFS) and true-peak ceiling (dBTP).
    difference_lu : float or None
        Integrated loudness minus target, LU (positive: louder than the target).
    playback_gain_db : float or None
        Gain the platform's normalisation applies, dB (``-difference_lu``).
    peak_excess_db : float or None
        True peak minus ceiling, dB (positive: over the ceiling).
    meets : bool
        Loudness within ``TOLERANCE_LU`` of the target and true peak at or under the ceiling.
    loudness_text, peak_text : str
        The verdicts in words.
    """

    name: str
    label: str
    target_lufs: float
    ceiling_dbtp: float
    difference_lu: float | None
    playback_gain_db: float | None
    peak_excess_db: float | None
    meets: bool
    loudness_text: str
    peak_text: str


def _n(value: float | None, digits: int = 1) -> str:
    """Format with a typographic minus; an em dash for None."""
    if value is None:
        return "\u2014"
    text = f"{value:.{digits}f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")  # no "-0.0"
    return text.replace("-", _MINUS)


def platform_verdicts(
    integrated_lufs: float | None, true_peak_dbtp: float | None, *, tolerance_lu: float = TOLERANCE_LU
) -> list[PlatformVerdict]:
    """Compare a file's integrated loudness and true peak with every platform preset.

    Parameters
    ----------
    integrated_lufs : float or None
        Integrated loudness, LUFS (``None`` for silence).
    true_peak_dbtp : float or None
        True peak, dBTP.
    tolerance_lu : float, >= 0
        Distance from the target still counted as on target, LU.

    Returns
    -------
    list of PlatformVerdict
        One per preset of :data:`mezzo.mastering.presets.PRESETS`, in its order.

    Notes
    -----
    Normalising platforms play every track at their target: a track ``d`` LU louder than
    the target is turned down ``d`` dB (its loudness bought nothing but lost peaks); a
    quieter one is played quieter than its neighbours unless the platform turns it up, which
    some do only as far as the true-peak headroom allows.
    """
    from mezzo.mastering.presets import PRESETS

    out = []
    for preset in PRESETS.values():
        diff = None if integrated_lufs is None else integrated_lufs - preset.target_lufs
        excess = None if true_peak_dbtp is None else true_peak_dbtp - preset.ceiling_dbtp
        if diff is None:
            loud_text = "no loudness (silent)"
        elif abs(diff) <= tolerance_lu:
            loud_text = f"on target ({_n(diff)} LU)" if round(diff, 1) else "on target"
        elif diff > 0:
            loud_text = f"{_n(diff)} LU louder, will be turned down {_n(diff)} dB"
        else:
            room = None if excess is None else -excess
            loud_text = f"{_n(-diff)} LU quieter, plays {_n(-diff)} dB below other tracks unless turned up"
            if room is not None:
                loud_text += f" (headroom to the ceiling {_n(max(room, 0.0))} dB)"
        if excess is None:
            peak_text = "no peak (silent)"
        elif excess > 0:
            peak_text = (
                f"true peak {_n(true_peak_dbtp)} dBTP exceeds {_n(preset.ceiling_dbtp, 0)} dBTP by {_n(excess)} dB"
            )
        else:
            peak_text = f"true peak {_n(true_peak_dbtp)} dBTP within {_n(preset.ceiling_dbtp, 0)} dBTP"
        meets = diff is not None and abs(diff) <= tolerance_lu and excess is not None and excess <= 0
        out.append(
            PlatformVerdict(
                name=preset.name,
                label=preset.label,
                target_lufs=preset.target_lufs,
                ceiling_dbtp=preset.ceiling_dbtp,
                difference_lu=diff,
                playback_gain_db=None if diff is None else -diff,
                peak_excess_db=excess,
                meets=meets,
                loudness_text=loud_text,
                peak_text=peak_text,
            )
        )
    return out


def plot_names(compare: bool, stems: bool = False) -> list[str]:
    names = ["loudness", "waveform", "markings", "tempo", "histogram"]
    if compare:
        names += ["compare-loudness", "compare-waveform", "gain-reduction"]
    if stems:
        names.append("stems")
    return names


def _check_outputs(
    path_in: Path, out_html: Path, compare: Path | None, png_dir: Path | None, overwrite: bool, stems: bool = False
) -> list[Path]:
    from mezzo.io.atomic import check_target

    if out_html.suffix.lower() not in (".html", ".htm"):
        raise ParameterError(f"output={str(out_html)!r} has suffix {out_html.suffix!r}: expected .html")
    inputs = [p for p in (path_in, compare) if p is not None]
    check_target(out_html, overwrite=overwrite, inputs=inputs)
    pngs: list[Path] = []
    if png_dir is not None:
        if png_dir.exists() and not png_dir.is_dir():
            raise AudioFileError(f"{str(png_dir)!r}: exists and is not a folder — choose a folder for the PNG files")
        pngs = [png_dir / f"{name}.png" for name in plot_names(compare is not None, stems)]
        if png_dir.is_dir():
            for png in pngs:
                check_target(png, overwrite=overwrite, inputs=inputs)
    return pngs


def write_report(
    path_in: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    *,
    compare: str | os.PathLike[str] | None = None,
    png_dir: str | os.PathLike[str] | None = None,
    title: str | None = None,
    preset: str = "spotify",
    overwrite: bool = False,
    stems: Any = None,
    phase: Callable[[str], None] | None = None,
) -> Path:
    """Write a self-contained HTML report on an audio file (optionally against its processed version).

    Parameters
    ----------
    path_in : str or path-like
        The audio file to report on (the input, when comparing).
    out_html : str or path-like
        The page to write, ending in ``.html``; written atomically (temporary file, rename).
    compare : str or path-like, optional
        A processed version of ``path_in`` (mastered, compressed...): adds before/after
        overlays of loudness and waveform and the gain-reduction trace, and the platform
        table then describes this file.
    png_dir : str or path-like, optional
        Also write every plot as a PNG file into this folder (created if missing), named
        after :data:`mezzo.report.figures.PLOT_SIZES_PX` (``loudness.png``, ...).
    title : str, optional
        Page title; default: the file name.
    preset : str
        Platform preset whose target is drawn on the loudness plots (see
        :data:`mezzo.mastering.presets.PRESETS`); default ``"spotify"``.
    overwrite : bool
        Replace an existing page and PNG files.
    stems : sequence of paths, or AudibilityResult, optional
        The stems of the file (or their :func:`mezzo.meters.audibility.audibility`): adds a
        stems section, which stem is buried, when, by what, and the remedies.
    phase : callable, optional
        Called as ``phase(label)`` when a stage starts (for a progress display).

    Returns
    -------
    pathlib.Path
        The page written.

    Raises
    ------
    ParameterError
        Wrong output suffix, an output that is an input, an unknown preset.
    AudioFileError, AudioInputError
        Unreadable, empty or non-audio inputs; an existing output without ``overwrite``;
        an output folder that does not exist. Nothing is written in these cases.
    MissingExtraError
        matplotlib is not installed (``pip install 'mezzo[plot]'``); said before any work.

    Notes
    -----
    Memory stays bounded: the loudness, dynamics and tempo come from
    :func:`mezzo.analysis.analyze` (streamed), the waveform from a second streamed pass
    that keeps a 2000-column peak envelope and per-column true peak
    (:func:`mezzo.report.scan.scan_file`). The gain-reduction trace is the short-time
    level difference of the two files on 20 ms frames, after aligning them by
    cross-correlation (:func:`mezzo.report.scan.gain_trace`).
    """
    from mezzo.analysis import analyze
    from mezzo.mastering.presets import get_preset
    from mezzo.report.plots import require_plot

    require_plot("the HTML report")
    from mezzo.report import figures
    from mezzo.report.scan import gain_trace, match_openings, scan_file

    path_in = Path(os.fspath(path_in))
    out_html = Path(os.fspath(out_html))
    compare_path = None if compare is None else Path(os.fspath(compare))
    png_path = None if png_dir is None else Path(os.fspath(png_dir))
    target = get_preset(preset)
    pngs = _check_outputs(path_in, out_html, compare_path, png_path, overwrite, stems is not None)
    from mezzo import io

    io.info(path_in)  # unreadable inputs fail here, before any work
    lag_s = 0.0
    if compare_path is not None:
        io.info(compare_path)
        say = phase or (lambda label: None)
        say("matching the two files")
        lag_s, correlation = match_openings(path_in, compare_path)
        if correlation is not None and correlation < UNRELATED_BELOW:
            raise ParameterError(
                f"compare={str(compare_path)!r} does not look like a processed version of {str(path_in)!r} "
                f"(their openings correlate at {correlation:.2f}, under {UNRELATED_BELOW}): its gain reduction would "
                "be meaningless — compare a file with its own master or compressed version"
            )
        lag_s = lag_s if correlation is not None and correlation >= 0.3 else 0.0  # as estimate_lag_s
    say = phase or (lambda label: None)
    say("stems")
    stems_result = _stems_result(stems)
    say(f"analysing {path_in.name}")
    before = analyze(path_in, dynamics=True)
    loud = before.loudness
    column_s = max(loud.duration_s, 1e-3) / WAVEFORM_COLUMNS
    say("waveform and true peak")
    scan_in = scan_file(path_in, column_s=column_s)
    after = scan_out = trace = None
    if compare_path is not None:
        say(f"analysing {compare_path.name}")
        after = analyze(compare_path, dynamics=True)
        scan_out = scan_file(compare_path, column_s=column_s, skip_s=max(lag_s, 0.0))
        scan_ref = scan_in if lag_s >= 0 else scan_file(path_in, column_s=column_s, skip_s=-lag_s)
        trace = gain_trace(scan_ref, scan_out, lag_s=lag_s)
        i0, i1 = loud.integrated_lufs, after.loudness.integrated_lufs
        change = None if i0 is None or i1 is None else i1 - i0
        trace = dataclasses.replace(trace, loudness_change_db=change)

    name = title if title is not None else path_in.name
    end_s = loud.duration_s
    t = figures.PLOT_TITLES
    say("plots")
    plots: dict[str, bytes] = {
        "loudness": figures.loudness_png(loud, target_lufs=target.target_lufs, target_label=target.label,
                                         title=t["loudness"]),
        "waveform": figures.waveform_png(scan_in, title=t["waveform"]),
        "markings": figures.markings_png(before.dynamics, end_s, title=t["markings"]),
        "tempo": figures.tempo_png(before.tempo, end_s, title=t["tempo"]),
        "histogram": figures.histogram_png(loud, title=t["histogram"]),
    }
    if after is not None:
        plots["compare-loudness"] = figures.compare_loudness_png(
            loud, after.loudness, target_lufs=target.target_lufs, target_label=target.label,
            title=t["compare-loudness"])
        plots["compare-waveform"] = figures.compare_waveform_png(scan_in, scan_out, title=t["compare-waveform"])
        plots["gain-reduction"] = figures.gain_png(trace, end_s, title=t["gain-reduction"])
    if stems_result is not None:
        plots["stems"] = figures.stems_png(stems_result, title=t["stems"])

    page = _page(name, path_in, compare_path, before, after, scan_in, scan_out, trace, plots, target, stems_result)
    from mezzo.io.atomic import AtomicFile, commit_all, make_folder

    # Every output is written to its temporary file first, then all are renamed: a failure
    # on the way leaves the old page and PNG files as they were.
    outputs: list[AtomicFile] = []
    try:
        if png_path is not None:
            make_folder(png_path)
            for png in pngs:
                outputs.append(AtomicFile(png, overwrite=overwrite))
                outputs[-1].write(plots[png.stem])
        outputs.append(AtomicFile(out_html, overwrite=overwrite))
        outputs[-1].write(page.encode("utf-8"))
        commit_all(outputs)
    finally:
        for item in outputs:
            item.discard()
    return out_html


def _stems_result(stems: Any) -> Any:
    """The audibility of ``stems`` (paths, or a result already measured), or None."""
    if stems is None:
        return None
    from mezzo.meters.audibility import AudibilityResult, audibility

    if isinstance(stems, AudibilityResult):
        return stems
    return audibility([os.fspath(p) for p in stems])


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;
background:#f7f7f7;color:#222;line-height:1.45}
main{max-width:1440px;margin:0 auto;padding:16px 24px 48px}
header h1{margin:8px 0 2px;font-size:28px}
header p{margin:0;color:#555}
section{background:#fff;border:1px solid #ddd;border-radius:8px;margin:18px 0;padding:14px 18px}
h2{margin:0 0 8px;font-size:21px}
p.how{margin:4px 0 10px;color:#444;max-width:1100px}
img{max-width:100%;height:auto;display:block;margin:4px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.card{border:1px solid #e3e3e3;border-radius:6px;padding:8px 12px;background:#fcfcfc}
.card .k{font-size:13px;color:#555}
.card .v{font-size:26px;font-weight:600}
.card .u{font-size:15px;color:#555;font-weight:400}
.card .d{font-size:12px;color:#666}
table{border-collapse:collapse;width:100%;font-size:15px}
th,td{border-bottom:1px solid #e6e6e6;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.sel td{background:#f3effa}
.ok{color:#1a7f37;font-weight:600}
.bad{color:#b42318;font-weight:600}
.note{color:#6b4f00;font-weight:600}
.warn{color:#b54708}
footer{color:#777;font-size:13px;margin-top:24px}
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _img(name: str, data: bytes) -> str:
    from mezzo.report.figures import PLOT_SIZES_PX, PLOT_TITLES

    width, height = PLOT_SIZES_PX[name] if name in PLOT_SIZES_PX else _png_size(data)
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<img id="plot-{name}" src="data:image/png;base64,{encoded}" width="{width}" height="{height}" '
        f'alt="{_esc(PLOT_TITLES[name])}">'
    )


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its header."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _section(ident: str, heading: str, body: str, how: str = "") -> str:
    how_html = f'<p class="how">{how}</p>' if how else ""
    return f'<section id="{ident}">\n<h2>{_esc(heading)}</h2>\n{how_html}\n{body}\n</section>\n'


def _figures_of(analysis: Any) -> list[tuple[str, float | None, str, int, str]]:
    """(label, value, unit, digits, description) of the summary figures."""
    loud = analysis.loudness
    dr = analysis.dynamic_range
    tempo = analysis.tempo

    def get(obj: Any, name: str) -> Any:
        return None if obj is None else getattr(obj, name, None)

    return [
        ("Integrated loudness", loud.integrated_lufs, "LUFS", 1, "BS.1770-4, gated, whole file"),
        ("Loudness range (LRA)", loud.loudness_range_lu, "LU", 1, "EBU Tech 3342: spread of short-term loudness"),
        ("Momentary max", loud.momentary_max_lufs, "LUFS", 1, "loudest 400 ms (EBU Tech 3341)"),
        ("Short-term max", loud.short_term_max_lufs, "LUFS", 1, "loudest 3 s (EBU Tech 3341)"),
        ("True peak", loud.true_peak_dbtp, "dBTP", 1, "BS.1770-4 Annex 2 meter, 16x (windowed sinc)"),
        ("Sample peak", loud.sample_peak_dbfs, "dBFS", 1, "largest sample value"),
        ("PLR", loud.plr_db, "dB", 1, "peak-to-loudness ratio: true peak \u2212 integrated"),
        ("PSR (median)", get(dr, "psr_median_db"), "dB", 1, "peak-to-short-term-loudness ratio"),
        ("PSR (minimum)", get(dr, "psr_min_db"), "dB", 1, "most squashed moment"),
        ("DR", get(dr, "dr_score"), "", 0, "DR score (crest of the loudest 20 %)"),
        ("Crest factor", get(dr, "crest_factor_db"), "dB", 1, "peak over RMS of the whole file"),
        ("Tempo", get(tempo, "tempo_bpm"), "BPM", 1, _tempo_description(tempo)),
        ("Duration", loud.duration_s, "s", 1, f"{loud.channels} ch, {loud.sample_rate} Hz"),
    ]


def _tempo_description(tempo: Any) -> str:
    """What the tempo card says under the figure: the pulse confidence behind it."""
    from mezzo.meters.tempo import pulse_description

    if tempo is None or tempo.tempo_bpm is None:
        return "global tempo"
    return f"global tempo ({pulse_description(tempo.confidence)})"


def _summary(before: Any, after: Any | None) -> str:
    if after is None:
        cards = []
        for label, value, unit, digits, desc in _figures_of(before):
            cards.append(
                f'<div class="card"><div class="k">{_esc(label)}</div>'
                f'<div class="v">{_n(value, digits)} <span class="u">{_esc(unit)}</span></div>'
                f'<div class="d">{_esc(desc)}</div></div>'
            )
        return '<div class="cards">' + "".join(cards) + "</div>"
    rows = []
    for (label, v0, unit, digits, desc), (_l, v1, _u, _d, _s) in zip(
        _figures_of(before), _figures_of(after), strict=True
    ):
        change = None if v0 is None or v1 is None else v1 - v0
        rows.append(
            f"<tr><td>{_esc(label)}</td><td class='num'>{_n(v0, digits)} {_esc(unit)}</td>"
            f"<td class='num'>{_n(v1, digits)} {_esc(unit)}</td>"
            f"<td class='num'>{('+' if change and change > 0 else '') + _n(change, digits)}</td>"
            f"<td>{_esc(desc)}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Figure</th><th>Before</th><th>After</th><th>Change</th><th>Meaning</th></tr>"
        "</thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _platforms(analysis: Any, selected: str) -> str:
    loud = analysis.loudness
    rows = []
    for v in platform_verdicts(loud.integrated_lufs, loud.true_peak_dbtp):
        verdict = '<span class="ok">meets</span>' if v.meets else '<span class="bad">misses</span>'
        if not v.meets and v.name in NORMALISING and (v.peak_excess_db or 0) <= 0 and v.difference_lu is not None:
            # a streaming platform only normalises: louder is turned down, quieter plays quieter
            turned = "turned down" if v.difference_lu > 0 else "plays"
            amount = f"{_n(abs(v.difference_lu))} dB" + ("" if v.difference_lu > 0 else " quieter")
            verdict = f'<span class="note">{turned} {amount}</span>'
        peak_cls = "bad" if (v.peak_excess_db or 0) > 0 else ""
        gain = v.playback_gain_db
        gain_text = "\u2014" if gain is None else ("+" if gain > 0.05 else "") + _n(gain) + " dB"
        sel = ' class="sel"' if v.name == selected else ""
        rows.append(
            f"<tr{sel}><td>{_esc(v.label)}</td><td class='num'>{_n(v.target_lufs, 0)} LUFS</td>"
            f"<td class='num'>{_n(v.ceiling_dbtp, 0)} dBTP</td><td>{verdict}</td>"
            f"<td>{_esc(v.loudness_text)}</td><td class='num'>{gain_text}</td>"
            f"<td class='{peak_cls}'>{_esc(v.peak_text)}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Platform</th><th>Target</th><th>Ceiling</th><th>Verdict</th>"
        "<th>Loudness</th><th>Playback gain</th><th>True peak</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _page(
    name: str,
    path_in: Path,
    compare: Path | None,
    before: Any,
    after: Any | None,
    scan_in: Any,
    scan_out: Any | None,
    trace: Any | None,
    plots: dict[str, bytes],
    target: Any,
    stems: Any = None,
) -> str:
    from mezzo import __version__
    from mezzo.report.figures import PLOT_TITLES

    loud = before.loudness
    delivered = after if after is not None else before
    deliver_scan = scan_out if scan_out is not None else scan_in
    over1 = sum(b - a for a, b in deliver_scan.over_regions(-1.0))
    over0 = sum(b - a for a, b in deliver_scan.over_regions(0.0))
    sections = []
    subtitle = f"{_esc(path_in.name)}"
    if compare is not None:
        subtitle = f"before: {_esc(path_in.name)} \u2192 after: {_esc(compare.name)}"
    sections.append(
        _section(
            "summary",
            "Summary",
            _summary(before, after),
            "The figures mezzo measured. Loudness in LUFS (BS.1770-4 / EBU R 128), "
            "differences in LU (1 LU = 1 dB), peaks in dBTP (true peak) and dBFS (sample peak)."
            + (" Before = the input, after = the processed file." if after is not None else ""),
        )
    )
    which = f" of {_esc(compare.name)} (after)" if compare is not None else ""
    sections.append(
        _section(
            "platforms",
            "Platform targets",
            _platforms(delivered, target.name),
            f"How the file{which} fares on each platform: it meets a target when its integrated loudness is "
            f"within \u00b1{TOLERANCE_LU:g} LU of it and its true peak is at or under the ceiling. Louder files "
            "are turned down by the platform (the playback gain), quieter ones play quieter. "
            f"The highlighted row ({_esc(target.label)}) is the target drawn on the plots.",
        )
    )
    how = {
        "loudness": "Momentary loudness (400 ms windows, light blue) and short-term loudness (3 s, dark blue) "
        "over time; the dashed orange line is the integrated loudness of the whole file, the dotted purple "
        f"line the {_esc(target.label)} target.",
        "waveform": "The peak envelope: for each column the highest and lowest sample over all channels. "
        "Orange bands mark where the true peak (between samples, 16x oversampled) exceeds \u22121 dBTP, "
        "red bands where it exceeds 0 dBTP and would clip after conversion or lossy encoding. "
        f"Here: {over1:.1f} s over \u22121 dBTP, {over0:.1f} s over 0 dBTP"
        + (" (input)." if compare is not None else ".")
        + " Dotted lines: \u22121 dBFS; dashed: full scale.",
        "markings": "The dynamics read as musical markings (ppp pale blue \u2026 fff dark red), hairpins "
        "(< crescendo, > decrescendo) and flat sections (20 s or more within \u00b11 LU).",
        "tempo": "Local tempo in beats per minute (one point per beat), accelerando and ritardando "
        "spans, build-ups (yellow) and drops (red lines).",
        "histogram": "How long the music spends at each short-term loudness (1 LU bins). The shaded span "
        "is the loudness range: the 10th to 95th percentile of the gated short-term loudness "
        "(EBU Tech 3342).",
        "compare-loudness": "Short-term loudness before (grey) and after (blue); dashed lines are the "
        "integrated levels.",
        "compare-waveform": "Peak envelopes before (grey) and after (blue, aligned to the input); "
        "orange and red bands mark true-peak overs of the processed file.",
        "gain-reduction": (
            "The gain of the processed file relative to the input: 10\u00b7log10 of the ratio of "
            f"their mean squares on {trace.frame_s * 1e3:.0f} ms frames, after aligning the files by "
            f"cross-correlation (delay found: {trace.lag_s * 1e3:.1f} ms). The dashed line is the static "
            "gain (the 95th percentile of the trace: makeup or normalisation gain); dips below it are gain "
            "reduction by compression or limiting. Silent input frames are left out."
            if trace is not None
            else ""
        ),
    }
    for key in plots:
        if key == "stems":
            sections.append(_section(key, PLOT_TITLES[key], _img(key, plots[key]) + _stems_tables(stems),
                                     _STEMS_HOW.format(spl=stems.full_scale_spl_db, below=stems.buried_below)))
            continue
        sections.append(_section(key, PLOT_TITLES[key], _img(key, plots[key]), how[key]))
    generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    info = (
        f"{_n(loud.duration_s / 60.0, 2)} min \u00b7 {loud.channels} channel{'s' * (loud.channels != 1)} "
        f"\u00b7 {loud.sample_rate} Hz"
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(name)} \u2014 mezzo report</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<header><h1>{_esc(name)}</h1><p>{subtitle} \u00b7 {info}</p></header>\n"
        + "".join(sections)
        + f"<footer>mezzo {_esc(__version__)} report, generated {generated}. Self-contained: "
        "no network needed to view it.</footer>\n</main>\n</body>\n</html>\n"
    )


_STEMS_HOW = (
    "Each row is a stem. The grey area is its audibility (0 to 1): the share of its own loudness carried by "
    "frequency bands where it stands clear of its masked threshold in the mix (Moore, Glasberg &amp; Baer 1997 "
    "excitation patterns; 6 dB above the threshold counts fully). Blank where the stem is silent. Shaded spans: "
    "the stem is buried there (audibility under {below:g} for 0.5 s or more), in the colour of the stem that "
    "masks it most. Levels assume a full-scale sine at {spl:g} dB SPL."
)


def _stems_tables(result: Any) -> str:
    """Per-stem figures, then every buried interval with its maskers, band and remedies."""
    from mezzo.units import clock
    rows = []
    for s in result.stems:
        audible = "\u2014" if s.mean_audibility is None else f"{s.mean_audibility:.2f}"
        rows.append(
            f"<tr><td>{_esc(s.name)}</td><td class='num'>{_n(s.loudness_lufs)} LUFS</td>"
            f"<td class='num'>{_n(s.loudness_in_mix_lufs)} LUFS</td><td class='num'>{audible}</td>"
            f"<td class='num'>{s.buried_s:.1f} s</td></tr>"
        )
    html_out = (
        "<table><thead><tr><th>Stem</th><th>Loudness alone</th><th>In the mix</th><th>Mean audibility</th>"
        "<th>Buried</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    buried = []
    for s in result.stems:
        for b in s.buried:
            by = ", ".join(f"{_esc(n)} {share:.0%}" for n, share in zip(b.masked_by, b.masker_shares, strict=True))
            remedies = "<br>".join(_esc(g.text.split(": ", 1)[-1]) for g in result.suggestions
                                   if g.stem == s.name and (g.start_s, g.end_s) == (b.start_s, b.end_s))
            buried.append(
                f"<tr><td>{_esc(s.name)}</td><td class='num'>{clock(b.start_s)}\u2013{clock(b.end_s)}</td>"
                f"<td>{by or 'threshold of hearing'}</td><td class='num'>{b.band_hz[0]:g}\u2013{b.band_hz[1]:g} Hz</td>"
                f"<td>{remedies}</td></tr>"
            )
    if buried:
        html_out += (
            "<h3>Buried</h3><table><thead><tr><th>Stem</th><th>When</th><th>Masked by (share)</th>"
            "<th>Band</th><th>Remedies</th></tr></thead><tbody>" + "".join(buried) + "</tbody></table>"
        )
    else:
        html_out += '<p class="ok">Nothing buried: every stem is heard.</p>'
    return html_out
