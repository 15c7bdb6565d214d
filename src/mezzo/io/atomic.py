"""Atomic output files: the one way mezzo creates or replaces a file.

Every writer in mezzo (audio, JSON, CSV, PNG/SVG plots, HTML reports, MIDI,
batch tables) goes through :class:`AtomicFile`, so every output follows the
same rules:

- **Checked first.** :func:`check_target` refuses an output that is one of the
  inputs, a folder, anything but a regular file (FIFO, device, socket — even
  with ``overwrite``), an existing file without ``overwrite``, or a path whose
  folder is missing, is a file, is read-only or not writable.
- **Written under a temporary name** ``.NAME.PID.XXXXXX.mezzo-part`` in the
  target's own folder, created with mode 0666 less the umask (a replaced file
  keeps its own mode), and locked (``flock``) while it is written.
- **Committed** by ``fsync``, a last ``lstat`` of the target (only a regular
  file is ever replaced), then a rename: ``os.replace`` with ``overwrite``;
  without it a rename that fails if the target appeared meanwhile
  (``renameat2(RENAME_NOREPLACE)``, else ``link`` + ``unlink``). The folder is
  flushed afterwards.
- **Never left behind.** On any error, on :meth:`AtomicFile.discard` and on
  garbage collection the temporary file is removed; :func:`remove_temporaries`
  removes every one this process still has open (the CLI calls it on Ctrl-C and
  SIGTERM; batch workers on SIGTERM). A process killed with SIGKILL cannot
  clean up: the next write of the same target removes the stale temporary
  files of that target — only mezzo's own, recognised by name, and only when
  no live process holds their lock.

Symbolic links are written *through*: an output path that is a link to a
regular file replaces that file (in its folder) and the link stays, as shell
redirection does. A link to anything else, or to nothing, is refused.

Errors are :class:`~mezzo.errors.AudioFileError` (or the subclass passed as
``error``) with one line that names the path and says what to do: a full disk,
a file-size limit (``ulimit -f``), a read-only mount or a missing permission
each get their own message (:func:`os_error`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import secrets
import stat
import time
import weakref
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import IO, Any, TypeVar

from mezzo.errors import AudioFileError

__all__ = [
    "PART_SUFFIX",
    "AtomicFile",
    "check_existing",
    "check_target",
    "commit_all",
    "file_kind",
    "make_folder",
    "os_error",
    "remove_temporaries",
    "set_commit_guard",
    "write_bytes",
    "write_text",
]

#: Suffix of mezzo's temporary files (``.NAME.PID.XXXXXX.mezzo-part``).
PART_SUFFIX = ".mezzo-part"

#: A stale temporary file younger than this, whose process id is in use, is left alone
#: (it may belong to a writer that has created but not yet locked it), s.
STALE_AFTER_S = 60.0

#: Bytes written to a failed temporary file to learn the OS error behind a library's
#: vague one (libsndfile says "System error" for a full disk and a file-size limit).
_PROBE_BYTES = 1 << 20

#: Temporary files this process has open: path -> the AtomicFile writing it (a weak
#: reference; None while it is being created).
_LIVE: dict[str, weakref.ref[AtomicFile] | None] = {}

#: What :func:`check_target` says for each kind of file that is not a regular file.
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


# --------------------------------------------------------------------------- messages


def _error(error: type[AudioFileError], path: str, what: str, todo: str) -> AudioFileError:
    return error(f"{path!r}: {what} — {todo}")


def os_error(
    path: str, exc: OSError, *, error: type[AudioFileError] = AudioFileError, writing: bool = True
) -> AudioFileError:
    """A one-line error for an OS failure while writing (or reading) ``path``.

    Parameters
    ----------
    path : str
        The file as the user named it.
    exc : OSError
        The failure; its ``errno`` picks the message.
    error : type
        Exception class to return (an :class:`~mezzo.errors.AudioFileError`).
    writing : bool
        ``True`` while writing ``path``, ``False`` while reading it.
    """
    folder = os.path.dirname(os.path.abspath(path)) or "/"
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        what = "no space left on device" if code == errno.ENOSPC else "disk quota exceeded"
        return error(
            f"{what} in {folder!r} while writing {path!r} — free space there or write to another folder"
        )
    if code == errno.EFBIG:
        return _error(error, path, f"the file size limit ({_fsize_limit()}) was reached while writing it",
                      "raise the limit (ulimit -f) or write a smaller file")  # fmt: skip
    if code == errno.EROFS:
        return _error(error, path, f"the folder {folder!r} is on a read-only file system",
                      "write to another folder")  # fmt: skip
    if code in (errno.EACCES, errno.EPERM):
        if writing:
            return _error(error, path, f"cannot write in the folder {folder!r} (permission denied)",
                          "choose another folder or fix its permissions")  # fmt: skip
        return _error(error, path, "cannot be read (permission denied)", "check the file's permissions")
    if code == errno.ENOTDIR:
        return _error(error, path, f"a part of the folder {folder!r} is a file, not a folder",
                      "give a path inside a folder")  # fmt: skip
    if code == errno.ENOENT:
        return _error(error, path, f"the folder {folder!r} does not exist",
                      "create it first or choose another path")  # fmt: skip
    if code == errno.EISDIR:
        return _error(error, path, "is a folder", "give a file name, e.g. out.wav inside it")
    if code == errno.ENAMETOOLONG:
        return _error(error, path, "the file name is too long", "choose a shorter name")
    if code == errno.EIO:
        return _error(error, path, "input/output error on the disk", "check the disk or write elsewhere")
    reason = exc.strerror or str(exc)
    verb = "cannot be written" if writing else "cannot be read"
    return _error(error, path, f"{verb} ({reason})", "check free space and permissions")


def _fsize_limit() -> str:
    with contextlib.suppress(Exception):
        import resource

        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if soft != resource.RLIM_INFINITY:
            return f"{soft} bytes"
    return "RLIMIT_FSIZE"


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, from its ``st_mode`` (``None`` for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


# --------------------------------------------------------------------------- checks


def _path(path: Any, error: type[AudioFileError]) -> str:
    try:
        p = os.fspath(path)
    except TypeError:
        raise error(f"{path!r}: is not a path — pass a str or pathlib.Path") from None
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    if not p:
        raise error("'': is an empty path — give a file name")
    return p


def _same_file(a: str, b: str) -> bool:
    with contextlib.suppress(OSError):
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def resolve_target(path: str, *, error: type[AudioFileError] = AudioFileError) -> str:
    """The file that writing ``path`` replaces: ``path`` itself, or a link's final target."""
    try:
        st = os.lstat(path)
    except OSError:
        return path
    if not stat.S_ISLNK(st.st_mode):
        return path
    real = os.path.realpath(path)
    if not os.path.exists(real):
        raise _error(error, path, f"is a symbolic link to {real!r}, which does not exist",
                     "remove the link or give another path")  # fmt: skip
    return real


def check_existing(path: Any, *, error: type[AudioFileError] = AudioFileError) -> str:
    """Refuse ``path`` if it exists and is not a regular file (a link is followed); return the file.

    For a file mezzo reads before it replaces it (a batch's results table): a FIFO
    there would block the read, a device would be read forever.
    """
    p = _path(path, error)
    target = resolve_target(p, error=error)
    with contextlib.suppress(FileNotFoundError):
        kind = file_kind(os.stat(target).st_mode)
        if kind is not None:
            raise _error(error, p, f"is {kind}, not a regular file",
                         "mezzo only replaces regular files: give the path of a file")  # fmt: skip
    return target


def check_target(
    path: Any,
    *,
    overwrite: bool = False,
    inputs: Iterable[Any] = (),
    error: type[AudioFileError] = AudioFileError,
) -> str:
    """Refuse an output path that mezzo must not write; return the file that would be replaced.

    Parameters
    ----------
    path : str or os.PathLike
        The output as given.
    overwrite : bool
        Accept an existing regular file (it is replaced on commit).
    inputs : iterable of path
        Files the output must never replace, even with ``overwrite``.
    error : type
        Exception class to raise.

    Returns
    -------
    str
        ``path``, or for a symbolic link the regular file it points to.

    Raises
    ------
    AudioFileError
        The output is an input, a folder, not a regular file, exists without
        ``overwrite``, or its folder is missing, a file, read-only or not writable.
    """
    p = _path(path, error)
    for item in inputs:
        if _same_file(p, os.fspath(item)):
            raise _error(error, p, "is one of the input files", "write to another path (inputs are never replaced)")
    target = resolve_target(p, error=error)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise os_error(p, exc, error=error) from None
    if st is not None:
        kind = file_kind(st.st_mode)
        if kind == "a folder":
            raise _error(error, p, "is a folder", "give a file name, e.g. out.wav inside it")
        if kind is not None:
            raise _error(error, p, f"is {kind}, not a regular file",
                         "mezzo only replaces regular files: give the path of a file")  # fmt: skip
        if not overwrite:
            raise _error(error, p, "already exists", "pass overwrite=True to replace it")
    _check_folder(p, os.path.dirname(os.path.abspath(target)) or "/", error)
    return target


def _check_folder(path: str, folder: str, error: type[AudioFileError]) -> None:
    """Refuse a folder that is missing, a file, read-only or not writable."""
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        parent = folder
        while parent and not os.path.lexists(parent):
            parent = os.path.dirname(parent)
        if parent and not os.path.isdir(parent):
            raise _error(error, path, f"{parent!r} is a file, not a folder", "give a path inside a folder") from None
        raise _error(error, path, f"the folder {folder!r} does not exist",
                     "create it first or choose another path") from None  # fmt: skip
    except NotADirectoryError:
        raise os_error(path, OSError(errno.ENOTDIR, "Not a directory"), error=error) from None
    except OSError as exc:
        raise os_error(path, exc, error=error) from None
    if not stat.S_ISDIR(st.st_mode):
        raise _error(error, path, f"{folder!r} is a file, not a folder", "give a path inside a folder")
    if _read_only(folder):
        raise os_error(path, OSError(errno.EROFS, "Read-only file system"), error=error)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise os_error(path, OSError(errno.EACCES, "Permission denied"), error=error)


def _read_only(folder: str) -> bool:
    with contextlib.suppress(OSError, AttributeError):
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    return False


def make_folder(path: Any, *, error: type[AudioFileError] = AudioFileError) -> str:
    """Create the output folder ``path`` (and its parents) if needed; return it.

    Raises
    ------
    AudioFileError
        ``path`` or a parent is a file, or the folder cannot be created (read-only file
        system, permission, full disk), with one line that says which.
    """
    p = _path(path, error)
    if os.path.isdir(p):
        return p
    parent = p
    while parent and not os.path.lexists(parent):
        parent = os.path.dirname(parent.rstrip(os.sep)) if parent.rstrip(os.sep) else ""
    if parent and not os.path.isdir(parent):
        what = "is a file, not a folder" if parent == p else f"{parent!r} is a file, not a folder"
        raise _error(error, p, what, "give a folder")
    try:
        os.makedirs(p, exist_ok=True)
    except OSError as exc:
        raise os_error(os.path.join(p, ""), exc, error=error) from None
    return p


# --------------------------------------------------------------------------- stale files


def _part_pattern(base: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(base)}\.(\d+)\.[0-9a-f]{{6}}{re.escape(PART_SUFFIX)}$")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(target: str) -> int:
    """Remove stale temporary files of ``target`` left by killed mezzo processes; return how many.

    A temporary file is stale when nobody holds its lock and either the process
    id in its name is not running or it is older than :data:`STALE_AFTER_S`.
    Other files are never touched.
    """
    folder = os.path.dirname(os.path.abspath(target)) or "/"
    pattern = _part_pattern(os.path.basename(target))
    removed = 0
    try:
        entries = [e.name for e in os.scandir(folder) if e.name.endswith(PART_SUFFIX)]
    except OSError:
        return 0
    for name in entries:
        match = pattern.match(name)
        if match is None:
            continue
        full = os.path.join(folder, name)
        if full in _LIVE:
            continue
        with contextlib.suppress(OSError):
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    continue
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises while a writer holds it
                young = time.time() - st.st_mtime < STALE_AFTER_S
                if young and _pid_alive(int(match.group(1))):
                    continue
                if os.lstat(full).st_ino == st.st_ino:  # still the file we locked
                    os.unlink(full)
                    removed += 1
            finally:
                os.close(fd)
    return removed


def remove_temporaries() -> None:
    """Remove every temporary file this process still has open (on Ctrl-C, SIGTERM, exit)."""
    for path, ref in list(_LIVE.items()):
        owner = ref() if ref is not None else None
        if owner is not None:
            owner.discard()  # closes its own descriptor, never another file's
        with contextlib.suppress(OSError):
            os.unlink(path)
        _LIVE.pop(path, None)


# --------------------------------------------------------------------------- rename


def _renameat2() -> Any:
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
        function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
        function.restype = ctypes.c_int
        return function
    return None


_RENAMEAT2: Any = None
_RENAMEAT2_LOOKED_UP = False
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def rename_no_replace(source: str, target: str) -> None:
    """Rename ``source`` to ``target``, failing with ``FileExistsError`` if ``target`` exists.

    ``renameat2(RENAME_NOREPLACE)`` where the kernel and file system have it;
    else a hard link and an unlink of ``source``; else (file systems without
    hard links) a check and ``os.replace``, which leaves a tiny window.
    """
    global _RENAMEAT2, _RENAMEAT2_LOOKED_UP
    if not _RENAMEAT2_LOOKED_UP:
        _RENAMEAT2, _RENAMEAT2_LOOKED_UP = _renameat2(), True
    if _RENAMEAT2 is not None:
        status = _RENAMEAT2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE)
        if status == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), target)
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), target) from None
        os.replace(source, target)
        return
    os.unlink(source)


def _fsync_folder(folder: str) -> None:
    """Flush the folder entry of a renamed file (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: Environment variable of the fault-injection suite (tests/faults): seconds to pause
#: between writing the first temporary file of a process and renaming it, so a test can
#: kill mezzo exactly there. Unset, nothing happens.
FAULT_PAUSE_ENV = "MEZZO_FAULT_PAUSE_BEFORE_COMMIT_S"
_paused: list[bool] = []


def _fault_pause() -> None:
    value = os.environ.get(FAULT_PAUSE_ENV)
    if value and not _paused:
        _paused.append(True)
        with contextlib.suppress(ValueError):
            time.sleep(float(value))


#: Called right before every rename onto a target; it may raise to stop the commit (the CLI's
#: signal policy: nothing is committed once SIGTERM has arrived). Empty: nothing is checked.
_commit_guard: list[Callable[[], None]] = []


def set_commit_guard(guard: Callable[[], None] | None) -> None:
    """Call ``guard`` before every commit from now on (None: no more), e.g. to refuse commits after a signal."""
    _commit_guard[:] = [] if guard is None else [guard]


# --------------------------------------------------------------------------- the file


_Output = TypeVar("_Output", bound="CommitOnExit")


class CommitOnExit:
    """The life cycle of an output: a clean ``with`` exit commits; an exception, or garbage
    collection before commit, discards. Subclasses have ``state``, ``commit()`` and ``discard()``."""

    state: str

    def commit(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def discard(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def __enter__(self: _Output) -> _Output:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self.state == "open":
            self.commit()
        else:
            self.discard()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.discard()



class AtomicFile(CommitOnExit):
    """An output written to a locked temporary file next to its target, renamed over it on commit.

    Parameters
    ----------
    path : str or os.PathLike
        The output file.
    overwrite : bool
        Replace an existing regular file. Without it, the commit fails if the
        file appeared while this one was written.
    inputs : iterable of path
        Files this output must never replace.
    error : type
        Exception class for the one-line errors (an AudioFileError).
    checked : bool
        The target was already checked by :func:`check_target` (e.g. for every
        output of a job before any is rendered): skip the check here; the
        commit still re-checks.

    Attributes
    ----------
    path : str
        The output as given.
    target : str
        The file replaced on commit (``path``, or a link's target).
    temporary : str or None
        The temporary file while it exists.
    fd : int or None
        Its descriptor, open for reading and writing, while it exists.
    state : {'open', 'committed', 'discarded'}

    Notes
    -----
    Use it as a context manager (a clean exit commits, an exception discards)
    or call :meth:`commit`/:meth:`discard`. Writes go to :attr:`fd` (or
    :meth:`file`); when a library fails to write, :meth:`failure` turns that into
    one line with the OS reason. See the module docstring for the rules.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with AtomicFile(out) as f:
    ...     _ = os.write(f.fd, b"hello")
    >>> open(out).read(), sorted(os.listdir(os.path.dirname(out)))
    ('hello', ['notes.txt'])
    """

    def __init__(
        self,
        path: Any,
        *,
        overwrite: bool = False,
        inputs: Iterable[Any] = (),
        error: type[AudioFileError] = AudioFileError,
        checked: bool = False,
    ) -> None:
        self.error = error
        self.path = _path(path, error)
        self.overwrite = bool(overwrite)
        self.state = "discarded"
        self.temporary: str | None = None
        self.fd: int | None = None
        self._file: IO[bytes] | None = None
        if checked:
            self.target = resolve_target(self.path, error=error)
        else:
            self.target = check_target(self.path, overwrite=overwrite, inputs=inputs, error=error)
        remove_stale(self.target)
        self._create()

    def __repr__(self) -> str:
        return f"AtomicFile({self.path!r}, overwrite={self.overwrite}, state={self.state!r})"

    def _create(self) -> None:
        folder = os.path.dirname(os.path.abspath(self.target)) or "/"
        base = os.path.basename(self.target)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
        for _ in range(100):
            name = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(3)}{PART_SUFFIX}")
            # Registered before it exists: a signal that lands right after the open still
            # finds it in _LIVE (remove_temporaries), however the unwinding goes.
            _LIVE[name] = None
            try:
                fd = os.open(name, flags, 0o666)  # the umask applies: 0644 with the usual 022
                break
            except FileExistsError:
                _LIVE.pop(name, None)
                continue
            except OSError as exc:
                _LIVE.pop(name, None)
                raise os_error(self.path, exc, error=self.error) from None
        else:  # pragma: no cover - 100 collisions of 24 random bits
            raise _error(self.error, self.path, "no free temporary name", "remove the .mezzo-part files")
        self.fd, self.temporary, self.state = fd, name, "open"
        _LIVE[name] = weakref.ref(self)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if self.overwrite:
                with contextlib.suppress(FileNotFoundError):
                    os.fchmod(fd, stat.S_IMODE(os.stat(self.target).st_mode))  # a replaced file keeps its mode
        except BaseException as exc:
            self.discard()
            if isinstance(exc, OSError):
                raise os_error(self.path, exc, error=self.error) from None
            raise

    def file(self) -> IO[bytes]:
        """A binary file object on :attr:`fd` (closing it does not close the descriptor)."""
        if self.fd is None:
            raise _error(self.error, self.path, f"the output is {self.state}", "open a new one")
        if self._file is None:
            self._file = open(self.fd, "wb", closefd=False)  # noqa: SIM115 - closed in commit/discard
        return self._file

    def write(self, data: bytes) -> None:
        """Write ``data`` at the end of the temporary file."""
        try:
            self.file().write(data)
        except OSError as exc:
            raise self.failure(exc) from None

    def failure(self, exc: BaseException | None = None, fallback: str | None = None) -> AudioFileError:
        """Discard, and return the one-line error for a failed write (for the caller to raise).

        A library's vague failure (libsndfile's "System error") is probed by
        writing to the doomed temporary file, which gives the OS reason (full
        disk, file-size limit). When the probe finds nothing, ``fallback`` (what
        is wrong — what to do) is the message, else ``exc`` is described.
        """
        if isinstance(exc, AudioFileError):
            self.discard()
            return exc
        reason = exc if isinstance(exc, OSError) and exc.errno is not None else self._probe()
        self.discard()
        if reason is not None:
            return os_error(self.path, reason, error=self.error)
        if fallback is not None:
            return self.error(f"{self.path!r}: {fallback}")
        text = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
        return _error(self.error, self.path, f"cannot be written ({text})", "check free space and permissions")

    def _probe(self) -> OSError | None:
        if self.fd is None:
            return None
        try:
            os.lseek(self.fd, 0, os.SEEK_END)
            os.write(self.fd, bytes(_PROBE_BYTES))
            os.fsync(self.fd)
        except OSError as exc:
            return exc
        return None

    def commit(self) -> None:
        """Flush the temporary file to disk and rename it over :attr:`target`.

        Raises
        ------
        AudioFileError
            The target became something else than a regular file, appeared
            meanwhile (without ``overwrite``), or the OS fails; the temporary file
            is removed then.
        """
        if self.state != "open" or self.fd is None or self.temporary is None:
            raise _error(self.error, self.path, f"the output is {self.state}", "open a new one")
        try:
            if self._file is not None:
                self._file.flush()
            os.fsync(self.fd)
            _fault_pause()
            for guard in _commit_guard:
                guard()
            self._check_again()
            if self.overwrite:
                os.replace(self.temporary, self.target)
            else:
                rename_no_replace(self.temporary, self.target)
        except FileExistsError:
            self.discard()
            raise _error(self.error, self.path, "was created by another program while mezzo wrote it",
                         "pass overwrite=True to replace it, or choose another path") from None  # fmt: skip
        except AudioFileError:
            self.discard()
            raise
        except OSError as exc:
            raise self.failure(exc) from None
        except BaseException:
            self.discard()
            raise
        _LIVE.pop(self.temporary, None)
        self.temporary = None
        self._close()
        self.state = "committed"
        _fsync_folder(os.path.dirname(os.path.abspath(self.target)) or "/")

    def _check_again(self) -> None:
        """Right before the rename: the target is still absent or a regular file."""
        try:
            st = os.lstat(self.target)
        except FileNotFoundError:
            return
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else file_kind(st.st_mode)
        if kind is not None:
            raise _error(self.error, self.path, f"became {kind} while mezzo wrote it",
                         "mezzo only replaces regular files: give the path of a file")  # fmt: skip

    def _close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
            self._file = None
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None

    def discard(self) -> None:
        """Remove the temporary file; the target stays as it was. Safe to call more than once."""
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)
            _LIVE.pop(self.temporary, None)
            self.temporary = None
        self._close()
        if self.state == "open":
            self.state = "discarded"


def commit_all(files: Iterable[AtomicFile]) -> None:
    """Commit several outputs written beforehand; on a failure discard those not yet committed."""
    pending = list(files)
    try:
        for item in pending:
            item.commit()
    finally:
        for item in pending:
            item.discard()


def write_bytes(
    path: Any,
    data: bytes,
    *,
    overwrite: bool = False,
    inputs: Iterable[Any] = (),
    error: type[AudioFileError] = AudioFileError,
) -> str:
    """Write ``data`` to ``path`` atomically (see :class:`AtomicFile`); return the path."""
    with AtomicFile(path, overwrite=overwrite, inputs=inputs, error=error) as out:
        out.write(data)
    return out.path


def write_text(
    path: Any,
    text: str,
    *,
    overwrite: bool = False,
    inputs: Iterable[Any] = (),
    error: type[AudioFileError] = AudioFileError,
) -> str:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :class:`AtomicFile`); return the path."""
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite, inputs=inputs, error=error)

