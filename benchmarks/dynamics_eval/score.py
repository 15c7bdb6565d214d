"""Scores of mezzo's dynamics map and tempo on the generated evaluation set (the issue's metrics)."""

from __future__ import annotations

from typing import Any

import numpy as np

MARKINGS = ("ppp", "pp", "p", "mp", "mf", "f", "ff", "fff")


def _overlap_ok(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Intersection at least 50 % of the longer of the two spans."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter >= 0.5 * max(a[1] - a[0], b[1] - b[0])


def f1(truth: list[tuple], found: list[tuple]) -> tuple[int, int, int]:
    """(true positives, number found, number true), one-to-one matching at 50 % overlap."""
    used = set()
    tp = 0
    for t in truth:
        for j, f in enumerate(found):
            if j not in used and (len(t) < 3 or t[2] == f[2]) and _overlap_ok(t[:2], f[:2]):
                used.add(j)
                tp += 1
                break
    return tp, len(found), len(truth)


def score_case(kind: str, truth: dict[str, Any], analysis: Any) -> dict[str, Any]:
    """Per-case counts for the aggregate metrics."""
    out: dict[str, Any] = {}
    d = analysis.to_dict()
    grid = np.arange(0.0, truth["end_s"], 0.1)
    if kind == "score":
        # markings within one step, over sounding time (inside the designed sections)
        true_idx = np.full(grid.size, np.nan)
        for s0, s1, i0, i1 in truth["marks"]:
            sel = (grid >= s0) & (grid < s1)
            true_idx[sel] = np.interp(grid[sel], [s0, s1], [i0, i1])
        found = np.full(grid.size, np.nan)
        for m in d["markings"]:
            found[(grid >= m["start_s"]) & (grid < m["end_s"])] = MARKINGS.index(m["marking"])
        sounding = np.isfinite(true_idx)
        ok = sounding & np.isfinite(found) & (np.abs(found - np.round(true_idx)) <= 1)
        out["marking_ok_s"] = 0.1 * ok.sum()
        out["marking_total_s"] = 0.1 * sounding.sum()
        out["hairpins"] = f1(truth["hairpins"], [(h["start_s"], h["end_s"], h["kind"]) for h in d["hairpins"]])
        secs, bpm = truth["tempo"]
        tgrid = grid[grid < secs[-1]]
        true_bpm = np.interp(tgrid, secs, bpm)
    else:
        tgrid = grid
        true_bpm = np.full(grid.size, truth["tempo_bpm"])
        out["buildups"] = f1(truth["buildups"], [(b["start_s"], b["end_s"]) for b in d["buildups"]])
        found = [x["time_s"] for x in d["drops"]]
        hits = sum(1 for t in truth["drops"] if any(abs(f - t) <= truth["beat_s"] for f in found))
        out["drops"] = (hits, len(found), len(truth["drops"]))
    curve = d["tempo_curve"]
    if curve:
        ct = np.array([p["time_s"] for p in curve])
        cb = np.array([p["bpm"] for p in curve])
        est = np.interp(tgrid, ct, cb)
    else:
        est = np.full(tgrid.size, np.nan)
    out["tempo_ok_s"] = 0.1 * np.count_nonzero(np.abs(est / true_bpm - 1) <= 0.04)
    out["tempo_total_s"] = 0.1 * tgrid.size
    return out


def aggregate(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """The issue's metrics over all cases."""

    def f1_of(key: str) -> float | None:
        tp = sum(r[key][0] for r in rows if key in r)
        nf = sum(r[key][1] for r in rows if key in r)
        nt = sum(r[key][2] for r in rows if key in r)
        if nt == 0:
            return None
        p = tp / nf if nf else 0.0
        r = tp / nt
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    mk = sum(r.get("marking_total_s", 0) for r in rows)
    drops_t = sum(r["drops"][2] for r in rows if "drops" in r)
    return {
        "markings_within_one_step": sum(r.get("marking_ok_s", 0) for r in rows) / mk if mk else None,
        "hairpin_f1": f1_of("hairpins"),
        "tempo_within_4pct": sum(r["tempo_ok_s"] for r in rows) / sum(r["tempo_total_s"] for r in rows),
        "buildup_f1": f1_of("buildups"),
        "drops_within_one_beat": sum(r["drops"][0] for r in rows if "drops" in r) / drops_t if drops_t else None,
        "false_drops": sum(r["drops"][1] - r["drops"][0] for r in rows if "drops" in r),
    }
