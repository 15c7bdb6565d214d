"""``mezzo analyze``: loudness, peaks, dynamic range, the dynamics map and tempo of audio files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import fmt, print_json, print_plain, progress_bar, warn

LAYOUT_HELP = (
    "Channel layout for the BS.1770 weights: mono, dual-mono, stereo, 5.0, 5.1, "
    "or labels like L,R,C,LFE,Ls,Rs. Default: from the channel count."
)


def analyze(
    files: list[Path] = typer.Argument(..., help="Audio files (WAV, FLAC, AIFF, OGG; MP3/M4A with ffmpeg).", show_default=False),
    json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout: an object for one file, a list for several."),
    layout: str | None = typer.Option(None, "--layout", help=LAYOUT_HELP, show_default=False),
    hop_s: float = typer.Option(0.1, "--hop-s", help="Spacing of the momentary/short-term series, s (multiple of 0.01)."),
    series: Path | None = typer.Option(None, "--series", help="Write the momentary and short-term series to this CSV (one FILE only).", show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing --series and --plot files."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    loudness_only: bool = typer.Option(False, "--loudness-only", help="Only loudness and peaks: skip the dynamics map, dynamic range and tempo (fastest)."),
    all_readings: bool = typer.Option(False, "--all", help="Also report low-confidence hairpins, tempo changes, build-ups and drops (each reading carries its confidence)."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a plot (PNG/SVG/PDF) of loudness, markings, hairpins, tempo, build-ups and drops (one FILE only).", show_default=False),
) -> None:
    """Measure loudness, peaks, dynamic range, markings/hairpins, flat sections, tempo, build-ups and drops."""
    from mezzo.analysis import analyze as run_analysis
    from mezzo.errors import MezzoError

    if series is not None and len(files) != 1:
        raise typer.BadParameter("--series takes one FILE at a time", param_hint="--series")
    if plot is not None and len(files) != 1:
        raise typer.BadParameter("--plot takes one FILE at a time", param_hint="--plot")
    from mezzo.io.atomic import check_target

    if plot is not None:
        from mezzo.report.plots import require_plot

        require_plot("--plot")
    for target in (series, plot):  # refused before the work, not after it
        if target is not None:
            check_target(target, overwrite=overwrite, inputs=files)
    dynamics = not loudness_only
    results: list[dict[str, Any]] = []
    failures = 0
    for path in files:
        try:
            with progress_bar(path.name, 0, quiet=quiet) as update:
                result = run_analysis(path, layout=layout, hop_s=hop_s, progress=update, dynamics=dynamics,
                                      min_confidence=0.0 if all_readings else 0.5, phase=update.phase)
        except MezzoError as exc:
            if len(files) == 1:
                raise
            failures += 1
            warn(f"error: {exc}")
            results.append({"path": str(path), "error": str(exc)})
            continue
        if series is not None:
            _write_series(series, result, overwrite=overwrite)
        if plot is not None:
            from mezzo.report.plots import plot_analysis

            plot_analysis(result, plot, title=path.name, overwrite=overwrite)
        results.append(result.to_dict())
        if not json_output:
            _print_table(result)
    if json_output:
        print_json(results[0] if len(files) == 1 else results)
    if failures:
        raise typer.Exit(1)


def _write_series(path: Path, result: Any, *, overwrite: bool) -> None:
    import numpy as np

    from mezzo.io.atomic import write_text

    short = dict(zip(np.round(result.short_term_times_s, 6), result.short_term_lufs, strict=True))
    lines = ["time_s,momentary_lufs,short_term_lufs"]
    for t, m in zip(result.momentary_times_s, result.momentary_lufs, strict=True):
        s = short.get(round(float(t), 6))
        lines.append(f"{t:.3f},{_csv(m)},{_csv(s)}")
    write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


def _csv(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:.2f}"


def _print_table(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("Integrated", fmt(result.integrated_lufs, "LUFS")),
        ("Loudness range", fmt(result.loudness_range_lu, "LU")),
        ("Momentary max", fmt(result.momentary_max_lufs, "LUFS")),
        ("Short-term max", fmt(result.short_term_max_lufs, "LUFS")),
        ("Sample peak", fmt(result.sample_peak_dbfs, "dBFS", 2)),
        ("True peak", fmt(result.true_peak_dbtp, "dBTP", 2)),
        ("PLR", fmt(result.plr_db, "dB")),
        ("Duration", f"{result.duration_s:.2f} s"),
        ("Format", f"{result.sample_rate} Hz, {result.channels} ch"),
    ]
    dr = getattr(result, "dynamic_range", None)
    if dr is not None:
        psr = "—" if dr.psr_median_db is None else f"{dr.psr_median_db:.1f} dB (min {dr.psr_min_db:.1f})"
        rows += [
            ("Crest factor", fmt(dr.crest_factor_db, "dB")),
            ("PSR", psr),
            ("DR", "—" if dr.dr_score is None else f"DR{dr.dr_score}"),
            ("Dynamic complexity", fmt(dr.dynamic_complexity_db, "dB")),
        ]
    tempo = getattr(result, "tempo", None)
    if tempo is not None:
        rows.append(("Tempo", _tempo_text(tempo)))
    for name, value in rows:
        table.add_row(name, value)
    console = Console()
    print_plain(console, str(result.path))
    console.print(table)
    dmap = getattr(result, "dynamics", None)
    if dmap is not None or tempo is not None:
        console.print(_timeline(dmap, tempo), highlight=False)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{secs:04.1f}"


def _tempo_text(tempo: Any) -> str:
    """The global tempo with the pulse confidence behind it (a weak pulse is said in words)."""
    from mezzo.meters.tempo import pulse_description

    if tempo.tempo_bpm is None:
        return fmt(None, "BPM")
    return f"{tempo.tempo_bpm:.1f} BPM ({pulse_description(tempo.confidence)})"


def _confidence(reading: Any) -> str:
    """`` (confidence 0.62)`` for a reading less than certain, else nothing."""
    return f" (confidence {reading.confidence:.2f})" if reading.confidence < 0.995 else ""


def _timeline(dmap: Any, tempo: Any) -> str:
    """A readable timeline of markings, hairpins, flat sections, tempo changes, build-ups, drops.

    Hairpins, tempo changes, build-ups and drops under a confidence of 0.995 show it.
    """
    events: list[tuple[float, str]] = []
    if dmap is not None:
        for m in dmap.markings:
            events.append((m.start_s, f"{m.marking:<4} until {_clock(m.end_s)}"))
        for h in dmap.hairpins:
            sign = "<" if h.kind == "crescendo" else ">"
            events.append((h.start_s, f"{sign}    {h.kind} until {_clock(h.end_s)}{_confidence(h)}"))
        for f in dmap.flat_sections:
            events.append((f.start_s, f"=    flat (spread {f.spread_lu:.1f} LU) until {_clock(f.end_s)}"))
    if tempo is not None:
        for c in tempo.tempo_changes:
            events.append((c.start_s, f"~    {c.kind} until {_clock(c.end_s)}{_confidence(c)}"))
        for b in tempo.buildups:
            events.append((b.start_s, f"/    build-up until {_clock(b.end_s)}{_confidence(b)}"))
        for d in tempo.drops:
            events.append((d.time_s, f"!    DROP{_confidence(d)}"))
    if not events:
        return "Timeline: nothing sounding"
    events.sort(key=lambda e: e[0])
    lines = ["Timeline"] + [f"  {_clock(t):>7}  {text}" for t, text in events]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("analyze")(analyze)
