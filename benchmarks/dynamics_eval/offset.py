"""Can a piece's whole-piece marking offset be predicted? A test on the tuning material.

    .venv/bin/python benchmarks/dynamics_eval/offset.py                   # the tuning parts that are built
    .venv/bin/python benchmarks/dynamics_eval/offset.py --unnormalised    # also the level before normalisation

The dynamics map reads a piece's loud level as *f* and places the rest from it
(``mezzo.meters.dynamics_map``). ``breakdown.py`` shows that the best constant shift of that
reading, chosen per item, would lift the markings from about 0.85 to 0.92 on the tuning part
(0.75 to 0.90 on the validation part): most of the error is the whole-piece offset. This script
asks whether anything a recording shows predicts that offset.

Per score excerpt of every tuning part that is built (the part itself and its extra renders;
validation parts are never read here):

- the *shift curve*: the scorer's within-one-step count for each shift of the continuous
  marking index (-3 to +3 steps, as ``breakdown.py``'s oracle), and its best shift (the middle of
  the best ones);
- piece summaries: the level's span (5th to 95th percentile of momentary loudness over the
  sounding time, dB), loud level less median (90th less 50th), the share of sounding time within
  3 dB of the loud level, the spread of the note attack levels (90th less 10th, dB), onsets per
  second, the median spectral centroid (octaves re 1 kHz), and with ``--unnormalised`` the loud
  level of the render *before* the corpus scaled it to its drawn peak (re-rendered with
  FluidSynth: what a renderer's own gain would leave in the file).

Each summary (and all of them together) predicts the shift with a least-squares line (ridge, on
standardised summaries, weighted by sounding time), fitted without one composer and applied to
that composer (leave one composer out: a held-out composer is what the validation part is). The
score is the pooled within-one-step share at the predicted shifts, beside no shift (the default
reader) and the per-item best (the oracle).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import breakdown  # noqa: E402
import build_corpus  # noqa: E402
import evaluate  # noqa: E402

#: Shifts of the marking index tried, steps.
SHIFTS = np.round(np.arange(-3.0, 3.01, 0.1), 2)
#: Ridge penalty on the standardised summaries.
RIDGE = 1.0


class Item(NamedTuple):
    part: str
    name: str
    composer: str
    counts: np.ndarray  # within one step per shift in SHIFTS
    total: int
    summaries: dict[str, float]


def summaries(dmap: Any, loudness: Any, features: Any) -> dict[str, float]:
    """The piece summaries (see the module notes) of one reading."""
    from mezzo.meters.note_levels import note_levels

    sounding = np.isfinite(dmap.marking_index)  # on the loudness's own momentary times
    level = np.asarray(loudness.momentary_lufs, dtype=np.float64)[sounding]
    level = level[np.isfinite(level)]
    p5, p50, p90, p95 = np.percentile(level, [5, 50, 90, 95])
    notes = note_levels(features)
    attacks = notes.level_db[notes.is_onset]
    centroid = features.centroid_octaves()
    centroid = centroid[np.isfinite(centroid)]
    duration = float(features.times_s[-1]) if features.times_s.size else 1.0
    return {
        "span_db": float(p95 - p5),
        "loud_less_median_db": float(p90 - p50),
        "near_loud_share": float(np.mean(level > p90 - 3.0)),
        "note_spread_db": float(np.subtract(*np.percentile(attacks, [90, 10]))) if attacks.size > 5 else 0.0,
        "onsets_per_s": float(attacks.size / max(duration, 1.0)),
        "centroid_oct": float(np.median(centroid)) if centroid.size else 0.0,
    }


def unnormalised_shift_db(part: str) -> dict[str, float]:
    """Per item of ``part``: dB to add to its file's level to get the render's own level (re-rendered)."""
    out = {}
    for job in build_corpus.piece_jobs(part):
        for name, perf, font, peak_db in build_corpus.performances(*job):
            audio = build_corpus.render_excerpt(perf, font)
            out[name] = 20.0 * np.log10(float(np.max(np.abs(audio))) or 1e-9) - peak_db
    return out


def items(part: str, unnormalised: bool) -> list[Item]:
    """The score excerpts of ``part`` with their shift curves and summaries."""
    folder = evaluate.PARTS[part]
    gains = unnormalised_shift_db(part) if unnormalised else {}
    out = []
    for path in sorted(folder.glob("*.json")):
        truth = json.loads(path.read_text())
        if path.name == "manifest.json" or truth.get("kind") != "score":
            continue
        read = breakdown.read_item(path.with_suffix(".flac"))
        counts, total = breakdown.shift_counts(read.dmap, truth, SHIFTS)
        summ = summaries(read.dmap, read.loudness, read.features)
        if unnormalised:
            loud = np.asarray(read.loudness.momentary_lufs, dtype=np.float64)
            summ["render_loud_lufs"] = float(np.percentile(loud[np.isfinite(loud) & (loud > -70)], 90)) + gains[path.stem]
        out.append(Item(part, path.stem, truth["composer"], counts, total, summ))
    return out


def best_shift(item: Item) -> float:
    """Middle of the shifts with the best count."""
    return float(np.median(SHIFTS[item.counts >= item.counts.max()]))


def _fit(train: list[Item], keys: tuple[str, ...]) -> Any:
    """Ridge line from the summaries ``keys`` to the best shift, weighted by sounding time."""
    x = np.array([[it.summaries[k] for k in keys] for it in train]).reshape(len(train), len(keys))
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    a = np.c_[np.ones(len(train)), (x - mu) / sd]
    w = np.array([it.total for it in train], dtype=np.float64)
    w /= w.mean()
    y = np.array([best_shift(it) for it in train])
    pen = RIDGE * np.diag([0.0] + [1.0] * len(keys))
    beta = np.linalg.solve(a.T @ (w[:, None] * a) + pen, a.T @ (w * y))

    def predict(test: list[Item]) -> np.ndarray:
        xt = np.array([[it.summaries[k] for k in keys] for it in test]).reshape(len(test), len(keys))
        return np.c_[np.ones(len(test)), (xt - mu) / sd] @ beta

    return predict


def pooled(rows: list[Item], shifts: np.ndarray) -> float:
    """Pooled within-one-step share with each item read at its shift."""
    ok = sum(float(np.interp(s, SHIFTS, it.counts)) for it, s in zip(rows, shifts, strict=True))
    return ok / sum(it.total for it in rows)


def leave_one_composer_out(rows: list[Item], keys: tuple[str, ...]) -> float:
    """Pooled share when each composer's shifts come from a line fitted on the other composers."""
    shifts = np.zeros(len(rows))
    for composer in sorted({it.composer for it in rows}):
        test = [i for i, it in enumerate(rows) if it.composer == composer]
        train = [it for it in rows if it.composer != composer]
        shifts[test] = _fit(train, keys)([rows[i] for i in test])
    return pooled(rows, shifts)


def main(argv: list[str] | None = None) -> int:
    """Print the offset test on the tuning parts that are built."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unnormalised", action="store_true",
                        help="also try the render's own level (re-renders every item with FluidSynth)")
    args = parser.parse_args(argv)
    parts = [p for p in evaluate.PARTS if p.startswith("tuning") and evaluate.part_is_built(p)]
    rows = [it for p in parts for it in items(p, args.unnormalised)]
    best = np.array([best_shift(it) for it in rows])
    print(f"tuning parts: {', '.join(parts)}; {len(rows)} score excerpts, "
          f"{len({it.composer for it in rows})} composers")
    print(f"best shift per item: mean {best.mean():+.2f}, standard deviation {best.std():.2f} steps")
    print(f"  no shift (mezzo as it reads)        {pooled(rows, np.zeros(len(rows))):.3f}")
    print(f"  best shift per item (oracle)        {sum(it.counts.max() for it in rows) / sum(it.total for it in rows):.3f}")
    print(f"  one shift, left out by composer     {leave_one_composer_out(rows, ()):.3f}")
    keys = tuple(rows[0].summaries)
    for key in keys:
        r = np.corrcoef([it.summaries[key] for it in rows], best)[0, 1]
        print(f"  line on {key:<27} {leave_one_composer_out(rows, (key,)):.3f}   (correlation with the best shift {r:+.2f})")
    print(f"  line on all {len(keys)} summaries            {leave_one_composer_out(rows, keys):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
