"""Checks of honest output on real recordings: Debian's game soundtracks (``make game-music``).

    .venv/bin/python benchmarks/dynamics_eval/real_recordings.py [--items]

Nobody here wrote or tuned on these. There is no truth per track, only what the issue asks of
music of each kind, read with mezzo's default options:

- **orchestral** (Battle for Wesnoth, ``wesnoth-1.16-music``: orchestral and ambient pieces, no
  build-ups or drops): at most one reported drop per 10 minutes;
- long crescendos are one hairpin: the longest hairpins are reported in seconds;
- no tempo change is reported on a track whose pulse confidence is below 0.5;
- **game loops** (HyperRogue, ``hyperrogue-music``: short beat-driven loops) and **electronic**
  (Endgame: Singularity, ``singularity-music``) are listed for comparison.
"""

from __future__ import annotations

import argparse
import glob
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

GROUPS = {
    "orchestral": "/usr/share/games/wesnoth/1.16/data/core/music/*.ogg",
    "game loops": "/usr/share/hyperrogue/music/*.ogg",
    "electronic": "/usr/share/games/singularity/music/*.ogg",
}


def available(groups: dict[str, str] = GROUPS) -> dict[str, list[str]]:
    """The installed tracks of each group of ``groups`` (name: glob pattern), empty groups left out."""
    out = {g: sorted(glob.glob(p)) for g, p in groups.items()}
    return {g: v for g, v in out.items() if v}


def _read(path: str) -> dict[str, Any]:
    from mezzo.analysis import analyze

    d = analyze(path, dynamics=True).to_dict()
    return {k: d[k] for k in ("duration_s", "tempo_bpm", "tempo_confidence", "tempo_changes", "hairpins",
                              "markings", "drops", "buildups")}


def check(files: dict[str, list[str]], *, workers: int = 2, items: bool = False) -> dict[str, Any]:
    """Analyse every track; return per-track readings and a summary per group."""
    paths = [p for group in files.values() for p in group]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        readings = dict(zip(paths, pool.map(_read, paths), strict=True))
    summary: dict[str, Any] = {}
    for group, group_paths in files.items():
        rs = [readings[p] for p in group_paths]
        minutes = sum(r["duration_s"] for r in rs) / 60.0
        drops = sum(len(r["drops"]) for r in rs)
        hairpins = [h["end_s"] - h["start_s"] for r in rs for h in r["hairpins"]]
        unclear = [r for r in rs if (r["tempo_confidence"] or 0.0) < 0.5]
        summary[f"{group}: tracks, minutes"] = f"{len(rs)}, {minutes:.1f}"
        summary[f"{group}: drops per 10 min"] = f"{10.0 * drops / max(minutes, 1e-9):.2f} ({drops} drops)"
        summary[f"{group}: build-ups"] = sum(len(r["buildups"]) for r in rs)
        summary[f"{group}: hairpins (longest, median s)"] = (
            f"{len(hairpins)} ({max(hairpins, default=0):.1f}, {sorted(hairpins)[len(hairpins) // 2] if hairpins else 0:.1f})")
        summary[f"{group}: tempo changes on tracks with pulse confidence < 0.5"] = (
            f"{sum(len(r['tempo_changes']) for r in unclear)} on {len(unclear)} tracks")
        summary[f"{group}: tempo changes, all tracks"] = sum(len(r["tempo_changes"]) for r in rs)
    if items:
        for p, r in readings.items():
            print(f"  {p.rsplit('/', 1)[-1][:32]:<32} {r['duration_s']:6.1f} s  tempo {r['tempo_bpm']} "
                  f"(conf {r['tempo_confidence']})  changes {len(r['tempo_changes'])}  hairpins {len(r['hairpins'])} "
                  f"drops {[d['time_s'] for d in r['drops']]}")
    return {"summary": summary, "tracks": {p: readings[p] for p in paths}}


def main(argv: list[str] | None = None) -> int:
    """Print the checks; 2 when no soundtrack is installed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", action="store_true", help="a line per track")
    args = parser.parse_args(argv)
    files = available()
    if not files:
        print("no game soundtracks installed: run `make game-music`", file=sys.stderr)
        return 2
    result = check(files, items=args.items)
    for k, v in result["summary"].items():
        print(f"{k:<70} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
