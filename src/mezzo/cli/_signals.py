"""One signal and cleanup policy for every ``mezzo`` command, and a checked stdout.

- **Ctrl-C (SIGINT)** raises ``KeyboardInterrupt`` as usual; the command unwinds
  (temporary files are removed by their writers) and exits 130 with
  ``mezzo: interrupted``. In a batch a second Ctrl-C stops waiting for the files
  in progress.
- **SIGTERM and SIGHUP** raise :class:`Terminated` once (later ones are ignored
  while mezzo cleans up), so the command unwinds the same way and exits 143
  (SIGTERM) or 129 (SIGHUP) with ``mezzo: terminated``.
- **SIGXFSZ** is ignored: a write past the file-size limit (``ulimit -f``) then
  fails with ``EFBIG`` and gets a one-line error instead of killing mezzo with
  its half-written file.
- A signal that lands where Python cannot raise (inside a finaliser or a weak-reference
  callback run by the garbage collector, where an exception is only reported) is not
  lost: no output is committed once SIGTERM or SIGHUP has arrived
  (:func:`mezzo.io.atomic.set_commit_guard`), the command still exits 143 or 129, and
  the swallowed exception is not printed.
- Whatever happens, :func:`mezzo.io.atomic.remove_temporaries` runs last.
- **stdout**: a closed stdout (``>&-``) is refused before any work (a file
  opened later could otherwise take its descriptor); writing to a broken pipe
  or a full device (``/dev/full``) raises :class:`StdoutError` (exit 1, one
  line) instead of losing the results silently.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

from mezzo.errors import MezzoError

#: Signals that end a command cleanly, and the exit code of each (128 + number).
ENDING_SIGNALS = ("SIGTERM", "SIGHUP")


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind, clean up, exit ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StdoutError(MezzoError):
    """Standard output is closed, a broken pipe, or full."""


#: The first ending signal received by this process (None until then).
_received: dict[str, int | None] = {"signum": None, "interrupt": None}


def interrupted() -> bool:
    """Whether Ctrl-C arrived during the command."""
    return _received["interrupt"] is not None


def _terminate(signum: int, frame: Any) -> None:
    if _received["signum"] is not None:
        return  # already unwinding: let the cleanup finish
    _received["signum"] = signum
    raise Terminated(signum)


def terminated_by() -> int | None:
    """The ending signal (SIGTERM or SIGHUP) received during the command, or None."""
    return _received["signum"]


def _refuse_commit_after_termination() -> None:
    """Raise :class:`Terminated` again once an ending signal has arrived (see the module notes)."""
    if _received["signum"] is not None:
        raise Terminated(_received["signum"])


def _quiet_unraisable(previous: Callable[[Any], None]) -> Callable[[Any], None]:
    """An unraisable-exception hook that leaves out this policy's own exceptions (they are handled)."""

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, (Terminated, KeyboardInterrupt)):
            previous(unraisable)

    return hook


def _interrupt(signum: int, frame: Any) -> None:
    _received["interrupt"] = signum
    raise KeyboardInterrupt


@contextlib.contextmanager
def policy() -> Iterator[None]:
    """Install the policy for the duration of a command (main thread only), then restore."""
    _received.update(signum=None, interrupt=None)
    previous: dict[int, Any] = {}
    wanted: list[tuple[str, Callable[..., Any] | int]] = [
        ("SIGINT", _interrupt),
        *((name, _terminate) for name in ENDING_SIGNALS),
        ("SIGXFSZ", signal.SIG_IGN),
    ]
    for name, handler in wanted:
        number = getattr(signal, name, None)
        if number is None:
            continue
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            previous[number] = signal.signal(number, handler)
    from mezzo.io.atomic import remove_temporaries, set_commit_guard

    unraisable_hook = sys.unraisablehook
    if previous:  # the handlers are in place (main thread)
        set_commit_guard(_refuse_commit_after_termination)
        sys.unraisablehook = _quiet_unraisable(unraisable_hook)
    try:
        yield
    finally:
        remove_temporaries()
        if previous:
            set_commit_guard(None)
            sys.unraisablehook = unraisable_hook
        for number, handler in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, handler)


# --------------------------------------------------------------------------- stdout


class _CheckedStdout(io.RawIOBase):
    """File descriptor 1, where a failed write raises :class:`StdoutError` (once)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return 1

    def isatty(self) -> bool:
        return os.isatty(1)

    def write(self, data: Any) -> int:
        if self.failed:
            return len(data)  # the error was reported; drop the rest quietly
        try:
            return os.write(1, data)
        except OSError as exc:
            self.failed = True
            raise stdout_error(exc) from None


def stdout_error(exc: OSError) -> StdoutError:
    """The one-line error for a failed write to stdout."""
    reason = exc.strerror or str(exc)
    return StdoutError(
        f"cannot write the results to standard output ({reason}) — check what it is piped or "
        "redirected to (a closed pipe, a full disk), or redirect it to a file"
    )


def check_stdout() -> None:
    """Refuse a closed stdout; make writes to the real stdout raise :class:`StdoutError`.

    Only the process's own stdout is wrapped (tests that capture it are left alone).
    """
    if sys.stdout is None:
        raise StdoutError(
            "standard output is closed — mezzo prints its results there: run it without '>&-', "
            "or redirect stdout to a file or /dev/null"
        )
    if sys.stdout is not sys.__stdout__:
        return
    try:
        if sys.stdout.fileno() != 1:
            return
        os.fstat(1)
    except (OSError, ValueError, io.UnsupportedOperation) as exc:
        if isinstance(exc, OSError):
            raise stdout_error(exc) from None
        return
    real = sys.stdout
    wrapper = io.TextIOWrapper(
        io.BufferedWriter(_CheckedStdout()),
        encoding=real.encoding,
        errors=real.errors,
        line_buffering=real.line_buffering,
    )
    with contextlib.suppress(Exception):
        real.flush()
    sys.stdout = wrapper


def flush_stdout() -> None:
    """Flush stdout (results must reach it before the exit code says success)."""
    if sys.stdout is not None:
        sys.stdout.flush()


def silence_stdout() -> None:
    """After a stdout error: send what is left to /dev/null so the exit is quiet."""
    with contextlib.suppress(Exception):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the exit
