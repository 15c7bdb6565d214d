"""``mezzo analyze``: loudness, loudness range and peaks of audio files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import fmt, print_json, progress_bar, warn

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
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --series file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Measure integrated loudness, loudness range, momentary/short-term maxima, sample and true peak."""
    from mezzo.analysis import analyze as run_analysis
    from mezzo.errors import MezzoError

    if series is not None and len(files) != 1:
        raise typer.BadParameter("--series takes one FILE at a time", param_hint="--series")
    results: list[dict[str, Any]] = []
    failures = 0
    for path in files:
        try:
            with progress_bar(path.name, 0, quiet=quiet) as update:
                result = run_analysis(path, layout=layout, hop_s=hop_s, progress=update)
        except MezzoError as exc:
            if len(files) == 1:
                raise
            failures += 1
            warn(f"error: {exc}")
            results.append({"path": str(path), "error": str(exc)})
            continue
        if series is not None:
            _write_series(series, result, overwrite=overwrite)
        results.append(result.to_dict())
        if not json_output:
            _print_table(result)
    if json_output:
        print_json(results[0] if len(files) == 1 else results)
    if failures:
        raise typer.Exit(1)


def _write_series(path: Path, result: Any, *, overwrite: bool) -> None:
    import numpy as np

    from mezzo.io.textfile import write_text_atomic

    short = dict(zip(np.round(result.short_term_times_s, 6), result.short_term_lufs, strict=True))
    lines = ["time_s,momentary_lufs,short_term_lufs"]
    for t, m in zip(result.momentary_times_s, result.momentary_lufs, strict=True):
        s = short.get(round(float(t), 6))
        lines.append(f"{t:.3f},{_csv(m)},{_csv(s)}")
    write_text_atomic(path, "\n".join(lines) + "\n", overwrite=overwrite)


def _csv(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:.2f}"


def _print_table(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=str(result.path), title_justify="left", show_header=False, box=None, padding=(0, 2))
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
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("analyze")(analyze)
