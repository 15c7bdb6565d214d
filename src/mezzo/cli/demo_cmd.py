"""``mezzo demo``: render the built-in demo track, shape it, analyse it and show what mezzo does."""

from __future__ import annotations

import json
from pathlib import Path

import typer

#: The stem the demo fixes where it is buried (see ``mezzo stems --fix``).
DEMO_FIX_STEM = "drums"


def demo(
    out_dir: Path = typer.Option(Path("demo-out"), "--out-dir", "-o", help="Folder for the demo outputs (created if missing)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthesised demo track."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output paths."),
) -> None:
    """Write the demo outputs into OUT_DIR.

    demo.wav: the synthesised track shaped by written dynamics (markings language);
    demo-analysis.json and demo-loudness.png: its analysis and a plot with loudness, the
    markings lane (ppp..fff, hairpins), the tempo curve and the build-up and drop;
    lead.wav, lead-compressed.wav and lead-compression.png: the vocal-like lead stem
    through the compressor's "vocal" preset, with its gain reduction;
    demo-master.wav and demo-master.json: the track mastered to the Spotify preset
    (-14 LUFS, -1 dBTP) and what mastering did; demo-stems.json and demo-stems.png: which
    of the four stems (drums, bass, pad, lead, shaped like demo.wav) is buried, when and
    by what, with the remedies and the fix of the drums; report.html: a self-contained
    report comparing the track before and after mastering, with the stems section.

    The outputs are mezzo's own files in OUT_DIR and are replaced on every run.
    """
    from mezzo import demo as demo_track
    from mezzo import io
    from mezzo.analysis import analyze
    from mezzo.io.atomic import make_folder, write_text
    from mezzo.mastering.master import master_file
    from mezzo.meters.audibility import audibility
    from mezzo.mixing import fix_buried
    from mezzo.processors import Compressor, apply_marks
    from mezzo.report.html import write_report
    from mezzo.report.plots import plot_analysis, plot_gain_reduction, plot_stems, require_plot

    require_plot("mezzo demo")  # its plots and report: said before any work
    make_folder(out_dir)
    marks = demo_track.MARKS
    audio, sample_rate = demo_track.track(seed=seed)
    shaped = apply_marks(audio, sample_rate, marks)
    wav = out_dir / "demo.wav"
    io.write(wav, shaped, sample_rate, subtype="PCM_24", overwrite=True)
    result = analyze(wav, dynamics=True)
    report = out_dir / "demo-analysis.json"
    write_text(report, json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n", overwrite=True)
    plot = plot_analysis(result, out_dir / "demo-loudness.png", title="mezzo demo track", overwrite=True)

    parts = demo_track.stems(seed=seed)
    lead = parts["lead"]
    vocal = Compressor.preset("vocal")
    compressed, gain_db = vocal(lead, sample_rate, return_gain=True)
    lead_wav, lead_out = out_dir / "lead.wav", out_dir / "lead-compressed.wav"
    io.write(lead_wav, lead, sample_rate, subtype="PCM_24", overwrite=True)
    io.write(lead_out, compressed, sample_rate, subtype="PCM_24", overwrite=True)
    lead_plot = plot_gain_reduction(
        lead, compressed, gain_db, sample_rate, out_dir / "lead-compression.png",
        title="Demo lead through Compressor.preset('vocal')", overwrite=True, processor=vocal,
    )
    mastered = out_dir / "demo-master.wav"
    master_report = master_file(wav, mastered, preset="spotify", overwrite=True)
    master_json = out_dir / "demo-master.json"
    write_text(master_json, json.dumps(master_report.to_dict(), indent=2, allow_nan=False) + "\n", overwrite=True)
    # The stems get the same written dynamics as the track (gain is linear: they still sum to it).
    shaped = {name: apply_marks(part, sample_rate, marks) for name, part in parts.items()}
    stems_result = audibility(shaped, sample_rate)
    stems_plot = plot_stems(stems_result, out_dir / "demo-stems.png", title="Demo stems: audibility in the mix",
                            overwrite=True)
    fixed = fix_buried(shaped, sample_rate, stem=DEMO_FIX_STEM, strict=False)
    stems_json = out_dir / "demo-stems.json"
    payload = {**stems_result.to_dict(series=False), "fix": fixed.to_dict()}
    write_text(stems_json, json.dumps(payload, indent=2, allow_nan=False) + "\n", overwrite=True)
    html = write_report(wav, out_dir / "report.html", compare=mastered, title="mezzo demo: before and after mastering",
                        overwrite=True, stems=stems_result)
    if not quiet:
        typer.echo(
            f"demo track ({marks!r}): {result.duration_s:.1f} s, integrated {result.integrated_lufs:.1f} LUFS, "
            f"LRA {result.loudness_range_lu:.1f} LU, true peak {result.true_peak_dbtp:.1f} dBTP"
        )
        typer.echo(f"lead compression: max {-gain_db.min():.1f} dB, mean {-gain_db.mean():.1f} dB of gain reduction")
        typer.echo(f"mastering (spotify): {master_report.summary}")
        buried = ", ".join(
            f"{s.name} {s.buried_s:.1f} s (mostly by {next(iter(s.masked_by_s()))})" for s in stems_result.stems
            if s.masked_by_s()
        )
        typer.echo(f"stems buried: {buried or 'none'}")
        typer.echo(f"fix {DEMO_FIX_STEM}: {fixed.summary}" + ("" if fixed.ok else " (does not keep the rules)"))
    for path in (wav, report, plot, lead_wav, lead_out, lead_plot, mastered, master_json, stems_json, stems_plot):
        typer.echo(str(path))
    typer.echo(f"report: {html}")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("demo")(demo)
