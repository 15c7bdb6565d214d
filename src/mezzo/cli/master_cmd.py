"""``mezzo normalize`` and ``mezzo master``: loudness targets with a true-peak ceiling, on files.

Flags mirror :func:`mezzo.mastering.master.normalize_files` and :func:`mezzo.mastering.master.master_file`
(``--target-lufs`` is ``target_lufs``; ``--sample-rate`` is ``output_sample_rate``).
Results on stdout (a table, or ``--json``); warnings on stderr. No DSP here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import (
    QUIET_HELP,
    print_json,
    progress_bar,
    progress_hook,
    show_before_after,
    warn,
)

PRESET_NAMES = "spotify, apple, youtube, tidal, amazon, deezer, ebu, atsc, podcast"
RATE_HELP = "Output sample rate, Hz (resampled with soxr before limiting). Default: the input's."
DEPTH_HELP = "Output bit depth: 16 or 24 (integer PCM with TPDF dither) or 32f (float). Default: the input's."
JSON_HELP = "Print the report as JSON on stdout (an object for one file, a list for several)."
DRY_HELP = "Measure and process, report what would happen, write nothing."
BITRATE_HELP = ("Bit rate of lossy outputs (.mp3, .ogg, .opus, .m4a, .aac: encoded by ffmpeg), kb/s. "
                "Default: the input's when it is lossy, else 256 (MP3, AAC), 192 (Vorbis), 160 (Opus).")


def _list_presets(value: bool) -> None:
    """``--list-presets``: the platform presets with their target and ceiling, then exit."""
    if not value:
        return
    from mezzo.mastering.presets import PRESETS

    for p in PRESETS.values():
        typer.echo(f"{p.name:<8} --target-lufs {p.target_lufs:g} --ceiling-dbtp {p.ceiling_dbtp:g}   {p.label} ({p.source})")
    raise typer.Exit()


LIST_PRESETS = typer.Option(False, "--list-presets", is_eager=True, expose_value=False, callback=_list_presets,
                            help="Print the platform presets with their target and ceiling and exit.")


def normalize(
    inputs: list[Path] = typer.Argument(..., help="Input audio files.", show_default=False),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (one input only).", show_default=False),
    out_dir: Path | None = typer.Option(None, "--out-dir", help="Folder for the outputs (same file names as the inputs).", show_default=False),
    target_lufs: float = typer.Option(-14.0, "--target-lufs", help="Integrated loudness target, LUFS (-70 to the ceiling)."),
    ceiling_dbtp: float = typer.Option(-1.0, "--ceiling-dbtp", help="Highest true peak of the output, dBTP (-60 to 0)."),
    no_limit: bool = typer.Option(False, "--no-limit", help="Never limit: lower the gain instead when the peaks would pass the ceiling."),
    album: bool = typer.Option(False, "--album", help="One gain for all inputs (album loudness), keeping their relative loudness."),
    sample_rate: int | None = typer.Option(None, "--sample-rate", help=RATE_HELP, show_default=False),
    bit_depth: str | None = typer.Option(None, "--bit-depth", help=DEPTH_HELP, show_default=False),
    bitrate_kbps: float | None = typer.Option(None, "--bitrate-kbps", help=BITRATE_HELP, show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files (never an input)."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    list_presets: bool = LIST_PRESETS,
) -> None:
    """Normalise loudness: pure gain when the peaks allow it, else gain and the true-peak limiter."""
    from mezzo.mastering.master import normalize_files
    from mezzo.mastering.targets import Targets

    targets = Targets(target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp)
    outputs = _outputs(inputs, output, out_dir, create=not dry_run)
    what = inputs[0].name if len(inputs) == 1 else f"{len(inputs)} files"
    with progress_bar(f"normalize {what}" + (" (album)" if album else ""), 0, quiet=quiet) as bar:
        reports = normalize_files(
            [str(p) for p in inputs], [str(p) for p in outputs], targets=targets,
            limit=not no_limit, album=album, output_sample_rate=sample_rate, bit_depth=bit_depth,
            bitrate_kbps=bitrate_kbps, overwrite=overwrite, dry_run=dry_run, progress=progress_hook(bar),
        )
    _show(reports, json_output=json_output, album=album)


def master(
    input: Path = typer.Argument(..., help="Input audio file.", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Output audio file.", show_default=False),
    preset: str | None = typer.Option(None, "--preset", help=f"Platform preset: {PRESET_NAMES} (default spotify).", show_default=False),
    target_lufs: float | None = typer.Option(None, "--target-lufs", help="Loudness target, LUFS (overrides the preset's).", show_default=False),
    ceiling_dbtp: float | None = typer.Option(None, "--ceiling-dbtp", help="True-peak ceiling, dBTP (overrides the preset's).", show_default=False),
    glue: bool = typer.Option(False, "--glue", help="Mix-bus glue compressor (2:1 above -12 dBFS RMS) before the limiter."),
    no_limit: bool = typer.Option(False, "--no-limit", help="Never limit: lower the gain instead."),
    sample_rate: int | None = typer.Option(None, "--sample-rate", help=RATE_HELP, show_default=False),
    bit_depth: str | None = typer.Option(None, "--bit-depth", help=DEPTH_HELP, show_default=False),
    bitrate_kbps: float | None = typer.Option(None, "--bitrate-kbps", help=BITRATE_HELP, show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file (never the input)."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    list_presets: bool = LIST_PRESETS,
) -> None:
    """Master a file to a platform's loudness target with a true-peak ceiling."""
    from mezzo.mastering.master import master_file
    from mezzo.mastering.targets import Targets

    targets = Targets.resolve(preset, target_lufs, ceiling_dbtp)
    with progress_bar(f"master {input.name}", 0, quiet=quiet) as bar:
        report = master_file(
            str(input), str(output), targets=targets, glue=glue,
            limit=not no_limit, output_sample_rate=sample_rate, bit_depth=bit_depth, bitrate_kbps=bitrate_kbps,
            overwrite=overwrite, dry_run=dry_run, progress=progress_hook(bar),
        )
    _show([report], json_output=json_output, album=False)


def _outputs(inputs: list[Path], output: Path | None, out_dir: Path | None, *, create: bool) -> list[Path]:
    from mezzo.errors import AudioFileError, ParameterError

    if (output is None) == (out_dir is None):
        raise ParameterError("give either -o OUT (one input) or --out-dir DIR (any number of inputs)")
    if output is not None:
        if len(inputs) != 1:
            raise ParameterError(f"-o takes one input, got {len(inputs)}: use --out-dir DIR for several")
        return [output]
    assert out_dir is not None
    if create and not out_dir.exists():  # created, as batch and demo do
        out_dir.mkdir(parents=True)
    if not out_dir.is_dir():
        raise AudioFileError(f"{str(out_dir)!r}: --out-dir is a file, not a folder")
    names = [p.name for p in inputs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError(f"two inputs named {twice[0]!r} would write the same file in --out-dir: rename one")
    return [out_dir / p.name for p in inputs]


def _show(reports: list[Any], *, json_output: bool, album: bool) -> None:
    for r in reports:
        for w in r.warnings:
            warn(f"warning: {Path(r.input).name if r.input else ''}: {w}")
    if json_output:
        dicts = [r.to_dict() for r in reports]
        print_json(dicts[0] if len(dicts) == 1 else dicts)
        return
    from rich.console import Console

    console = Console()
    for r in reports:
        verb = "would write" if r.dry_run else "->"
        show_before_after(r, f"{r.input} {verb} {r.output}")
        target = f"target {r.target_lufs:g} LUFS / {r.ceiling_dbtp:g} dBTP" + (f" ({r.preset})" if r.preset else "")
        console.print(f"{target}: {r.summary}", highlight=False)
        if r.mode == "limit":
            console.print(r.gain_text(), highlight=False)
        rate = f"{r.output_sample_rate} Hz" + (f" (from {r.sample_rate} Hz)" if r.output_sample_rate != r.sample_rate else "")
        coding = r.output_subtype or "float"
        if r.output_bitrate_kbps is not None:
            coding += f" {r.output_bitrate_kbps:g} kb/s (figures after: the decoded file)"
        console.print(f"output: {coding}, {rate}{', TPDF dither' if r.dither else ''}", highlight=False)
    if album and reports and reports[0].album_integrated_lufs is not None:
        console.print(f"album: {reports[0].album_integrated_lufs:.2f} LUFS, gain {reports[0].gain_db:+.2f} dB", highlight=False)


def register(app: typer.Typer) -> None:
    """Add normalize and master to the app."""
    app.command("normalize")(normalize)
    app.command("master")(master)
