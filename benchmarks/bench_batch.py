"""Benchmark of ``mezzo batch analyze`` over a catalogue of files (issue 8, section 3).

Run ``.venv/bin/python benchmarks/run.py --only batch`` (or this file directly; ``--quick``
for a smoke run with 16 files and no floors).

The catalogue: 200 generated 30-second stereo 48 kHz 16-bit WAV files (the music-like signal
of ``_common.music_like``, rotated and scaled differently per file). Measured, each as a fresh
process and wall time from start to exit (interpreter start, walk, warm-up and pool included):

- ``mezzo batch analyze DIR --loudness-only --workers 1`` and ``--workers 2`` (integrated
  loudness, LRA, max momentary and short-term, sample and true peak: what the loops below
  measure), best of ``--repeats``, and the full analysis (dynamic range, dynamics map, tempo)
  with 2 workers, once;
- a shell loop over ``ffmpeg -af ebur128=peak=true`` (if ffmpeg is installed);
- a shell loop over ffmpeg-normalize's measurement pass (``ffmpeg-normalize FILE -n -f
  --print-stats``: the first, measuring pass only), if installed.

The shell loops run file after file; their throughput is measured on the first
``--loop-files`` files (files per second does not depend on how many there are).

Floors: with 2 workers, throughput at least 1.8x that of 1 worker (the throughput mezzo's
summary reports: from the start of the batch, warm-up and worker start included, to its end;
the interpreter start, the same for both, is left out); and at least 10x that of the loop over
ffmpeg-normalize (whole-process wall time for both). Skipped with ``--quick``, on a single core, or without the tool.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

NAME = "batch"
SAMPLE_RATE = 48000
DURATION_S = 30.0
FULL_FILES = 200
QUICK_FILES = 16
LOOP_FILES = 40
QUICK_LOOP_FILES = 4
SEED = 20240808
WORKERS_FLOOR = 1.8
FFMPEG_NORMALIZE_FLOOR = 10.0

#: Runs the mezzo CLI with ``batch`` registered (also before app.py registers it).
MEZZO = (
    "import sys\n"
    "from mezzo.cli import app as a, batch_cmd\n"
    "if 'batch' not in {getattr(g, 'name', None) for g in a.app.registered_groups}:\n"
    "    batch_cmd.register(a.app)\n"
    "a.main(sys.argv[1:])\n"
)


def make_catalogue(folder: Path, n_files: int, duration_s: float) -> list[Path]:
    """Write ``n_files`` stereo 16-bit WAV files of ``duration_s`` seconds; return their paths."""
    import numpy as np
    import soundfile as sf

    base = c.music_like(duration_s, SAMPLE_RATE, seed=SEED)
    paths = []
    for i in range(n_files):
        gain = 10 ** (-(i % 7) / 20)  # 0 to -6 dB
        audio = np.roll(base, i * 4801, axis=1) * np.float32(gain)
        path = folder / f"album{i // 12:02d}" / f"track{i:03d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, audio.T, SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
    return paths


def run_mezzo(folder: Path, workers: int, results: Path, *, loudness_only: bool) -> dict[str, Any]:
    """One ``mezzo batch analyze`` in a fresh process; wall time, files/s and its own summary."""
    args = [sys.executable, "-c", MEZZO, "batch", "analyze", str(folder), "--workers", str(workers),
            "--results", str(results), "--force", "--quiet", "--json"]
    if loudness_only:
        args.append("--loudness-only")
    child, cpu_s = _run_with_cpu(args)
    if child.returncode != 0:
        tail = "\n".join(child.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"mezzo batch failed (exit {child.returncode}): {tail}")
    payload = json.loads(child.result)
    summary = payload["summary"]
    return {"wall_s": child.wall_s, "files": summary["done"], "files_per_s": summary["done"] / child.wall_s,
            "in_run_files_per_s": summary["files_per_s"], "cpu_cores_busy": cpu_s / child.wall_s,
            "peak_rss_mb": c.mb(child.peak_rss_bytes)}


def _run_with_cpu(args: Sequence[str]) -> tuple[c.ChildRun, float]:
    """Run ``args``; return what it printed and the CPU seconds of it and its reaped workers."""
    import subprocess
    import time

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(args), stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        child = c.ChildRun(out.read().decode(errors="replace"), peak, wall, proc.returncode,
                           err.read().decode(errors="replace"))
    # ru_*time of wait4 covers the child and the children it waited for (the pool's workers).
    return child, usage.ru_utime + usage.ru_stime


def run_loop(command: str, files: Sequence[Path]) -> dict[str, Any]:
    """A bash ``for`` loop running ``command "$f"`` over ``files``, in one fresh process."""
    listing = " ".join(shlex.quote(str(f)) for f in files)
    script = f'for f in {listing}; do {command} "$f" >/dev/null 2>&1 || exit 1; done'
    child = c.run_command(["bash", "-c", script], timeout_s=3600)
    if child.returncode != 0:
        raise RuntimeError(f"loop failed (exit {child.returncode}): {command}")
    return {"wall_s": child.wall_s, "files": len(files), "files_per_s": len(files) / child.wall_s}


def _ffmpeg_normalize() -> str | None:
    found = shutil.which("ffmpeg-normalize")
    local = Path(sys.executable).with_name("ffmpeg-normalize")
    return found or (str(local) if local.exists() else None)


def run(*, quick: bool, n_files: int | None, loop_files: int | None, repeats: int,
        out_path: str | os.PathLike[str] | None, full: bool = True) -> dict[str, Any]:
    """Build the catalogue, time every tool, print the table, check the floors; return the report."""
    n = n_files or (QUICK_FILES if quick else FULL_FILES)
    n_loop = min(n, loop_files or (QUICK_LOOP_FILES if quick else LOOP_FILES))
    rows: list[dict[str, Any]] = []
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="mezzo-bench-batch-") as tmp:
        folder = Path(tmp) / "catalogue"
        print(f"writing {n} files of {DURATION_S:g} s (stereo, 48 kHz, 16-bit WAV)...", flush=True)
        files = make_catalogue(folder, n, DURATION_S)
        results = Path(tmp) / "results.csv"
        run_mezzo(folder, 2, results, loudness_only=True)  # fills the page cache and the numba cache
        best: dict[int, dict[str, Any]] = {}
        for _ in range(max(1, repeats)):
            for workers in (1, 2):
                m = run_mezzo(folder, workers, results, loudness_only=True)
                if workers not in best or m["wall_s"] < best[workers]["wall_s"]:
                    best[workers] = m
        for workers in (1, 2):
            rows.append({"tool": f"mezzo batch analyze --loudness-only --workers {workers}", **best[workers]})
        if full:
            whole = run_mezzo(folder, 2, results, loudness_only=False)
            rows.append({"tool": "mezzo batch analyze --workers 2 (full: + DR, dynamics map, tempo)", **whole})
        subset = files[:n_loop]
        if shutil.which("ffmpeg"):
            cmd = "ffmpeg -nostdin -hide_banner -nostats -af ebur128=peak=true -f null - -i"
            rows.append({"tool": "shell loop: ffmpeg -af ebur128=peak=true", **run_loop(cmd, subset)})
        normalize = _ffmpeg_normalize()
        if normalize:
            cmd = f"{shlex.quote(normalize)} -n -f --print-stats"
            rows.append({"tool": "shell loop: ffmpeg-normalize -n (measurement pass)", **run_loop(cmd, subset)})

    w1 = best[1]["in_run_files_per_s"]
    w2_run = best[2]["in_run_files_per_s"]
    w2 = best[2]["files_per_s"]
    for row in rows:
        row.setdefault("in_run_files_per_s", row["files_per_s"])
        row["ratio_mezzo_w2_vs_this"] = w2 / row["files_per_s"]
    table = [(r["tool"], str(r["files"]), c.fmt_num(r["wall_s"], 1), c.fmt_num(r["files_per_s"], 2),
              c.fmt_num(r["in_run_files_per_s"], 2), c.fmt_num(r.get("cpu_cores_busy"), 2),
              c.fmt_ratio(w2, r["files_per_s"])) for r in rows]
    print(c.render_table(("what", "files", "wall (s)", "files/s", "files/s in the run", "CPU cores busy",
                          "mezzo -j2 is"), table))
    print("\nfiles/s: files / wall time of the whole process (interpreter start included); in the run:"
          "\nmezzo's own summary (walk, warm-up, worker start and processing; after Python and imports)."
          "\nCPU cores busy: CPU time of the process and its workers / wall time (near 2 with 2 workers"
          "\nunless other work holds the cores; load average at the start: "
          f"{load_before}).")

    floors = []
    skip_reason = "quick run" if quick else ("one CPU" if (os.cpu_count() or 1) < 2 else None)
    ratio = w2_run / w1
    floors.append({"what": f"--workers 2 vs --workers 1 >= {WORKERS_FLOOR}x", "value": ratio,
                   "status": "SKIPPED" if skip_reason else ("PASS" if ratio >= WORKERS_FLOOR else "FAIL"),
                   "note": skip_reason})
    loop = next((r for r in rows if r["tool"].startswith("shell loop: ffmpeg-normalize")), None)
    if loop is None or quick:
        floors.append({"what": f"--workers 2 vs ffmpeg-normalize loop >= {FFMPEG_NORMALIZE_FLOOR}x", "value": None,
                       "status": "SKIPPED", "note": "quick run" if quick else "ffmpeg-normalize not installed"})
    else:
        value = w2 / loop["files_per_s"]
        floors.append({"what": f"--workers 2 vs ffmpeg-normalize loop >= {FFMPEG_NORMALIZE_FLOOR}x", "value": value,
                       "status": "PASS" if value >= FFMPEG_NORMALIZE_FLOOR else "FAIL", "note": None})
    print()
    print(c.render_table(("floor", "measured", "status"),
                         [(f["what"], "-" if f["value"] is None else f"{f['value']:.2f}x",
                           f["status"] + (f" ({f['note']})" if f["note"] else "")) for f in floors]))
    report = {"name": NAME, "load_average_at_start": load_before, "files": n, "duration_s": DURATION_S, "loop_files": n_loop, "rows": rows,
              "floors": floors, "machine": c.machine_info()}
    c.write_json(out_path or c.OUT_DIR / f"{NAME}.json", report)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns 0 when every floor passes or is skipped, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FILES} files, floors not checked")
    parser.add_argument("--files", type=int, default=None, help=f"number of files (default {FULL_FILES})")
    parser.add_argument("--loop-files", type=int, default=None,
                        help=f"files timed for the shell loops (default {LOOP_FILES})")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each mezzo --workers setting (best counts)")
    parser.add_argument("--out", default=None, help="JSON output path (default benchmarks/out/batch.json)")
    parser.add_argument("--no-full", action="store_true", help="skip the full analysis (loudness only)")
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    report = run(quick=args.quick, n_files=args.files, loop_files=args.loop_files, repeats=args.repeats,
                 out_path=args.out, full=not args.no_full)
    return 1 if any(f["status"] == "FAIL" for f in report["floors"]) else 0


if __name__ == "__main__":
    sys.exit(main())
