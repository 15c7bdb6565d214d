"""Run every ``benchmarks/bench_*.py`` (the entry point of ``make bench``).

Each benchmark module runs in its own subprocess (``python benchmarks/bench_X.py [--quick]``,
which calls the module's ``main()``), so its memory figures are its own, and its tables are
printed as it goes. A summary with each benchmark's status, wall time and peak RSS follows.

Usage::

    .venv/bin/python benchmarks/run.py                 # all benchmarks, full size
    .venv/bin/python benchmarks/run.py --quick         # short signals, no long-file checks
    .venv/bin/python benchmarks/run.py --only loudness # just bench_loudness.py

Exit status: 0 when every benchmark ran and met its floors, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

BENCH_DIR = Path(__file__).resolve().parent


def discover() -> dict[str, Path]:
    """Benchmark name (``bench_<name>.py``) -> path, sorted by name."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(BENCH_DIR.glob("bench_*.py"))}


#: (benchmark, its JSON file under out/, key, what it measures, the floor): issue 13's speed floors
SPEED_FLOORS = (
    ("limiter", "limiter.json", "speedup_vs_pedalboard_music",
     "limiter vs pedalboard BrickwallLimiter(true_peak=True), 10 min music (CPU time)", 3.0),
    ("limiter", "limiter.json", "speedup_vs_pedalboard_noise",
     "limiter vs pedalboard BrickwallLimiter(true_peak=True), noise 10 dB over (CPU time)", 1.0),
    ("master", "master.json", "speedup_vs_loudnorm float mix",
     "mezzo master vs ffmpeg loudnorm, float mix -21 LUFS -> -14 (whole processes)", 5.0),
    ("master", "master.json", "speedup_vs_loudnorm heavy",
     "mezzo master vs ffmpeg loudnorm, float mix -> -8 (heavy limiting; whole processes)", 5.0),
)  # fmt: skip


def speed_floors(ran: set[str], since: float = 0.0) -> list[tuple[str, str, str, str]]:
    """Rows ``(floor, measured, required, result)`` of :data:`SPEED_FLOORS` for the benchmarks
    that ran in this run (read from their JSON files, if written after ``since``, a time stamp)."""
    import json

    rows = []
    for bench, filename, key, what, floor in SPEED_FLOORS:
        if bench not in ran:
            continue
        path = c.OUT_DIR / filename
        try:
            value = json.loads(path.read_text()).get(key) if path.stat().st_mtime >= since else None
        except (OSError, ValueError):
            value = None
        if value is None:
            rows.append((what, "-", f">= {floor:g}x", "not measured"))
        else:
            rows.append((what, f"{value:.2f}x", f">= {floor:g}x", "pass" if value >= floor else "FAIL"))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks one after another; return the exit status."""
    found = discover()
    parser = argparse.ArgumentParser(description="Run mezzo's benchmarks, each in its own process.")
    parser.add_argument("--quick", action="store_true",
                        help="short signals and no long-file checks (a smoke run)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only this benchmark (repeatable); available: {', '.join(found) or 'none'}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only if name not in found]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}: choose from {', '.join(found)}")
    selected = {name: path for name, path in found.items() if not args.only or name in args.only}
    if not selected:
        print("no benchmarks found (benchmarks/bench_*.py)", file=sys.stderr)
        return 1

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.time()
    summary = []
    for name, path in selected.items():
        print(f"\n=== {name} ({path.name}{' --quick' if args.quick else ''}) ===\n", flush=True)
        cmd = [sys.executable, str(path), *(["--quick"] if args.quick else [])]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env)  # output goes straight to our stdout/stderr
        try:
            code, peak = c.wait_with_rusage(proc)
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            raise
        summary.append((name, code, time.perf_counter() - start, peak))

    print("\n=== summary ===\n")
    rows = [(name, "ok" if code == 0 else f"FAILED (exit {code})", f"{wall:.1f}", f"{peak / 1e6:.0f}")
            for name, code, wall, peak in summary]
    print(c.render_table(("benchmark", "status", "wall (s)", "peak RSS of its runner (MB)"), rows))
    print("\n(exit 1 from a benchmark means one of its floors failed or it crashed; see its output above)")
    floors = speed_floors({name for name, *_ in summary}, started)
    if floors:
        print("\n=== speed floors (issue 13) ===\n")
        print(c.render_table(("floor", "measured", "required", "result"), floors))
    return 0 if all(code == 0 for _, code, _, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
