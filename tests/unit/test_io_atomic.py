"""mezzo.io.atomic: the one atomic-write helper every output goes through."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import pytest

from mezzo.errors import AudioFileError
from mezzo.io import atomic
from mezzo.io.atomic import AtomicFile, check_target, os_error, remove_stale, write_text


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def dead_pid() -> int:
    """The id of a process that has exited (reaped), so nothing runs under it."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_new_files_honour_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_text(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.json").st_mode) == 0o640


def test_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "a.csv"
    target.write_text("old")
    os.chmod(target, 0o600)
    write_text(target, "new", overwrite=True)
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_temporary_file_is_named_locked_and_removed_on_error(tmp_path):
    with pytest.raises(RuntimeError), AtomicFile(tmp_path / "x.wav") as out:
        (part,) = [n for n in names(tmp_path)]
        assert part.startswith(f".x.wav.{os.getpid()}.") and part.endswith(atomic.PART_SUFFIX)
        assert out.temporary in atomic._LIVE
        raise RuntimeError("boom")
    assert names(tmp_path) == []
    assert not atomic._LIVE


@pytest.mark.parametrize("kind", ["fifo", "chardev"])
def test_non_regular_targets_are_refused_even_with_overwrite(tmp_path, kind):
    target = tmp_path / "p"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        try:
            os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
        except PermissionError:
            pytest.skip("mknod of a character device needs root")
    with pytest.raises(AudioFileError, match="not a regular file") as info:
        write_text(target, "x", overwrite=True)
    assert "\n" not in str(info.value)
    mode = os.lstat(target).st_mode
    assert stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISCHR(mode)
    assert names(tmp_path) == ["p"]


def test_dev_null_is_never_replaced():
    with pytest.raises(AudioFileError, match="character device"):
        check_target("/dev/null", overwrite=True)


def test_symlink_to_a_file_is_written_through(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with pytest.raises(AudioFileError, match="already exists"):
        write_text(link, "new")
    write_text(link, "new", overwrite=True)
    assert link.is_symlink() and real.read_text() == "new"
    assert names(tmp_path) == ["link.txt", "real.txt"]


def test_symlink_to_a_device_or_nothing_is_refused(tmp_path):
    (tmp_path / "null").symlink_to("/dev/null")
    with pytest.raises(AudioFileError, match="character device"):
        write_text(tmp_path / "null", "x", overwrite=True)
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    with pytest.raises(AudioFileError, match="does not exist"):
        write_text(tmp_path / "dangling", "x", overwrite=True)
    assert names(tmp_path) == ["dangling", "null"]


def test_inputs_are_never_replaced(tmp_path):
    source = tmp_path / "in.wav"
    source.write_bytes(b"audio")
    with pytest.raises(AudioFileError, match="input"):
        write_text(source, "x", overwrite=True, inputs=[source])
    assert source.read_bytes() == b"audio"


def test_commit_without_overwrite_fails_if_the_target_appeared_meanwhile(tmp_path):
    target = tmp_path / "out.wav"
    out = AtomicFile(target)
    out.write(b"mine")
    target.write_bytes(b"theirs")  # another program, between the check and the rename
    with pytest.raises(AudioFileError, match="created by another program"):
        out.commit()
    assert target.read_bytes() == b"theirs"
    assert names(tmp_path) == ["out.wav"]


def test_commit_refuses_a_target_that_became_a_fifo(tmp_path):
    target = tmp_path / "out.wav"
    target.write_bytes(b"old")
    out = AtomicFile(target, overwrite=True)
    out.write(b"new")
    target.unlink()
    os.mkfifo(target)
    with pytest.raises(AudioFileError, match="became a FIFO"):
        out.commit()
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert names(tmp_path) == ["out.wav"]


def test_rename_no_replace_fallback_without_renameat2(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_RENAMEAT2", None)
    monkeypatch.setattr(atomic, "_RENAMEAT2_LOOKED_UP", True)
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with pytest.raises(FileExistsError):
        atomic.rename_no_replace(str(tmp_path / "a"), str(tmp_path / "b"))
    atomic.rename_no_replace(str(tmp_path / "a"), str(tmp_path / "c"))
    assert names(tmp_path) == ["b", "c"]


def test_stale_temporary_files_of_the_target_are_removed(tmp_path):
    pid = dead_pid()
    stale = tmp_path / f".out.wav.{pid}.abcdef{atomic.PART_SUFFIX}"
    stale.write_bytes(b"half")
    other_target = tmp_path / f".other.wav.{pid}.abcdef{atomic.PART_SUFFIX}"
    other_target.write_bytes(b"half")
    foreign = tmp_path / ".out.wav.notmezzo.part"
    foreign.write_bytes(b"theirs")
    write_text(tmp_path / "out.wav", "x")
    assert names(tmp_path) == [other_target.name, foreign.name, "out.wav"]


def test_a_locked_temporary_file_is_left_alone(tmp_path):
    # Another writer's temporary file: its lock is held, whatever the pid in its name says.
    import fcntl

    held = tmp_path / f".out.wav.{dead_pid()}.abcdef{atomic.PART_SUFFIX}"
    held.write_bytes(b"being written")
    fd = os.open(held, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert remove_stale(str(tmp_path / "out.wav")) == 0
        assert held.exists()
    finally:
        os.close(fd)
    assert remove_stale(str(tmp_path / "out.wav")) == 1
    assert names(tmp_path) == []


def test_two_writers_of_one_target_without_overwrite_one_wins(tmp_path):
    first, second = AtomicFile(tmp_path / "out.wav"), AtomicFile(tmp_path / "out.wav")
    first.write(b"first")
    second.write(b"second")
    first.commit()
    with pytest.raises(AudioFileError, match="created by another program"):
        second.commit()
    assert (tmp_path / "out.wav").read_bytes() == b"first"
    assert names(tmp_path) == ["out.wav"]


def test_remove_temporaries_cleans_everything_open(tmp_path):
    a, b = AtomicFile(tmp_path / "a"), AtomicFile(tmp_path / "b")
    assert len(names(tmp_path)) == 2
    atomic.remove_temporaries()
    assert names(tmp_path) == []
    a.discard()
    b.discard()


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (errno.ENOSPC, "no space left on device in"),
        (errno.EDQUOT, "disk quota exceeded"),
        (errno.EFBIG, "file size limit"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.ENOTDIR, "is a file, not a folder"),
        (errno.EIO, "input/output error"),
    ],
)
def test_os_errors_get_their_own_one_line_message(code, text):
    message = str(os_error("out/x.wav", OSError(code, os.strerror(code))))
    assert text in message and "'out/x.wav'" in message and "\n" not in message
    assert "report" not in message


def test_folder_problems_are_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(AudioFileError, match="is a file, not a folder"):
        check_target(tmp_path / "file" / "out.wav")
    with pytest.raises(AudioFileError, match="does not exist"):
        check_target(tmp_path / "missing" / "out.wav")
    with pytest.raises(AudioFileError, match="is a folder"):
        check_target(tmp_path)
