"""Read every corpus item with mezzo's default options and score it (tuning and validation apart).

    .venv/bin/python benchmarks/dynamics_eval/evaluate.py                 # both parts
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --split tuning  # one part
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --items         # and a line per item
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --only 'dance_*' --split tuning  # a subset

Each item goes through ``mezzo.analyze(path, dynamics=True).to_dict()`` (what ``mezzo analyze
--json`` prints) in worker processes; the readings are kept in ``benchmarks/out/dynamics_readings/``
(the corpus folder may be shared and read-only) and scored by ``score.py``, which knows nothing
of the detectors.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
READINGS = HERE.parent / "out" / "dynamics_readings"
sys.path.insert(0, str(HERE))

import build_corpus  # noqa: E402
import score  # noqa: E402
import synth_dance  # noqa: E402

#: The parts: the corpus's tuning and validation parts, and the numpy-synthesised dance tracks
#: (``synth_dance.py``, tuning only).
PARTS = {"tuning": build_corpus.CORPUS / "tuning", "validation": build_corpus.CORPUS / "validation",
         "synth": synth_dance.CORPUS / "tuning"}


def _read(path: str) -> dict[str, Any]:
    from mezzo.analysis import analyze

    return analyze(path, dynamics=True).to_dict()


def readings(split: str, *, workers: int = 2, only: str | None = None) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, truth, reading) of every item of ``split`` (whose name matches the glob ``only``, if given)."""
    folder = PARTS[split]
    names = sorted(p.stem for p in folder.glob("*.json") if only is None or fnmatch.fnmatch(p.stem, only))
    out_dir = READINGS / split
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [str(folder / f"{n}.flac") for n in names]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_read, paths))
    rows = []
    for name, reading in zip(names, results, strict=True):
        (out_dir / f"{name}.json").write_text(json.dumps(reading))
        rows.append((name, json.loads((folder / f"{name}.json").read_text()), reading))
    return rows


def evaluate(split: str, *, workers: int = 2, items: bool = False, only: str | None = None,
             log: Any = print) -> dict[str, Any]:
    """Score one part of the corpus (the items matching the glob ``only``, if given); metrics, counts, rows."""
    data = readings(split, workers=workers, only=only)
    rows = []
    for name, truth, reading in data:
        r = score.score_item(truth, reading)
        r["name"] = name
        rows.append(r)
        if items:
            parts = [f"{name:<48}", f"tempo {r.get('tempo', float('nan')):.2f}"]
            if "markings" in r:
                parts.append(f"markings {r['markings'][0] / max(1, r['markings'][1]):.2f}")
                parts.append("hairpins {}/{}/{}".format(*r["hairpins"]))
            parts.append("tempo changes {}/{}/{}".format(*r["tempo_changes"]))
            if truth["kind"] == "dance" or r["drops"][1] or r["buildups"][1]:
                parts.append("build-ups {}/{}/{}".format(*r["buildups"]))
                parts.append("drops {}/{}/{}".format(*r["drops"]))
            bpm = reading.get("tempo_bpm")
            true_bpm = truth.get("bpm") or (truth["beats"][len(truth["beats"]) // 2][1] if truth["beats"] else None)
            parts.append(f"bpm {bpm} (true {true_bpm})")
            log("  " + "  ".join(parts))
    return {"metrics": score.aggregate(rows), "counts": score.counts(rows), "rows": rows, "items": len(rows)}


def main(argv: list[str] | None = None) -> int:
    """Evaluate and print the metrics per part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tuning", "validation", "synth", "both"), default="both",
                        help="a part: both = tuning and validation; synth = the numpy-synthesised dance tracks (tuning)")
    parser.add_argument("--items", action="store_true", help="a line per item (matched/reported/true)")
    parser.add_argument("--only", metavar="GLOB", help="only the items whose name matches, e.g. 'dance_*'")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    missing = build_corpus.missing_prerequisites()
    if missing and not (build_corpus.CORPUS / "manifest.json").exists():
        for m in missing:
            print(f"dynamics corpus skipped: {m}", file=sys.stderr)
        return 2
    build_corpus.build(workers=args.workers)
    if args.split == "synth":
        synth_dance.build(workers=args.workers, log=lambda _line: None)
    for split in (("tuning", "validation") if args.split == "both" else (args.split,)):
        print(f"\n{split.upper()} part")
        result = evaluate(split, workers=args.workers, items=args.items, only=args.only)
        for k, v in result["metrics"].items():
            floor = score.FLOORS.get(k)
            print(f"  {k:<26} {'-' if v is None else f'{v:.3f}':>6}   floor {floor}")
        for k, v in result["counts"].items():
            print(f"  {k:<26} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
