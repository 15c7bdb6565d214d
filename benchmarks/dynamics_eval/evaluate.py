"""Read every corpus item with mezzo's default options and score it (tuning and validation apart).

    .venv/bin/python benchmarks/dynamics_eval/evaluate.py                 # both parts
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --split tuning  # one part
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --items         # and a line per item
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --split tuning --only beethoven 'dance_0*'  # a subset
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --split tuning-tempo  # extra tuning material (tempo)
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --split validation-tempo  # the same of the validation part (report only)
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --split synth         # numpy-synthesised dance tracks
    .venv/bin/python benchmarks/dynamics_eval/evaluate.py --split validation-swapfont  # validation pieces, FluidR3_GM (report only)

``--only`` takes names, parts of names or globs (``dance_*``), repeatable; an item is scored when
its name matches any of them.

Each item goes through ``mezzo.analyze(path, dynamics=True).to_dict()`` (what ``mezzo analyze
--json`` prints) in worker processes; the readings are kept in ``benchmarks/out/dynamics_readings/``
(per worktree, so a shared corpus folder stays read-only) and scored by ``score.py``, which
knows nothing of the detectors.
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

#: The parts: the corpus's tuning and validation parts, the numpy-synthesised dance tracks
#: (``synth_dance.py``, tuning only) and the extra material of ``build_corpus.EXTRA``.
PARTS = {"tuning": build_corpus.CORPUS / "tuning", "validation": build_corpus.CORPUS / "validation",
         "synth": synth_dance.CORPUS / "tuning", **{k: build_corpus.EXTRA_DIR / k for k in build_corpus.EXTRA}}


def _read(path: str) -> dict[str, Any]:
    from mezzo.analysis import analyze

    return analyze(path, dynamics=True).to_dict()


def selected(name: str, only: tuple[str, ...] = ()) -> bool:
    """Whether ``name`` is chosen by ``only``: no patterns, or one that is a glob it matches or a part of it."""
    return not only or any(fnmatch.fnmatchcase(name, o) or o in name for o in only)


def readings(split: str, *, workers: int = 2, only: tuple[str, ...] = ()) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, truth, reading) of every item of ``split`` (those :func:`selected` by ``only``)."""
    folder = PARTS[split]
    names = sorted(p.stem for p in folder.glob("*.json") if selected(p.stem, only))
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


def evaluate(split: str, *, workers: int = 2, items: bool = False, only: tuple[str, ...] = (),
             log: Any = print) -> dict[str, Any]:
    """Score one part of the corpus (the items :func:`selected` by ``only``); return the metrics, counts, rows and readings."""
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
            parts.append(f"bpm {bpm} (true {score.true_bpm(truth):.2f})" if truth["beats"] else f"bpm {bpm}")
            log("  " + "  ".join(parts))
    return {"metrics": score.aggregate(rows), "counts": score.counts(rows), "rows": rows, "items": len(rows),
            "readings": {name: reading for name, _, reading in data}}


def part_arguments(description: str, *, items: bool = False) -> argparse.ArgumentParser:
    """The command line of a script reading one part: ``--split`` (default tuning), ``--only``, ``--workers``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--split", choices=sorted(PARTS), default="tuning")
    if items:
        parser.add_argument("--items", action="store_true", help="a line per item")
    parser.add_argument("--only", action="extend", nargs="+", default=[], metavar="PATTERN",
                        help="only the items whose name matches a glob ('dance_*') or contains a PATTERN (repeatable)")
    parser.add_argument("--workers", type=int, default=2)
    return parser


def part_is_built(split: str) -> bool:
    """Whether ``split`` has items; if not, say so on stderr (build the corpus first)."""
    if any(PARTS[split].glob("*.json")):
        return True
    print(f"no items in {PARTS[split]}: build the corpus first (see evaluate.py)", file=sys.stderr)
    return False


def main(argv: list[str] | None = None) -> int:
    """Evaluate and print the metrics per part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tuning", "validation", "both", *sorted(PARTS.keys() - {"tuning", "validation"})),
                        default="both", help="a part: both = tuning and validation; synth = the numpy-synthesised "
                        "dance tracks (tuning); tuning-tempo / validation-tempo = extra material with a designed tempo "
                        "change on every item; tuning-swapfont / validation-swapfont = a part's score excerpts rendered "
                        "with the other part's SoundFont (build_corpus.py --extra)")
    parser.add_argument("--items", action="store_true", help="a line per item (matched/reported/true)")
    parser.add_argument("--only", action="extend", nargs="+", default=[], metavar="PATTERN",
                        help="only the items whose name matches a glob ('dance_*') or contains a PATTERN (repeatable)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    missing = build_corpus.missing_prerequisites()
    if missing and not (build_corpus.CORPUS / "manifest.json").exists():
        for m in missing:
            print(f"dynamics corpus skipped: {m}", file=sys.stderr)
        return 2
    build_corpus.build(workers=args.workers)
    if args.split in build_corpus.EXTRA:
        build_corpus.build_extra(args.split, workers=args.workers, log=lambda _line: None)
    if args.split == "synth":
        synth_dance.build(workers=args.workers, log=lambda _line: None)
    for split in (("tuning", "validation") if args.split == "both" else (args.split,)):
        print(f"\n{split.upper()} part")
        result = evaluate(split, workers=args.workers, items=args.items, only=tuple(args.only))
        for k, v in result["metrics"].items():
            floor = score.FLOORS.get(k)
            print(f"  {k:<26} {'-' if v is None else f'{v:.3f}':>6}   floor {floor}")
        for k, v in result["counts"].items():
            print(f"  {k:<26} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
