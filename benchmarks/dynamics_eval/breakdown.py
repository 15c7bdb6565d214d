"""Where the markings and hairpin errors come from, on one part of the corpus.

    .venv/bin/python benchmarks/dynamics_eval/breakdown.py                    # tuning part
    .venv/bin/python benchmarks/dynamics_eval/breakdown.py --split validation # to report only

- **Markings**: per item, the share of the sounding time within one step as read (the
  scorer's metric) and with the best constant shift of the reading for that item (an oracle
  that knows which marking the piece's loud level is): the gap between the two is the
  whole-piece offset, what the oracle still misses is local placement. Then both again with
  the reader given the *performed velocities* (below) as its level curve instead of the
  audio's loudness: what a perfect measurement of the played level would give it.
- **Hairpins**: the true hairpins by number of onsets and length, and how many of them show
  the way they go (a trend of at least 3 dB, Theil-Sen, and Kendall's tau of at least 0.3
  over their notes) in the *performed velocities* (the score excerpts are performed again
  with the corpus seeds; loudest note per onset at 40 log10(v / 127) dB, the General MIDI
  gain of a velocity) and in the note levels mezzo measures from the audio; and the hairpin
  detector's counts on the audio against its counts on the performed velocities (what a
  perfect note-level measurement would give it). Then the same per *part*: a hairpin shows
  when it shows in the velocities of any one part, and the detector runs on each part's
  velocities with its hairpins pooled (overlapping ones of a kind counted once): what a
  perfect part-aware (source-separated) reading would give it.

Needs the corpus (``build_corpus.py``) and music21. Analyses each item once with mezzo's
default options; no detector setting is read or changed here.
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

import build_corpus  # noqa: E402
import score  # noqa: E402

#: A hairpin "shows" when its notes move its way by at least this (dB, Theil-Sen line) ...
VISIBLE_DB = 3.0
#: ... with at least this rank correlation (Kendall's tau) between time and level.
VISIBLE_TAU = 0.3


Levels = tuple[np.ndarray, np.ndarray]


def _loudest_per_onset(notes: list[tuple[float, int]]) -> Levels:
    """Onset times (s) and the loudest velocity there (notes within 30 ms are one onset), in dB (40 log10(v / 127))."""
    notes = sorted(notes)
    t = np.array([n[0] for n in notes])
    v = np.array([n[1] for n in notes], dtype=np.float64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(t) > 0.03) + 1])
    return t[starts], 40.0 * np.log10(np.maximum.reduceat(v, starts) / 127.0)


def performed_levels(split: str) -> dict[str, tuple[Levels, list[Levels]]]:
    """Per item: the loudest performed velocity per onset, of all parts and of each part (see :func:`_loudest_per_onset`)."""
    import io

    import mido

    out = {}
    for job in build_corpus.piece_jobs(split):
        for name, perf, _, _ in build_corpus.performances(*job):
            parts = []
            for track in mido.MidiFile(file=io.BytesIO(perf.midi)).tracks:
                ticks, notes = 0, []
                for msg in track:
                    ticks += msg.time
                    if msg.type == "note_on" and msg.velocity > 0:
                        notes.append((ticks / 480.0, msg.velocity))  # 480 ticks per second (see scores.py)
                if notes:
                    parts.append(notes)
            out[name] = (_loudest_per_onset([n for part in parts for n in part]),
                         [_loudest_per_onset(part) for part in parts if len(part) >= 3])
    return out


def _trend(t: np.ndarray, y: np.ndarray, sign: float) -> tuple[float, float]:
    """(Theil-Sen change over the span along ``sign``, Kendall's tau along ``sign``)."""
    from scipy.stats import kendalltau, theilslopes

    slope = theilslopes(y, t)[0]
    return float(sign * slope * (t[-1] - t[0])), float(sign * kendalltau(t, y)[0])


def _shows(levels: Levels, span: tuple[float, float], sign: float) -> bool:
    """Whether the notes of ``levels`` in ``span`` move its way (``VISIBLE_DB``, ``VISIBLE_TAU``; at least 3 onsets)."""
    t, y = levels
    sel = (t >= span[0] - 0.01) & (t < span[1])
    if np.count_nonzero(sel) < 3:
        return False
    change, tau = _trend(t[sel], y[sel], sign)
    return change >= VISIBLE_DB and tau >= VISIBLE_TAU


def _pooled(found: list[list[Any]]) -> list[tuple[float, float, str]]:
    """Hairpins found in several parts, one per overlapping run of a kind (the first found)."""
    out: list[tuple[float, float, str]] = []
    for h in (h for part in found for h in part):
        if not any(h.kind == k and min(h.end_s, b) > max(h.start_s, a) for a, b, k in out):
            out.append((h.start_s, h.end_s, h.kind))
    return out


def truth_grid(truth: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The scorer's 50 ms grid over the truth's marking segments: (times s, marking index asked for)."""
    t = np.concatenate([np.arange(s0, s1, 0.05) for s0, s1, _ in truth["markings"]])
    want = np.concatenate([np.full(np.arange(s0, s1, 0.05).size, score.MARKINGS.index(m))
                           for s0, s1, m in truth["markings"]])
    return t, want


#: Shifts of the marking index the oracle tries, steps.
ORACLE_SHIFTS = np.round(np.arange(-4.0, 4.01, 0.1), 2)


def shift_counts(dmap: Any, truth: dict[str, Any], shifts: np.ndarray = ORACLE_SHIFTS) -> tuple[np.ndarray, int]:
    """(within-one-step count for each constant shift of the marking index, total) on the scorer's grid."""
    t, want = truth_grid(truth)
    index = np.interp(t, dmap.curve_times_s, np.nan_to_num(dmap.marking_index, nan=-99.0))
    sounding = index > -50
    counts = [np.count_nonzero(sounding & (np.abs(np.clip(np.round(index + c), 0, 7) - want) <= 1)) for c in shifts]
    return np.array(counts, dtype=np.float64), int(t.size)


def _oracle_markings(dmap: Any, truth: dict[str, Any]) -> tuple[int, int]:
    """(within one step with the best constant shift of the marking index, total) on the scorer's grid."""
    counts, total = shift_counts(dmap, truth)
    return int(counts.max()), total


def velocity_loudness(levels: Levels, duration_s: float) -> Any:
    """The performed velocities as the loudness curve the dynamics map reads (0.1 s steps).

    At each step, the loudest velocity (dB, as in :func:`_loudest_per_onset`) of the latest
    onset, held until the next; -120 before the first. What a perfect measurement of the played
    level would give the reader (with the short-term series empty: no flat sections).
    """
    from types import SimpleNamespace

    t, db = levels
    times = np.arange(0.4, duration_s, 0.1)
    k = np.searchsorted(t, times, side="right") - 1
    level = np.where(k >= 0, db[np.maximum(k, 0)], -120.0)
    return SimpleNamespace(momentary_times_s=times, momentary_lufs=level,
                           short_term_times_s=np.zeros(0), short_term_lufs=np.zeros(0))


class Reading(NamedTuple):
    """What one pass over a file gives (see :func:`read_item`)."""

    dmap: Any
    reading: dict[str, Any]
    features: Any
    loudness: Any


def read_item(path: Path) -> Reading:
    """One pass over ``path``: its dynamics map, the map's part of what ``mezzo analyze --json`` prints, its frames and loudness.

    The map comes from the public ``dynamics_map_from_features`` with its default options, as
    ``mezzo.analyze(path, dynamics=True)`` composes it; the frames give the note levels too, so
    each item is read once. No tempo is read: only markings and hairpins are scored from it.
    """
    import soundfile as sf

    from mezzo.meters.dynamics_map import dynamics_map_from_features
    from mezzo.meters.features import SpectralFrames
    from mezzo.meters.loudness import LoudnessMeter

    x, rate = sf.read(path, dtype="float32", always_2d=True)
    meter = LoudnessMeter(rate, x.shape[1], true_peak=False)
    frames = SpectralFrames(rate, x.shape[1])
    meter.update(x.T)
    frames.update(x.T)
    features = frames.result()
    loudness = meter.result()
    dmap = dynamics_map_from_features(loudness, features)
    return Reading(dmap, dmap.to_dict(), features, loudness)


def breakdown(split: str) -> dict[str, Any]:
    """Markings (as read / oracle offset; from the performed velocities) and hairpins (visibility, detector counts) of ``split``."""
    from mezzo.meters.dynamics_map import dynamics_map_from_features
    from mezzo.meters.hairpins import find_hairpins
    from mezzo.meters.note_levels import NoteLevels, note_levels

    performed = performed_levels(split)
    folder = build_corpus.CORPUS / split
    mk = {"read": [0, 0], "oracle": [0, 0], "velocities": [0, 0], "velocities_oracle": [0, 0]}
    classes: dict[str, list[int]] = {}  # class -> [true, shows in velocities, shows in audio, in some part]
    det = {"audio": [0, 0, 0], "velocities": [0, 0, 0], "parts": [0, 0, 0]}
    for name in sorted(performed):
        truth = json.loads((folder / f"{name}.json").read_text())
        dmap, reading, features, _ = read_item(folder / f"{name}.flac")
        row = score.score_item(truth, reading)
        mk["read"][0] += row["markings"][0]
        mk["read"][1] += row["markings"][1]
        ok, total = _oracle_markings(dmap, truth)
        mk["oracle"][0] += ok
        mk["oracle"][1] += total
        played = dynamics_map_from_features(velocity_loudness(performed[name][0], truth["duration_s"]))
        row = score.score_item(truth, {**reading, "markings": played.to_dict()["markings"]})
        mk["velocities"][0] += row["markings"][0]
        mk["velocities"][1] += row["markings"][1]
        ok, total = _oracle_markings(played, truth)
        mk["velocities_oracle"][0] += ok
        mk["velocities_oracle"][1] += total
        measured = note_levels(features)
        (pt, py), parts = performed[name]
        for s0, s1, kind in truth["hairpins"]:
            sign = 1.0 if kind == "crescendo" else -1.0
            sel = (pt >= s0 - 0.01) & (pt < s1)
            n_on = int(np.count_nonzero(sel))
            key = ("under 3 onsets" if n_on < 3 else "3-9 onsets" if n_on < 10 else "10+ onsets") + (
                ", under 1 s" if s1 - s0 < 1.0 else ", 1 s or more")
            c = classes.setdefault(key, [0, 0, 0, 0])
            c[0] += 1
            c[1] += _shows((pt, py), (s0, s1), sign)
            c[3] += any(_shows(part, (s0, s1), sign) for part in parts)
            ms = (measured.times_s >= s0 - 0.01) & (measured.times_s <= s1) & measured.is_onset
            if np.count_nonzero(ms) >= 3:
                ch, tau = _trend(measured.times_s[ms], measured.level_db[ms], sign)
                c[2] += ch >= VISIBLE_DB and tau >= VISIBLE_TAU
        want = [tuple(h) for h in truth["hairpins"]]

        def detect(t: np.ndarray, y: np.ndarray) -> list[Any]:
            return find_hairpins(NoteLevels(t, y, np.ones(t.size, dtype=bool)), step_db=4.5)

        for key, found in (("audio", [(h.start_s, h.end_s, h.kind) for h in dmap.hairpins]),
                           ("velocities", [(h.start_s, h.end_s, h.kind) for h in detect(pt, py)]),
                           ("parts", _pooled([detect(*part) for part in parts]))):
            counts = score.match_spans(want, found)
            det[key] = [d + c for d, c in zip(det[key], counts, strict=True)]
    return {"markings": mk, "hairpin_classes": classes, "hairpin_detector": det, "items": len(performed)}


def _f1(tp: int, found: int, true: int) -> float:
    p = tp / found if found else 0.0
    r = tp / true if true else 0.0
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def main(argv: list[str] | None = None) -> int:
    """Print the breakdown of one part."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tuning", "validation"), default="tuning")
    args = parser.parse_args(argv)
    result = breakdown(args.split)
    mk = result["markings"]
    read, oracle = mk["read"][0] / mk["read"][1], mk["oracle"][0] / mk["oracle"][1]
    print(f"{args.split} part, {result['items']} score excerpts")
    print(f"markings within one step: {read:.3f} as read, {oracle:.3f} with the best shift per item "
          f"(whole-piece offset {oracle - read:.3f}, local placement {1 - oracle:.3f})")
    played, played_oracle = (mk[k][0] / mk[k][1] for k in ("velocities", "velocities_oracle"))
    print(f"  read from the performed velocities instead of the audio (a perfect level measurement, same reader): "
          f"{played:.3f}, {played_oracle:.3f} with the best shift per item")
    print("true hairpins                      count  show in velocities  show in audio levels  in some part")
    for key, (n, vel, aud, part) in sorted(result["hairpin_classes"].items()):
        print(f"  {key:<32} {n:5d}  {vel:18d}  {aud:20d}  {part:12d}")
    labels = {"audio": "audio", "velocities": "performed velocities (all parts)",
              "parts": "performed velocities of each part, pooled"}
    for key, (tp, nf, nt) in result["hairpin_detector"].items():
        print(f"hairpin detector on the {labels[key]:<42}: F1 {_f1(tp, nf, nt):.3f} ({tp} matched, {nf} reported, {nt} true)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
