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
    return 0 if all(code == 0 for _, code, _, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
