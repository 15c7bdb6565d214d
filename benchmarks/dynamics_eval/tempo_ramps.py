"""Accelerandos and ritardandos made by construction on real beat-driven recordings.

    make game-music && .venv/bin/python benchmarks/dynamics_eval/tempo_ramps.py [--items]

The corpus's tempo changes are performed from scores by FluidSynth. Here the truth is made on
real recordings nobody here wrote (Debian's game soundtracks: HyperRogue's beat-driven loops
and Endgame: Singularity's electronic tracks) by playing them like a tape whose speed moves:
from 10 s into the recording, 25 s at its own speed, then the speed changes in a straight line
over the ramp to its final rate, then 25 s at that rate (repeated when the recording is
shorter). Tempo and pitch both follow the speed, so whatever the recording's own tempo, the
tempo after the ramp is the tempo before it times the final rate, and the change spans the
ramp. The variants:

- 1.0 (no change: nothing may be reported),
- x1.15 and x0.85 over 8 s,
- x1.2 and x0.8 over 4 s.

A change counts as found when ``mezzo.analyze(audio, rate, dynamics=True)`` (default options)
reports an accelerando or ritardando of its kind overlapping the ramp by at least half of the
longer span (the corpus's rule, ``score.py``); the *ratio* is the median of the reported tempo
curve over 27 s past the ramp's end against the median over 8-23 s, right when within 4 % of the
final rate. Nothing here was tuned on.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import real_recordings  # noqa: E402
import score  # noqa: E402

#: (final rate, ramp length s) of each variant.
RAMPS = ((1.0, 8.0), (1.15, 8.0), (0.85, 8.0), (1.2, 4.0), (0.8, 4.0))
#: Held before and after the ramp, s; read from this far into the recording, s.
HOLD_S = 25.0
START_S = 10.0
GROUPS = {
    "beat-driven loops (HyperRogue)": real_recordings.GROUPS["game loops"],
    "electronic (Endgame: Singularity)": real_recordings.GROUPS["electronic"],
}


def groups() -> dict[str, list[str]]:
    """The installed recordings of each group (empty groups left out)."""
    return real_recordings.available(GROUPS)


def tape(audio: np.ndarray, rate: int, final: float, ramp_s: float) -> np.ndarray:
    """``audio`` (channels, samples) played at a speed held at 1, ramped linearly to ``final``, held.

    Linear interpolation between samples; the output lasts 2 HOLD_S + ``ramp_s``.
    """
    n = round((2 * HOLD_S + ramp_s) * rate)
    t = np.arange(n) / rate
    speed = np.interp(t, [0.0, HOLD_S, HOLD_S + ramp_s, 2 * HOLD_S + ramp_s], [1.0, 1.0, final, final])
    position = START_S * rate + np.concatenate([[0.0], np.cumsum(speed[:-1])])
    while audio.shape[1] < position[-1] + 2:
        audio = np.concatenate([audio, audio], axis=1)
    grid = np.arange(audio.shape[1])
    return np.stack([np.interp(position, grid, channel) for channel in audio]).astype(np.float32)


def judge(reading: dict[str, Any], final: float, ramp_s: float) -> tuple[bool, int, float | None]:
    """(change found, changes reported, tempo ratio after/before) of one reading."""
    truth = [] if final == 1.0 else [(HOLD_S, HOLD_S + ramp_s, "accelerando" if final > 1 else "ritardando")]
    found = [(c["start_s"], c["end_s"], c["kind"]) for c in reading["tempo_changes"]]
    tp, reported, _ = score.match_spans(truth, found)
    curve = reading.get("tempo_curve") or []
    t = np.array([p["time_s"] for p in curve])
    bpm = np.array([p["bpm"] for p in curve])
    before = (t > 8.0) & (t < HOLD_S - 2.0)
    after = (t > HOLD_S + ramp_s + 2.0) & (t < 2 * HOLD_S + ramp_s)
    ratio = float(np.median(bpm[after]) / np.median(bpm[before])) if before.any() and after.any() else None
    return tp == 1, reported, ratio


def _read(job: tuple[str, float, float]) -> dict[str, Any]:
    import soundfile as sf

    import mezzo

    path, final, ramp_s = job
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    reading = mezzo.analyze(tape(audio.T, rate, final, ramp_s), rate, dynamics=True).to_dict()
    found, reported, ratio = judge(reading, final, ramp_s)
    return {"path": path, "final": final, "ramp_s": ramp_s, "found": found, "reported": reported, "ratio": ratio,
            "changes": reading["tempo_changes"], "tempo_bpm": reading["tempo_bpm"],
            "tempo_confidence": reading["tempo_confidence"]}


def check(found_groups: dict[str, list[str]], *, workers: int = 2) -> dict[str, Any]:
    """Read every variant of every recording; the rows of the summary table and the readings."""
    jobs = {g: [(path, *ramp) for path in paths for ramp in RAMPS] for g, paths in found_groups.items()}
    with ProcessPoolExecutor(workers) as pool:
        readings = {g: list(pool.map(_read, group_jobs)) for g, group_jobs in jobs.items()}
    rows = []
    for final, ramp_s in RAMPS:
        cells = []
        for group_readings in readings.values():
            mine = [r for r in group_readings if (r["final"], r["ramp_s"]) == (final, ramp_s)]
            right = sum(r["ratio"] is not None and abs(r["ratio"] / final - 1.0) < 0.04 for r in mine)
            reported = sum(r["reported"] for r in mine)
            found = "" if final == 1.0 else f"found {sum(r['found'] for r in mine)} of {len(mine)}, "
            cells.append(f"{found}{reported} reported, ratio right {right}")
        label = "steady" if final == 1.0 else f"x{final:g} over {ramp_s:g} s"
        rows.append((label, *cells))
    return {"rows": rows, "readings": readings}


def main(argv: list[str] | None = None) -> int:
    """Print, per group and variant, the changes found and reported and the tempo ratios right."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", action="store_true", help="one line per reading")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    found_groups = groups()
    if not found_groups:
        print("no recordings: run `make game-music`", file=sys.stderr)
        return 2
    result = check(found_groups, workers=args.workers)
    for row in [("variant", *(f"{g} ({len(v)})" for g, v in found_groups.items())), *result["rows"]]:
        print(f"{row[0]:<18}" + "".join(f"{cell:>48}" for cell in row[1:]))
    if args.items:
        for group_readings in result["readings"].values():
            for r in group_readings:
                ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
                print(f"  {Path(r['path']).name[:30]:<30} x{r['final']:<5g} {r['ramp_s']:g} s  found {r['found']!s:<5} "
                      f"ratio {ratio}  {r['tempo_bpm']} BPM (pulse {r['tempo_confidence']})  "
                      f"{[(c['start_s'], c['end_s'], c['kind'], c['confidence']) for c in r['changes']]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
