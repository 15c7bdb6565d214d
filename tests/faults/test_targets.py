"""What an output path may be: only regular files are replaced; concurrent writers never clobber.

Issue 16, cases 1 and 9: a FIFO, a device (even /dev/null) or a socket at the output path is
refused with one line, with or without --overwrite, and is still there afterwards; a symbolic
link is written through to the regular file it points to (and stays a link), a link to
anything else or to nothing is refused; two runs writing one output without --overwrite give
one complete file and one clear error.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
import soundfile as sf
from faultkit import PAUSE_ENV, Scratch, debris, one_line_error, snapshot, start

#: Every kind of output: name -> (arguments with TARGET for the output path, output suffix).
KINDS = {
    "audio": (["compress", "IN/good.wav", "-o", "TARGET"], ".wav"),
    "csv": (["analyze", "IN/good.wav", "--loudness-only", "--series", "TARGET"], ".csv"),
    "png": (["analyze", "IN/good.wav", "--loudness-only", "--plot", "TARGET"], ".png"),
    "html": (["report", "IN/good.wav", "-o", "TARGET"], ".html"),
    "midi": (["midi", "apply", "IN/song.mid", "-m", "0:p", "-o", "TARGET"], ".mid"),
    "batch-table": (["batch", "analyze", "IN/album", "--loudness-only", "-j", "1", "-q", "--results", "TARGET"],
                    ".csv"),
}


def args_for(kind: str, scratch: Scratch, target: Path, *extra: str) -> list[str]:
    args, _ = KINDS[kind]
    return [a.replace("IN", str(scratch.inp)).replace("TARGET", str(target)) for a in args] + list(extra)


def make_special(path: Path, what: str) -> None:
    if what == "fifo":
        os.mkfifo(path)
    elif what == "chardev":
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the numbers of /dev/null
    elif what == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif what == "link-to-dev-null":
        path.symlink_to("/dev/null")
    elif what == "dangling-link":
        path.symlink_to(path.parent / "nowhere")


@pytest.mark.parametrize("what", ["fifo", "chardev", "socket", "link-to-dev-null", "dangling-link"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_only_regular_files_are_ever_replaced(scratch: Scratch, main, kind: str, what: str) -> None:
    target = scratch.out / f"target{KINDS[kind][1]}"
    try:
        make_special(target, what)
    except PermissionError:
        pytest.skip(f"making a {what} needs root")
    before = snapshot(scratch.out)
    mode = os.lstat(target).st_mode
    overwrite = [] if kind == "batch-table" else ["--overwrite"]  # a results table is continued
    code, _, err = main(*args_for(kind, scratch, target, *overwrite))
    assert code == 1, err
    line = one_line_error(err)
    expected = "does not exist" if what == "dangling-link" else "not a regular file"
    assert expected in line and str(target) in line
    assert os.lstat(target).st_mode == mode  # still a FIFO, a device, a link...
    assert snapshot(scratch.out) == before and scratch.inputs_intact()


def test_dev_null_itself_is_never_replaced(scratch: Scratch, main) -> None:
    before = os.lstat("/dev/null")
    code, _, err = main("compress", scratch.inp / "good.wav", "-o", "/dev/null", "--overwrite")
    assert code == 1 and "character device" in one_line_error(err)
    after = os.lstat("/dev/null")
    assert (after.st_ino, after.st_mode, after.st_rdev) == (before.st_ino, before.st_mode, before.st_rdev)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_link_to_a_regular_file_is_written_through(scratch: Scratch, main, kind: str) -> None:
    elsewhere = scratch.root / "elsewhere"
    elsewhere.mkdir()
    real = elsewhere / f"real{KINDS[kind][1]}"
    real.write_bytes(b"old")
    link = scratch.out / f"link{KINDS[kind][1]}"
    link.symlink_to(real)
    code, _, err = main(*args_for(kind, scratch, link))
    if kind != "batch-table":  # a results table is continued, not refused
        assert code == 1 and "already exists" in one_line_error(err)
        assert real.read_bytes() == b"old"
        code, _, err = main(*args_for(kind, scratch, link, "--overwrite"))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() != b"old" and real.stat().st_size > 3
    assert debris(scratch.root) == [] and scratch.inputs_intact()


@pytest.mark.parametrize("overwrite", [False, True])
def test_two_writers_of_one_output_at_once(scratch: Scratch, overwrite: bool) -> None:
    # Both pass the "does it exist?" check, then wait before their rename: the race of case 9.
    out = scratch.out / "same.wav"
    command = "compress" if overwrite else "master"  # case 9 is two masters; compress is quicker
    args = [command, scratch.inp / "good.wav", "-o", out, *(["--overwrite"] if overwrite else [])]
    procs = [start(args, env={PAUSE_ENV: "2"}) for _ in range(2)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    if overwrite:
        assert codes == [0, 0], results
    else:
        assert codes == [0, 1], results
        loser = next(err for code, err in results if code == 1)
        assert "created by another program while mezzo wrote it" in one_line_error(loser)
    assert sf.info(out).frames == 3 * 48000  # one complete file, never a mix
    assert sorted(p.name for p in scratch.out.iterdir()) == ["same.wav"]
    assert scratch.inputs_intact()


def test_outputs_honour_the_umask(scratch: Scratch, main) -> None:
    # JSON and CSV files were created 0600 (issue 16): every kind follows the umask now.
    old = os.umask(0o027)
    try:
        for args in (["analyze", scratch.inp / "good.wav", "--loudness-only", "--series", scratch.out / "s.csv",
                      "--plot", scratch.out / "p.png"],
                     ["compress", scratch.inp / "good.wav", "-o", scratch.out / "c.wav"],
                     ["midi", "apply", scratch.inp / "song.mid", "-m", "0:p", "-o", scratch.out / "m.mid"],
                     ["report", scratch.inp / "good.wav", "-o", scratch.out / "r.html"],
                     ["batch", "analyze", scratch.inp / "album", "--loudness-only", "-j", "1", "-q",
                      "--out-dir", scratch.out / "b"]):
            code, _, err = main(*args)
            assert code == 0, err
    finally:
        os.umask(old)
    modes = {str(p.relative_to(scratch.out)): stat.S_IMODE(p.stat().st_mode)
             for p in scratch.out.rglob("*") if p.is_file()}
    assert len(modes) >= 10 and set(modes.values()) == {0o640}, modes
