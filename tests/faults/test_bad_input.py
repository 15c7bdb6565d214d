"""Bad input across the commands: each gets its exit code, one line on stderr, and nothing changes.

Every case builds its bad input in a scratch folder, takes a snapshot of the whole folder,
runs the command, then checks the exit code (1 input or environment, 2 usage), that stderr
is one ``mezzo: error:`` line with the expected words, and that the folder is exactly as it
was: no output, no temporary file, inputs untouched.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from faultkit import FS, Scratch, music, one_line_error, snapshot

from mezzo.io import atomic

G = "IN/good.wav"


def float_wav(path: Path, bad: float) -> None:
    x = music(1.0).astype(np.float32)
    x[FS // 2, 1] = bad
    sf.write(path, x, FS, subtype="FLOAT")


def setup_nan(root: Path) -> None:
    float_wav(root / "nan.wav", np.nan)


def setup_inf(root: Path) -> None:
    float_wav(root / "inf.wav", np.inf)


def setup_rate(rate: int) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        sf.write(root / f"r{rate}.wav", np.zeros((rate // 10, 1)), rate, subtype="PCM_16")

    return make


def setup_channels(root: Path) -> None:
    sf.write(root / "c65.wav", np.zeros((480, 65)), FS, subtype="PCM_16")


def setup_files(root: Path) -> None:
    (root / "empty.wav").write_bytes(b"")
    (root / "notes.wav").write_text("not audio at all\n" * 10)
    good = (root / "in" / "good.wav").read_bytes()
    (root / "cut.wav").write_bytes(good[: len(good) // 3])
    sf.write(root / "zero.wav", np.zeros((0, 2)), FS, subtype="PCM_16")
    (root / "folder.wav").mkdir()
    os.mkfifo(root / "fifo.wav")
    (root / "dangling.wav").symlink_to(root / "nowhere.wav")
    (root / "afile").write_text("x")
    (root / "exists.wav").write_bytes(b"keep me")
    (root / "exists.png").write_bytes(b"keep me")
    (root / "notmidi.mid").write_text("not midi")
    sf.write(root / "key44k.wav", music(1.0)[: 44100], 44100, subtype="PCM_16")
    (root / "emptydir").mkdir()


def results_of_another_job(root: Path) -> None:
    (root / "t.csv").write_text(
        "path,status,error,job,output,input_mtime_s,seconds,worker\n/x/a.wav,ok,,analyze,,1.0,0.1,h:1\n"
    )


#: name -> (setup or None, arguments, exit code, words the error must contain)
CASES: dict[str, tuple[Callable[[Path], None] | None, list[str], int, str]] = {
    "missing input": (None, ["analyze", "ROOT/nope.wav"], 1, "no such file"),
    "empty file": (None, ["analyze", "ROOT/empty.wav"], 1, "is empty (0 bytes)"),
    "not audio": (None, ["compress", "ROOT/notes.wav", "-o", "ROOT/o.wav"], 1, "not an audio file"),
    "truncated wav": (None, ["analyze", "ROOT/cut.wav"], 1, "truncated"),
    "no samples": (None, ["master", "ROOT/zero.wav", "-o", "ROOT/o.wav"], 1, "contains no audio"),
    "folder as input": (None, ["analyze", "ROOT/folder.wav"], 1, "is a folder"),
    "FIFO as input": (None, ["analyze", "ROOT/fifo.wav"], 1, "is a FIFO (named pipe), not an audio file"),
    "/dev/zero as input": (None, ["compress", "/dev/zero", "-o", "ROOT/o.wav"], 1, "character device"),
    "dangling link as input": (None, ["analyze", "ROOT/dangling.wav"], 1, "link to a missing file"),
    "NaN names the file": (setup_nan, ["normalize", G, "ROOT/nan.wav", "--out-dir", "ROOT/emptydir"], 1,
                           "'ROOT/nan.wav': holds NaN or infinite samples (the first at 0.500 s)"),
    "Inf names the file": (setup_inf, ["compress", "ROOT/inf.wav", "-o", "ROOT/o.wav"], 1, "'ROOT/inf.wav': holds NaN"),
    "4 kHz sample rate": (setup_rate(4000), ["analyze", "ROOT/r4000.wav"], 1, "'ROOT/r4000.wav': has a sample rate of 4000 Hz"),
    "768 kHz sample rate": (setup_rate(768000), ["master", "ROOT/r768000.wav", "-o", "ROOT/o.wav"], 1,
                            "has a sample rate of 768000 Hz"),
    "65 channels": (setup_channels, ["compress", "ROOT/c65.wav", "-o", "ROOT/o.wav"], 1, "'ROOT/c65.wav': has 65 channels"),
    "output is the input": (None, ["compress", G, "-o", G, "--overwrite"], 1, "is one of the input files"),
    "output exists": (None, ["compress", G, "-o", "ROOT/exists.wav"], 1, "already exists — pass --overwrite"),
    "plot exists": (None, ["analyze", G, "--loudness-only", "--plot", "ROOT/exists.png"], 1, "already exists"),
    "output folder missing": (None, ["compress", G, "-o", "ROOT/missing/o.wav"], 1, "does not exist"),
    "output folder is a file": (None, ["master", G, "-o", "ROOT/afile/o.wav"], 1, "is a file, not a folder"),
    "output is a folder": (None, ["compress", G, "-o", "ROOT/emptydir", "--overwrite"], 1, "is a folder"),
    "output .xyz": (None, ["compress", G, "-o", "ROOT/o.xyz"], 1, "the extension .xyz names no audio format"),
    "output without extension": (None, ["master", G, "-o", "ROOT/o"], 1, "has no extension"),
    "output .wma without an encoder": (None, ["compress", G, "-o", "ROOT/o.wma"], 1, ".wma files cannot be written"),
    "output to /dev/null": (None, ["dynamics", G, "-o", "/dev/null", "--overwrite", "-m", "0:p"], 1,
                            "is a character device, not a regular file"),
    "parameter out of range": (None, ["compress", G, "-o", "ROOT/o.wav", "--threshold-db", "50"], 2,
                               "--threshold-db 50.0 is out of range"),
    "parameter not a number": (None, ["compress", G, "-o", "ROOT/o.wav", "--ratio", "lots"], 2,
                               "Invalid value for '--ratio'"),
    "unknown flag": (None, ["master", G, "-o", "ROOT/o.wav", "--loudness", "-9"], 2, "No such option: --loudness"),
    "bad marks": (None, ["dynamics", G, "-o", "ROOT/o.wav", "-m", "0:p 2:loud"], 2, "marks: position 7: expected a marking"),
    "hairpin without an end": (None, ["dynamics", G, "-o", "ROOT/o.wav", "-m", "0:p 1:<"], 2, "needs a marking after it"),
    "bar|beat without --bpm": (None, ["dynamics", G, "-o", "ROOT/o.wav", "-m", "1|1:p"], 2, "give a tempo (--bpm"),
    "bad --levels": (None, ["dynamics", G, "-o", "ROOT/o.wav", "-m", "0:p", "--levels", "p=5,f=-20"], 2,
                     "keep the values rising"),
    "target above ceiling": (None, ["master", G, "-o", "ROOT/o.wav", "--target-lufs", "-0.5"], 2,
                             "--target-lufs -0.5 is above --ceiling-dbtp"),
    "unknown preset": (None, ["master", G, "-o", "ROOT/o.wav", "--preset", "vinyl"], 2, "--preset 'vinyl'"),
    "bad --bit-depth": (None, ["master", G, "-o", "ROOT/o.wav", "--bit-depth", "12"], 2, "--bit-depth '12'"),
    "normalize -o and --out-dir": (None, ["normalize", G, "-o", "ROOT/o.wav", "--out-dir", "ROOT/emptydir"], 2,
                                   "give either -o OUT"),
    "normalize --out-dir is a file": (None, ["normalize", G, "--out-dir", "ROOT/afile"], 1, "is a file, not a folder"),
    "report suffix": (None, ["report", G, "-o", "ROOT/r.pdf"], 2, "expected .html"),
    "report --compare missing": (None, ["report", G, "-o", "ROOT/r.html", "--compare", "ROOT/nope.wav"], 1,
                                 "no such file"),
    "report --png is a file": (None, ["report", G, "-o", "ROOT/r.html", "--png", "ROOT/afile"], 1, "is not a folder"),
    "--series for two files": (None, ["analyze", G, G, "--series", "ROOT/s.csv"], 2, "--series takes one FILE"),
    "--plot suffix": (None, ["analyze", G, "--plot", "ROOT/p.jpg"], 2, "expected .png, .svg or .pdf"),
    "--hop-s not a multiple": (None, ["analyze", G, "--hop-s", "0.015"], 2, "--hop-s 0.015 is not a multiple"),
    "not a MIDI file": (None, ["midi", "apply", "ROOT/notmidi.mid", "-o", "ROOT/o.mid", "-m", "0:p"], 1,
                        "not a valid MIDI file"),
    "MIDI track that does not exist": (None, ["midi", "compress", "IN/song.mid", "-o", "ROOT/o.mid", "--tracks", "9"],
                                       2, "track 9 does not exist"),
    "MIDI output exists": (None, ["midi", "humanize", "IN/song.mid", "-o", "ROOT/exists.wav", "--seed", "1"], 1,
                           "already exists"),
    "key at another rate": (None, ["duck", G, "--key", "ROOT/key44k.wav", "-o", "ROOT/o.wav"], 1,
                            "key is at 44100 Hz"),
    "key missing": (None, ["duck", G, "--key", "ROOT/nokey.wav", "-o", "ROOT/o.wav"], 1, "no such file"),
    "batch finds no audio": (None, ["batch", "analyze", "ROOT/emptydir"], 1, "no audio files found"),
    "batch --out-dir is a file": (None, ["batch", "analyze", "IN/album", "--out-dir", "ROOT/afile"], 1,
                                  "is a file, not a folder"),
    "batch results format": (None, ["batch", "analyze", "IN/album", "--results", "ROOT/r.txt"], 2,
                             "--results 'ROOT/r.txt': unknown results format"),
    "batch --workers 0": (None, ["batch", "analyze", "IN/album", "--workers", "0"], 2, "--workers 0 is out of range"),
    "batch table of another job": (results_of_another_job, ["batch", "master", "IN/album", "--out-dir", "ROOT/emptydir",
                                                            "--results", "ROOT/t.csv"], 2,
                                   "holds the rows of batch analyze"),
}


@pytest.fixture
def bad_root(scratch: Scratch) -> Path:
    setup_files(scratch.root)
    return scratch.root


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(bad_root: Path, main, name: str) -> None:
    setup, args, code, words = CASES[name]
    if setup is not None:
        setup(bad_root)
    root = str(bad_root)
    args = [a.replace("ROOT", root).replace("IN", f"{root}/in") for a in args]
    words = words.replace("ROOT", root)
    before = snapshot(bad_root)
    got, _, err = main(*args)
    assert got == code, err
    line = one_line_error(err)
    assert words in line, line
    assert "unexpected" not in line and "Traceback" not in err
    assert snapshot(bad_root) == before  # nothing written, nothing left, nothing changed
    assert not any(p.name.endswith(atomic.PART_SUFFIX) for p in bad_root.rglob("*"))
    assert stat.S_ISFIFO(os.lstat(bad_root / "fifo.wav").st_mode)


def test_there_are_at_least_40_kinds() -> None:
    assert len(CASES) >= 40
