"""Benchmark of the dynamics reading (issue 14): corpus scores, speed, start-up and memory.

Run ``.venv/bin/python benchmarks/run.py --only dynamics`` (or ``make bench``). Prints:

1. **Scores** on the evaluation corpus (``benchmarks/dynamics_eval/``: music21 score excerpts and
   dance tracks rendered by FluidSynth; built on first use, see ``build_corpus.py``), per task,
   for the tuning part and the validation part apart. The floors are checked on the validation
   part only (composers and SoundFont never used while choosing the methods). Skipped with
   the reason when music21, FluidSynth or the SoundFonts are missing (``make bench`` installs
   them).
   Beside them, the field's tempo readers (Essentia, librosa, madmom; ``dynamics_eval/tempo_anchors.py``)
   on the same items and scorer: tempo within 4 % and the share read at the written level; and
   accelerando/ritardando on the extra parts with a designed change on every item
   (``tuning-tempo``, and ``validation-tempo`` to report: 30 held-out changes instead of ten).
2. **Real recordings** (Debian's game soundtracks, ``make game-music``): drops per 10 minutes on
   music without drops, the longest hairpin, tempo changes without a clear pulse; and known gain
   ramps (+15 dB over 120 s, -12 dB over 90 s, +9 dB over 45 s) laid over them and over the
   corpus's tuning excerpts, found as one hairpin or not (``dynamics_eval/long_hairpins.py``);
   and accelerandos and ritardandos made by playing beat-driven recordings at a known
   changing speed (``dynamics_eval/tempo_ramps.py``).
3. **Speed**: ``mezzo.analyze(path, dynamics=True)`` on 10 minutes of stereo 48 kHz, warm, best
   of 2, against real time (floor 50x).
4. **Start-up**: ``mezzo analyze FILE --json`` on a 30 s file as a whole process, warm numba
   cache, best of 3 (floor 3 s).
5. **Memory**: peak RSS of ``mezzo analyze FILE --json`` (dynamics included, the default) on a
   60-minute stereo 48 kHz WAV (floor 500 MB).

``--quick``: a 2-minute signal, no 60-minute file, no corpus build (scores only when the
corpus is already there).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

NAME = "dynamics"
SPEED_FLOOR = 50.0
CLI_FLOOR_S = 3.0
MEMORY_FLOOR_MB = 500.0
FULL_DURATION_S = 600.0
QUICK_DURATION_S = 120.0


def _scores(*, quick: bool) -> tuple[dict, list[tuple[str, bool, str]]]:
    """Evaluate both parts of the corpus; return the report and the floor checks."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "dynamics_eval"))
    import build_corpus
    import evaluate
    import score

    missing = build_corpus.missing_prerequisites()
    have = (build_corpus.CORPUS / "manifest.json").exists()
    if (missing and not have) or (quick and not have):
        reason = "; ".join(missing) or "--quick does not build the corpus"
        print(f"\ncorpus scores SKIPPED: {reason}")
        return {"skipped": reason}, []
    if not missing:
        build_corpus.build(log=lambda _line: None)
    manifest = build_corpus.build(log=lambda _line: None) if not missing else None
    report: dict = {}
    readings: dict = {}
    rows_by_part: dict = {}
    for split in ("tuning", "validation"):
        result = evaluate.evaluate(split, items=False)
        report[split] = {"metrics": result["metrics"], "counts": result["counts"], "items": result["items"]}
        readings[split] = result["readings"]
        rows_by_part[split] = result["rows"]
    rows = []
    for key, floor in score.FLOORS.items():
        tun, val = report["tuning"]["metrics"][key], report["validation"]["metrics"][key]
        rows.append((key, c.fmt_num(tun), c.fmt_num(val), f"{floor}",
                     "-" if val is None else ("ok" if val >= floor else "BELOW")))
    items = {s: report[s]["items"] for s in report}
    print(f"\ncorpus scores (tuning part: {items['tuning']} items; validation part: {items['validation']} items,"
          " never used to choose the methods)")
    print(c.render_table(("task", "tuning", "VALIDATION", "floor", "validation vs floor"), rows))
    for key in ("hairpins", "tempo_changes", "buildups", "drops"):
        print(f"  {key}: tuning {report['tuning']['counts'][key]}; validation {report['validation']['counts'][key]}")
    if manifest:
        report["corpus"] = {"items": len(manifest["items"])}
    checks = [(f"validation {k} >= {f}", (report["validation"]["metrics"][k] or 0.0) >= f,
               c.fmt_num(report["validation"]["metrics"][k])) for k, f in score.FLOORS.items()]
    if not quick:  # the field's readers and the extra parts take minutes
        report["tempo_anchors"] = _tempo_anchors(readings)
        report["extra_parts"] = _extra_parts(rows_by_part)
    return report, checks


def _extra_parts(rows_by_part: dict) -> dict:
    """Scores on the extra parts of ``build_corpus.EXTRA`` (built on first use).

    ``rows_by_part``: the scored rows of the tuning and validation parts (``evaluate.evaluate``'s
    ``rows``), beside which a part rendered with another SoundFont is shown.

    Designed changes: the validation part has ten tempo changes, so its F1 moves by about 0.1
    with one match; ``validation-tempo`` (its pieces again, other excerpts) is a larger held-out
    count. Other SoundFonts: each part's performances rendered with one SoundFont (the other part's, or
    each tuning SoundFont alone).
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent / "dynamics_eval"))
    import build_corpus
    import evaluate
    import score

    out, tempo_rows, font_rows = {}, [], []
    for name, extra in sorted(build_corpus.EXTRA.items()):
        build_corpus.build_extra(name, log=lambda _line: None)
        result = evaluate.evaluate(name, items=False)
        m, counts = result["metrics"], result["counts"]
        out[name] = {"tempo_change_f1": m["tempo_change_f1"], "tempo_changes": counts["tempo_changes"],
                     "tempo_within_4pct": m["tempo_within_4pct"], "markings_within_one_step": m["markings_within_one_step"],
                     "hairpin_f1": m["hairpin_f1"], "items": result["items"]}
        if extra.font is None:
            tempo_rows.append((f"{name} ({result['items']})", c.fmt_num(m["tempo_change_f1"]), counts["tempo_changes"],
                               c.fmt_num(m["tempo_within_4pct"], 3)))
        else:  # beside the same excerpts as the part renders them
            names = {r["name"] for r in result["rows"]}
            own_rows = [r for r in rows_by_part[extra.split] if r["name"] in names]
            own = score.aggregate(own_rows)
            out[name]["own_font"] = {k: own[k] for k in ("markings_within_one_step", "hairpin_f1", "tempo_within_4pct")}
            font_rows.append((f"{name} ({result['items']}, {extra.font})",
                              *(f"{c.fmt_num(own[k], 3)} -> {c.fmt_num(m[k], 3)}"
                                for k in ("markings_within_one_step", "hairpin_f1", "tempo_within_4pct")),
                              f"{score.counts(own_rows)['tempo_changes']} -> {counts['tempo_changes']}"))
    print("\nextra parts with a designed accelerando or ritardando on every item (build_corpus.py --extra;"
          " validation-tempo: report only)")
    print(c.render_table(("part (items)", "accel/rit F1", "tempo changes", "tempo within 4 %"), tempo_rows))
    print("\neach part's score excerpts, the same performances, with its own SoundFonts -> the SoundFont named"
          " (the validation pieces and MuseScore_General: report only)")
    print(c.render_table(("part (items, SoundFont)", "markings", "hairpin F1", "tempo within 4 %", "tempo changes"),
                         font_rows))
    return out


def _tempo_anchors(readings: dict) -> dict:
    """The field's tempo readers beside mezzo's ``readings`` (per part, by item) on both parts (same items, same scorer)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "dynamics_eval"))
    import tempo_anchors

    out = {split: tempo_anchors.compare(split, mezzo=readings[split]) for split in ("tuning", "validation")}
    for note in out["tuning"][1]:
        print(f"  note: {note}")
    rows = [(label, c.fmt_num(row["tempo_within_4pct"], 3), c.fmt_num(out["validation"][0][label]["tempo_within_4pct"], 3),
             c.fmt_num(row["at_written_level"], 3), c.fmt_num(out["validation"][0][label]["at_written_level"], 3))
            for label, row in out["tuning"][0].items()]
    print("\ntempo beside the field's readers (same items and scorer; dynamics_eval/tempo_anchors.py)")
    print(c.render_table(("reader", "within 4 %: tuning", "VALIDATION", "at written level: tuning", "VALIDATION"), rows))
    return {split: summary for split, (summary, _) in out.items()}


def _real_recordings() -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent / "dynamics_eval"))
    import real_recordings

    files = real_recordings.available()
    if not files:
        print("\nreal recordings SKIPPED: no game soundtracks installed (make game-music)")
        return {"skipped": "no game soundtracks installed"}
    result = real_recordings.check(files)
    print(f"\nreal recordings ({sum(len(v) for v in files.values())} tracks from Debian's game soundtracks)")
    print(c.render_table(("check", "result"), [(k, str(v)) for k, v in result["summary"].items()]))
    return result


def _constructed(name: str, title: str, first_column: str) -> dict:
    """A check whose truth is made by construction on real recordings (``dynamics_eval/<name>.py``)."""
    import importlib

    sys.path.insert(0, str(Path(__file__).resolve().parent / "dynamics_eval"))
    module = importlib.import_module(name)
    found_groups = module.groups()
    if not found_groups:
        print(f"\n{title} SKIPPED: no game soundtracks installed (make game-music)")
        return {"skipped": "no game soundtracks installed"}
    result = module.check(found_groups)
    print(f"\n{title} ({name}.py)")
    print(c.render_table((first_column, *found_groups), result["rows"]))
    return {"rows": result["rows"], "groups": list(found_groups)}


def _cli_seconds(path: str, repeats: int = 3) -> tuple[float, float]:
    """Best wall time and peak RSS (MB) of ``mezzo analyze PATH --json -q`` in a fresh process."""
    exe = shutil.which("mezzo", path=str(Path(sys.executable).parent)) or "mezzo"
    best, peak = float("inf"), 0.0
    for _ in range(repeats):
        run = c.run_command([exe, "analyze", path, "--json", "-q"])
        if run.returncode != 0:
            raise RuntimeError(f"mezzo analyze failed: {run.stderr.strip()[-300:]}")
        best = min(best, run.wall_s)
        peak = max(peak, run.peak_rss_bytes / 1e6)
    return best, peak


def main(argv: list[str] | None = None) -> int:
    """Scores, real recordings, speed, start-up and memory; 1 if a floor fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2-minute signal, no 60-minute file, no corpus build")
    args = parser.parse_args(argv)
    from mezzo.analysis import analyze

    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores; figures move with the load)")
    scores, checks = _scores(quick=args.quick)
    real = {} if args.quick else _real_recordings()
    long_crescendos = {} if args.quick else _constructed(
        "long_hairpins", "long crescendos: known gain ramps over real recordings, found as one hairpin", "ramp")
    tempo_ramps = {} if args.quick else _constructed(
        "tempo_ramps", "tempo changes: real recordings played at a known changing speed", "variant")

    duration = QUICK_DURATION_S if args.quick else FULL_DURATION_S
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "music.wav")
        c.write_music_wav(wav, duration, 48000, seed=6)
        analyze(c.music_like(10.0, 48000, seed=1), 48000, dynamics=True)  # warm: imports, JIT
        best, result = c.best_time(lambda: analyze(wav, dynamics=True), repeats=2)
        start = time.perf_counter()
        analyze(wav)
        loud_only = time.perf_counter() - start
        factor = c.realtime_factor(best, duration)
        rows.append((f"analyze(file, dynamics=True), {duration / 60:.0f} min stereo 48 kHz WAV, warm (best of 2)",
                     f"{best:.2f}", f"{factor:.0f}", "-"))
        rows.append(("analyze(file) loudness only, same file", f"{loud_only:.2f}",
                     f"{c.realtime_factor(loud_only, duration):.0f}", "-"))
        checks.append((f"analysis >= {SPEED_FLOOR:.0f}x real time on {duration / 60:.0f} min stereo", factor >= SPEED_FLOOR,
                       f"{factor:.0f}x"))
        short = os.path.join(tmp, "short.wav")
        c.write_music_wav(short, 30.0, 48000, seed=3)
        cli_s, cli_mb = _cli_seconds(short)
        rows.append(("`mezzo analyze FILE --json` on 30 s, whole process, warm cache (best of 3)",
                     f"{cli_s:.2f}", f"{30.0 / cli_s:.0f}", f"{cli_mb:.0f}"))
        checks.append((f"30 s file through the CLI < {CLI_FLOOR_S:.0f} s", cli_s < CLI_FLOOR_S, f"{cli_s:.2f} s"))
        memory = None
        if not args.quick:
            long = os.path.join(tmp, "long.wav")
            c.write_music_wav(long, 3600.0, 48000, seed=8)
            long_s, memory = _cli_seconds(long, repeats=1)
            rows.append(("`mezzo analyze FILE --json` on a 60-min stereo 48 kHz WAV (691 MB)", f"{long_s:.1f}",
                         f"{3600.0 / long_s:.0f}", f"{memory:.0f}"))
            checks.append((f"peak RSS < {MEMORY_FLOOR_MB:.0f} MB on 60 minutes", memory < MEMORY_FLOOR_MB, f"{memory:.0f} MB"))
    print()
    print(c.render_table(("what", "time (s)", "x realtime", "peak RSS (MB)"), rows))
    print(f"(tempo {result.tempo.tempo_bpm} BPM on the 128 BPM signal)")
    print()
    for label, ok, value in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {label}: {value}")
    c.write_json(c.OUT_DIR / f"{NAME}.json", {
        "scores": scores, "real_recordings": real, "long_crescendos": long_crescendos,
        "tempo_ramps": tempo_ramps, "realtime_factor": factor, "seconds": best,
        "duration_s": duration, "cli_30s_seconds": cli_s, "memory_60min_mb": memory,
        "floors": [{"what": w, "ok": ok, "value": v} for w, ok, v in checks],
    })
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
