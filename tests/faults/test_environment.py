"""The environment fails: a full disk, a file-size limit, a read-only mount, a closed or full stdout.

Each gets one clear line and exit 1, never "unexpected ... report it", and nothing half-written
is left behind (issue 16, cases 4 and 11 and the "unclear" list). The full disk is a small
tmpfs (skipped, with the reason, where mounting is not permitted).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import resource
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf
from faultkit import Scratch, cli, debris, music, one_line_error, snapshot


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (skips the test where mount is not permitted)."""
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'mount failed'}): needs root "
                    "and permission to mount")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path, leave_bytes: int) -> None:
    """Fill the file system of ``folder`` until about ``leave_bytes`` are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(folder / "ballast", "wb") as handle:
        handle.write(bytes(max(free - leave_bytes, 0)))


def test_full_disk_while_writing_audio(scratch: Scratch) -> None:
    with tmpfs(scratch.root / "small", "300k") as disk:
        proc = cli(["compress", scratch.inp / "good.wav", "-o", disk / "x.wav"])  # 576 kB of 16-bit PCM
        assert proc.returncode == 1, proc.stderr
        line = one_line_error(proc.stderr)
        assert "no space left on device" in line and str(disk) in line and "x.wav" in line
        assert "unexpected" not in line and "libsndfile" not in line
        assert sorted(p.name for p in disk.iterdir()) == []
    assert scratch.inputs_intact()


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["analyze", "IN/good.wav", "--loudness-only", "--series", "DISK/s.csv"], "s.csv"),
        (["analyze", "IN/good.wav", "--loudness-only", "--plot", "DISK/p.png"], "p.png"),
        (["report", "IN/good.wav", "-o", "DISK/r.html"], "r.html"),
        (["midi", "apply", "IN/song.mid", "-m", "0:p", "-o", "DISK/m.mid"], "m.mid"),
        (["master", "IN/good.wav", "-o", "DISK/m.wav"], "m.wav"),
    ],
)
def test_full_disk_for_every_kind_of_output(scratch: Scratch, args: list[str], name: str) -> None:
    with tmpfs(scratch.root / "small", "1m") as disk:
        fill(disk, 100)
        before = snapshot(disk)
        proc = cli([a.replace("IN", str(scratch.inp)).replace("DISK", str(disk)) for a in args])
        assert proc.returncode == 1, proc.stderr
        line = one_line_error(proc.stderr)
        assert "no space left on device" in line and name in line, line
        assert snapshot(disk) == before
    assert scratch.inputs_intact()


def test_full_disk_during_a_batch_keeps_whole_rows(scratch: Scratch) -> None:
    # Case 4: the results table fills the disk; every row in it is whole, the error is one line.
    album = scratch.inp / "many"
    album.mkdir()
    for i in range(30):
        sf.write(album / f"t{i:02d}.wav", music(0.5, seed=i), 48000, subtype="PCM_16")
    with tmpfs(scratch.root / "small", "1m") as disk:
        out = disk / "b"
        fill(disk, 6000)
        proc = cli(["batch", "analyze", album, "--out-dir", out, "--loudness-only", "-j", "1", "-q"])
        assert proc.returncode == 1, proc.stderr
        line = one_line_error(proc.stderr)
        assert "no space left on device" in line and str(disk) in line
        assert debris(disk) == []
        table = out / "results.csv"
        if table.exists():
            text = table.read_text()
            assert text == "" or text.endswith("\n")
            rows = list(csv.reader(io.StringIO(text)))
            assert all(len(row) == len(rows[0]) for row in rows)
        for json_file in out.glob("*.json"):  # every JSON written is complete
            assert json_file.read_text().rstrip().endswith("}")


def test_file_size_limit(scratch: Scratch) -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    proc = cli(["compress", scratch.inp / "good.wav", "-o", scratch.out / "x.wav"], preexec_fn=limit)
    assert proc.returncode == 1, proc.stderr
    line = one_line_error(proc.stderr)
    assert "file size limit" in line and "200000 bytes" in line and "ulimit -f" in line
    assert list(scratch.out.iterdir()) == []
    assert scratch.inputs_intact()


def test_read_only_mount(scratch: Scratch) -> None:
    with tmpfs(scratch.root / "ro", "1m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        proc = cli(["compress", scratch.inp / "good.wav", "-o", disk / "x.wav"])
        assert proc.returncode == 1
        assert "read-only file system" in one_line_error(proc.stderr)
        proc = cli(["batch", "analyze", scratch.inp / "album", "--out-dir", disk / "b", "--loudness-only", "-q"])
        assert proc.returncode == 1
        assert "read-only file system" in one_line_error(proc.stderr)


def test_closed_stdout_is_an_error_before_any_work(scratch: Scratch) -> None:
    proc = cli(["compress", scratch.inp / "good.wav", "-o", scratch.out / "x.wav"], preexec_fn=lambda: os.close(1))
    assert proc.returncode == 1
    assert "standard output is closed" in one_line_error(proc.stderr)
    assert list(scratch.out.iterdir()) == []  # refused before anything is written
    proc = cli(["analyze", scratch.inp / "good.wav", "--json"], preexec_fn=lambda: os.close(1))
    assert proc.returncode == 1 and "standard output is closed" in one_line_error(proc.stderr)


def test_full_stdout_is_an_error(scratch: Scratch) -> None:
    with open("/dev/full", "w") as full:
        proc = cli(["analyze", scratch.inp / "good.wav", "--json", "--loudness-only"], stdout=full)
    assert proc.returncode == 1
    line = one_line_error(proc.stderr)
    assert "standard output" in line and "No space left on device" in line


def test_broken_pipe_is_an_error(scratch: Scratch) -> None:
    from faultkit import CLI

    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read the results
    proc = subprocess.run([*CLI, "analyze", str(scratch.inp / "good.wav"), "--json", "--loudness-only"],
                          stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    os.close(write_end)
    assert proc.returncode == 1
    line = one_line_error(proc.stderr)
    assert "standard output" in line and "Broken pipe" in line
