"""Is a long crescendo one hairpin? Known gain ramps laid over real recordings.

    make game-music && .venv/bin/python benchmarks/dynamics_eval/long_hairpins.py [--items]

The issue asks that a long crescendo be reported as one hairpin, not as a staircase of
markings. The truth here is made by construction, on music nobody here wrote: each recording
(Debian's game soundtracks, ``make game-music``, and the score excerpts of the corpus's
tuning part) is cut to 20 s + ramp + 20 s, starting 10 s in (repeated when it is shorter), and
its gain is held for 20 s, moved in a straight line (in dB) over the ramp, then held:

- +15 dB over 120 s (the issue's "2-minute crescendo from -35 to -20 LUFS"),
- -12 dB over 90 s,
- +9 dB over 45 s.

The music keeps its own dynamics under the ramp, so a ramp counts as found when
``mezzo.analyze(audio, rate, dynamics=True)`` (default options) reports a hairpin of its kind
overlapping it by at least half of the longer of the two (the corpus's matching rule,
``score.py``). The groups: Endgame: Singularity and HyperRogue (electronic and game loops) and
the corpus's tuning excerpts were looked at while the section-long hairpins were designed
(``mezzo.meters.hairpins``); Battle for Wesnoth's orchestral tracks were not, and are the
held-out figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_corpus  # noqa: E402
import real_recordings  # noqa: E402
import score  # noqa: E402

#: (gain change dB, ramp length s) of each variant.
RAMPS = ((15.0, 120.0), (-12.0, 90.0), (9.0, 45.0))
#: Held before and after the ramp, s; cut from this far into the recording, s.
HOLD_S = 20.0
START_S = 10.0


def groups() -> dict[str, list[str]]:
    """The recordings of each group that are installed or built (empty groups left out)."""
    corpus = [str(p.with_suffix(".flac")) for p in sorted((build_corpus.CORPUS / "tuning").glob("*.json"))
              if p.name != "manifest.json" and json.loads(p.read_text()).get("kind") == "score"]
    soundtracks = real_recordings.available()
    out = {
        "electronic and game loops (looked at)": sorted(soundtracks.get("electronic", [])
                                                        + soundtracks.get("game loops", [])),
        "score excerpts, tuning part (looked at)": corpus,
        "orchestral, Wesnoth (held out)": soundtracks.get("orchestral", []),
    }
    return {k: v for k, v in out.items() if v}


def ramped(audio: np.ndarray, rate: int, gain_db: float, ramp_s: float) -> np.ndarray:
    """``audio`` (channels, samples) cut and repeated to HOLD + ramp + HOLD s, with the gain ramp laid over it.

    The gain is 0 dB at its highest, so nothing is raised into clipping.
    """
    need = round((START_S + 2 * HOLD_S + ramp_s) * rate)
    while audio.shape[1] < need:
        audio = np.concatenate([audio, audio], axis=1)
    x = audio[:, round(START_S * rate) : need]
    t = np.arange(x.shape[1]) / rate
    gain = np.interp(t, [0.0, HOLD_S, HOLD_S + ramp_s, 2 * HOLD_S + ramp_s], [0.0, 0.0, gain_db, gain_db])
    return (x * 10.0 ** ((gain - max(gain_db, 0.0)) / 20.0)).astype(np.float32)


def found(hairpins: list[dict], gain_db: float, ramp_s: float) -> bool:
    """Whether a reported hairpin of the ramp's kind matches the ramp (half the longer span)."""
    kind = "crescendo" if gain_db > 0 else "decrescendo"
    truth = [(HOLD_S, HOLD_S + ramp_s, kind)]
    tp, _, _ = score.match_spans(truth, [(h["start_s"], h["end_s"], h["kind"]) for h in hairpins])
    return tp == 1


def _read(job: tuple[str, float, float]) -> tuple[bool, list[dict]]:
    import soundfile as sf

    import mezzo

    path, gain_db, ramp_s = job
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    hairpins = mezzo.analyze(ramped(audio.T, rate, gain_db, ramp_s), rate, dynamics=True).to_dict()["hairpins"]
    return found(hairpins, gain_db, ramp_s), hairpins


def check(found_groups: dict[str, list[str]], *, workers: int = 2) -> dict[str, Any]:
    """Read every ramp of every recording; per group, ramp by ramp, what was found and reported."""
    jobs = {g: [(path, *ramp) for path in paths for ramp in RAMPS] for g, paths in found_groups.items()}
    with ProcessPoolExecutor(workers) as pool:
        results = {g: list(pool.map(_read, group_jobs)) for g, group_jobs in jobs.items()}
    out: dict[str, Any] = {"groups": {}, "rows": []}
    for g, group_jobs in jobs.items():
        out["groups"][g] = [{"path": path, "gain_db": gain_db, "ramp_s": ramp_s, "found": ok, "hairpins": hairpins}
                            for (path, gain_db, ramp_s), (ok, hairpins) in zip(group_jobs, results[g], strict=True)]
    for gain_db, ramp_s in RAMPS:
        cells = []
        for rows in out["groups"].values():
            mine = [r for r in rows if (r["gain_db"], r["ramp_s"]) == (gain_db, ramp_s)]
            cells.append(f"{sum(r['found'] for r in mine)} of {len(mine)}")
        out["rows"].append((f"{gain_db:+.0f} dB over {ramp_s:.0f} s", *cells))
    out["rows"].append(("all", *(f"{sum(r['found'] for r in rows)} of {len(rows)}" for rows in out["groups"].values())))
    return out


def main(argv: list[str] | None = None) -> int:
    """Print, per group and ramp, how many ramps are found as one hairpin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", action="store_true", help="list the ramps missed and what was reported")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    found_groups = groups()
    if not found_groups:
        print("no recordings: run `make game-music` (and build_corpus.py for the score excerpts)", file=sys.stderr)
        return 2
    result = check(found_groups, workers=args.workers)
    for row in [("ramp", *found_groups), *result["rows"]]:
        print(f"{row[0]:<22}" + "".join(f"{cell:>42}" for cell in row[1:]))
    if args.items:
        for rows in result["groups"].values():
            for r in rows:
                if not r["found"]:
                    long = [(round(h["start_s"]), round(h["end_s"]), h["kind"]) for h in r["hairpins"]
                            if h["end_s"] - h["start_s"] >= 10]
                    print(f"  missed {Path(r['path']).name} {r['gain_db']:+.0f} dB / {r['ramp_s']:.0f} s: {long}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
