"""``mezzo compress | expand | gate | duck | level``: the compressor family on files.

Flags mirror the API's parameter names (``--threshold-db`` is ``threshold_db``);
defaults and help texts come from the processors' ParamSpec tables. No DSP here.
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
from mezzo.processors import params as P

_SPECS = {
    "compress": {p.name: p for p in P.COMPRESSOR_PARAMS},
    "expand": {p.name: p for p in P.EXPANDER_PARAMS},
    "gate": {p.name: p for p in P.GATE_PARAMS},
    "duck": {p.name: p for p in P.DUCKER_PARAMS},
    "level": {p.name: p for p in P.LEVELER_PARAMS},
}


def _limiter_specs() -> dict[str, Any]:
    from mezzo.processors.limiter import (
        LIMITER_PARAMS,  # the table only: the kernels load on first use
    )

    return {p.name: p for p in LIMITER_PARAMS}


_SPECS["limit"] = _limiter_specs()


def _opt(cmd: str, name: str) -> Any:
    """A typer option for parameter ``name`` of ``cmd``: default None = the API default."""
    s = _SPECS[cmd][name]
    flag = "--" + name.replace("_", "-")
    default = s.default if not isinstance(s.default, float) else f"{s.default:g}"
    help_text = f"{s.help} ({s.range_text()}; default {default})"
    return typer.Option(None, flag, help=help_text, show_default=False)


IN_ARG = typer.Argument(..., help="Input audio file.", show_default=False)
OUT_OPT = typer.Option(..., "--output", "-o", help="Output audio file (same format as the input unless the extension says otherwise).", show_default=False)
OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing output file (never the input).")
JSON_OPT = typer.Option(False, "--json", help="Print the summary as JSON on stdout.")
QUIET_OPT = typer.Option(False, "--quiet", "-q", help=QUIET_HELP)
KEY_OPT = typer.Option(None, "--key", help="Sidechain key file (same sample rate).", show_default=False)


def _collect(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _makeup(value: str | None) -> Any:
    if value is None or value == "auto":
        return value
    try:
        return float(value)
    except ValueError:
        from mezzo.errors import ParameterError

        raise ParameterError(f"makeup_db={value!r} is not a number: expected -48 to 48 dB or 'auto'") from None


def _run(
    cmd: str, processor: Any, in_path: Path, out_path: Path, key_path: Path | None, *,
    overwrite: bool, json_output: bool, quiet: bool = False,
) -> None:
    """Stream the input (and key) through the processor into the output (:func:`mezzo.process_file`); summarise."""
    from mezzo.processing import process_file

    with progress_bar(f"{cmd} {in_path.name}", 0, quiet=quiet) as bar:
        report = process_file(
            processor, in_path, out_path, key=key_path, overwrite=overwrite, progress=progress_hook(bar),
        )
    for w in report.warnings:
        warn(f"warning: {w}")
    if json_output:
        print_json({"command": cmd, **report.to_dict()})
    else:
        show_before_after(report, f"{cmd}: {report.input} -> {report.output}")
        typer.echo(report.gain_text())


def _list_compressor_presets(value: bool) -> None:
    """``--list-presets``: each preset with its values (the rest at the defaults), then exit."""
    if not value:
        return
    from mezzo.processors.compressor import PRESETS

    for name, values in PRESETS.items():
        flags = " ".join(f"--{k.replace('_', '-')} {v:g}" if isinstance(v, float) else f"--{k.replace('_', '-')} {v}"
                         for k, v in values.items())
        typer.echo(f"{name:<9} {flags}")
    raise typer.Exit()


LIST_PRESETS = typer.Option(False, "--list-presets", is_eager=True, expose_value=False, callback=_list_compressor_presets,
                            help="Print the presets with their values and exit.")


# --- commands ----------------------------------------------------------------------------------


def compress(
    input: Path = IN_ARG,
    output: Path = OUT_OPT,
    preset: str | None = typer.Option(None, "--preset", help="Start from a preset: vocal, drum-bus, mix-bus, gentle (flags override it).", show_default=False),
    threshold_db: float | None = _opt("compress", "threshold_db"),
    ratio: float | None = _opt("compress", "ratio"),
    knee_db: float | None = _opt("compress", "knee_db"),
    attack_ms: float | None = _opt("compress", "attack_ms"),
    release_ms: float | None = _opt("compress", "release_ms"),
    hold_ms: float | None = _opt("compress", "hold_ms"),
    detector: str | None = _opt("compress", "detector"),
    rms_window_ms: float | None = _opt("compress", "rms_window_ms"),
    link: float | None = _opt("compress", "link"),
    makeup_db: str | None = _opt("compress", "makeup_db"),
    lookahead_ms: float | None = _opt("compress", "lookahead_ms"),
    mix: float | None = _opt("compress", "mix"),
    mode: str | None = _opt("compress", "mode"),
    max_gain_db: float | None = _opt("compress", "max_gain_db"),
    key_highpass_hz: float | None = _opt("compress", "key_highpass_hz"),
    key: Path | None = KEY_OPT,
    overwrite: bool = OVERWRITE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET_OPT,
    list_presets: bool = LIST_PRESETS,
) -> None:
    """Compress the dynamics of a file (Giannoulis et al. 2012 design)."""
    from mezzo.processors import Compressor

    params = _collect({
        "threshold_db": threshold_db, "ratio": ratio, "knee_db": knee_db, "attack_ms": attack_ms,
        "release_ms": release_ms, "hold_ms": hold_ms, "detector": detector, "rms_window_ms": rms_window_ms,
        "link": link, "makeup_db": _makeup(makeup_db), "lookahead_ms": lookahead_ms, "mix": mix, "mode": mode,
        "max_gain_db": max_gain_db, "key_highpass_hz": key_highpass_hz,
    })
    proc = Compressor.preset(preset, **params) if preset is not None else Compressor(**params)
    _run("compress", proc, input, output, key, overwrite=overwrite, json_output=json_output, quiet=quiet)


def _expander_command(cmd: str, cls_name: str, doc: str):
    def command(
        input: Path = IN_ARG,
        output: Path = OUT_OPT,
        threshold_db: float | None = _opt(cmd, "threshold_db"),
        ratio: float | None = _opt(cmd, "ratio"),
        range_db: float | None = _opt(cmd, "range_db"),
        knee_db: float | None = _opt(cmd, "knee_db"),
        attack_ms: float | None = _opt(cmd, "attack_ms"),
        hold_ms: float | None = _opt(cmd, "hold_ms"),
        release_ms: float | None = _opt(cmd, "release_ms"),
        hysteresis_db: float | None = _opt(cmd, "hysteresis_db"),
        lookahead_ms: float | None = _opt(cmd, "lookahead_ms"),
        detector: str | None = _opt(cmd, "detector"),
        rms_window_ms: float | None = _opt(cmd, "rms_window_ms"),
        link: float | None = _opt(cmd, "link"),
        key_highpass_hz: float | None = _opt(cmd, "key_highpass_hz"),
        key: Path | None = KEY_OPT,
        overwrite: bool = OVERWRITE,
        json_output: bool = JSON_OPT,
        quiet: bool = QUIET_OPT,
    ) -> None:
        import mezzo.processors as procs

        params = _collect({
            "threshold_db": threshold_db, "ratio": ratio, "range_db": range_db, "knee_db": knee_db,
            "attack_ms": attack_ms, "hold_ms": hold_ms, "release_ms": release_ms, "hysteresis_db": hysteresis_db,
            "lookahead_ms": lookahead_ms, "detector": detector, "rms_window_ms": rms_window_ms, "link": link,
            "key_highpass_hz": key_highpass_hz,
        })
        proc = getattr(procs, cls_name)(**params)
        _run(cmd, proc, input, output, key, overwrite=overwrite, json_output=json_output, quiet=quiet)

    command.__doc__ = doc
    return command


expand = _expander_command("expand", "Expander", "Expand downwards: push levels below the threshold further down.")
gate = _expander_command("gate", "Gate", "Gate: silence (by --range-db) what falls below the threshold.")


def duck(
    input: Path = IN_ARG,
    key: Path = typer.Option(..., "--key", help="Key file (voice-over, kick...) that ducks the input.", show_default=False),
    output: Path = OUT_OPT,
    threshold_db: float | None = _opt("duck", "threshold_db"),
    depth_db: float | None = _opt("duck", "depth_db"),
    ratio: float | None = _opt("duck", "ratio"),
    knee_db: float | None = _opt("duck", "knee_db"),
    attack_ms: float | None = _opt("duck", "attack_ms"),
    hold_ms: float | None = _opt("duck", "hold_ms"),
    release_ms: float | None = _opt("duck", "release_ms"),
    detector: str | None = _opt("duck", "detector"),
    rms_window_ms: float | None = _opt("duck", "rms_window_ms"),
    lookahead_ms: float | None = _opt("duck", "lookahead_ms"),
    key_highpass_hz: float | None = _opt("duck", "key_highpass_hz"),
    overwrite: bool = OVERWRITE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET_OPT,
) -> None:
    """Duck the input while the key sounds (sidechain compression)."""
    from mezzo.processors import Ducker

    params = _collect({
        "threshold_db": threshold_db, "depth_db": depth_db, "ratio": ratio, "knee_db": knee_db,
        "attack_ms": attack_ms, "hold_ms": hold_ms, "release_ms": release_ms, "detector": detector,
        "rms_window_ms": rms_window_ms, "lookahead_ms": lookahead_ms, "key_highpass_hz": key_highpass_hz,
    })
    _run("duck", Ducker(**params), input, output, key, overwrite=overwrite, json_output=json_output, quiet=quiet)


def level(
    input: Path = IN_ARG,
    output: Path = OUT_OPT,
    target_lufs: float | None = _opt("level", "target_lufs"),
    range_db: float | None = _opt("level", "range_db"),
    speed_ms: float | None = _opt("level", "speed_ms"),
    floor_lufs: float | None = _opt("level", "floor_lufs"),
    key_offset_db: float | None = _opt("level", "key_offset_db"),
    key: Path | None = typer.Option(None, "--key", help="Music bed to ride relative to (with --key-offset-db).", show_default=False),
    overwrite: bool = OVERWRITE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET_OPT,
) -> None:
    """Ride the gain towards a short-term loudness target (automatic leveler)."""
    from mezzo.processors import Leveler

    params = _collect({
        "target_lufs": target_lufs, "range_db": range_db, "speed_ms": speed_ms, "floor_lufs": floor_lufs,
        "key_offset_db": key_offset_db,
    })
    _run("level", Leveler(**params), input, output, key, overwrite=overwrite, json_output=json_output, quiet=quiet)


def limit(
    input: Path = IN_ARG,
    output: Path = OUT_OPT,
    ceiling_dbtp: float | None = typer.Option(None, "--ceiling-dbtp", help="Ceiling: no true peak above it (-60 to 0 dBTP; default -1).", show_default=False),
    sample_peak: bool = typer.Option(False, "--sample-peak", help="Limit sample peaks only (the ceiling is then in dBFS; no oversampling)."),
    lookahead_ms: float | None = _opt("limit", "lookahead_ms"),
    attack_ms: float | None = _opt("limit", "attack_ms"),
    hold_ms: float | None = _opt("limit", "hold_ms"),
    release_ms: float | None = _opt("limit", "release_ms"),
    unlinked: bool = typer.Option(False, "--unlinked", help="One gain per channel instead of one for all (changes the stereo image)."),
    overwrite: bool = OVERWRITE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET_OPT,
) -> None:
    """Limit peaks to a ceiling (true-peak safe look-ahead limiter), printing the gain reduction."""
    from mezzo.processors import Limiter

    params = _collect({
        "ceiling_db": ceiling_dbtp, "lookahead_ms": lookahead_ms, "attack_ms": attack_ms, "hold_ms": hold_ms,
        "release_ms": release_ms,
    })
    if lookahead_ms is not None and attack_ms is None:
        params["attack_ms"] = min(lookahead_ms, _SPECS["limit"]["attack_ms"].default)
    _run("limit", Limiter(true_peak=not sample_peak, link=not unlinked, **params), input, output, None,
         overwrite=overwrite, json_output=json_output, quiet=quiet)


def register(app: typer.Typer) -> None:
    """Add compress, expand, gate, duck, level and limit to the app."""
    app.command("compress")(compress)
    app.command("expand")(expand)
    app.command("gate")(gate)
    app.command("duck")(duck)
    app.command("limit")(limit)
    app.command("level")(level)
