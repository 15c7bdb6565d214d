"""Scores of a dynamics reading against the corpus truth (the issue's metrics).

Independent of the detectors: it reads only the truth JSON written by ``build_corpus.py`` and
the JSON that ``mezzo analyze --json`` (or ``mezzo.analyze(path, dynamics=True).to_dict()``)
prints, by its documented keys.

Metrics
-------
- ``markings_within_one_step``: share of the sounding time (the truth's marking segments,
  sampled every 50 ms, pooled over the items) where the reported marking is at most one step
  from the one asked for; time with no reported marking counts as wrong.
- ``hairpin_f1``: reported ``hairpins`` against the score's wedges and *cresc.*/*dim.* spans,
  matched one to one when of the same kind and overlapping by at least 50 % of the longer
  span (score items).
- ``tempo_within_4pct``: per item, the share of the truth's beats where the reported tempo
  (``tempo_curve`` interpolated, or ``tempo_bpm`` when there is no curve) is within 4 % of the
  truth; the mean over items.
- ``tempo_change_f1``: reported ``tempo_changes`` against the accelerando/ritardando spans,
  matched like hairpins.
- ``buildup_f1``: ``buildups`` against the build-up spans, matched at 50 % overlap, over all
  items (a build-up reported in a string quartet is a false one).
- ``drops_within_one_beat``: share of the true drops with a reported drop within one beat
  (one to one); ``drop_precision``: share of the reported drops that match one, over all items.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MARKINGS = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")
FLOORS = {
    "markings_within_one_step": 0.85,
    "hairpin_f1": 0.5,
    "tempo_within_4pct": 0.90,
    "tempo_change_f1": 0.5,
    "buildup_f1": 0.7,
    "drops_within_one_beat": 0.9,
    "drop_precision": 0.8,
}


def _overlap_ok(a: tuple[float, float], b: tuple[float, float]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter >= 0.5 * max(a[1] - a[0], b[1] - b[0])


def match_spans(truth: list[tuple], found: list[tuple]) -> tuple[int, int, int]:
    """(true positives, number found, number true): one-to-one, same kind, 50 % overlap."""
    used: set[int] = set()
    tp = 0
    for t in truth:
        for j, f in enumerate(found):
            if j in used:
                continue
            if len(t) > 2 and t[2] != f[2]:
                continue
            if _overlap_ok((t[0], t[1]), (f[0], f[1])):
                used.add(j)
                tp += 1
                break
    return tp, len(found), len(truth)


def score_item(truth: dict[str, Any], reading: dict[str, Any]) -> dict[str, Any]:
    """Counts of one item for :func:`aggregate`."""
    out: dict[str, Any] = {"kind": truth["kind"]}
    if truth["kind"] == "score":
        ok = total = 0
        found = [(m["start_s"], m["end_s"], MARKINGS.index(m["marking"])) for m in reading.get("markings", [])]
        fs = np.array([f[0] for f in found]) if found else np.zeros(0)
        for s0, s1, marking in truth["markings"]:
            grid = np.arange(s0, s1, 0.05)
            want = MARKINGS.index(marking)
            for t in grid:
                total += 1
                k = int(np.searchsorted(fs, t, side="right")) - 1
                if k >= 0 and found[k][0] <= t < found[k][1] and abs(found[k][2] - want) <= 1:
                    ok += 1
        out["markings"] = (ok, total)
        out["hairpins"] = match_spans([tuple(h) for h in truth["hairpins"]],
                                      [(h["start_s"], h["end_s"], h["kind"]) for h in reading.get("hairpins", [])])
    out["tempo_changes"] = match_spans([tuple(c) for c in truth["tempo_changes"]],
                                       [(c["start_s"], c["end_s"], c["kind"]) for c in reading.get("tempo_changes", [])])
    beats = np.array(truth["beats"], dtype=np.float64).reshape(-1, 2)
    curve = reading.get("tempo_curve") or []
    if beats.size:
        if curve:
            est = np.interp(beats[:, 0], [p["time_s"] for p in curve], [p["bpm"] for p in curve])
        elif reading.get("tempo_bpm"):
            est = np.full(beats.shape[0], float(reading["tempo_bpm"]))
        else:
            est = np.full(beats.shape[0], np.nan)
        out["tempo"] = float(np.mean(np.abs(est / beats[:, 1] - 1.0) <= 0.04))
    out["buildups"] = match_spans([tuple(b) for b in truth.get("buildups", [])],
                                  [(b["start_s"], b["end_s"]) for b in reading.get("buildups", [])])
    tol = truth.get("beat_s", 0.5)
    found_drops = [d["time_s"] for d in reading.get("drops", [])]
    used: set[int] = set()
    hits = 0
    for t in truth.get("drops", []):
        for j, f in enumerate(found_drops):
            if j not in used and abs(f - t) <= tol:
                used.add(j)
                hits += 1
                break
    out["drops"] = (hits, len(found_drops), len(truth.get("drops", [])))
    return out


def _f1(rows: list[dict[str, Any]], key: str) -> float | None:
    tp = sum(r[key][0] for r in rows if key in r)
    nf = sum(r[key][1] for r in rows if key in r)
    nt = sum(r[key][2] for r in rows if key in r)
    if nt == 0 and nf == 0:
        return None
    p = tp / nf if nf else 0.0
    r = tp / nt if nt else 0.0
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def aggregate(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """The issue's metrics over items."""
    mk_ok = sum(r["markings"][0] for r in rows if "markings" in r)
    mk_total = sum(r["markings"][1] for r in rows if "markings" in r)
    tempo = [r["tempo"] for r in rows if "tempo" in r]
    drops_true = sum(r["drops"][2] for r in rows)
    drops_found = sum(r["drops"][1] for r in rows)
    drops_hit = sum(r["drops"][0] for r in rows)
    return {
        "markings_within_one_step": mk_ok / mk_total if mk_total else None,
        "hairpin_f1": _f1(rows, "hairpins"),
        "tempo_within_4pct": float(np.mean(tempo)) if tempo else None,
        "tempo_change_f1": _f1(rows, "tempo_changes"),
        "buildup_f1": _f1(rows, "buildups"),
        "drops_within_one_beat": drops_hit / drops_true if drops_true else None,
        "drop_precision": drops_hit / drops_found if drops_found else (1.0 if drops_true == 0 else None),
    }


#: A reading is at the written metrical level when its global tempo is within this ratio of the truth's.
LEVEL_RATIO = 1.06


def true_bpm(truth: dict[str, Any]) -> float:
    """The written beat's tempo of an item: the arrangement's BPM, or the median over the truth's beats."""
    beats = np.array(truth["beats"], dtype=np.float64).reshape(-1, 2)
    return float(truth.get("bpm") or np.median(beats[:, 1]))


def at_written_level(bpm: float | None, truth: dict[str, Any]) -> bool:
    """Whether a global tempo ``bpm`` reads the written beat (within ``LEVEL_RATIO`` of :func:`true_bpm`)."""
    return bool(bpm) and abs(math.log2(bpm / true_bpm(truth))) < math.log2(LEVEL_RATIO)


def counts(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Raw counts behind the F1 figures (found / true / matched)."""
    out = {}
    for key in ("hairpins", "tempo_changes", "buildups", "drops"):
        tp = sum(r[key][0] for r in rows if key in r)
        nf = sum(r[key][1] for r in rows if key in r)
        nt = sum(r[key][2] for r in rows if key in r)
        out[key] = f"{tp} matched, {nf} reported, {nt} true"
    return out
