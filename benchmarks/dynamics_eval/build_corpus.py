"""Build the dynamics evaluation corpus: score excerpts and dance tracks rendered by FluidSynth.

    .venv/bin/python benchmarks/dynamics_eval/build_corpus.py            # build what is missing
    .venv/bin/python benchmarks/dynamics_eval/build_corpus.py --force    # rebuild everything
    .venv/bin/python benchmarks/dynamics_eval/build_corpus.py --extra tuning-tempo

Needs music21 (``pip install -e '.[bench]'``), FluidSynth and the Debian SoundFonts
(``make soundfonts``). Writes ``benchmarks/dynamics_eval/corpus/{tuning,validation}/`` (git-ignored):
one FLAC (44.1 kHz stereo, 16 bit) and one truth JSON per item, and ``manifest.json``.

The split is by source, never by item:

- **score excerpts** by composer: tuning = Beethoven, Haydn, Joplin, Chopin, C. P. E. Bach,
  Beach, Schubert, Handel, Verdi; validation = Mozart, Robert and Clara Schumann, Weber,
  Schoenberg, Webern, Liliuokalani. Both parts hold string quartets, solo keyboard and a
  solo instrument or voice with piano (a piece with no 35-90 s window of whole bars holding
  two written dynamics gives no excerpt: 34 tuning and 27 validation excerpts in all);
- **SoundFonts**: tuning items are rendered with FluidR3_GM or TimGM6mb, validation items with
  MuseScore_General (never heard while tuning);
- **dance tracks**: drawn from separate seeds, with the SoundFonts of their part.

``--extra tuning-tempo`` builds more TUNING material for the tempo reader into
``benchmarks/out/dynamics_extra/tuning-tempo/`` (git-ignored, never part of the validation part):
the tuning part's pieces again, with other excerpts (other seeds), each performed with a designed
accelerando or ritardando, rendered with the tuning SoundFonts. Eight tempo changes in the
tuning part are too few to choose a detector by. ``--extra validation-tempo`` does the same
with the validation part's pieces and SoundFont, to REPORT only: ten tempo changes in the
validation part make its accelerando/ritardando F1 move by 0.1 with one match.
``--extra tuning-swapfont`` and ``--extra validation-swapfont`` render a part's score excerpts
again, the same performances, with the other part's SoundFont (MuseScore_General for the
tuning pieces, FluidR3_GM for the validation pieces), to REPORT only: whether a part's
figures come from its music or from its synthesizer. ``--extra tuning-fluidr3`` and
``--extra tuning-timgm6mb`` render the tuning pieces with one tuning SoundFont each (TUNING
material: FluidR3_GM's strings attack slowly, TimGM6mb's fast, see ``soundfont_curves.py``), and
``--extra validation-timgm6mb`` the validation pieces with TimGM6mb (report only).

Exit status: 0 when the corpus is complete, 2 when a prerequisite is missing (the message says
which and how to install it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
VERSION = 3
SAMPLE_RATE = 44100
FONTS = {
    "FluidR3_GM": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "MuseScore_General": "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
}
SPLIT_FONTS = {"tuning": ("FluidR3_GM", "TimGM6mb"), "validation": ("MuseScore_General",)}
#: (corpus path, composer, excerpts wanted)
PIECES = {
    "tuning": [
        ("beethoven/opus18no1/movement1.mxl", "Beethoven", 2), ("beethoven/opus18no1/movement2.mxl", "Beethoven", 2),
        ("beethoven/opus18no1/movement3.mxl", "Beethoven", 1), ("beethoven/opus18no1/movement4.mxl", "Beethoven", 2),
        ("beethoven/opus18no3.mxl", "Beethoven", 3), ("beethoven/opus18no4.mxl", "Beethoven", 2),
        ("beethoven/opus18no5.mxl", "Beethoven", 2), ("beethoven/opus59no1/movement1.mxl", "Beethoven", 2),
        ("beethoven/opus59no1/movement2.mxl", "Beethoven", 1), ("beethoven/opus59no2/movement1.mxl", "Beethoven", 2),
        ("beethoven/opus132.mxl", "Beethoven", 2), ("haydn/opus74no1/movement1.mxl", "Haydn", 2),
        ("haydn/opus74no1/movement2.mxl", "Haydn", 1), ("haydn/opus74no1/movement3.mxl", "Haydn", 1),
        ("haydn/opus1no1/movement3.mxl", "Haydn", 1), ("joplin/maple_leaf_rag.mxl", "Joplin", 2),
        ("chopin/mazurka06-2.krn", "Chopin", 1), ("cpebach/h186.mxl", "C. P. E. Bach", 2),
        ("beach/prayer_of_a_tired_child.musicxml", "Beach", 1), ("schubert/Lindenbaum.xml", "Schubert", 2),
        ("handel/rinaldo/Lascia_chio_pianga.mxl", "Handel", 1), ("verdi/laDonnaEMobile.mxl", "Verdi", 1),
    ],
    "validation": [
        ("mozart/k155/movement1.mxl", "Mozart", 2), ("mozart/k155/movement2.mxl", "Mozart", 1),
        ("mozart/k156/movement1.mxl", "Mozart", 1), ("mozart/k156/movement2.mxl", "Mozart", 1),
        ("mozart/k458/movement1.mxl", "Mozart", 2), ("mozart/k458/movement3.mxl", "Mozart", 1),
        ("mozart/k458/movement4.mxl", "Mozart", 2), ("schumann_robert/opus41no1/movement1.mxl", "R. Schumann", 3),
        ("schumann_robert/opus41no1/movement2.mxl", "R. Schumann", 1), ("schumann_robert/opus41no1/movement3.mxl", "R. Schumann", 2),
        ("schumann_robert/opus41no1/movement4.mxl", "R. Schumann", 1), ("schumann_robert/opus41no1/movement5.mxl", "R. Schumann", 2),
        ("schumann_clara/polonaise_op1n1.mxl", "C. Schumann", 1), ("schumann_clara/polonaise_op1n3.mxl", "C. Schumann", 1),
        ("schumann_clara/polonaise_op1n4.mxl", "C. Schumann", 1), ("schumann_clara/opus17/movement3.xml", "C. Schumann", 1),
        ("weber/concertino_clarinet.mxl", "Weber", 4), ("schoenberg/opus19/movement2.mxl", "Schoenberg", 1),
        ("webern/webern_dormi_jesu_op_16_no_2.mxl", "Webern", 1), ("liliuokalani/aloha_oe.mxl", "Liliuokalani", 1),
    ],
}
DANCE_TRACKS = {"tuning": 16, "validation": 16}
DESIGNS = ("steady", "steady", "rubato", "wave", "accel", "rit")


class Extra(NamedTuple):
    """Extra material, built on request into its own folder from a part's pieces."""

    split: str
    #: Tempo designs drawn from (every item gets one).
    designs: tuple[str, ...]
    #: First piece's seed (other excerpts), or None for the part's own seeds (the same performances).
    seed_offset: int | None
    #: SoundFont that renders every item instead of the part's own, or None.
    font: str | None = None


EXTRA = {
    "tuning-tempo": Extra("tuning", ("accel", "rit"), 7000),
    "validation-tempo": Extra("validation", ("accel", "rit"), 8000),
    "tuning-swapfont": Extra("tuning", DESIGNS, None, "MuseScore_General"),
    "validation-swapfont": Extra("validation", DESIGNS, None, "FluidR3_GM"),
    "tuning-fluidr3": Extra("tuning", DESIGNS, None, "FluidR3_GM"),
    "tuning-timgm6mb": Extra("tuning", DESIGNS, None, "TimGM6mb"),
    "validation-timgm6mb": Extra("validation", DESIGNS, None, "TimGM6mb"),
}
EXTRA_DIR = HERE.parent / "out" / "dynamics_extra"


def missing_prerequisites() -> list[str]:
    """What is missing to build the corpus, each with the way to install it."""
    out = []
    try:
        import music21  # noqa: F401
    except ImportError:
        out.append("music21 is not installed: run `.venv/bin/pip install -e '.[bench]'` (or `make bench`)")
    if shutil.which("fluidsynth") is None:
        out.append("fluidsynth is not installed: run `make soundfonts` (apt-get install fluidsynth)")
    for name, path in FONTS.items():
        if not os.path.exists(path):
            out.append(f"SoundFont {name} ({path}) is missing: run `make soundfonts`")
    return out


def render(midi: bytes, font: str) -> np.ndarray:
    """Render MIDI bytes with FluidSynth (reverb and chorus on); (2, samples) float32."""
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = os.path.join(tmp, "in.mid"), os.path.join(tmp, "out.wav")
        Path(mid).write_bytes(midi)
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(SAMPLE_RATE), "-F", wav, FONTS[font], mid],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        x, _ = sf.read(wav, dtype="float32", always_2d=True)
    return np.ascontiguousarray(x.T)


def _write(folder: Path, name: str, audio: np.ndarray, truth: dict[str, Any]) -> None:
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.flac"
    sf.write(tmp, audio.T, SAMPLE_RATE, subtype="PCM_16", format="FLAC")
    os.replace(tmp, folder / f"{name}.flac")
    (folder / f"{name}.json").write_text(json.dumps(truth, indent=1))


def score_seed(split: str, index: int) -> int:
    """Random seed of the ``index``-th piece of ``PIECES[split]``."""
    return 1000 * (1 if split == "tuning" else 2) + index


def performances(split: str, path: str, composer: str, count: int, seed: int,
                 designs: tuple[str, ...] = DESIGNS, font: str | None = None) -> Iterator[tuple[str, Any, str, float]]:
    """(name, performance, SoundFont, peak dBFS) of a piece's excerpts, drawn as the corpus draws them.

    ``font`` replaces the SoundFont drawn (which is still drawn, so the performances stay the same).
    """
    from scores import excerpts, parse_piece, perform

    rng = np.random.default_rng(seed)
    stem = path.replace("/", "_").rsplit(".", 1)[0]
    piece = parse_piece(path, stem, composer)
    piece.extra["drawn_beat_bpm"] = float(rng.uniform(60.0, 132.0))
    for k, (q0, q1) in enumerate(excerpts(piece, rng, count=count)):
        design = str(rng.choice(designs))
        perf = perform(piece, q0, q1, rng, design=design)
        drawn = str(rng.choice(SPLIT_FONTS[split]))
        yield f"{stem}_{k}", perf, font or drawn, float(rng.uniform(-9.0, -1.0))


class PieceJob(NamedTuple):
    """One piece of a part as :func:`performances` takes it (its arguments, in order)."""

    split: str
    path: str
    composer: str
    count: int
    seed: int
    designs: tuple[str, ...] = DESIGNS
    font: str | None = None


def piece_jobs(part: str) -> list[PieceJob]:
    """The pieces of a corpus part (``"tuning"``, ``"validation"``) or of extra material (a key of ``EXTRA``), seeded as built."""
    extra = EXTRA.get(part)
    split = extra.split if extra else part
    out = []
    for i, (path, composer, count) in enumerate(PIECES[split]):
        if extra is None:
            out.append(PieceJob(split, path, composer, count, score_seed(split, i)))
        else:
            seed = score_seed(split, i) if extra.seed_offset is None else extra.seed_offset + i
            out.append(PieceJob(split, path, composer, count, seed, extra.designs, extra.font))
    return out


def render_excerpt(perf: Any, font: str) -> np.ndarray:
    """A performance rendered with ``font`` (:func:`render`), cut to the excerpt's length; (2, samples) float32."""
    return render(perf.midi, font)[:, : int(perf.truth["duration_s"] * SAMPLE_RATE)]


def _score_job(job: PieceJob, force: bool, folder: Path | None = None) -> list[str]:
    stem = job.path.replace("/", "_").rsplit(".", 1)[0]
    names = [f"{stem}_{k}" for k in range(job.count)]
    folder = folder or CORPUS / job.split
    if not force and all((folder / f"{n}.json").exists() for n in names):
        return names
    done = []
    for name, perf, item_font, peak_db in performances(*job):
        audio = render_excerpt(perf, item_font)
        peak = float(np.max(np.abs(audio))) or 1.0
        audio = audio * (10 ** (peak_db / 20) / peak)
        truth = dict(perf.truth, split=job.split, soundfont=item_font, source=f"music21 corpus: {job.path}")
        _write(folder, name, audio, truth)
        done.append(name)
    return done


def _dance_job(split: str, index: int, seed: int, force: bool) -> list[str]:
    import dance

    name = f"dance_{index:02d}"
    folder = CORPUS / split
    if not force and (folder / f"{name}.json").exists():
        return [name]
    rng = np.random.default_rng(seed)
    feel = sorted(dance.FEELS)[index % len(dance.FEELS)]
    tr = dance.track(rng, feel=feel)
    font = SPLIT_FONTS[split][index % len(SPLIT_FONTS[split])]
    stems = {k: render(v, font) for k, v in tr.stems.items()}
    audio = dance.mix(tr, stems, SAMPLE_RATE, rng)
    audio = audio[:, : int(tr.truth["duration_s"] * SAMPLE_RATE)]
    truth = dict(tr.truth, split=split, soundfont=font, composer=f"dance/{feel}", source="dance.py MIDI stems")
    _write(folder, name, audio, truth)
    return [name]


def build(*, force: bool = False, workers: int = 2, log: Any = print) -> dict[str, Any]:
    """Build the corpus (what is missing, or everything with ``force``); return the manifest."""
    sys.path.insert(0, str(HERE))
    manifest_path = CORPUS / "manifest.json"
    if manifest_path.exists() and not force:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("version") == VERSION:
            return manifest
    CORPUS.mkdir(parents=True, exist_ok=True)
    jobs = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for split in PIECES:
            for job in piece_jobs(split):
                jobs.append((split, pool.submit(_score_job, job, force)))
            for i in range(DANCE_TRACKS[split]):
                seed = 5000 * (1 if split == "tuning" else 2) + i
                jobs.append((split, pool.submit(_dance_job, split, i, seed, force)))
        items = []
        for split, fut in jobs:
            for name in fut.result():
                items.append({"split": split, "name": name})
                log(f"  {split:<10} {name}")
    manifest = {"version": VERSION, "sample_rate": SAMPLE_RATE, "items": items}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    return manifest


def build_extra(name: str, *, force: bool = False, workers: int = 2, log: Any = print) -> list[str]:
    """Build the extra material ``name`` (a key of ``EXTRA``); return its item names."""
    sys.path.insert(0, str(HERE))
    folder = EXTRA_DIR / name
    names = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futs = [pool.submit(_score_job, job, force, folder) for job in piece_jobs(name)]
        for fut in futs:
            for item in fut.result():
                names.append(item)
                log(f"  {name:<12} {item}")
    return names


def main(argv: list[str] | None = None) -> int:
    """Build the corpus; 2 when a prerequisite is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild every item")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--extra", choices=sorted(EXTRA), help="build extra material instead (see above)")
    args = parser.parse_args(argv)
    missing = missing_prerequisites()
    if missing:
        for m in missing:
            print(f"dynamics corpus skipped: {m}", file=sys.stderr)
        return 2
    if args.extra:
        names = build_extra(args.extra, force=args.force, workers=args.workers)
        print(f"{args.extra}: {len(names)} items in {EXTRA_DIR / args.extra}")
        return 0
    manifest = build(force=args.force, workers=args.workers)
    counts: dict[str, int] = {}
    for item in manifest["items"]:
        key = f"{item['split']}/{'dance' if item['name'].startswith('dance_') else 'score'}"
        counts[key] = counts.get(key, 0) + 1
    print("corpus:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), f"in {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
