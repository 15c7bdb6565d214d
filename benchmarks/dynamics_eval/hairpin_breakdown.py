"""Where the hairpin errors come from: the wedges the performance plays, the reader on exact levels, on audio.

    .venv/bin/python benchmarks/dynamics_eval/hairpin_breakdown.py --split tuning [--items]
    .venv/bin/python benchmarks/dynamics_eval/hairpin_breakdown.py --split tuning-tempo

Each score item's performance is drawn again exactly as ``build_corpus.py`` drew it (same seed,
same MIDI; the regenerated truth is checked against the stored one), so the velocities played
are known note by note. Three questions, each against the truth's wedges:

- **Played.** The *played level* at each onset is the loudest sounding note's velocity as
  General MIDI's recommended gain, 40 log10(v / 127) dB. A wedge counts as played when a
  straight line through the played levels of its onsets (and of the target note up to 0.3 s
  after its end) changes by at least 3 dB the written way over at least 1 s and 3 onsets: the
  smallest hairpin mezzo's reader reports by default. A wedge on one accompanying part, one
  under a louder melody, one at the top of the velocity table or shorter than a beat is written
  but not played; ``ceiling_f1`` is the F1 of a reader that found every played wedge and
  nothing else.
- **Exact levels.** mezzo's hairpin reader (:func:`mezzo.meters.hairpins.find_hairpins`, its
  defaults, the dynamics map's default marking step) fed those played levels instead of the
  levels it measures in the audio: what the reader does when the front end is perfect.
- **Audio.** ``mezzo.analyze(path, dynamics=True)`` on the rendered file, as ``evaluate.py``
  reads it: its F1, and how many of the played and of the unplayed wedges it matches.

Nothing here chooses anything: run the validation part only to report.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_corpus  # noqa: E402
import evaluate  # noqa: E402
import score  # noqa: E402

#: The smallest played change (dB), span (s) and number of onsets of a played wedge.
PLAYED_DB, PLAYED_S, PLAYED_ONSETS = 3.0, 1.0, 3
#: How long after a wedge's end its target note may come (s).
TARGET_S = 0.3


def played_levels(midi: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(onset times s, played level dB) of a performance: the loudest sounding note's 40 log10(v / 127)."""
    import mido

    notes = []
    for track in mido.MidiFile(file=io.BytesIO(midi)).tracks:
        ticks, sounding = 0, {}
        for msg in track:
            ticks += msg.time
            if msg.type not in ("note_on", "note_off"):
                continue
            key = (msg.channel, msg.note)
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[key] = (ticks, msg.velocity)
            elif key in sounding:
                start, velocity = sounding.pop(key)
                notes.append((start, ticks, velocity))
    # the performances are written at 480 ticks per second (see scores.perform)
    arr = np.array(notes, dtype=np.float64).reshape(-1, 3) / np.array([480.0, 480.0, 1.0])
    onsets = np.unique(np.round(arr[:, 0], 2))
    level = np.empty(onsets.size)
    for i, t in enumerate(onsets):
        sounding_now = (arr[:, 0] <= t + 0.01) & (arr[:, 1] > t + 0.005)
        level[i] = 40.0 * np.log10(arr[sounding_now, 2].max() / 127.0) if sounding_now.any() else -np.inf
    ok = np.isfinite(level)
    return onsets[ok], level[ok]


def played_change(onsets: np.ndarray, level: np.ndarray, wedge: tuple[float, float, str]) -> tuple[float, int]:
    """(change in dB the written way, onsets) of a straight line through a wedge's played levels."""
    s0, s1, kind = wedge
    sel = (onsets >= s0 - 0.01) & (onsets <= s1 + TARGET_S)
    x, y = onsets[sel], level[sel]
    if x.size < 2 or np.ptp(x) <= 0:
        return 0.0, int(x.size)
    slope = float(np.polyfit(x, y, 1)[0])
    return slope * float(np.ptp(x)) * (1.0 if kind == "crescendo" else -1.0), int(x.size)


def is_played(onsets: np.ndarray, level: np.ndarray, wedge: tuple[float, float, str]) -> bool:
    """Whether the performance plays ``wedge`` (see the module notes)."""
    change, count = played_change(onsets, level, wedge)
    return wedge[1] - wedge[0] >= PLAYED_S and count >= PLAYED_ONSETS and change >= PLAYED_DB


def _performances(split: str) -> dict[str, Any]:
    """name -> performance of the score items of ``split``, drawn as the corpus draws them."""
    base, designs, offset = build_corpus.EXTRA.get(split, (split, build_corpus.DESIGNS, None))
    out = {}
    for i, (path, composer, count) in enumerate(build_corpus.PIECES[base]):
        seed = build_corpus.score_seed(base, i) if offset is None else offset + i
        for name, perf, _font, _peak in build_corpus.performances(base, path, composer, count, seed, designs):
            out[name] = perf
    return out


def breakdown(split: str, *, workers: int = 2, items: bool = False, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Played wedges, the reader's F1 on exact played levels and on the audio, for one part."""
    from mezzo.meters.dynamics_map import dynamics_map_from_features
    from mezzo.meters.hairpins import find_hairpins
    from mezzo.meters.note_levels import NoteLevels

    step_db = float(dynamics_map_from_features.__kwdefaults__["step_db"])
    folder = evaluate.PARTS[split]
    perfs = _performances(split)
    names = sorted(n for n in perfs if (folder / f"{n}.json").exists() and evaluate.selected(n, only))
    audio = {name: reading for name, _, reading in evaluate.readings(split, workers=workers, only=tuple(names))}
    wedges = played = exact_tp = exact_found = audio_tp = audio_found = played_hit = unplayed_hit = 0
    for name in names:
        truth = json.loads((folder / f"{name}.json").read_text())
        if truth["hairpins"] != perfs[name].truth["hairpins"]:
            raise SystemExit(f"{name}: the regenerated performance is not the corpus's (rebuild the corpus)")
        true = [tuple(h) for h in truth["hairpins"]]
        onsets, level = played_levels(perfs[name].midi)
        exact = [(h.start_s, h.end_s, h.kind) for h in
                 find_hairpins(NoteLevels(onsets, level, np.ones(onsets.size, dtype=bool)), step_db=step_db)]
        read = [(h["start_s"], h["end_s"], h["kind"]) for h in audio[name].get("hairpins", [])]
        e_tp, e_found, _ = score.match_spans(true, exact)
        a_tp, a_found, _ = score.match_spans(true, read)
        item_played = [is_played(onsets, level, w) for w in true]
        hits = [score.match_spans([w], read)[0] == 1 for w in true]
        wedges += len(true)
        played += sum(item_played)
        exact_tp, exact_found = exact_tp + e_tp, exact_found + e_found
        audio_tp, audio_found = audio_tp + a_tp, audio_found + a_found
        played_hit += sum(h for h, p in zip(hits, item_played, strict=True) if p)
        unplayed_hit += sum(h for h, p in zip(hits, item_played, strict=True) if not p)
        if items:
            print(f"  {name:<44} wedges {len(true):>2}  played {sum(item_played):>2}  exact {e_tp}/{e_found}  "
                  f"audio {a_tp}/{a_found}")

    def f1(tp: int, found: int) -> float | None:
        return 2.0 * tp / (found + wedges) if found + wedges else None

    return {
        "items": len(names), "wedges": wedges, "played": played,
        "played_share": played / wedges if wedges else None,
        "ceiling_f1": f1(played, played),
        "exact_levels": f"{exact_tp}/{exact_found}/{wedges}", "exact_levels_f1": f1(exact_tp, exact_found),
        "audio": f"{audio_tp}/{audio_found}/{wedges}", "audio_f1": f1(audio_tp, audio_found),
        "audio_played_matched": f"{played_hit}/{played}", "audio_unplayed_matched": f"{unplayed_hit}/{wedges - played}",
    }


def main(argv: list[str] | None = None) -> int:
    """Print the breakdown of one part."""
    parser = evaluate.part_arguments(__doc__.splitlines()[0], items=True)
    args = parser.parse_args(argv)
    if args.split not in ("tuning", "validation", *build_corpus.EXTRA):
        parser.error("a part with score items: tuning, validation or " + ", ".join(build_corpus.EXTRA))
    if not evaluate.part_is_built(args.split):
        return 2
    for k, v in breakdown(args.split, workers=args.workers, items=args.items, only=tuple(args.only)).items():
        print(f"  {k:<24} {v if not isinstance(v, float) else f'{v:.3f}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
