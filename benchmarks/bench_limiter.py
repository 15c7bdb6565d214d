"""Benchmark: mezzo's true-peak Limiter vs pedalboard BrickwallLimiter and ffmpeg alimiter.

Signals (stereo, 48 kHz, float32):

- **music**: :func:`_common.music_like`, 10 minutes (``--quick``: 30 s), raised so that
  its BS.1770 true peak is ``OVER_DB`` (5 dB) above the ceiling: it needs up to 5 dB of
  limiting, as when mastering loud;
- **noise**: dense full-band Gaussian noise driven ``NOISE_OVER_DB`` (10 dB) over the ceiling
  (its true peak, mezzo's meter), 60 s (``--quick``: 10 s): every window needs limiting and
  exact true peaks, the worst case for the detector.

Contenders, ceiling -1 dBTP: mezzo ``Limiter(ceiling_db=-1.0)`` (defaults: true peak,
8 ms lookahead), pedalboard ``BrickwallLimiter(ceiling_db=-1.0, true_peak=True)``
(defaults: 5 ms lookahead, 100 ms release), ffmpeg ``alimiter`` (limit 0.891 = -1 dBFS,
no auto level, latency compensated; piped raw float32, so its time includes the pipes;
it is a sample-peak limiter). All run in this process, warm, in interleaved rounds, best
of ``repeats`` (ffmpeg once). Speed ratios use CPU time (this process and, for ffmpeg,
its child), which machines shared with other jobs distort less than wall time; both are
printed.

For every output: the overshoot above the ceiling of its sample peak, of its true peak
(mezzo's meter, streamed over the whole output) and of an independent 16x reading
(``scipy.signal.resample_poly``, 16 up, with a Kaiser-windowed sinc of 64 input samples
each side, beta 5: the instrument of issue 13) over the 16 one-second blocks with the
highest true peak (resampling everything would take minutes). The test suite checks the
limiter on an adversarial grid by four independent instruments: the ideal sinc, this
Kaiser one at beta 5 and 8, and a long windowed sinc
(``tests/processors/test_limiter_grid.py``).

Memory: peak RSS of a fresh process that streams music (its first 10 s, looped) through
mezzo's limiter in 1 s blocks, for two lengths (full run: 1 and 10 minutes), and how far
its RSS rises after the first block: flat in file length means a few MB at most, whatever
the length.

Floors (exit status 1 when missed): mezzo at least 3x faster than pedalboard on the music
and at least 1x on the noise; mezzo's outputs never above the ceiling (samples, its true
peak) and the 16x reading at most 0.1 dB above it; memory flat (at most 20 MB of growth
after the first block).

Run: ``.venv/bin/python benchmarks/bench_limiter.py [--quick] [--json]`` (about 1.5
minutes on 2 shared cores; ``--quick`` about 20 s).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

SAMPLE_RATE = 48000
CEILING_DB = -1.0
OVER_DB = 5.0
BLOCK = SAMPLE_RATE  # 1 s
TOP_BLOCKS = 16
FLOOR_SPEEDUP = 3.0
FLOOR_NOISE_SPEEDUP = 1.0
NOISE_OVER_DB = 10.0
TOL_16X_DB = 0.1
FLAT_RSS_MB = 20.0


# --------------------------------------------------------------------------- signals


def music_gain(duration_s: float) -> float:
    """Linear gain that puts the music's BS.1770 true peak ``OVER_DB`` above the ceiling.

    Measured on (at most) its first two minutes: the arrangement repeats after that.
    """
    from mezzo.meters.peak import true_peak

    x = c.music_like(min(duration_s, 120.0), SAMPLE_RATE)
    return float(10.0 ** ((CEILING_DB + OVER_DB - true_peak(x, SAMPLE_RATE)) / 20.0))


def make_music(duration_s: float, gain: float) -> np.ndarray:
    """The music-like signal times ``gain``, float32 (2, n), built chunk by chunk."""
    out = np.empty((2, round(duration_s * SAMPLE_RATE)), dtype=np.float32)
    pos = 0
    for block in c.music_like_chunks(duration_s, SAMPLE_RATE):
        out[:, pos : pos + block.shape[1]] = block * np.float32(gain)
        pos += block.shape[1]
    return out


def make_noise(duration_s: float) -> np.ndarray:
    """Gaussian noise whose true peak is ``NOISE_OVER_DB`` over the ceiling, float32 (2, n)."""
    from mezzo.meters.peak import true_peak

    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, round(duration_s * SAMPLE_RATE)))
    x *= 10.0 ** ((CEILING_DB + NOISE_OVER_DB - true_peak(x, SAMPLE_RATE)) / 20.0)
    return x.astype(np.float32)


# --------------------------------------------------------------------------- contenders


def _mezzo():
    from mezzo.processors import Limiter

    lim = Limiter(ceiling_db=CEILING_DB)
    return lambda x: lim(x, SAMPLE_RATE)


def _pedalboard():
    from pedalboard import BrickwallLimiter

    lim = BrickwallLimiter(ceiling_db=CEILING_DB, true_peak=True)
    return lambda x: lim(x, SAMPLE_RATE)


def _ffmpeg():
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise ImportError("ffmpeg not installed")
    limit = 10.0 ** (CEILING_DB / 20.0)
    af = f"alimiter=limit={limit:.6f}:attack=5:release=50:level=disabled:latency=1"
    cmd = [
        exe,
        "-v",
        "error",
        "-f",
        "f32le",
        "-ar",
        str(SAMPLE_RATE),
        "-ac",
        "2",
        "-i",
        "pipe:0",
        "-af",
        af,
        "-f",
        "f32le",
        "pipe:1",
    ]

    def run(x: np.ndarray) -> np.ndarray:
        raw = np.ascontiguousarray(x.T).tobytes()
        out = subprocess.run(cmd, input=raw, capture_output=True, check=True).stdout
        return np.frombuffer(out, dtype=np.float32).reshape(-1, 2).T

    return run


CONTENDERS = {"mezzo": _mezzo, "pedalboard": _pedalboard, "ffmpeg alimiter": _ffmpeg}


# --------------------------------------------------------------------------- measurements


def overshoot(y: np.ndarray) -> dict[str, float | None]:
    """Sample peak, mezzo's true peak and a long 16x peak of ``y`` minus the ceiling, dB."""
    from scipy.signal import firwin, resample_poly

    from mezzo.meters.peak import TruePeakMeter

    meter = TruePeakMeter(y.shape[0])
    n = y.shape[1]
    block_peaks = []
    for start in range(0, n, BLOCK):
        # per-block reading: the meter keeps its filter history across blocks (its values lag
        # the block by 163 samples)
        meter.update(y[:, start : start + BLOCK].T)
        block_peaks.append(float(meter.take().max()))
    overall = max([*block_peaks, float(meter.take(final=True).max())])
    long_16x = firwin(16 * 128 + 1, 1.0 / 16, window=("kaiser", 5.0))  # resample_poly applies the gain 16
    sample = float(np.abs(y).max())
    top = np.argsort(block_peaks)[::-1][:TOP_BLOCKS]
    r16 = 0.0
    for b in top:
        lo = max(0, b * BLOCK - 64)
        hi = min(n, (b + 1) * BLOCK + 64)
        # the zeros resample_poly assumes outside the slice ring at its edges: read only the
        # interior (the block itself), the context is there for the filter
        inner = slice((b * BLOCK - lo) * 16, (min(n, (b + 1) * BLOCK) - lo) * 16)
        for ch in y[:, lo:hi]:
            up = resample_poly(ch.astype(np.float64), 16, 1, window=long_16x)[inner]
            r16 = max(r16, float(np.abs(up).max()))

    def over(v: float) -> float | None:
        return None if v <= 0 else 20.0 * np.log10(v) - CEILING_DB

    return {
        "sample_over_db": over(sample),
        "true_peak_over_db": over(overall),
        "oversampled_16x_over_db": over(r16),
    }


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (ffmpeg) so far."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, x: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Wall and CPU seconds of ``fn(x)``, and its output."""
    c0 = _cpu_s()
    t0 = time.perf_counter()
    y = fn(x)
    return time.perf_counter() - t0, _cpu_s() - c0, y


def stream_rss(duration_s: float, cycle_s: float, gain: float) -> dict[str, Any]:
    """Child process body: stream ``duration_s`` of music through mezzo's limiter in 1 s blocks.

    The music is the first ``cycle_s`` of the music-like signal, generated once and
    looped (so the generator's memory is the same for every length). After the first
    block the peak RSS is reset; ``growth_mb`` is how far it rose above the RSS at that
    point over the rest of the stream.
    """
    from mezzo.processors import Limiter

    c.reset_peak_rss()  # forget the peak inherited from the parent through fork
    source = make_music(cycle_s, gain)
    lim = Limiter(ceiling_db=CEILING_DB)
    lim.prepare(SAMPLE_RATE, 2)
    peak = 0.0
    base = None
    first_peak = None
    total = round(duration_s * SAMPLE_RATE)
    t0 = time.perf_counter()
    for start in range(0, total, BLOCK):
        at = start % source.shape[1]
        y = lim.process(source[:, at : at + min(BLOCK, total - start)])
        peak = max(peak, float(np.abs(y).max(initial=0.0)))
        if base is None:
            first_peak = c.peak_rss_since_reset()
            base = c.reset_peak_rss()
    peak = max(peak, float(np.abs(lim.flush()).max(initial=0.0)))
    after = c.peak_rss_since_reset()
    growth = None if base is None or after is None else (after - base) / 1e6
    own = None if after is None or first_peak is None else max(after, first_peak) / 1e6
    return {
        "wall_s": time.perf_counter() - t0,
        "sample_peak": peak,
        "growth_mb": growth,
        "own_peak_rss_mb": own,
    }


# --------------------------------------------------------------------------- main


def run_signal(name: str, x: np.ndarray, repeats: int) -> dict[str, Any]:
    """Time every contender on ``x`` (rounds interleaved, best of ``repeats``) and measure
    its output (from the first round)."""
    samples = x.shape[1]
    fns = {}
    rows: dict[str, Any] = {}
    for tool, factory in CONTENDERS.items():
        try:
            fns[tool] = factory()
        except ImportError as exc:
            rows[tool] = {"seconds": None, "note": str(exc)}
            continue
        fns[tool](x[:, : SAMPLE_RATE // 10])  # warm-up (numba compile or load)
    best: dict[str, list[float]] = {tool: [np.inf, np.inf] for tool in fns}
    for round_ in range(repeats):
        for tool, fn in fns.items():
            if round_ and tool.startswith("ffmpeg"):
                continue  # piped: one run is enough
            wall, cpu, y = timed(fn, x)
            best[tool] = [min(best[tool][0], wall), min(best[tool][1], cpu)]
            if round_ == 0:
                rows[tool] = overshoot(y[:, :samples])
            del y
    for tool, (wall, cpu) in best.items():
        rows[tool].update(
            {
                "seconds": wall,
                "cpu_seconds": cpu,
                "ns_per_sample_per_channel": c.ns_per_sample(cpu, samples, x.shape[0]),
                "realtime_factor": c.realtime_factor(wall, samples / SAMPLE_RATE),
            }
        )
    return {"signal": name, "duration_s": samples / SAMPLE_RATE, "results": rows}


def _fmt_mb(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f} MB"


def _fmt_over(v: float | None) -> str:
    return "-" if v is None else f"{v:+.3f}"


def print_signal(fig: dict[str, Any]) -> None:
    """One Markdown table per signal."""
    res = fig["results"]
    ref = res.get("pedalboard", {}).get("cpu_seconds")
    rows = []
    for tool, r in res.items():
        if r.get("seconds") is None:
            rows.append((tool, r.get("note", "-"), "-", "-", "-", "-", "-", "-", "-"))
            continue
        speed = c.fmt_ratio(ref, r["cpu_seconds"]) if ref else "-"
        rows.append(
            (
                tool,
                f"{r['seconds']:.2f}",
                f"{r['cpu_seconds']:.2f}",
                f"{r['ns_per_sample_per_channel']:.1f}",
                f"{r['realtime_factor']:.0f}",
                speed,
                _fmt_over(r["sample_over_db"]),
                _fmt_over(r["true_peak_over_db"]),
                _fmt_over(r["oversampled_16x_over_db"]),
            )
        )
    print(
        f"\n{fig['signal']}, {fig['duration_s'] / 60:.1f} min stereo @ {SAMPLE_RATE} Hz, "
        f"ceiling {CEILING_DB} dBTP"
    )
    print(
        c.render_table(
            (
                "tool",
                "wall s",
                "CPU s",
                "CPU ns/sample/ch",
                "x realtime",
                "speed vs pedalboard (CPU)",
                "sample peak - ceiling dB",
                "BS.1770 TP - ceiling dB",
                "16x - ceiling dB",
            ),
            rows,
        )
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print tables; write ``out/limiter.json``; 0 when the floors hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short signals (a smoke run)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    music_s, noise_s, repeats = (30.0, 10.0, 5) if args.quick else (600.0, 60.0, 3)
    rss_lengths = (10.0, 30.0) if args.quick else (60.0, 600.0)

    gain = music_gain(music_s)
    figures: dict[str, Any] = {
        "machine": c.machine_info(),
        "ceiling_db": CEILING_DB,
        "music_over_db": OVER_DB,
        "signals": [],
    }
    x = make_music(music_s, gain)
    figures["signals"].append(run_signal("music (true peak +5 dB over the ceiling)", x, repeats))
    del x
    x = make_noise(noise_s)
    figures["signals"].append(run_signal(f"noise (true peak +{NOISE_OVER_DB:g} dB over the ceiling)", x, repeats))
    del x
    for fig in figures["signals"]:
        print_signal(fig)

    rss = {}
    for length in rss_lengths:
        run = c.run_isolated(
            "bench_limiter",
            "stream_rss",
            {"duration_s": length, "cycle_s": 10.0, "gain": gain},
            timeout_s=600,
        )
        rss[length] = {"wait4_peak_rss_mb": c.mb(run.peak_rss_bytes), **run.result}
    figures["streaming_rss"] = {str(k): v for k, v in rss.items()}
    print(
        "\nmezzo streaming (1 s blocks) in a fresh process: peak RSS "
        + ", ".join(
            f"{k / 60:.1f} min: {_fmt_mb(v['own_peak_rss_mb'])} (growth after the first block: "
            f"{_fmt_mb(v['growth_mb'])})"
            for k, v in rss.items()
        )
    )

    failures = []
    music = figures["signals"][0]["results"]
    if music["mezzo"]["seconds"] and music.get("pedalboard", {}).get("seconds"):
        speedup = music["pedalboard"]["cpu_seconds"] / music["mezzo"]["cpu_seconds"]
        figures["speedup_vs_pedalboard_music"] = speedup
        print(
            f"\nmezzo is {speedup:.2f}x the speed of pedalboard's true-peak BrickwallLimiter "
            f"on the music (floor {FLOOR_SPEEDUP:.0f}x)"
        )
        if speedup < FLOOR_SPEEDUP:
            failures.append(f"speed {speedup:.2f}x < {FLOOR_SPEEDUP}x")
    noise = figures["signals"][1]["results"]
    if noise["mezzo"]["seconds"] and noise.get("pedalboard", {}).get("seconds"):
        figures["speedup_vs_pedalboard_noise"] = (
            noise["pedalboard"]["cpu_seconds"] / noise["mezzo"]["cpu_seconds"]
        )
        print(f"on the noise: {figures['speedup_vs_pedalboard_noise']:.2f}x (floor {FLOOR_NOISE_SPEEDUP:g}x)")
        if figures["speedup_vs_pedalboard_noise"] < FLOOR_NOISE_SPEEDUP:
            failures.append(f"noise speed {figures['speedup_vs_pedalboard_noise']:.2f}x < {FLOOR_NOISE_SPEEDUP}x")
    for fig in figures["signals"]:
        r = fig["results"]["mezzo"]
        for key, limit in (
            ("sample_over_db", 0.0),
            ("true_peak_over_db", 0.0),
            ("oversampled_16x_over_db", TOL_16X_DB),
        ):
            if r[key] is not None and r[key] > limit:
                failures.append(f"{fig['signal']}: mezzo {key} {r[key]:+.3f} dB > {limit}")
    growth = max((v["growth_mb"] or 0.0) for v in rss.values())
    figures["streaming_rss_growth_mb"] = growth
    if growth > FLAT_RSS_MB:
        failures.append(f"memory grows with length: +{growth:.0f} MB after the first block")
    figures["failures"] = failures
    c.write_json(c.OUT_DIR / "limiter.json", figures)
    if args.json:
        print(json.dumps(figures, indent=2))
    print("\nfloors: " + ("all met" if not failures else "MISSED: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
