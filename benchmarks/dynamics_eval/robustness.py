"""Does the reading hold when the same music comes at another sample rate or level?

    .venv/bin/python benchmarks/dynamics_eval/robustness.py --split tuning
    .venv/bin/python benchmarks/dynamics_eval/robustness.py --split synth --variant 48k
    .venv/bin/python benchmarks/dynamics_eval/robustness.py --split validation      # to report only

Each item is read as it is and again as a *variant* of the same audio, and both readings go
through the corpus's scorer (``score.py``):

- ``48k``: resampled to 48 kHz (scipy's polyphase resampler, not the one mezzo uses), the
  rate most producers export at;
- ``22k-mono``: the two channels mixed and resampled to 22.05 kHz;
- ``quiet``: 20 dB softer (a render or recording left unnormalised);
- ``mp3``: encoded by ffmpeg's LAME at 128 kbit/s and read back by mezzo from the MP3 file
  (how most music reaches a producer; needs ffmpeg: ``make ffmpeg``).

A reading that depends on the variant is noise in the figures the corpus gives: the table
prints each variant's scores beside the original's and the items whose tempo score moved by
more than 0.05. Nothing is tuned here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import evaluate  # noqa: E402
import score  # noqa: E402

VARIANTS = ("48k", "22k-mono", "quiet", "mp3")
#: Bit rate of the ``mp3`` variant, kbit/s.
MP3_KBPS = 128


def _resampled(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(to, rate)
    return resample_poly(x, to // g, rate // g, axis=0).astype(np.float32)


def variant_audio(x: np.ndarray, rate: int, variant: str) -> tuple[np.ndarray, int]:
    """``x`` (samples, channels) as an array ``variant`` (48k, 22k-mono, quiet; see the module notes), and its rate."""
    if variant == "48k":
        return _resampled(x, rate, 48000), 48000
    if variant == "22k-mono":
        return _resampled(x.mean(axis=1, keepdims=True), rate, 22050), 22050
    if variant == "quiet":
        return (x * 0.1).astype(np.float32), rate
    raise ValueError(f"unknown array variant {variant!r}: one of 48k, 22k-mono, quiet (mp3 is made by variant_file)")


def variant_file(x: np.ndarray, rate: int, variant: str, folder: Path, stem: str) -> Path:
    """``x`` (samples, channels) as ``variant``, written into ``folder``: a float WAV, or an MP3 made by ffmpeg.

    The MP3 is LAME at ``MP3_KBPS`` through ffmpeg, independent of mezzo's own encoder.
    """
    import soundfile as sf

    y, out_rate = (x, rate) if variant == "mp3" else variant_audio(x, rate, variant)
    wav = folder / f"{variant}_{stem}.wav"
    sf.write(wav, y, out_rate, subtype="FLOAT")
    if variant != "mp3":
        return wav
    out = wav.with_suffix(".mp3")
    try:
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav),
                        "-c:a", "libmp3lame", "-b:a", f"{MP3_KBPS}k", str(out)], check=True)
    finally:
        wav.unlink(missing_ok=True)
    return out


def _read(job: tuple[str, str, str]) -> dict[str, Any]:
    import soundfile as sf

    from mezzo.analysis import analyze

    path, variant, folder = job
    x, rate = sf.read(path, dtype="float32", always_2d=True)
    out = variant_file(x, rate, variant, Path(folder), Path(path).stem)
    try:
        return analyze(str(out), dynamics=True).to_dict()
    finally:
        out.unlink(missing_ok=True)


def compare(split: str, variants: tuple[str, ...], *, workers: int = 2,
            only: tuple[str, ...] = ()) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[str, float, float]]]]:
    """Scores per reading (the original and each variant), and per variant the items whose tempo moved."""
    data = evaluate.readings(split, workers=workers, only=only)
    folder = evaluate.PARTS[split]
    rows = {"original": {name: score.score_item(truth, reading) for name, truth, reading in data}}
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(max_workers=workers) as pool:
        for v in variants:
            jobs = [(str(folder / f"{name}.flac"), v, tmp) for name, _, _ in data]
            rows[v] = {name: score.score_item(truth, reading)
                       for (name, truth, _), reading in zip(data, pool.map(_read, jobs), strict=True)}
    summary = {k: score.aggregate(list(v.values())) for k, v in rows.items()}
    moved = {}
    for v in variants:
        pairs = ((n, r.get("tempo"), rows[v][n].get("tempo")) for n, r in rows["original"].items())
        moved[v] = [(n, a, b) for n, a, b in pairs if a is not None and b is not None and abs(a - b) > 0.05]
    return summary, moved


def main(argv: list[str] | None = None) -> int:
    """Print the scores of the original and each variant, and the items whose tempo moved."""
    parser = evaluate.part_arguments(__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="a variant (repeatable; default all)")
    args = parser.parse_args(argv)
    if not evaluate.part_is_built(args.split):
        return 2
    variants = tuple(args.variant or VARIANTS)
    if "mp3" in variants and shutil.which("ffmpeg") is None:
        if args.variant:
            print("robustness.py: the mp3 variant needs ffmpeg: run `make ffmpeg`, or leave out --variant mp3",
                  file=sys.stderr)
            return 2
        print("robustness.py: no ffmpeg, so no mp3 variant (`make ffmpeg` adds it)", file=sys.stderr)
        variants = tuple(v for v in variants if v != "mp3")
    summary, moved = compare(args.split, variants, workers=args.workers, only=tuple(args.only))
    print(f"{args.split.upper()} part")
    print(f"  {'':<26}" + "".join(f"{k:>12}" for k in summary))
    for key in summary["original"]:
        print(f"  {key:<26}" + "".join(f"{'-' if row[key] is None else format(row[key], '.3f'):>12}"
                                       for row in summary.values()))
    for v, items in moved.items():
        print(f"  {v}: tempo score moved by more than 0.05 on {len(items)} items")
        for name, a, b in items:
            print(f"    {name:<46} {a:.2f} -> {b:.2f}")
    print(json.dumps({"split": args.split, "moved": {v: len(i) for v, i in moved.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
