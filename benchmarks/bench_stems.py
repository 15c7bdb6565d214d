"""Benchmark of the audibility of stems (issue 15): 5 stereo stems of 4 minutes in under 10 s, warm.

Run ``.venv/bin/python benchmarks/run.py --only stems`` (or this file; ``--quick`` for 30 s
stems). The stems are the demo's four (``mezzo.demo.stems()``: drums, bass, pad, lead, 75 s,
repeated to length) plus a fifth, band-passed noise swelling in and out (an "fx" riser),
written as 24-bit stereo 48 kHz WAV files. It times :func:`mezzo.audibility` on the five
files warm (best of 2, kernels compiled and cached) and cold (a fresh process: imports and
the numba cache load), next to the floor of the job: reading and decoding the same files.
Peak RSS is measured in the fresh process. The machine's load average is printed with the
figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c
import numpy as np

NAME = "stems"
#: Issue 15: five stereo stems of 4 minutes analyse in under 10 s warm.
SPEED_FLOOR_S = 10.0
FULL_DURATION_S = 240.0
QUICK_DURATION_S = 30.0
SAMPLE_RATE = 48000


def write_stems(folder: str, duration_s: float) -> list[str]:
    """Write the five benchmark stems as 24-bit WAV files; return their paths."""
    import soundfile as sf

    import mezzo.demo

    total = round(duration_s * SAMPLE_RATE)
    parts = {name: np.resize(audio, (2, total)) for name, audio in mezzo.demo.stems(SAMPLE_RATE).items()}
    rng = np.random.default_rng(15)
    noise = rng.standard_normal((2, total))
    spectrum = np.fft.rfft(noise, axis=1)
    freqs = np.fft.rfftfreq(total, 1.0 / SAMPLE_RATE)
    spectrum[:, (freqs < 2000.0) | (freqs > 8000.0)] = 0.0
    fx = np.fft.irfft(spectrum, total, axis=1)
    swell = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(total) / (16.0 * SAMPLE_RATE))  # 16 s period
    parts["fx"] = 0.05 * fx / np.std(fx) * swell
    paths = []
    for name, audio in parts.items():
        path = os.path.join(folder, f"{name}.wav")
        sf.write(path, audio.T.astype(np.float32), SAMPLE_RATE, subtype="PCM_24")
        paths.append(path)
    return paths


def read_only(paths: list[str]) -> float:
    """Seconds to read and decode the stems block by block (the floor of the job)."""
    from mezzo.meters.stem_blocks import StemBlocks

    start = time.perf_counter()
    with StemBlocks(paths) as source:
        for _blocks in source:
            pass
    return time.perf_counter() - start


def child_analyse(paths: list[str]) -> dict[str, float]:
    """In a fresh process: imports plus one analysis (cold), then a second one (warm)."""
    start = time.perf_counter()
    import mezzo

    result = mezzo.audibility(paths)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    mezzo.audibility(paths)
    return {"cold_s": cold, "warm_s": time.perf_counter() - start,
            "buried_s": sum(s.buried_s for s in result.stems)}


def main(argv: list[str] | None = None) -> int:
    """Time the analysis of five stems; 1 if the warm time misses the floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 s stems instead of 4 minutes")
    args = parser.parse_args(argv)
    import mezzo

    duration = QUICK_DURATION_S if args.quick else FULL_DURATION_S
    with tempfile.TemporaryDirectory() as tmp:
        # The stems are made in a child process, and the fresh-process run comes first: a
        # child forked from a big parent would report the parent's memory as its own.
        paths = c.run_isolated("bench_stems", "write_stems", {"folder": tmp, "duration_s": duration}).result
        load_before = os.getloadavg()
        child = c.run_isolated("bench_stems", "child_analyse", {"paths": paths})
        mezzo.audibility(paths)  # warm-up: imports, kernels
        warm, result = c.best_time(lambda: mezzo.audibility(paths), repeats=2)
        reading = read_only(paths)
        load_after = os.getloadavg()
    n = len(paths)
    print(c.render_table(
        ("what", "time (s)", "x realtime", "vs reading the files"),
        [
            (f"mezzo.audibility({n} stereo 48 kHz 24-bit WAV stems of {duration / 60:g} min), warm, best of 2",
             f"{warm:.2f}", f"{c.realtime_factor(warm, duration):.0f}", c.fmt_ratio(warm, reading)),
            ("same, cold: fresh process, imports and numba cache load", f"{child.result['cold_s']:.2f}",
             f"{c.realtime_factor(child.result['cold_s'], duration):.0f}", c.fmt_ratio(child.result["cold_s"], reading)),
            ("same, warm in the fresh process", f"{child.result['warm_s']:.2f}",
             f"{c.realtime_factor(child.result['warm_s'], duration):.0f}", c.fmt_ratio(child.result["warm_s"], reading)),
            ("reading and decoding the stems only (the floor)", f"{reading:.2f}",
             f"{c.realtime_factor(reading, duration):.0f}", "1.00x"),
        ],
    ))
    buried = ", ".join(f"{s.name} {s.buried_s:.1f} s" for s in result.stems)
    print(f"\npeak RSS of the fresh process: {c.mb(child.peak_rss_bytes):.0f} MB; buried: {buried}")
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} on {os.cpu_count()} cores")
    ok = warm < SPEED_FLOOR_S or args.quick
    print(f"\nspeed floor: {n} stereo stems of 4 min in under {SPEED_FLOOR_S:g} s warm: "
          + ("skipped (--quick)" if args.quick else ("ok" if ok else "FAILED")))
    c.write_json(c.OUT_DIR / f"{NAME}.json", {
        "warm_s": warm, "cold_s": child.result["cold_s"], "fresh_warm_s": child.result["warm_s"],
        "read_s": reading, "duration_s": duration, "stems": n, "peak_rss_mb": c.mb(child.peak_rss_bytes),
        "load_average": [load_before, load_after], "machine": c.machine_info(),
    })
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
