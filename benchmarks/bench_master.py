"""Benchmark of the whole ``mezzo master`` job against ffmpeg ``loudnorm`` (issue 5, section 5).

Run ``.venv/bin/python benchmarks/run.py --only master`` (or this file; ``--quick`` for a
2-minute signal). The job is the command-line job end to end, each tool in its own fresh
process (wall time and peak RSS of that process): read a 16-bit stereo 48 kHz WAV,
measure, normalise to -14 LUFS / -1 dBTP, write a 16-bit WAV.

- ``mezzo master IN -o OUT --preset spotify`` streams: pass 1 measures (and records what the
  model of the limiter needs, so that the first render lands), pass 2 processes, dithers,
  writes and measures what it writes (a pass more per correction), in 128k-sample blocks,
  reading, limiting and the rest in three threads: memory is the blocks plus the model's record
  of 8 bytes per ms of input (4.8 MB for 10 minutes; none past 70 minutes).
- ``ffmpeg loudnorm`` two-pass as users run it: pass 1 ``print_format=json`` to measure,
  pass 2 with ``measured_*`` values and ``linear=true`` (loudnorm falls back to its dynamic
  mode when a linear gain would pass the ceiling).
- ``ffmpeg-normalize`` (a Python wrapper that runs the same two loudnorm passes) when installed.

Inputs (10 minutes, stereo, 48 kHz; ``--quick``: 2 minutes):

- **wav16**: the music-like signal as a 16-bit WAV (about -12 LUFS, true peak -0.2 dBTP),
  to -14 LUFS: pure gain;
- **float mix** (issue 13): the same music at -21 LUFS with a sparse accent (a 3 ms noise
  burst every 2 s) whose true peak is 0 dBTP, written as a 32-bit float WAV, to -14 LUFS:
  +7 dB of gain puts the accents 8 dB over the ceiling, so it needs up to 8 dB of limiting;
- **heavy**: the float mix to -8 LUFS: heavy limiting of the whole mix (the loop's hardest
  case for the gain search).

Every output is measured with mezzo's meter (integrated, true peak) and an independent
16x interpolation (a Kaiser-windowed sinc with 64 samples each side), so each tool's
overshoot of the ceiling is in the same table; the report's number of renders (limiter
passes) is printed. Floors: mezzo at least 5x faster than ffmpeg loudnorm on the
float mix and on the heavy case (whole processes, start-up included), and the peak RSS of mezzo on the
full-length file within 1.5x of the 1-minute one + 50 MB.
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
HEAVY_TARGET_LUFS = -8.0
#: the float mix: its loudness and the true peak of its accents
MIX_LUFS, ACCENT_DBTP, ACCENT_EVERY_S, ACCENT_MS = -21.0, 0.0, 2.0, 3.0


def write_float_mix(path: str, duration_s: float) -> None:
    """The music at ``MIX_LUFS`` with accents at ``ACCENT_DBTP``, as a 32-bit float WAV (two
    streamed passes: measure, then scale and write)."""
    import numpy as np
    import soundfile as sf

    from mezzo.meters.loudness import LoudnessMeter

    meter = LoudnessMeter(SAMPLE_RATE, 2)
    for block in c.music_like_chunks(duration_s, SAMPLE_RATE, seed=SEED):
        meter.update(block)
    gain = 10.0 ** ((MIX_LUFS - meter.result().integrated_lufs) / 20.0)
    rng = np.random.default_rng(SEED)
    burst_n = round(ACCENT_MS * 1e-3 * SAMPLE_RATE)
    burst = rng.standard_normal((2, burst_n)) * np.exp(-np.arange(burst_n) / (burst_n / 4))
    burst *= 10.0 ** (ACCENT_DBTP / 20.0) / np.abs(burst).max() / 1.12  # its true peak is ~1.12x its samples
    every = round(ACCENT_EVERY_S * SAMPLE_RATE)
    pos = 0
    with sf.SoundFile(path, "w", samplerate=SAMPLE_RATE, channels=2, subtype="FLOAT", format="WAV") as f:
        for block in c.music_like_chunks(duration_s, SAMPLE_RATE, seed=SEED):
            y = block.astype(np.float64) * gain
            first = -(-pos // every) * every
            for start in range(first, pos + y.shape[1], every):
                off = start - pos
                take = min(burst_n, y.shape[1] - off)
                y[:, off : off + take] += burst[:, :take]
            f.write(y.T.astype(np.float32))
            pos += y.shape[1]


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
    """Integrated loudness, true peak and a long 16x true peak of a written file (excerpt-free)."""
    import numpy as np
    from scipy.signal import firwin, resample_poly

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
                y = resample_poly(block, 16, 1, axis=1, window=firwin(16 * 128 + 1, 1.0 / 16, window=("kaiser", 5.0)))
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
    parser.add_argument("--no-wav16", action="store_true", help="skip the pure-gain 16-bit WAV case")
    args = parser.parse_args(argv)
    duration = QUICK_DURATION_S if args.quick else FULL_DURATION_S
    have_ffmpeg = shutil.which("ffmpeg") is not None
    have_ffn = shutil.which("ffmpeg-normalize") is not None
    rows, results, ok = [], {"machine": c.machine_info(), "duration_s": duration}, True
    with tempfile.TemporaryDirectory(prefix="bench_master_") as tmp:
        wav16 = os.path.join(tmp, "in.wav")
        c.write_music_wav(wav16, duration, SAMPLE_RATE, seed=SEED)
        mix = os.path.join(tmp, "mix.wav")
        write_float_mix(mix, duration)
        short = os.path.join(tmp, "short.wav")
        c.write_music_wav(short, MEMORY_SHORT_S, SAMPLE_RATE, seed=SEED)
        _run_mezzo(short, os.path.join(tmp, "warm.wav"), TARGET_LUFS)  # numba cache warm-up
        cases = [] if args.no_wav16 else [("wav16", wav16, TARGET_LUFS)]
        cases += [("float mix", mix, TARGET_LUFS), ("heavy", mix, HEAVY_TARGET_LUFS)]
        for label, src, target in cases:
            tools: dict[str, tuple[float, int, str]] = {}
            out = os.path.join(tmp, f"mezzo_{label}.wav")
            wall, rss, report = _run_mezzo(src, out, target)
            tools["mezzo master"] = (wall, rss, out)
            results[f"mezzo {label}"] = {"wall_s": wall, "peak_rss_bytes": rss, "mode": report["mode"],
                                         "renders": report["renders"],
                                         "max_gain_reduction_db": report["max_gain_reduction_db"]}
            if have_ffmpeg:
                out = os.path.join(tmp, f"loudnorm_{label}.wav")
                wall, rss, _ = _loudnorm(src, out, target)
                tools["ffmpeg loudnorm (2 pass)"] = (wall, rss, out)
            if have_ffn:
                out = os.path.join(tmp, f"ffn_{label}.wav")
                run = c.run_command(["ffmpeg-normalize", src, "-o", out, "-t", str(target), "-tp",
                                     str(CEILING_DBTP), "-c:a", "pcm_s16le", "-f"])
                tools["ffmpeg-normalize"] = (run.wall_s, run.peak_rss_bytes, out)
            ref = tools["mezzo master"][0]
            for name, (wall, rss, path) in tools.items():
                m = c.run_isolated("bench_master", "child_measure", {"path": path}).result
                over = max(0.0, m["true_peak_dbtp"] - CEILING_DBTP)
                renders = str(report["renders"]) if name == "mezzo master" else "-"
                rows.append((label, f"{target:g}", name, c.fmt_num(wall), c.fmt_ratio(wall, ref), renders,
                             f"{c.mb(rss):.0f}", c.fmt_num(m["integrated_lufs"]), c.fmt_num(m["lra_lu"], 1),
                             c.fmt_num(m["true_peak_dbtp"]), c.fmt_num(m["tp16_dbtp"]), c.fmt_num(over, 3)))
                results[f"{name} {label}"] = {"wall_s": wall, "peak_rss_bytes": rss, **m}
            if "ffmpeg loudnorm (2 pass)" in tools:
                speedup = tools["ffmpeg loudnorm (2 pass)"][0] / ref
                results[f"speedup_vs_loudnorm {label}"] = speedup
                if label == "float mix":
                    results["speedup_vs_loudnorm"] = speedup
                if label != "wav16":  # issue 13: the float mix and the heavy case
                    ok &= speedup >= SPEED_FLOOR
        # memory: same job on 1 minute vs the full file
        _, rss_short, _ = _run_mezzo(short, os.path.join(tmp, "short_out.wav"), TARGET_LUFS)
        rss_long = results["mezzo float mix"]["peak_rss_bytes"]
        results["rss_short_bytes"], results["rss_long_bytes"] = rss_short, rss_long
        flat = rss_long <= 1.5 * rss_short + 50e6
        ok &= flat
    print(f"{duration / 60:g}-minute stereo 48 kHz inputs -> 16-bit WAV, ceiling {CEILING_DBTP:g} dBTP "
          f"(time and RSS per tool process, start-up included; 'x mezzo' = its time / mezzo's)\n")
    print(c.render_table(("input", "target LUFS", "tool", "wall (s)", "x mezzo", "renders", "peak RSS (MB)",
                          "output I (LUFS)", "LRA (LU)", "TP (dBTP)", "16x TP (dBTP)", "TP over ceiling (dB)"), rows))
    for key, value in results.items():
        if key.startswith("speedup_vs_loudnorm "):
            print(f"mezzo master vs ffmpeg loudnorm, {key[20:]}: {value:.1f}x faster")
    if "speedup_vs_loudnorm" in results:
        for label in ("float mix", "heavy"):
            v = results[f"speedup_vs_loudnorm {label}"]
            print(f"floor: mezzo master at least {SPEED_FLOOR:g}x ffmpeg loudnorm on the {label}: "
                  f"{v:.1f}x ({'met' if v >= SPEED_FLOOR else 'MISSED'})")
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
