"""Benchmark of the dynamics map and tempo (issue 6): evaluation scores and speed.

Run ``.venv/bin/python benchmarks/run.py --only dynamics`` (or this file; ``--quick`` for
half the evaluation set and a 2-minute track). Prints the issue's metrics on the generated
evaluation set (``benchmarks/dynamics_eval/``), then separately on its held-out-style cases
(written after the constants were settled, never used to tune them), and the speed of the whole
``mezzo.analyze(path, dynamics=True)`` (loudness, peaks, dynamic range, map, tempo,
build-ups, drops) on a 10-minute stereo 48 kHz WAV, warm, against real time (floor 60x).
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

NAME = "dynamics"
SPEED_FLOOR = 60.0
FULL_DURATION_S = 600.0
QUICK_DURATION_S = 120.0


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and the speed measurement; 1 if the speed floor fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="half the eval set, a 2-minute track")
    args = parser.parse_args(argv)
    from dynamics_eval import evalset, score

    from mezzo.analysis import analyze

    floors = {"markings_within_one_step": 0.8, "hairpin_f1": 0.5, "tempo_within_4pct": 0.9,
              "buildup_f1": 0.7, "drops_within_one_beat": 0.85}
    aggs = {}
    for label, cases in (("evaluation set", evalset.cases(quick=args.quick)),
                         ("held-out-style cases (never tuned on)", evalset.heldout_cases())):
        rows = []
        table = []
        for name, kind, audio, sr, truth in cases:
            result = analyze(audio, sr, dynamics=True)
            row = score.score_case(kind, truth, result)
            rows.append(row)
            table.append((name, kind, f"{row['tempo_ok_s'] / row['tempo_total_s']:.2f}",
                          f"{row['marking_ok_s'] / row['marking_total_s']:.2f}" if "marking_total_s" in row else "-"))
        print(f"\n{label}")
        print(c.render_table(("case", "kind", "tempo within 4 %", "markings within 1 step"), table))
        agg = score.aggregate(rows)
        aggs[label] = agg
        print()
        print(c.render_table(("metric", "score", "held-out floor"),
                             [(k, c.fmt_num(None if v is None else float(v)), str(floors.get(k, "-"))) for k, v in agg.items()]))
    agg = aggs["evaluation set"]
    heldout = aggs["held-out-style cases (never tuned on)"]

    duration = QUICK_DURATION_S if args.quick else FULL_DURATION_S
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "music.wav")
        c.write_music_wav(wav, duration, 48000, seed=6)
        analyze(c.music_like(10.0, 48000, seed=1), 48000, dynamics=True)  # warm: imports, JIT
        best, result = c.best_time(lambda: analyze(wav, dynamics=True), repeats=2)
        start = time.perf_counter()
        analyze(wav)
        loud_only = time.perf_counter() - start
    factor = c.realtime_factor(best, duration)
    print()
    print(c.render_table(
        ("what", "time (s)", "x realtime"),
        [(f"analyze(file, dynamics=True), {duration / 60:.0f} min stereo 48 kHz WAV, warm (best of 2)",
          f"{best:.2f}", f"{factor:.0f}"),
         ("analyze(file) loudness only, same file", f"{loud_only:.2f}", f"{c.realtime_factor(loud_only, duration):.0f}")],
    ))
    print(f"\nspeed floor {SPEED_FLOOR:.0f}x: {'ok' if factor >= SPEED_FLOOR else 'FAILED'}"
          f" (tempo {result.tempo.tempo_bpm} BPM on the 128 BPM signal)")
    c.write_json(c.OUT_DIR / f"{NAME}.json", {"scores": {k: None if v is None else float(v) for k, v in agg.items()},
                                              "heldout_scores": {k: None if v is None else float(v) for k, v in heldout.items()},
                                              "realtime_factor": factor, "seconds": best, "duration_s": duration})
    return 0 if factor >= SPEED_FLOOR else 1


if __name__ == "__main__":
    sys.exit(main())
