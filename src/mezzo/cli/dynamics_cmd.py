"""``mezzo dynamics``: write markings, hairpins and fades onto an audio file. No DSP here."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import QUIET_HELP, fmt, print_json, print_plain, progress_bar, warn

MARKS_HELP = (
    "Markings: TIME:MARK items, e.g. '0:p 8:< 16:ff 24:> 32:pp 40:fadeout(equal-power)'. "
    "TIME is seconds (8.5), minutes (1m20.5) or bar|beat (9|1, needs --bpm). "
    "MARK is ppp pp p mp mf f ff fff, < or > (until the next marking), p< (marking + hairpin), "
    "fadein/fadeout with an optional curve (linear, equal-power, exponential)."
)


@contextmanager
def report_warnings() -> Iterator[None]:
    """Print mezzo's warnings raised inside the block as one line each on stderr."""
    from mezzo.errors import MezzoWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MezzoWarning)
        yield
    for w in caught:
        if issubclass(w.category, MezzoWarning):
            warn(f"warning: {w.message}")
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def dynamics(
    input: Path = typer.Argument(..., help="Input audio file.", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Output audio file.", show_default=False),
    marks: str = typer.Option(..., "--marks", "-m", help=MARKS_HELP, show_default=False),
    match: bool = typer.Option(
        False, "--match/--relative",
        help="--relative (default): markings are gain offsets on the audio as it is. "
        "--match: flatten the audio's own short-term loudness first, so each section lands at "
        "reference + the marking's level.",
    ),
    levels: str | None = typer.Option(None, "--levels", help="Override marking levels in dB, e.g. 'p=-12,ff=0' "
                                      "(default ppp -18 … ff 0, fff +3; 3 dB per step).", show_default=False),
    bpm: float | None = typer.Option(None, "--bpm", help="Tempo for bar|beat times, quarter notes per minute.", show_default=False),
    meter: str | None = typer.Option(None, "--meter", help="Meter for bar|beat times, e.g. 4/4 (default) or 6/8.", show_default=False),
    smoothing_ms: float = typer.Option(5.0, "--smoothing-ms", help="Ramp length of each step between markings, ms (0 to 200)."),
    reference_lufs: float | None = typer.Option(None, "--reference-lufs", help="--match: loudness of a 0 dB marking (ff), LUFS; default the input's integrated loudness.", show_default=False),
    max_gain_db: float = typer.Option(24.0, "--max-gain-db", help="--match: most boost or cut of the flattening, dB."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file (never the input)."),
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Write dynamics onto audio: markings, hairpins and fades as smooth gain automation."""
    from mezzo import io
    from mezzo.errors import ParameterError
    from mezzo.marks import parse_marks
    from mezzo.meters.loudness import loudness
    from mezzo.processors.automation import apply_marks

    if not marks.strip():
        raise ParameterError("--marks is empty: write markings like '0:p 8:< 16:ff'")
    parsed = parse_marks(marks, bpm=bpm, meter=meter)
    parsed.last_time_s  # noqa: B018 - a bar|beat time without --bpm raises here, before reading audio
    io.check_output(output, overwrite=overwrite, inputs=[input])  # refused before the work, not after
    io.output_format(output, like=input)
    with progress_bar(f"dynamics {input.name}", 0, quiet=quiet) as bar:
        bar.phase("reading")
        audio, sample_rate = io.read(input)
        bar.phase("applying the marks")
        with report_warnings():
            out, gain = apply_marks(
                audio, sample_rate, parsed, mode="match" if match else "relative", levels_db=levels,
                smoothing_ms=smoothing_ms, reference_lufs=reference_lufs, max_gain_db=max_gain_db, return_gain=True,
            )
        bar.phase("writing")
        io.write(output, out, sample_rate, like=input, overwrite=overwrite, inputs=[input])
        bar.phase("measuring before and after")
        before = loudness(audio, sample_rate)
        after = loudness(out, sample_rate)
    summary = {
        "command": "dynamics",
        "input": str(input),
        "output": str(output),
        "mode": "match" if match else "relative",
        "marks": [_mark_dict(e) for e in parsed.events],
        "before": {"integrated_lufs": before.integrated_lufs, "loudness_range_lu": before.loudness_range_lu,
                   "true_peak_dbtp": before.true_peak_dbtp},
        "after": {"integrated_lufs": after.integrated_lufs, "loudness_range_lu": after.loudness_range_lu,
                  "true_peak_dbtp": after.true_peak_dbtp},
        "max_gain_db": float(gain.max()) if gain.size else 0.0,
    }
    if json_output:
        print_json(summary)
        return
    _print(summary, fmt)


def _mark_dict(e: Any) -> dict[str, Any]:
    return {"time_s": e.time_s, "kind": e.kind, "marking": e.marking, "curve": e.curve, "text": e.text}


def _print(s: dict[str, Any], fmt: Callable[..., str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, padding=(0, 2))
    table.add_column("", style="bold")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    b, a = s["before"], s["after"]
    table.add_row("Integrated", fmt(b["integrated_lufs"], "LUFS"), fmt(a["integrated_lufs"], "LUFS"))
    table.add_row("Loudness range", fmt(b["loudness_range_lu"], "LU"), fmt(a["loudness_range_lu"], "LU"))
    table.add_row("True peak", fmt(b["true_peak_dbtp"], "dBTP", 2), fmt(a["true_peak_dbtp"], "dBTP", 2))
    console = Console()
    print_plain(console, f"dynamics ({s['mode']}): {s['input']} -> {s['output']}")
    console.print(table)
    print_plain(console, "Markings: " + " ".join(m["text"] for m in s["marks"]))
    if s["after"]["true_peak_dbtp"] is not None and s["after"]["true_peak_dbtp"] > 0:
        warn(f"warning: the output's true peak is {s['after']['true_peak_dbtp']:.2f} dBTP: it clips; lower --levels or limit it")


def register(app: typer.Typer) -> None:
    """Add ``mezzo dynamics`` to the app."""
    app.command("dynamics")(dynamics)
