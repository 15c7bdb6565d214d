"""Benchmark: mezzo's Compressor vs pedalboard's on 10 minutes of stereo at 48 kHz.

Settings: peak detector, fully linked, no lookahead, threshold -20 dBFS, ratio 4,
attack 10 ms, release 100 ms (pedalboard: same numbers; its knee is hard, so
mezzo runs with ``knee_db=0``). ffmpeg ``acompressor`` (piped raw float32, so its time
includes the pipes) runs when installed; sox ``compand`` is listed when installed but
not yet wired. Each contender runs in the same process, warm (numba compiled
first, reported separately as "cold"), best of ``repeats``; peak RSS is measured in a
fresh subprocess per contender (psutil), so one's allocations do not hide another's.

Run: ``.venv/bin/python benchmarks/bench_compressor.py`` (under a minute on 2 cores).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from typing import Any

import numpy as np

SAMPLE_RATE = 48000
DURATION_S = 600.0
SETTINGS = {"threshold_db": -20.0, "ratio": 4.0, "attack_ms": 10.0, "release_ms": 100.0}


def make_signal(duration_s: float = DURATION_S, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Music-like stereo float32: noise with a level changing every 50 ms (-40 to -6 dBFS RMS).

    Made in one-second float32 pieces so that the process's peak memory is the signal
    itself, not its temporaries.
    """
    rng = np.random.default_rng(0)
    n = round(duration_s * sample_rate)
    x = np.empty((2, n), dtype=np.float32)
    hop = sample_rate // 20
    for start in range(0, n, sample_rate):
        m = min(sample_rate, n - start)
        env = np.repeat(10.0 ** (rng.uniform(-40.0, -6.0, size=m // hop + 1) / 20.0), hop)[:m].astype(np.float32)
        common = rng.standard_normal(m, dtype=np.float32)
        for c in range(2):
            x[c, start : start + m] = (0.7 * common + 0.3 * rng.standard_normal(m, dtype=np.float32)) * env
    return x


def _mezzo():
    from mezzo.processors import Compressor

    comp = Compressor(**SETTINGS, knee_db=0.0, detector="peak", link=1.0, lookahead_ms=0.0)
    return lambda x: comp(x, SAMPLE_RATE)


def _pedalboard():
    from pedalboard import Compressor as PedalboardCompressor

    comp = PedalboardCompressor(**SETTINGS)
    return lambda x: comp(x, SAMPLE_RATE)


def _ffmpeg():
    """ffmpeg acompressor through pipes (raw float32 in and out), same settings.

    acompressor: threshold as a linear amplitude, ``detection=peak``,
    ``link=maximum``, knee 1 (its minimum, about hard), makeup 1.
    """
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise ImportError("ffmpeg not installed")
    af = (
        f"acompressor=threshold={10 ** (SETTINGS['threshold_db'] / 20):.6f}:ratio={SETTINGS['ratio']}"
        f":attack={SETTINGS['attack_ms']}:release={SETTINGS['release_ms']}:knee=1:detection=peak:link=maximum"
    )
    cmd = [exe, "-v", "error", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "pipe:0",
           "-af", af, "-f", "f32le", "pipe:1"]

    def run(x: np.ndarray) -> np.ndarray:
        raw = np.ascontiguousarray(x.T).tobytes()
        out = subprocess.run(cmd, input=raw, capture_output=True, check=True).stdout
        return np.frombuffer(out, dtype=np.float32).reshape(-1, 2).T

    return run


CONTENDERS = {"mezzo": _mezzo, "pedalboard": _pedalboard, "ffmpeg acompressor": _ffmpeg}


def _time(fn, x: np.ndarray, repeats: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    fn(x[:, :4800])
    cold = time.perf_counter() - t0
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x)
        best = min(best, time.perf_counter() - t0)
    return best, cold


def _peak_rss_mb(name: str, duration_s: float) -> float | None:
    """Peak RSS of a fresh process that makes the signal and runs one contender once."""
    here = str(__import__("pathlib").Path(__file__).resolve().parent)
    code = (
        f"import sys, resource; sys.path.insert(0, {here!r}); import bench_compressor as b; "
        f"x = b.make_signal({duration_s!r}); base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        f"b.CONTENDERS[{name!r}]()(x); "
        "print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), base)"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
        peak_kb, _ = (int(v) for v in out.stdout.split())
        return peak_kb / 1024.0  # includes the input signal itself (about 230 MB for 10 min)
    except (subprocess.SubprocessError, ValueError):
        return None


def _external_tools() -> dict[str, str | None]:
    return {"sox compand": shutil.which("sox")}


def main(duration_s: float = DURATION_S, repeats: int = 3, rss: bool = True) -> dict[str, Any]:
    """Run the benchmark; print a table; return the figures as a dict."""
    x = make_signal(duration_s)
    samples = x.shape[1]
    figures: dict[str, Any] = {"duration_s": duration_s, "sample_rate": SAMPLE_RATE, "channels": 2, "settings": SETTINGS}
    results: dict[str, dict[str, Any]] = {}
    for name, factory in CONTENDERS.items():
        try:
            fn = factory()
        except ImportError:
            results[name] = {"seconds": None, "note": "not installed"}
            continue
        best, cold = _time(fn, x, 1 if name.startswith("ffmpeg") else repeats)
        results[name] = {
            "seconds": best,
            "cold_first_call_s": cold,
            "ns_per_frame": best / samples * 1e9,
            "realtime_factor": duration_s / best,
            "peak_rss_mb": _peak_rss_mb(name, duration_s) if rss else None,
        }
    for tool, path in _external_tools().items():
        results[tool] = {"seconds": None, "note": "not installed" if path is None else "installed; not yet wired"}
    if "pedalboard" in results and "mezzo" in results:
        figures["speedup_vs_pedalboard"] = results["pedalboard"]["seconds"] / results["mezzo"]["seconds"]
    if "ffmpeg acompressor" in results and "mezzo" in results and results["ffmpeg acompressor"].get("seconds"):
        figures["speedup_vs_ffmpeg"] = results["ffmpeg acompressor"]["seconds"] / results["mezzo"]["seconds"]
    figures["results"] = results
    _print(figures)
    return figures


def _print(figures: dict[str, Any]) -> None:
    print(f"Compressor, {figures['duration_s'] / 60:.0f} min stereo @ {SAMPLE_RATE} Hz, peak detector, linked, no lookahead")
    print(f"{'contender':<20}{'time s':>9}{'ns/frame':>10}{'x realtime':>12}{'peak RSS MB':>13}{'cold s':>8}")
    for name, r in figures["results"].items():
        if r.get("seconds") is None:
            print(f"{name:<20}{r['note']:>30}")
            continue
        rss = "—" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}"
        print(
            f"{name:<20}{r['seconds']:>9.3f}{r['ns_per_frame']:>10.1f}{r['realtime_factor']:>12.0f}"
            f"{rss:>13}{r['cold_first_call_s']:>8.2f}"
        )
    if "speedup_vs_pedalboard" in figures:
        print(f"mezzo is {figures['speedup_vs_pedalboard']:.2f}x the speed of pedalboard (floor 1.5x, aim 3x)")
    if "speedup_vs_ffmpeg" in figures:
        print(f"mezzo is {figures['speedup_vs_ffmpeg']:.2f}x the speed of ffmpeg acompressor (piped, includes I/O)")


if __name__ == "__main__":
    result = main()
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2))
