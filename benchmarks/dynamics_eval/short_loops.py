"""Tempo of short loops and whole tracks: the corpus's dance tracks read by mezzo, librosa and Essentia.

    .venv/bin/python benchmarks/dynamics_eval/short_loops.py --split tuning   # FluidSynth dance tracks
    .venv/bin/python benchmarks/dynamics_eval/short_loops.py --split synth    # numpy-synthesised ones
    .venv/bin/python benchmarks/dynamics_eval/short_loops.py --split synth --lengths 2 3.75
    .venv/bin/python benchmarks/dynamics_eval/short_loops.py --split tuning --lengths 0   # whole tracks

A producer reads the tempo of a loop or a sample of a few bars. Each dance track of the part is
cut into excerpts of 4, 6 and 8 s (``--lengths``; 0 reads the whole track) starting at its first
two drops (where the groove is full), and each excerpt is read by ``mezzo.tempo``, by
``librosa.beat.beat_track`` at its defaults (22 050 Hz, hop 512) and, with the ``bench`` extra,
by Essentia's ``RhythmExtractor2013(method="multifeature")`` at 44.1 kHz: independent readers,
nothing of mezzo's. The truth is the generator's nominal tempo. The question here is
precision, not the metrical level: a reading is compared with the nominal tempo times the
power of two nearest to it (excerpts read more than a tenth of an octave from every power of
two, or not read, are counted apart as "other level"). Printed per length: the share within
0.1 %, 1 %, 2 % and 4 % and the median error (%).
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
import tempo_anchors  # noqa: E402

#: Excerpt lengths (s) read by default.
LENGTHS_S = (4.0, 6.0, 8.0)


def _mezzo(x: np.ndarray, sr: int) -> float | None:
    from mezzo import tempo

    return tempo(x, sr).tempo_bpm


def _essentia(x: np.ndarray, sr: int) -> float | None:
    es, mono = tempo_anchors.essentia_mono(x.T, sr)
    bpm = float(es.RhythmExtractor2013(method="multifeature")(mono)[0])
    return bpm if bpm > 0 else None


def _librosa(x: np.ndarray, sr: int) -> float | None:
    import librosa

    y = librosa.resample(np.mean(x, axis=0), orig_sr=sr, target_sr=22050)
    bpm, _ = librosa.beat.beat_track(y=y, sr=22050)
    value = float(np.atleast_1d(bpm)[0])
    return value if value > 0 else None


READERS = {"mezzo": _mezzo, "librosa": _librosa, "essentia": _essentia}


def available() -> tuple[str, ...]:
    """The readers whose packages are installed (Essentia comes with the ``bench`` extra); a note for each left out."""
    import importlib.util

    missing = [name for name in ("librosa", "essentia") if importlib.util.find_spec(name) is None]
    for name in missing:
        print(f"{name} is not installed: its rows are left out", file=sys.stderr)
    return tuple(name for name in READERS if name not in missing)


#: The length that stands for the whole track (read once, from its start).
WHOLE = 0.0


def error_at_nearest_octave(bpm: float | None, nominal_bpm: float) -> float | None:
    """``bpm`` over ``nominal_bpm`` times the nearest power of two, less 1; None when no power of two is within a tenth of an octave."""
    if not bpm:
        return None
    octaves = float(np.log2(bpm / nominal_bpm))
    if abs(octaves - round(octaves)) > 0.1:
        return None
    return bpm / (nominal_bpm * 2.0 ** round(octaves)) - 1.0


def _item(path: str, lengths_s: tuple[float, ...], readers: tuple[str, ...]) -> list[tuple[float, str, float | None]]:
    """(length, reader, relative error at the nearest octave or None) of each excerpt of one track."""
    import soundfile as sf

    truth = json.loads(Path(path).with_suffix(".json").read_text())
    x, sr = sf.read(path, always_2d=True, dtype="float32")
    out = []
    for length in lengths_s:
        for start in [0.0] if length == WHOLE else truth["drops"][:2]:
            seg = x[int(start * sr) : int((start + length) * sr) if length != WHOLE else None].T.copy()
            if seg.shape[1] < int(length * sr):
                continue
            for name in readers:
                out.append((length, name, error_at_nearest_octave(READERS[name](seg, sr), truth["bpm"])))
    return out


def table(split: str, *, workers: int = 2, only: tuple[str, ...] = (),
          lengths_s: tuple[float, ...] = LENGTHS_S) -> dict[str, Any]:
    """Per length and reader: excerpts, at another level, share within 0.1/1/2/4 %, median error (%)."""
    truths = {p: json.loads(p.read_text()) for p in sorted(evaluate.PARTS[split].glob("*.json"))
              if evaluate.selected(p.stem, only)}
    paths = [str(p.with_suffix(".flac")) for p, t in truths.items() if t["kind"] == "dance" and t.get("drops")]
    readers = available()
    if "librosa" in readers:
        tempo_anchors.warm_librosa()  # its numba cache, compiled once before the workers start
    with ProcessPoolExecutor(max_workers=workers) as pool:
        rows = [r for item in pool.map(_item, paths, [lengths_s] * len(paths), [readers] * len(paths)) for r in item]
    out: dict[str, Any] = {}
    for length in lengths_s:
        for name in readers:
            errs = [e for n, r, e in rows if n == length and r == name]
            err = np.abs([e for e in errs if e is not None])
            out[f"{'whole' if length == WHOLE else f'{length:g} s'} {name}"] = {
                "excerpts": len(errs), "other_level": sum(e is None for e in errs),
                **{f"within_{p:g}pct": round(float(np.mean(err <= p / 100)), 3) if err.size else None
                   for p in (0.1, 1, 2, 4)},
                "median_error_pct": round(100 * float(np.median(err)), 3) if err.size else None,
            }
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the table of one part."""
    parser = evaluate.part_arguments(__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=float, nargs="+", default=list(LENGTHS_S), metavar="S",
                        help="excerpt lengths in seconds, 0 for the whole track (default: 4 6 8)")
    args = parser.parse_args(argv)
    if not evaluate.part_is_built(args.split):
        return 2
    print(f"{'excerpt, reader':<20} {'n':>4} {'other level':>11} {'within 0.1 %':>12} {'1 %':>6} {'2 %':>6} {'4 %':>6} "
          f"{'median error %':>15}")
    for key, r in table(args.split, workers=args.workers, only=tuple(args.only), lengths_s=tuple(args.lengths)).items():
        print(f"{key:<20} {r['excerpts']:>4} {r['other_level']:>11} {r['within_0.1pct']!s:>12} {r['within_1pct']!s:>6} "
              f"{r['within_2pct']!s:>6} {r['within_4pct']!s:>6} {r['median_error_pct']!s:>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
