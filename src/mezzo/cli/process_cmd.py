"""``mezzo compress | expand | gate | duck | level``: the compressor family on files.

Flags mirror the API's parameter names (``--threshold-db`` is ``threshold_db``);
defaults and help texts come from the processors' ParamSpec tables. No DSP here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import QUIET_HELP, fmt, print_json, progress_bar, warn
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


#: Samples per channel read, processed and written at a time (memory stays about this size).
BLOCK_SAMPLES = 65536


def _run(
    cmd: str, processor: Any, in_path: Path, out_path: Path, key_path: Path | None, *,
    overwrite: bool, json_output: bool, quiet: bool = False,
) -> None:
    """Stream the input (and key) through the processor into the output; summarise."""
    import contextlib

    import numpy as np

    from mezzo import io
    from mezzo.errors import AudioInputError
    from mezzo.io.read import EXACT_FRAMES
    from mezzo.meters.loudness import LoudnessMeter

    with contextlib.ExitStack() as stack:
        reader = stack.enter_context(io.blocks(in_path, BLOCK_SAMPLES))
        sample_rate, channels = reader.sample_rate, reader.channels
        key = None
        key_checked = True
        if key_path is not None:
            key_reader = stack.enter_context(io.blocks(key_path, BLOCK_SAMPLES))
            if key_reader.sample_rate != sample_rate:
                raise AudioInputError(
                    f"{str(key_path)!r}: key is at {key_reader.sample_rate} Hz but the input at {sample_rate} Hz: "
                    "resample the key first"
                )
            key = _KeyFeed(key_reader)
            # Headers give exact lengths for WAV, FLAC...: warn before the work; else after counting.
            key_checked = reader.info.format in EXACT_FRAMES and key_reader.info.format in EXACT_FRAMES
            if key_checked:
                _check_key_length(key_reader.info.frames, reader.info.frames)
        writer = stack.enter_context(io.open_writer(
            out_path, sample_rate, channels, like=in_path, overwrite=overwrite,
            inputs=[p for p in (in_path, key_path) if p], frames_hint=reader.info.frames,
        ))  # fmt: skip
        processor.prepare(sample_rate, channels, BLOCK_SAMPLES)
        meter_in = LoudnessMeter(sample_rate, channels)
        meter_out = LoudnessMeter(sample_rate, channels)
        stats = _GainStats()
        skip = processor.latency_samples  # the first output samples are the lookahead delay

        def emit(out: np.ndarray, gain: np.ndarray) -> None:
            nonlocal skip
            if skip:
                cut = min(skip, out.shape[1])
                out, gain = out[:, cut:], gain[:, cut:]
                skip -= cut
            if out.shape[1]:
                stats.update(gain)
                meter_out.update(out)
                writer.write(out)

        frames = 0
        bar = stack.enter_context(progress_bar(f"{cmd} {in_path.name}", reader.info.frames, quiet=quiet))
        bar.phase("processing")
        for block in reader:
            frames += block.shape[1]
            meter_in.update(block)
            emit(*processor.process(block, None if key is None else key.take(block.shape[1]), return_gain=True))
            bar(frames, max(frames, reader.info.frames))
        bar.phase("finishing")
        emit(*processor.flush(return_gain=True))
        if key is not None and not key_checked:
            _check_key_length(key.length(), frames)
    before = meter_in.result()
    after = meter_out.result()
    summary = {
        "command": cmd,
        "input": str(in_path),
        "output": str(out_path),
        "key": None if key_path is None else str(key_path),
        "parameters": {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in processor.parameters.items()},
        "before": _levels(before),
        "after": _levels(after),
        "max_gain_reduction_db": stats.max_reduction_db,
        "mean_gain_reduction_db": stats.mean_reduction_db,
        "max_gain_db": stats.max_gain_db,
        "latency_samples": processor.latency_samples,
    }
    peak = after.sample_peak_dbfs
    if peak is not None and peak > 0.0:
        warn(
            f"warning: output sample peak is {peak:+.2f} dBFS and will clip in integer formats: "
            "lower --makeup-db (or the target), or follow with a limiter"
        )
    if json_output:
        print_json(summary)
    else:
        _print_summary(summary)


def _check_key_length(key_frames: int, frames: int) -> None:
    if key_frames != frames:
        what = "trimmed" if key_frames > frames else "padded with silence"
        warn(f"key is {key_frames} samples, input {frames}: key {what}")


class _KeyFeed:
    """Cut a key file's blocks to the input's block lengths; silence once the key has ended."""

    def __init__(self, reader: Any) -> None:
        self._blocks = iter(reader)
        self.rate = reader.sample_rate
        self.channels = reader.channels
        self._rest: Any = None  # unused end of the last block read
        self.samples_read = 0
        self.ended = False

    def _next(self) -> Any:
        block = None if self.ended else next(self._blocks, None)
        if block is None:
            self.ended = True
        else:
            self.samples_read += block.shape[1]
        return block

    def take(self, n: int) -> Any:
        """The next ``n`` key samples, shape ``(channels, n)``, zero-padded past the end."""
        import numpy as np

        parts, have = [], 0
        while have < n:
            block, self._rest = (self._rest, None) if self._rest is not None else (self._next(), None)
            if block is None:
                parts.append(np.zeros((self.channels, n - have), dtype=np.float32))
                break
            use = min(n - have, block.shape[1])
            parts.append(block[:, :use])
            if use < block.shape[1]:
                self._rest = block[:, use:]
            have += use
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def length(self) -> int:
        """The key's length in samples (reads, without keeping, what is left)."""
        while self._next() is not None:
            pass
        return self.samples_read


class _GainStats:
    """Maximum and mean gain reduction and maximum gain (dB) over a streamed gain trace."""

    def __init__(self) -> None:
        self._max_reduction = 0.0
        self._sum_reduction = 0.0
        self._count = 0
        self._max_gain = 0.0

    def update(self, gain: Any) -> None:
        import numpy as np

        if gain.size == 0:
            return
        reduction = np.maximum(-gain, 0.0)
        self._max_reduction = max(self._max_reduction, float(reduction.max()))
        self._sum_reduction += float(reduction.sum(dtype=np.float64))
        self._count += reduction.size
        self._max_gain = max(self._max_gain, float(gain.max()))

    @property
    def max_reduction_db(self) -> float:
        return self._max_reduction

    @property
    def mean_reduction_db(self) -> float:
        return self._sum_reduction / self._count if self._count else 0.0

    @property
    def max_gain_db(self) -> float:
        return self._max_gain


def _levels(result: Any) -> dict[str, Any]:
    return {
        "integrated_lufs": result.integrated_lufs,
        "loudness_range_lu": result.loudness_range_lu,
        "true_peak_dbtp": result.true_peak_dbtp,
        "sample_peak_dbfs": result.sample_peak_dbfs,
    }


def _print_summary(s: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{s['command']}: {s['input']} -> {s['output']}", title_justify="left", box=None, padding=(0, 2))
    table.add_column("", style="bold")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    b, a = s["before"], s["after"]
    table.add_row("Integrated", fmt(b["integrated_lufs"], "LUFS"), fmt(a["integrated_lufs"], "LUFS"))
    table.add_row("Loudness range", fmt(b["loudness_range_lu"], "LU"), fmt(a["loudness_range_lu"], "LU"))
    table.add_row("True peak", fmt(b["true_peak_dbtp"], "dBTP", 2), fmt(a["true_peak_dbtp"], "dBTP", 2))
    Console().print(table)
    Console().print(
        f"Gain reduction: max {s['max_gain_reduction_db']:.1f} dB, mean {s['mean_gain_reduction_db']:.2f} dB"
        + (f"; max gain {s['max_gain_db']:.1f} dB" if s["max_gain_db"] > 0 else "")
    )


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
