"""Benchmark of mezzo's loudness meter against pyebur128, pyloudnorm and ffmpeg (issue 3, section 7).

Run ``.venv/bin/python benchmarks/run.py --only loudness`` (or this file directly;
``--quick`` for a 2-minute smoke run without the 60-minute memory check).

Every measurement runs in its own fresh Python process, so each peak RSS is that
tool's alone, and all tools are measured in the same run on the same signal.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

NAME = "loudness"
SAMPLE_RATE = 48000
CHANNELS = 2
SEED = 20240603
TOOLS = ("mezzo", "pyebur128", "pyloudnorm", "ffmpeg")
FULL_DURATION_S = 600.0  # the 10-minute track
QUICK_DURATION_S = 120.0
MEMORY_DURATION_S = 3600.0  # the 60-minute file for the memory floor
PYLOUDNORM_EXCERPT_S = 60.0  # pyloudnorm is timed on an excerpt and scaled per sample
SPEED_FLOOR = 4.0  # mezzo full analysis vs pyebur128 I + LRA + TP
RSS_FLOOR_MB = 300.0  # peak RSS analysing the 60-minute file
TOLERANCE = {"integrated_lufs": 0.1, "loudness_range_lu": 0.1, "true_peak_dbtp": 0.2}
FIGURES = ("integrated_lufs", "loudness_range_lu", "momentary_max_lufs", "short_term_max_lufs",
           "sample_peak_dbfs", "true_peak_dbtp")
MEZZO_WHAT = "full analysis: I, LRA, max M, max S, SP, TP"
#: The band-limited reference's true peak against mezzo's (dB): mezzo's kernel is the ideal
#: interpolator tapered from 40 to 160 samples (flat within 0.0023 dB to 0.47 fs), and a
#: peak between two points of a 16x grid can rise by up to 0.042 dB.
REFERENCE_TP_TOLERANCE = 0.05
REFERENCE = "band-limited reference"


# --------------------------------------------------------------------------- child processes
# Each child_* function runs in a fresh interpreter (see _common.run_isolated) and returns JSON.


def _mezzo_figures(result: Any) -> dict[str, float | None]:
    return {name: getattr(result, name) for name in FIGURES}


def child_warm_cache() -> dict[str, Any]:
    """Compile (or load) mezzo's numba kernels into the project cache on one second of audio."""
    from mezzo.meters.loudness import loudness

    start = time.perf_counter()
    loudness(c.music_like(1.0, SAMPLE_RATE, seed=SEED), SAMPLE_RATE)
    return {"seconds": time.perf_counter() - start}


def child_import_baseline() -> dict[str, Any]:
    """Import numpy, numba and mezzo's analysis modules; nothing else (the RSS baseline)."""
    import importlib

    for module in ("numpy", "numba", "mezzo.analysis", "mezzo.io", "mezzo.meters.loudness"):
        importlib.import_module(module)
    return {}


def child_mezzo(duration_s: float, repeats: int, excerpt_s: float) -> dict[str, Any]:
    """mezzo's full analysis of an in-memory signal: cold first call, then warm best of ``repeats``."""
    audio = c.music_like(duration_s, SAMPLE_RATE, seed=SEED)
    start = time.perf_counter()
    from mezzo.meters.loudness import loudness

    import_s = time.perf_counter() - start
    rss_before = c.reset_peak_rss()  # after the import: count what the analysis adds
    start = time.perf_counter()
    result = loudness(audio, SAMPLE_RATE)
    first_call_s = time.perf_counter() - start
    out: dict[str, Any] = {"import_s": import_s, "first_call_s": first_call_s,
                           "cold_s": import_s + first_call_s}
    if repeats > 0:
        warm_s, result = c.best_time(lambda: loudness(audio, SAMPLE_RATE), repeats=repeats)
        out["warm_s"] = warm_s
    out["figures"] = _mezzo_figures(result)
    out["extra_rss_bytes"] = _extra_rss(rss_before)
    n_excerpt = min(audio.shape[1], round(excerpt_s * SAMPLE_RATE))
    out["excerpt_figures"] = _mezzo_figures(loudness(audio[:, :n_excerpt], SAMPLE_RATE))
    return out


def child_mezzo_file(path: str, repeats: int) -> dict[str, Any]:
    """``mezzo.analysis.analyze(path)`` streaming a file: first call, then best of ``repeats``."""
    start = time.perf_counter()
    from mezzo.analysis import analyze

    rss_before = c.reset_peak_rss()  # after the import: count what the analysis adds
    result = analyze(path)
    first_s = time.perf_counter() - start
    out: dict[str, Any] = {"first_call_s": first_s}
    if repeats > 0:
        out["warm_s"], result = c.best_time(lambda: analyze(path), repeats=repeats)
    out["figures"] = _mezzo_figures(result.loudness)
    out["extra_rss_bytes"] = _extra_rss(rss_before)
    return out


def child_pyebur128(duration_s: float, repeats: int) -> dict[str, Any]:
    """pyebur128 (libebur128) integrated + LRA + true peak, interleaving included in the time."""
    import numpy as np
    import pyebur128 as eb

    audio = c.music_like(duration_s, SAMPLE_RATE, seed=SEED)
    rss_before = c.reset_peak_rss()
    mode = eb.MeasurementMode.MODE_I | eb.MeasurementMode.MODE_LRA | eb.MeasurementMode.MODE_TRUE_PEAK

    def measure() -> dict[str, float]:
        state = eb.R128State(CHANNELS, SAMPLE_RATE, mode)
        frames = np.ascontiguousarray(audio.T).reshape(-1)  # libebur128 wants interleaved frames
        state.add_frames(frames, audio.shape[1])  # accepts the whole signal in one call
        peak = max(eb.get_true_peak(state, ch) for ch in range(CHANNELS))
        return {
            "integrated_lufs": eb.get_loudness_global(state),
            "loudness_range_lu": eb.get_loudness_range(state),
            "true_peak_dbtp": 20.0 * math.log10(peak) if peak > 0 else None,
        }

    seconds, figures = c.best_time(measure, repeats=repeats)
    return {"seconds": seconds, "figures": figures, "extra_rss_bytes": _extra_rss(rss_before),
            "version": _version("pyebur128"), "libebur128": eb.get_libebur128_version()}


def child_pyloudnorm(excerpt_s: float, repeats: int) -> dict[str, Any]:
    """pyloudnorm integrated + LRA on the first ``excerpt_s`` seconds (it is slow)."""
    import pyloudnorm

    audio = c.music_like(excerpt_s, SAMPLE_RATE, seed=SEED)  # same samples as the long signal's start
    rss_before = c.reset_peak_rss()

    def measure() -> dict[str, float]:
        meter = pyloudnorm.Meter(SAMPLE_RATE)
        frames = audio.T  # pyloudnorm wants (samples, channels)
        return {"integrated_lufs": float(meter.integrated_loudness(frames)),
                "loudness_range_lu": float(meter.loudness_range(frames))}

    seconds, figures = c.best_time(measure, repeats=repeats)
    return {"seconds": seconds, "samples": audio.shape[1], "figures": figures,
            "extra_rss_bytes": _extra_rss(rss_before),
            "version": _version("pyloudnorm")}


def band_limited_true_peak_dbtp(audio: np.ndarray, *, up: int = 16, block: int = 1 << 17,
                                margin: int = 1 << 15) -> float:
    """True peak (dBTP) of ``audio`` (channels, samples), silent before and after, by exact
    band-limited interpolation: each block of ``block`` samples is zero-padded to ``up`` times
    its length in the frequency domain (the ideal sinc, numpy's FFT; nothing of mezzo's), its
    first and last ``margin`` samples tapered (Tukey) and only its middle kept, so every value
    sees at least ``margin`` samples either side; the kept values run from ``margin`` samples
    before the signal (its ringing before the first sample) to at least ``margin`` after it.
    The reference for mezzo's true peak: a 4x meter with a short filter, as BS.1770's Annex 2
    example, reads low near Nyquist and misses what far samples add."""
    x = np.pad(np.asarray(audio, dtype=np.float64), ((0, 0), (2 * margin, margin + block)))
    hop = block - 2 * margin
    ramp = 0.5 * (1 - np.cos(np.pi * (np.arange(margin) + 0.5) / margin))
    taper = np.concatenate([ramp, np.ones(block - 2 * margin), ramp[::-1]])
    padded = np.zeros((x.shape[0], block * up // 2 + 1), dtype=np.complex128)
    best = 0.0
    for start in range(0, x.shape[1] - block + 1, hop):
        spectrum = np.fft.rfft(x[:, start : start + block] * taper, axis=1)
        padded[:, : spectrum.shape[1]] = spectrum
        padded[:, spectrum.shape[1] - 1] *= 0.5  # the Nyquist bin splits between +fs/2 and -fs/2
        y = np.fft.irfft(padded, block * up, axis=1)[:, margin * up : (block - margin) * up] * up
        best = max(best, float(np.abs(y).max()))
    return 20.0 * math.log10(best) if best > 0 else float("-inf")


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


def _extra_rss(rss_before: int | None) -> int | None:
    peak = c.peak_rss_since_reset()
    return None if rss_before is None or peak is None else max(0, peak - rss_before)


def _ffmpeg(path: str, repeats: int) -> dict[str, Any]:
    """ffmpeg's ebur128 filter (I, LRA, true peak) on the file; best of ``repeats``, peak RSS."""
    exe = shutil.which("ffmpeg")
    assert exe is not None
    args = [exe, "-nostats", "-hide_banner", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-"]
    best = None
    for _ in range(max(1, repeats)):
        run = c.run_command(args, timeout_s=600)
        if run.returncode != 0:
            raise RuntimeError(f"ffmpeg failed (exit {run.returncode}): {run.stderr.strip()[-300:]}")
        if best is None or run.wall_s < best.wall_s:
            best = run
    assert best is not None
    summary = best.stderr[best.stderr.rfind("Summary:"):]

    def grab(pattern: str) -> float | None:
        found = re.findall(pattern, summary)
        return float(found[-1]) if found else None

    return {"seconds": best.wall_s, "peak_rss_bytes": best.peak_rss_bytes, "figures": {
        "integrated_lufs": grab(r"I:\s+(-?[\d.]+) LUFS"),
        "loudness_range_lu": grab(r"LRA:\s+(-?[\d.]+) LU\b"),
        "true_peak_dbtp": grab(r"Peak:\s+(-?[\d.]+|-inf) dBFS"),
    }}


# --------------------------------------------------------------------------- the run


def _row(tool: str, what: str, seconds: float | None, samples: int, duration_s: float,
         peak_rss_bytes: int | None, extra_rss_bytes: int | None, reference: str | None,
         note: str = "") -> dict[str, Any]:
    return {
        "tool": tool, "what": what, "seconds": seconds,
        "ns_per_sample_per_channel": None if seconds is None else c.ns_per_sample(seconds, samples, CHANNELS),
        "x_realtime": None if seconds is None else c.realtime_factor(seconds, duration_s),
        "peak_rss_mb": c.mb(peak_rss_bytes), "extra_rss_mb": c.mb(extra_rss_bytes),
        "reference": reference, "note": note,
    }


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(*, quick: bool = False, tools: Sequence[str] = TOOLS, duration_s: float | None = None,
        memory_check: bool | None = None, compile_check: bool | None = None, repeats: int = 3,
        out_path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Measure, print the tables and write the JSON; return the report dict.

    Parameters
    ----------
    quick : bool
        2-minute signal, no 60-minute memory check, no compile-from-scratch row.
    tools : sequence of str
        Subset of ``TOOLS``; tools that are not installed are reported as such.
    duration_s : float, optional
        Length of the test signal in seconds (default 600, or 120 with ``quick``).
    memory_check, compile_check : bool, optional
        Force the 60-minute file check / the numba-compile row on or off.
    repeats : int, >= 1
        Warm runs per measurement (the best counts).
    out_path : path, optional
        Where the JSON goes (default ``benchmarks/out/loudness.json``).
    """
    unknown = set(tools) - set(TOOLS)
    if unknown:
        raise ValueError(f"tools={sorted(unknown)!r} are unknown: choose from {', '.join(TOOLS)}")
    duration = float(duration_s or (QUICK_DURATION_S if quick else FULL_DURATION_S))
    memory_check = (not quick) if memory_check is None else memory_check
    compile_check = (not quick) if compile_check is None else compile_check
    samples = round(duration * SAMPLE_RATE)
    excerpt = min(PYLOUDNORM_EXCERPT_S, duration)
    minutes = f"{duration / 60:g} min" if duration >= 60 else f"{duration:g} s"
    rows: list[dict[str, Any]] = []
    figures: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}

    _log(f"[loudness] signal: {minutes} stereo {SAMPLE_RATE} Hz music-like, seed {SEED}")
    with tempfile.TemporaryDirectory(prefix="mezzo-bench-") as tmp:
        wav = os.path.join(tmp, "music.wav")
        need_file = "mezzo" in tools or "ffmpeg" in tools
        if need_file:
            c.write_music_wav(wav, duration, SAMPLE_RATE, seed=SEED, subtype="PCM_16")

        if "mezzo" in tools:
            _log("[loudness] mezzo: filling the numba cache, then cold/warm in memory")
            c.run_isolated("bench_loudness", "child_warm_cache")
            run_m = c.run_isolated("bench_loudness", "child_mezzo",
                                   {"duration_s": duration, "repeats": repeats, "excerpt_s": excerpt})
            m = run_m.result
            rows.append(_row("mezzo", f"{MEZZO_WHAT}; in memory, warm (best of {repeats})",
                             m["warm_s"], samples, duration, run_m.peak_rss_bytes,
                             m["extra_rss_bytes"], "memory"))
            rows.append(_row("mezzo", "same, cold: import + first call (numba cache load)",
                             m["cold_s"], samples, duration, None, None, "memory"))
            figures["mezzo"] = m["figures"]
            figures["mezzo (excerpt)"] = m["excerpt_figures"]
            _log("[loudness] band-limited reference: true peak by FFT interpolation (16x)")
            figures[REFERENCE] = {"true_peak_dbtp": band_limited_true_peak_dbtp(
                c.music_like(duration, SAMPLE_RATE, seed=SEED))}
            if compile_check:
                _log("[loudness] mezzo: first call with an empty numba cache (compile)")
                with tempfile.TemporaryDirectory(prefix="mezzo-numba-") as cache:
                    run_cc = c.run_isolated("bench_loudness", "child_mezzo",
                                            {"duration_s": duration, "repeats": 0, "excerpt_s": 0.5},
                                            env={**os.environ, "NUMBA_CACHE_DIR": cache})
                rows.append(_row("mezzo", "same, cold: import + first call (numba compiles, empty cache)",
                                 run_cc.result["cold_s"], samples, duration, None, None, "memory"))
            _log("[loudness] mezzo: analyze(file)")
            run_f = c.run_isolated("bench_loudness", "child_mezzo_file", {"path": wav, "repeats": repeats})
            f = run_f.result
            rows.append(_row("mezzo", f"analyze(file): 16-bit WAV streamed from disk, warm (best of {repeats})",
                             f["warm_s"], samples, duration, run_f.peak_rss_bytes, f["extra_rss_bytes"],
                             "file"))
            figures["mezzo (file)"] = f["figures"]
            cli = Path(sys.executable).with_name("mezzo")
            if cli.exists():
                # --loudness-only: what ffmpeg's ebur128 measures (the default adds the dynamics map and tempo)
                run_cli = c.run_command([str(cli), "analyze", wav, "--json", "--quiet", "--loudness-only"],
                                        timeout_s=600)
                if run_cli.returncode == 0:
                    rows.append(_row("mezzo CLI", "`mezzo analyze FILE --json --loudness-only`: process start included",
                                     run_cli.wall_s, samples, duration, run_cli.peak_rss_bytes, None,
                                     "file"))
                else:
                    skipped["mezzo CLI"] = f"failed (exit {run_cli.returncode})"

        if "pyebur128" in tools:
            if _installed("pyebur128"):
                _log("[loudness] pyebur128: I + LRA + TP")
                reps = min(repeats, 2)
                run_e = c.run_isolated("bench_loudness", "child_pyebur128",
                                       {"duration_s": duration, "repeats": reps})
                e = run_e.result
                rows.append(_row("pyebur128", f"I + LRA + TP; in memory, interleaving included (best of {reps})",
                                 e["seconds"], samples, duration, run_e.peak_rss_bytes,
                                 e["extra_rss_bytes"], "memory",
                                 note=f"pyebur128 {e['version']}, libebur128 {e['libebur128']}"))
                figures["pyebur128"] = e["figures"]
            else:
                skipped["pyebur128"] = "not installed"

        if "pyloudnorm" in tools:
            if _installed("pyloudnorm"):
                _log(f"[loudness] pyloudnorm: I + LRA on a {excerpt:g} s excerpt")
                run_p = c.run_isolated("bench_loudness", "child_pyloudnorm",
                                       {"excerpt_s": excerpt, "repeats": 1})
                p = run_p.result
                scaled = p["seconds"] * samples / p["samples"]
                scaled_note = f"timed on a {excerpt:g} s excerpt, scaled per sample" if excerpt < duration else ""
                rows.append(_row("pyloudnorm", "I + LRA; in memory" + (f" ({scaled_note})" if scaled_note else ""),
                                 scaled, samples, duration, run_p.peak_rss_bytes,
                                 p["extra_rss_bytes"], "memory",
                                 note=f"RSS for the {excerpt:g} s excerpt" if scaled_note else ""))
                figures["pyloudnorm (excerpt)"] = p["figures"]
            else:
                skipped["pyloudnorm"] = "not installed"

        if "ffmpeg" in tools:
            if shutil.which("ffmpeg"):
                _log("[loudness] ffmpeg: ebur128=peak=true")
                reps = min(repeats, 2)
                ff = _ffmpeg(wav, reps)
                rows.append(_row("ffmpeg", f"`-af ebur128=peak=true` on the 16-bit WAV (best of {reps})",
                                 ff["seconds"], samples, duration, ff["peak_rss_bytes"], None, "file"))
                figures["ffmpeg"] = ff["figures"]
            else:
                skipped["ffmpeg"] = "not installed"

    memory: dict[str, Any] | None = None
    if memory_check and "mezzo" in tools:
        memory = _memory_check()
        rows.extend(memory["rows"])

    _add_ratios(rows)
    agreement = _agreement(figures)
    floors = _floors(rows, memory, memory_check, tools)
    report = {
        "benchmark": NAME,
        "command": "make bench  # or: .venv/bin/python benchmarks/run.py --only loudness",
        "config": {"duration_s": duration, "sample_rate": SAMPLE_RATE, "channels": CHANNELS,
                   "seed": SEED, "quick": quick, "repeats": repeats, "tools": list(tools),
                   "pyloudnorm_excerpt_s": excerpt},
        "machine": c.machine_info(),
        "rows": rows, "skipped": skipped, "figures": figures, "agreement": agreement,
        "floors": floors,
    }
    print(_render(report, minutes), flush=True)
    target = c.write_json(out_path or c.OUT_DIR / "loudness.json", report)
    print(f"\nfigures written to {target}", flush=True)
    return report


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _memory_check() -> dict[str, Any]:
    """Peak RSS of ``analyze(path)`` on a 60-minute stereo 48 kHz 16-bit WAV, and the import baseline."""
    duration = MEMORY_DURATION_S
    samples = round(duration * SAMPLE_RATE)
    with tempfile.TemporaryDirectory(prefix="mezzo-bench-60min-") as tmp:
        wav = os.path.join(tmp, "music-60min.wav")
        _log("[loudness] writing the 60-minute 16-bit WAV for the memory check")
        start = time.perf_counter()
        size = c.write_music_wav(wav, duration, SAMPLE_RATE, seed=SEED, subtype="PCM_16")
        _log(f"[loudness]   {size / 1e6:.0f} MB in {time.perf_counter() - start:.1f} s; "
             "measuring import baseline and analyze(path)")
        base = c.run_isolated("bench_loudness", "child_import_baseline")
        run_f = c.run_isolated("bench_loudness", "child_mezzo_file", {"path": wav, "repeats": 0})
    rows = [
        _row("mezzo", "baseline: import numpy + numba + mezzo (no audio)", None, samples, duration,
             base.peak_rss_bytes, None, None),
        _row("mezzo", f"analyze(file): 60-min 16-bit WAV ({size / 1e6:.0f} MB) from disk, first call",
             run_f.result["first_call_s"], samples, duration, run_f.peak_rss_bytes,
             run_f.result["extra_rss_bytes"], "file"),
    ]
    return {"rows": rows, "file_mb": size / 1e6, "baseline_rss_mb": c.mb(base.peak_rss_bytes),
            "analyze_peak_rss_mb": c.mb(run_f.peak_rss_bytes), "figures": run_f.result["figures"]}


def _add_ratios(rows: list[dict[str, Any]]) -> None:
    """ratio = time / mezzo's time for the same kind of input (memory: warm; file: analyze warm)."""
    refs = {}
    for row in rows:
        if row["tool"] == "mezzo" and row["what"].startswith(MEZZO_WHAT):
            refs["memory"] = row["ns_per_sample_per_channel"]
        if row["tool"] == "mezzo" and row["what"].startswith("analyze(file): 16-bit"):
            refs["file"] = row["ns_per_sample_per_channel"]
    for row in rows:
        ref = refs.get(row["reference"]) if row["reference"] else None
        value = row["ns_per_sample_per_channel"]
        row["ratio_vs_mezzo"] = None if ref is None or value is None else value / ref


def _agreement(figures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Differences between each tool's figures and mezzo's on the same input."""
    pairs = (("pyebur128", "mezzo", 0.0), ("ffmpeg", "mezzo (file)", 0.05),  # ffmpeg prints 0.1 steps
             ("pyloudnorm (excerpt)", "mezzo (excerpt)", 0.0), (REFERENCE, "mezzo", 0.0))
    out = []
    for tool, ref, rounding in pairs:
        if tool not in figures or ref not in figures:
            continue
        tolerances = {"true_peak_dbtp": REFERENCE_TP_TOLERANCE} if tool == REFERENCE else TOLERANCE
        for name, tol in tolerances.items():
            theirs, ours = figures[tool].get(name), figures[ref].get(name)
            if theirs is None or ours is None:
                continue
            diff = theirs - ours
            out.append({"tool": tool, "figure": name, "mezzo": ours, "tool_value": theirs,
                        "difference": diff, "tolerance": tol + rounding,
                        "within": abs(diff) <= tol + rounding})
    return out


def _floors(rows: list[dict[str, Any]], memory: dict[str, Any] | None, memory_check: bool,
            tools: Sequence[str]) -> list[dict[str, Any]]:
    mezzo = next((r for r in rows if r["tool"] == "mezzo" and r["what"].startswith(MEZZO_WHAT)), None)
    ebu = next((r for r in rows if r["tool"] == "pyebur128"), None)
    floors = []
    speed = {"name": f"full analysis >= {SPEED_FLOOR:g}x faster than pyebur128 (I + LRA + TP), same run"}
    if mezzo and ebu:
        ratio = ebu["seconds"] / mezzo["seconds"]
        speed.update(value=ratio, status="PASS" if ratio >= SPEED_FLOOR else "FAIL",
                     detail=f"{ratio:.1f}x ({ebu['seconds']:.3f} s vs {mezzo['seconds']:.3f} s, warm)")
    else:
        speed.update(value=None, status="SKIPPED", detail="needs both mezzo and pyebur128")
    floors.append(speed)
    rss = {"name": f"peak RSS < {RSS_FLOOR_MB:g} MB analysing a 60-min stereo 48 kHz WAV from disk"}
    if memory is not None:
        peak = memory["analyze_peak_rss_mb"]
        rss.update(value=peak, status="PASS" if peak < RSS_FLOOR_MB else "FAIL",
                   detail=f"{peak:.0f} MB (import baseline {memory['baseline_rss_mb']:.0f} MB)")
    else:
        why = "not run (--quick or --no-memory-check)" if not memory_check else "needs mezzo"
        rss.update(value=None, status="SKIPPED", detail=why)
    floors.append(rss)
    return floors


def _render(report: dict[str, Any], minutes: str) -> str:
    headers = ("tool", "what", "time (s)", "ns/sample/ch", "x realtime", "peak RSS (MB)",
               "+RSS in run (MB)", "ratio vs mezzo")
    table = []
    for r in report["rows"]:
        ratio = "-" if r["ratio_vs_mezzo"] is None else c.fmt_ratio(r["ratio_vs_mezzo"], 1.0)
        what = r["what"] + (f" [{r['note']}]" if r["note"] else "")
        table.append((r["tool"], what, c.fmt_num(r["seconds"], 3), c.fmt_num(r["ns_per_sample_per_channel"], 1),
                      c.fmt_num(r["x_realtime"], 0), c.fmt_num(r["peak_rss_mb"], 0),
                      c.fmt_num(r["extra_rss_mb"], 0), ratio))
    for tool, why in report["skipped"].items():
        table.append((tool, why, "-", "-", "-", "-", "-", "-"))
    cfg = report["config"]
    lines = [
        f"## loudness: {minutes} stereo {cfg['sample_rate']} Hz music-like signal "
        f"({report['machine']['cpu_count']} CPUs, numba {report['machine'].get('numba', '?')})",
        "",
        c.render_table(headers, table),
        "",
        "ratio vs mezzo = time / mezzo's time on the same kind of input (in memory: warm full "
        "analysis; from a file: warm analyze(file)); above 1 means slower than mezzo.",
        "peak RSS = the whole measuring process (fresh interpreter, signal held in memory); "
        "+RSS in run = peak added while measuring, over the RSS once the input was ready.",
    ]
    if report["agreement"]:
        rows = [(a["tool"], a["figure"], f"{a['mezzo']:.3f}", f"{a['tool_value']:.3f}",
                 f"{a['difference']:+.3f}", f"±{a['tolerance']:.2f}", "ok" if a["within"] else "CHECK")
                for a in report["agreement"]]
        lines += ["", "### agreement with mezzo (same input)", "",
                  c.render_table(("tool", "figure", "mezzo", "tool", "difference", "tolerance", ""), rows)]
    lines += ["", "### floors", ""]
    lines += [f"{f['status']}: {f['name']}: {f['detail']}" for f in report["floors"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, quick: bool | None = None,
         tools: Sequence[str] | None = None, duration_s: float | None = None,
         memory_check: bool | None = None, out_path: str | os.PathLike[str] | None = None) -> int:
    """Command-line entry point; keyword arguments override the parsed ``argv``.

    Returns 0 when every floor passes or is skipped, 1 when one fails.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2-minute signal, no 60-minute memory check")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    parser.add_argument("--duration-s", type=float, default=None, help="signal length in seconds")
    parser.add_argument("--no-memory-check", action="store_true", help="skip the 60-minute file")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per measurement (best counts)")
    parser.add_argument("--out", default=None, help="JSON output path (default benchmarks/out/loudness.json)")
    overridden = any(v is not None for v in (quick, tools, duration_s, memory_check, out_path))
    args = parser.parse_args(argv if argv is not None else ([] if overridden else sys.argv[1:]))
    report = run(
        quick=args.quick if quick is None else quick,
        tools=tuple(t.strip() for t in args.tools.split(",") if t.strip()) if tools is None else tuple(tools),
        duration_s=args.duration_s if duration_s is None else duration_s,
        memory_check=(False if args.no_memory_check else None) if memory_check is None else memory_check,
        repeats=max(1, args.repeats),
        out_path=args.out if out_path is None else out_path,
    )
    return 1 if any(f["status"] == "FAIL" for f in report["floors"]) else 0


if __name__ == "__main__":
    sys.exit(main())
