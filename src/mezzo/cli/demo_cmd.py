"""``mezzo demo``: render the built-in demo track, analyse it and plot its loudness."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def demo(
    out_dir: Path = typer.Option(Path("demo-out"), "--out-dir", "-o", help="Folder for the demo outputs (created if missing)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthesised demo track."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output paths."),
) -> None:
    """Write the demo track (WAV), its analysis (JSON) and a plot (PNG) into OUT_DIR.

    The plot shows loudness with the markings lane (ppp..fff, hairpins), the tempo
    curve and the build-up and drop.

    The outputs are mezzo's own files in OUT_DIR and are replaced on every run.
    """
    from mezzo import demo as demo_track
    from mezzo import io
    from mezzo.analysis import analyze
    from mezzo.io.textfile import write_text_atomic
    from mezzo.report.plots import plot_analysis

    out_dir.mkdir(parents=True, exist_ok=True)
    audio, sample_rate = demo_track.track(seed=seed)
    wav = out_dir / "demo.wav"
    io.write(wav, audio, sample_rate, subtype="PCM_24", overwrite=True)
    result = analyze(wav, dynamics=True)
    report = out_dir / "demo-analysis.json"
    write_text_atomic(report, json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n", overwrite=True)
    plot = plot_analysis(result, out_dir / "demo-loudness.png", title="mezzo demo track")
    if not quiet:
        typer.echo(
            f"demo track: {result.duration_s:.1f} s, integrated {result.integrated_lufs:.1f} LUFS, "
            f"LRA {result.loudness_range_lu:.1f} LU, true peak {result.true_peak_dbtp:.1f} dBTP"
        )
    for path in (wav, report, plot):
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("demo")(demo)
