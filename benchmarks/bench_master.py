"""Benchmark of the whole ``mezzo master`` job against ffmpeg ``loudnorm`` (issue 5, section 5).

Run ``.venv/bin/python benchmarks/run.py --only master`` (or this file; ``--quick`` for a
2-minute signal). The job is the command-line job end to end, each tool in its own fresh
process (wall time and peak RSS of that process): read a 16-bit stereo 48 kHz WAV,
measure, normalise to -14 LUFS / -1 dBTP, write a 16-bit WAV.

- ``mezzo master IN -o OUT --preset spotify`` streams: pass 1 measures, pass 2 processes,
  dithers, writes and measures what it writes (two passes when the result lands; a pass
  more per correction), in 128k-sample blocks: memory does not grow with the length.
- ``ffmpeg loudnorm`` two-pass as users run it: pass 1 ``print_format=json`` to measure,
  pass 2 with ``measured_*`` values and ``linear=true`` (loudnorm falls back to its dynamic
  mode when a linear gain would pass the ceiling).
- ``ffmpeg-normalize`` (a Python wrapper that runs the same two loudnorm passes) when installed.

Every output is measured with mezzo's meter (integrated, true peak) and an independent
16x interpolation, so each tool's overshoot of the ceiling is in the same table. A
second signal that needs limiting (-9 LUFS target) is timed too, for the record.
Floors: mezzo at least 5x faster than ffmpeg loudnorm on the -14 LUFS job, and the
peak RSS of mezzo on the full-length file within 1.5x of the quick-length one + 50 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

NAME = "master"
SAMPLE_RATE = 48000
SEED = 20240605
FULL_DURATION_S = 600.0
QUICK_DURATION_S = 120.0
MEMORY_SHORT_S = 60.0
SPEED_FLOOR = 5.0
TARGET_LUFS, CEILING_DBTP = -14.0, -1.0
LOUD_TARGET_LUFS = -9.0


def _mezzo_cmd(src: str, dst: str, target: float) -> list[str]:
    code = "import sys; from mezzo.cli import app, master_cmd; " \
           "names = {c.name for c in app.app.registered_commands}; " \
           "'master' in names or master_cmd.register(app.app); app.main(sys.argv[1:])"
    return [sys.executable, "-c", code, "master", src, "-o", dst, "--target-lufs", str(target),
            "--ceiling-dbtp", str(CEILING_DBTP), "--bit-depth", "16", "--overwrite", "--json"]


def _loudnorm(src: str, dst: str, target: float) -> tuple[float, int, dict[str, Any]]:
    """Two-pass loudnorm; returns (wall s, peak RSS of the larger pass, pass-1 figures)."""
    af = f"loudnorm=I={target}:TP={CEILING_DBTP}:LRA=11"
    p1 = c.run_command(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", src,
                        "-af", af + ":print_format=json", "-f", "null", "-"])
    m = json.loads(re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", p1.stderr, re.S).group(0))
    second = (f"{af}:measured_I={m['input_i']}:measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}"
              f":measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true")
    p2 = c.run_command(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-y", "-i", src, "-af", second,
                        "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", dst])
    if p2.returncode:
        raise RuntimeError(p2.stderr[-500:])
    return p1.wall_s + p2.wall_s, max(p1.peak_rss_bytes, p2.peak_rss_bytes), m


def child_measure(path: str) -> dict[str, Any]:
    """Integrated loudness, true peak and a 16x true peak of a written file (excerpt-free)."""
    import numpy as np
    from scipy.signal import resample_poly

    from mezzo import io
    from mezzo.meters.loudness import LoudnessMeter

    info = io.info(path)
    meter = LoudnessMeter(info.sample_rate, info.channels)
    peak16 = 0.0
    with io.blocks(path, 1 << 18, overlap_samples=64, dtype="float64") as reader:
        for block in reader:
            meter.update(block[:, 64:] if meter.samples_seen else block)
            # the 16x check only where a peak could reach the ceiling (samples within 2 dB of it)
            if np.abs(block).max() >= 10 ** ((CEILING_DBTP - 2.0) / 20):
                y = resample_poly(block, 16, 1, axis=1, window=("kaiser", 12.0))
                peak16 = max(peak16, float(np.abs(y[:, 16 * 32:-16 * 32]).max()) if y.shape[1] > 1024 else 0.0)
    r = meter.result()
    return {"integrated_lufs": r.integrated_lufs, "true_peak_dbtp": r.true_peak_dbtp,
            "tp16_dbtp": 20 * np.log10(max(peak16, 1e-12)), "lra_lu": r.loudness_range_lu}


def child_mezzo(src: str, dst: str, target: float) -> dict[str, Any]:
    """The CLI job in this (fresh) process; peak RSS measured from a reset after startup.

    ``ru_maxrss`` of a child started from a large parent includes the parent's pages
    copied at fork, so the child resets its own high-water mark (Linux clear_refs) and
    reports ``VmHWM``; wall time includes the interpreter start-up and imports.
    """
    import contextlib
    import io as _io
    import time

    start = time.perf_counter()
    c.reset_peak_rss()
    from mezzo.cli import app, master_cmd

    if "master" not in {cmd.name for cmd in app.app.registered_commands}:
        master_cmd.register(app.app)
    buf = _io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        app.main(_mezzo_cmd(src, dst, target)[3:])
    return {"report": json.loads(buf.getvalue()), "rss": c.peak_rss_since_reset(),
            "job_s": time.perf_counter() - start}


def _run_mezzo(src: str, dst: str, target: float) -> tuple[float, int, dict[str, Any]]:
    run = c.run_isolated("bench_master", "child_mezzo", {"src": src, "dst": dst, "target": target})
    return run.wall_s, run.result["rss"], run.result["report"]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when the floors hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2-minute signal instead of 10 minutes")
    parser.add_argument("--loud", action="store_true", help="also time the -9 LUFS job on the full signal")
    args = parser.parse_args(argv)
    duration = QUICK_DURATION_S if args.quick else FULL_DURATION_S
    have_ffmpeg = shutil.which("ffmpeg") is not None
    have_ffn = shutil.which("ffmpeg-normalize") is not None
    rows, results, ok = [], {"machine": c.machine_info(), "duration_s": duration}, True
    with tempfile.TemporaryDirectory(prefix="bench_master_") as tmp:
        src = os.path.join(tmp, "in.wav")
        c.write_music_wav(src, duration, SAMPLE_RATE, seed=SEED)
        short = os.path.join(tmp, "short.wav")
        c.write_music_wav(short, MEMORY_SHORT_S, SAMPLE_RATE, seed=SEED)
        _run_mezzo(short, os.path.join(tmp, "warm.wav"), TARGET_LUFS)  # numba cache warm-up
        for target in (TARGET_LUFS, LOUD_TARGET_LUFS) if args.quick or args.loud else (TARGET_LUFS,):
            tools: dict[str, tuple[float, int, str]] = {}
            out = os.path.join(tmp, f"mezzo{target}.wav")
            wall, rss, report = _run_mezzo(src, out, target)
            tools["mezzo master"] = (wall, rss, out)
            results[f"mezzo_{target}"] = {"wall_s": wall, "peak_rss_bytes": rss, "mode": report["mode"],
                                          "renders": report["renders"]}
            if have_ffmpeg:
                out = os.path.join(tmp, f"loudnorm{target}.wav")
                wall, rss, _ = _loudnorm(src, out, target)
                tools["ffmpeg loudnorm (2 pass)"] = (wall, rss, out)
            if have_ffn:
                out = os.path.join(tmp, f"ffn{target}.wav")
                run = c.run_command(["ffmpeg-normalize", src, "-o", out, "-t", str(target), "-tp",
                                     str(CEILING_DBTP), "-c:a", "pcm_s16le", "-f"])
                tools["ffmpeg-normalize"] = (run.wall_s, run.peak_rss_bytes, out)
            ref = tools["mezzo master"][0]
            for name, (wall, rss, path) in tools.items():
                m = c.run_isolated("bench_master", "child_measure", {"path": path}).result
                over = max(0.0, m["true_peak_dbtp"] - CEILING_DBTP)
                rows.append((f"{target:g}", name, c.fmt_num(wall), c.fmt_ratio(wall, ref),
                             f"{c.mb(rss):.0f}", c.fmt_num(m["integrated_lufs"]), c.fmt_num(m["lra_lu"], 1),
                             c.fmt_num(m["true_peak_dbtp"]), c.fmt_num(m["tp16_dbtp"]), c.fmt_num(over, 3)))
                results[f"{name}@{target}"] = {"wall_s": wall, "peak_rss_bytes": rss, **m}
            if target == TARGET_LUFS and "ffmpeg loudnorm (2 pass)" in tools:
                speedup = tools["ffmpeg loudnorm (2 pass)"][0] / ref
                results["speedup_vs_loudnorm"] = speedup
                ok &= speedup >= SPEED_FLOOR
        # memory: same job on 1 minute vs the full file
        _, rss_short, _ = _run_mezzo(short, os.path.join(tmp, "short_out.wav"), TARGET_LUFS)
        rss_long = results[f"mezzo_{TARGET_LUFS}"]["peak_rss_bytes"]
        results["rss_short_bytes"], results["rss_long_bytes"] = rss_short, rss_long
        flat = rss_long <= 1.5 * rss_short + 50e6
        ok &= flat
    print(f"{duration / 60:g}-minute stereo 48 kHz 16-bit WAV -> 16-bit WAV, ceiling {CEILING_DBTP:g} dBTP "
          f"(time and RSS per tool process; 'x mezzo' = its time / mezzo's)\n")
    print(c.render_table(("target LUFS", "tool", "wall (s)", "x mezzo", "peak RSS (MB)", "output I (LUFS)",
                          "LRA (LU)", "TP (dBTP)", "16x TP (dBTP)", "TP over ceiling (dB)"), rows))
    if "speedup_vs_loudnorm" in results:
        print(f"\nmezzo master vs ffmpeg loudnorm at -14 LUFS: {results['speedup_vs_loudnorm']:.1f}x faster "
              f"(floor {SPEED_FLOOR:g}x)")
    else:
        print("\nffmpeg not installed: no comparison")
    if not have_ffn:
        print("ffmpeg-normalize not installed: skipped")
    print(f"peak RSS of mezzo master: {c.mb(results['rss_short_bytes']):.0f} MB on {MEMORY_SHORT_S:g} s, "
          f"{c.mb(results['rss_long_bytes']):.0f} MB on {duration:g} s ({'flat' if flat else 'NOT flat'})")
    c.write_json(c.OUT_DIR / "master.json", results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
