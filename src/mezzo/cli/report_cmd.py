"""``mezzo report``: a self-contained HTML page with plots of a file (and of its processed version)."""

from __future__ import annotations

from pathlib import Path

import typer

from mezzo.cli._common import QUIET_HELP, progress_bar


def report(
    input_file: Path = typer.Argument(..., metavar="IN", help="Audio file to report on (the input, with --compare).", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="HTML page to write (.html).", show_default=False),
    compare: Path | None = typer.Option(None, "--compare", help="Processed version of IN (e.g. mastered): adds before/after overlays and the gain-reduction trace.", show_default=False),
    png: Path | None = typer.Option(None, "--png", help="Also write every plot as a PNG file into this folder (created if missing).", show_default=False),
    preset: str = typer.Option("spotify", "--preset", help="Platform whose loudness target is drawn on the plots (spotify, apple, youtube, tidal, amazon, deezer, ebu, atsc, podcast)."),
    title: str | None = typer.Option(None, "--title", help="Page title; default: the file name.", show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing page and PNG files."),
    stem: list[Path] | None = typer.Option(None, "--stem", help="A stem of IN (repeat for each, at least two): adds the stems section, which stem is buried, when and by what.", show_default=False),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Write one self-contained HTML report (plots embedded; opens with no network).

    Summary figures (integrated, LRA, true peak, PLR, PSR, DR), platform targets met or
    missed, loudness over time, waveform with true-peak overs, markings and hairpins, tempo
    with build-ups and drops, a loudness histogram; with --compare, before/after overlays
    and the gain-reduction trace; with --stem (repeated), the stems lane and which stem is
    buried, when, by what. Prints the paths written.
    """
    from mezzo.report.html import plot_names, write_report

    if stem is not None and len(stem) < 2:
        from mezzo.errors import ParameterError

        raise ParameterError("--stem takes at least two stems (repeat --stem FILE for each)")
    with progress_bar(f"report {input_file.name}", 0, quiet=quiet) as bar:
        page = write_report(input_file, output, compare=compare, png_dir=png, title=title, preset=preset,
                            overwrite=overwrite, stems=stem, phase=bar.phase)
    typer.echo(str(page))
    if png is not None:
        for name in plot_names(compare is not None, bool(stem)):
            typer.echo(str(png / f"{name}.png"))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("report")(report)
