"""``mezzo midi apply | compress | expand | humanize | analyze``: dynamics of MIDI files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import QUIET_HELP, print_json, warn
from mezzo.cli.dynamics_cmd import MARKS_HELP, report_warnings

midi_app = typer.Typer(
    name="midi",
    help="Dynamics of MIDI files: markings to velocities or CC ramps, velocity compressor/expander, humanise, analyse.",
    no_args_is_help=True,
    add_completion=False,
)

IN_ARG = typer.Argument(..., help="Input MIDI file (.mid, type 0 or 1).", show_default=False)
OUT_OPT = typer.Option(..., "--output", "-o", help="Output MIDI file.", show_default=False)
TRACKS_OPT = typer.Option(None, "--tracks", help="Track numbers from 1, e.g. '2,3' (default: every track with notes).",
                          show_default=False)
OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing output file (never the input).")
JSON_OPT = typer.Option(False, "--json", help="Print the summary as JSON on stdout.")
#: MIDI files take milliseconds: there is no progress to silence, the flag is accepted as on every command
QUIET_OPT = typer.Option(False, "--quiet", "-q", help=QUIET_HELP)


def _finish(cmd: str, before: Any, after: Any, input: Path, output: Path, *, overwrite: bool, json_output: bool,
            extra: dict[str, Any] | None = None) -> None:
    from mezzo.midi import analyze_midi, write_midi

    write_midi(output, after, overwrite=overwrite, inputs=[input])
    a, b = analyze_midi(before), analyze_midi(after)
    summary = {
        "command": f"midi {cmd}",
        "input": str(input),
        "output": str(output),
        **(extra or {}),
        "before": [_short(t) for t in a.tracks if t.notes],
        "after": [_short(t) for t in b.tracks if t.notes],
    }
    if json_output:
        print_json(summary)
        return
    typer.echo(f"midi {cmd}: {input} -> {output}")
    for t in b.tracks:
        if t.notes:
            typer.echo("  " + t.summary)


def _check_output(output: Path, input: Path, overwrite: bool) -> None:
    """Refuse an output mezzo must not write before reading and changing the input."""
    from mezzo.io.atomic import check_target
    from mezzo.midi.midifile import MidiFileError

    check_target(output, overwrite=overwrite, inputs=[input], error=MidiFileError)


def _short(t: Any) -> dict[str, Any]:
    return {"track_number": t.track_number, "name": t.name, "notes": t.notes, "velocity_min": t.velocity_min,
            "velocity_max": t.velocity_max, "velocity_mean": t.velocity_mean}


@midi_app.command("apply")
def apply(
    input: Path = IN_ARG,
    output: Path = OUT_OPT,
    marks: str = typer.Option(..., "--marks", "-m", help=MARKS_HELP + " bar|beat times use the file's tempo map.",
                              show_default=False),
    tracks: str | None = TRACKS_OPT,
    target: str = typer.Option("velocity", "--target", help="velocity (set note velocities), cc11 (expression ramps) "
                               "or cc7 (volume ramps)."),
    velocities: str | None = typer.Option(None, "--velocities", help="Override marking velocities, e.g. 'p=49,ff=112' "
                                          "(default MuseScore's: ppp 16 pp 33 p 49 mp 64 mf 80 f 96 ff 112 fff 126).",
                                          show_default=False),
    cc_interval_beats: float = typer.Option(0.125, "--cc-interval-beats", help="Spacing of controller points along "
                                            "hairpins and fades, quarter notes."),
    overwrite: bool = OVERWRITE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET_OPT,
) -> None:
    """Write markings, hairpins and fades as note velocities or CC11/CC7 ramps."""
    from mezzo.errors import ParameterError
    from mezzo.midi import apply_marks, read_midi

    if not marks.strip():
        raise ParameterError("--marks is empty: write markings like '0:p 8:< 16:ff'")
    _check_output(output, input, overwrite)
    song = read_midi(input)
    with report_warnings():
        out = apply_marks(song, marks, tracks=tracks, target=target, velocities=velocities,
                          cc_interval_beats=cc_interval_beats)
    _finish("apply", song, out, input, output, overwrite=overwrite, json_output=json_output,
            extra={"marks": marks, "target": target})


def _dynamics_command(mode: str, threshold_default: float, ratio_default: float) -> Any:
    verb = "Compress" if mode == "compress" else "Expand (downward)"

    def command(
        input: Path = IN_ARG,
        output: Path = OUT_OPT,
        threshold: float = typer.Option(threshold_default, "--threshold", help="Threshold, velocity units (1 to 127)."),
        ratio: float = typer.Option(ratio_default, "--ratio", help="Ratio, 1 (off) to 100."),
        knee: float = typer.Option(8.0, "--knee", help="Knee width, velocity units (0 = hard knee)."),
        makeup: float = typer.Option(0.0, "--makeup", help="Added after the curve, velocity units."),
        tracks: str | None = TRACKS_OPT,
        overwrite: bool = OVERWRITE,
        json_output: bool = JSON_OPT,
        quiet: bool = QUIET_OPT,
    ) -> None:
        from mezzo.midi import compress_velocities, expand_velocities, read_midi

        _check_output(output, input, overwrite)
        song = read_midi(input)
        fn = compress_velocities if mode == "compress" else expand_velocities
        out = fn(song, threshold=threshold, ratio=ratio, knee=knee, makeup=makeup, tracks=tracks)
        _finish(mode, song, out, input, output, overwrite=overwrite, json_output=json_output,
                extra={"threshold": threshold, "ratio": ratio, "knee": knee, "makeup": makeup})

    command.__doc__ = (
        f"{verb} note velocities with the audio {'compressor' if mode == 'compress' else 'expander'}'s static curve, "
        "in velocity units."
    )
    return command


midi_app.command("compress")(_dynamics_command("compress", 96.0, 2.0))
midi_app.command("expand")(_dynamics_command("expand", 80.0, 1.5))


@midi_app.command("humanize")
def humanize(
    input: Path = IN_ARG,
    output: Path = OUT_OPT,
    velocity_amount: int = typer.Option(6, "--velocity-amount", help="Largest random velocity change, +/- (0 to 64)."),
    timing_ms: float = typer.Option(0.0, "--timing-ms", help="Largest random note shift, +/- ms (0 to 100)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed: the same seed gives the same file.",
                                    show_default=False),
    accent: str | None = typer.Option(None, "--accent", help="Beats to accent: 'downbeats' (= '1') or e.g. '1,3'.",
                                      show_default=False),
    accent_amount: int = typer.Option(8, "--accent-amount", help="Velocity added to accented notes."),
    tracks: str | None = TRACKS_OPT,
    overwrite: bool = OVERWRITE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET_OPT,
) -> None:
    """Add bounded, seeded random variation to velocities (and timing), with optional accents."""
    from mezzo.midi import humanize as run
    from mezzo.midi import read_midi

    _check_output(output, input, overwrite)
    song = read_midi(input)
    if seed is None:
        warn("no --seed: the result will differ on every run")
    out = run(song, velocity_amount=velocity_amount, timing_ms=timing_ms, seed=seed, accent_beats=accent,
              accent_amount=accent_amount, tracks=tracks)
    _finish("humanize", song, out, input, output, overwrite=overwrite, json_output=json_output,
            extra={"seed": seed})


@midi_app.command("analyze")
def analyze(
    input: Path = IN_ARG,
    flat_spread: int = typer.Option(4, "--flat-spread", help="Velocities within this many steps count as flat."),
    flat_bars: int = typer.Option(4, "--flat-bars", help="Shortest flat stretch reported, bars."),
    velocities: str | None = typer.Option(None, "--velocities", help="Marking velocities for naming, e.g. 'p=49,ff=112'.",
                                          show_default=False),
    json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
    quiet: bool = QUIET_OPT,
) -> None:
    """Velocity statistics per track, implied markings, flat sections, in plain words."""
    from mezzo.midi import analyze_midi, read_midi

    result = analyze_midi(read_midi(input), velocities=velocities, flat_spread=flat_spread, flat_min_bars=flat_bars)
    if json_output:
        print_json({"path": str(input), **result.to_dict()})
        return
    typer.echo(f"{input}: type {result.type}, {result.ticks_per_beat} ticks per beat, {result.duration_s:.1f} s")
    for t in result.tracks:
        typer.echo("  " + t.summary)
        if t.markings and not t.flat:
            spans = " ".join(f"{s.start_bar}|1:{s.marking}" for s in t.markings)
            typer.echo(f"      implied markings: {spans}")


def register(app: typer.Typer) -> None:
    """Add the ``mezzo midi`` command group to the app."""
    app.add_typer(midi_app, name="midi")
