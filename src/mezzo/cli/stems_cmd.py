"""``mezzo stems``: which stem is buried in the mix, when and by what, and the fix.

Flags mirror :func:`mezzo.meters.audibility.audibility` and :func:`mezzo.mixing.fix_buried`
(``--fix NAME`` is ``stem=NAME``, ``--full-scale-spl-db`` is ``full_scale_spl_db``).
Results on stdout (a readable report, or ``--json``); progress on stderr. No DSP here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import fmt, print_json, progress_bar, warn

FULL_SCALE_HELP = "Level a full-scale sine plays at, dB SPL (60 to 130; 100 is a mixing level)."


def stems(
    files: list[Path] = typer.Argument(..., help="Stem files (at least two, one sample rate); each stem is named by its file name without extension.", show_default=False),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    series: bool = typer.Option(False, "--series", help="With --json: add each stem's audibility curve (0.1 s grid) and its times."),
    plot: Path | None = typer.Option(None, "--plot", help="Write the stems lane (PNG/SVG/PDF): audibility per stem, buried spans shaded by masker.", show_default=False),
    fix: str | None = typer.Option(None, "--fix", metavar="NAME", help="Make stem NAME heard where it is buried (gain automation and/or sidechain ducking), re-measured; needs --out-dir.", show_default=False),
    out_dir: Path | None = typer.Option(None, "--out-dir", help="With --fix: folder for DIR/<name>.wav of every stem and DIR/mix.wav.", show_default=False),
    full_scale_spl_db: float = typer.Option(100.0, "--full-scale-spl-db", help=FULL_SCALE_HELP),
    buried_below: float = typer.Option(0.5, "--buried-below", help="Audibility (0.05 to 0.95) under which a stem counts as buried; lower it to flag only deeper burial."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files (never an input)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Show which stem is buried in the mix of FILE..., when, by which stem, and how to fix it.

    Stems of different lengths are padded with silence; different sample rates are refused.
    Audibility (0-1) is the share of a stem's loudness carried by bands where it clears its
    masked threshold in the mix (Moore, Glasberg & Baer 1997); a stem is buried where it
    stays under 0.5 (--buried-below) for 0.5 s or more. With --fix NAME --out-dir DIR the
    stem is raised and/or its maskers ducked over its buried spans, the result measured
    again, and the stems and the mix written only if the fix works (buried time down to a
    quarter or less, mix loudness within 1.5 LU, no other stem newly buried).
    """
    from mezzo.errors import ParameterError

    if len(files) < 2:
        raise ParameterError("mezzo stems needs at least two FILEs: the mix is their sum")
    if (fix is None) != (out_dir is None):
        raise ParameterError("--fix NAME and --out-dir DIR go together: give both to write the fixed stems")
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ParameterError(f"--plot {str(plot)!r} has suffix {plot.suffix!r}: expected .png, .svg or .pdf")
    if plot is not None:  # refused before the work, not after it
        from mezzo.io.atomic import check_target
        from mezzo.report.plots import require_plot

        require_plot("--plot")

        check_target(plot, overwrite=overwrite, inputs=files)
    if fix is None:
        with progress_bar("stems", 0, quiet=quiet) as update:
            from mezzo.meters.audibility import audibility

            update.phase("measuring the stems")

            result = audibility([str(f) for f in files], full_scale_spl_db=full_scale_spl_db,
                                buried_below=buried_below, progress=update)
        fixed = None
    else:
        with progress_bar("stems", 0, quiet=quiet) as update:
            from mezzo.mixing import fix_buried

            fixed = fix_buried([str(f) for f in files], stem=fix, out_dir=out_dir, overwrite=overwrite,
                               full_scale_spl_db=full_scale_spl_db, buried_below=buried_below,
                               progress=lambda stage, done, total: (update.phase(stage), update(done, total)))
        result = fixed.before
        if fixed.outputs and fixed.mix_peak_dbfs is not None and fixed.mix_peak_dbfs > 0.0:
            warn(f"the fixed mix peaks at {fixed.mix_peak_dbfs:+.1f} dBFS: mix.wav is 32-bit float so nothing clips "
                 "— lower it before exporting to integer PCM")
    if plot is not None:
        from mezzo.report.plots import plot_stems

        plot_stems(result, plot, title="Stems: audibility in the mix" + (f" (before fixing {fix})" if fix else ""),
                   overwrite=overwrite)
    if json_output:
        payload = result.to_dict(series=series)
        if fixed is not None:
            payload["fix"] = fixed.to_dict()
            payload["after"] = fixed.after.to_dict(series=series)
        print_json(payload)
        return
    _print(result)
    if fixed is not None:
        typer.echo("")
        typer.echo(f"Fix: {fixed.summary}")
        for path in fixed.outputs:
            typer.echo(path)
    if plot is not None:
        typer.echo(str(plot))


def _print(result: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from mezzo.units import clock

    console = Console()
    table = Table(title=f"Stems ({result.duration_s:.1f} s, mix {fmt(result.mix_loudness_lufs, 'LUFS')})",
                  title_justify="left", box=None, padding=(0, 2))
    for column, justify in (("Stem", "left"), ("Alone", "right"), ("In the mix", "right"),
                            ("Audibility", "right"), ("Buried", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in result.stems:
        audible = "—" if s.mean_audibility is None else f"{s.mean_audibility:.2f}"
        table.add_row(escape(s.name), fmt(s.loudness_lufs, "LUFS"), fmt(s.loudness_in_mix_lufs, "LUFS"), audible,
                      f"{s.buried_s:.1f} s")
    console.print(table)
    buried = [(s, b) for s in result.stems for b in s.buried]
    if not buried:
        console.print("Nothing buried: every stem is heard.", highlight=False)
        return
    intervals = Table(title="Buried", title_justify="left", box=None, padding=(0, 2))
    for column in ("Stem", "When", "Masked by", "Band", "Remedies"):
        # times and bands stay whole in a narrow terminal; the words wrap
        whole = column in ("When", "Band")
        intervals.add_column(column, no_wrap=whole, min_width=len("0:00.0-0:00.0") if whole else None)
    for s, b in buried:
        by = ", ".join(f"{escape(n)} {share:.0%}" for n, share in zip(b.masked_by, b.masker_shares, strict=True))
        remedies = [_remedy(g) for g in result.suggestions
                    if g.stem == s.name and (g.start_s, g.end_s) == (b.start_s, b.end_s)]
        intervals.add_row(escape(s.name), f"{clock(b.start_s)}-{clock(b.end_s)}", by or "threshold of hearing",
                          f"{b.band_hz[0]:g}-{b.band_hz[1]:g} Hz", escape("; or ".join(remedies)))
    console.print(intervals)


def _remedy(suggestion: Any) -> str:
    """A suggestion in a few words, for the table."""
    target = suggestion.target.replace("+", ", ")
    if suggestion.action == "raise":
        return f"raise {target} {suggestion.amount_db:g} dB"
    if suggestion.action == "duck":
        return f"duck {target} {suggestion.amount_db:g} dB keyed by {suggestion.stem}"
    lo, hi = suggestion.band_hz
    return f"cut {target} {suggestion.amount_db:g} dB at {lo:g}-{hi:g} Hz"


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("stems")(stems)
