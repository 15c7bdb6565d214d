"""Where the tempo errors come from, on one part of the corpus: the metrical level or the tracking.

    .venv/bin/python benchmarks/dynamics_eval/tempo_breakdown.py --split tuning [--items]
    .venv/bin/python benchmarks/dynamics_eval/tempo_breakdown.py --split synth
    .venv/bin/python benchmarks/dynamics_eval/tempo_breakdown.py --split tuning-tempo

Each item is read twice from the same features, with mezzo's default options: as mezzo reads it,
and with an *oracle metrical level* (the beat period the tempo path starts from set to the
truth's median beat, everything else unchanged). The gap between the two scores (the scorer's
``tempo_within_4pct`` and ``tempo_change_f1``) is what choosing the written level costs; what
the oracle still misses is tracking (rubato, accelerando, ritardando, sparse passages). An item
counts as read at the right level when its global tempo is within 6 % of the truth's median.
Tuning material only: run the validation part only to report.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import evaluate  # noqa: E402
import score  # noqa: E402


def _read_twice(path: str, true_bpm: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """(reading, reading with the oracle level) of one file."""
    import soundfile as sf

    from mezzo.meters import tempo as tempo_module
    from mezzo.meters.features import SpectralFrames

    with sf.SoundFile(path) as f:
        frames = SpectralFrames(f.samplerate, f.channels)
        for block in f.blocks(blocksize=1 << 18, dtype="float32", always_2d=True):
            frames.update(block.T)
    features = frames.result()
    read = tempo_module.tempo_from_features(features).to_dict()
    choose = tempo_module.choose_level

    def oracle(profile: np.ndarray, fps: float, harmony: np.ndarray | None = None) -> tuple[float | None, float]:
        _, salience = choose(profile, fps, harmony)
        return 60.0 * fps / true_bpm, salience

    tempo_module.choose_level = oracle
    try:
        best = tempo_module.tempo_from_features(features).to_dict()
    finally:
        tempo_module.choose_level = choose
    return read, best


def breakdown(split: str, *, workers: int = 2, items: bool = False, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Scores as read and with the oracle level, and the share read at the right level."""
    folder = evaluate.PARTS[split]
    names = sorted(p.stem for p in folder.glob("*.json") if evaluate.selected(p.stem, only))
    truths = [json.loads((folder / f"{n}.json").read_text()) for n in names]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_read_twice, [str(folder / f"{n}.flac") for n in names],
                                [score.true_bpm(t) for t in truths]))
    rows_read, rows_best, right = [], [], []
    for name, truth, (read, best) in zip(names, truths, results, strict=True):
        a, b = score.score_item(truth, read), score.score_item(truth, best)
        rows_read.append(a)
        rows_best.append(b)
        ok = score.at_written_level(read["tempo_bpm"], truth)
        right.append(ok)
        if items:
            print(f"  {name:<44} level {'ok ' if ok else 'off'}  tempo {a.get('tempo', float('nan')):.2f} -> oracle "
                  f"{b.get('tempo', float('nan')):.2f}  changes {'/'.join(map(str, a['tempo_changes']))} -> "
                  f"{'/'.join(map(str, b['tempo_changes']))}  bpm {read['tempo_bpm']} (true {score.true_bpm(truth):.1f})")
    m_read, m_best = score.aggregate(rows_read), score.aggregate(rows_best)
    return {
        "items": len(names),
        "right_level": float(np.mean(right)) if right else None,
        "tempo_read": m_read["tempo_within_4pct"], "tempo_oracle_level": m_best["tempo_within_4pct"],
        "changes_read": score.counts(rows_read)["tempo_changes"],
        "changes_oracle_level": score.counts(rows_best)["tempo_changes"],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the breakdown of one part."""
    args = evaluate.part_arguments(__doc__.splitlines()[0], items=True).parse_args(argv)
    if not evaluate.part_is_built(args.split):
        return 2
    result = breakdown(args.split, workers=args.workers, items=args.items, only=tuple(args.only))
    for k, v in result.items():
        print(f"  {k:<22} {v if not isinstance(v, float) else f'{v:.3f}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
