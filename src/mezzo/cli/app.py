"""Entry point of the ``mezzo`` command.

Exit codes: 0 success, 1 input or processing error (including the
environment: a full disk, a closed stdout), 2 usage error (including an
out-of-range parameter), 130 after Ctrl-C, 143 after SIGTERM. Errors are one
line on stderr (``mezzo: error: …``) naming the command's flags; ``--debug``
shows the traceback. Signals and stdout follow :mod:`mezzo.cli._signals`.
Heavy modules (numba, scipy, matplotlib) are imported inside the commands, and a run
imports only the module of its command (:data:`COMMAND_MODULES`), so ``mezzo --help`` and a
short ``mezzo analyze`` stay fast.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Any

import typer

from mezzo import __version__

#: The modules of the commands, in the order ``mezzo --help`` lists them, and the commands each
#: registers: a run imports only the module of its command (a short ``mezzo analyze`` skips the
#: processors, mastering, batch and the rest).
COMMAND_MODULES = {
    "analyze_cmd": ("analyze",),
    "demo_cmd": ("demo",),
    "process_cmd": ("compress", "expand", "gate", "duck", "limit", "level"),
    "master_cmd": ("normalize", "master"),
    "report_cmd": ("report",),
    "batch_cmd": ("batch",),
    "dynamics_cmd": ("dynamics",),
    "midi_cmd": ("midi",),
    "stems_cmd": ("stems",),
    "studio_cmd": ("studio",),
}
HELP = "Dynamics in music: measure loudness and peaks, compress, limit and master."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mezzo {__version__}")
        raise typer.Exit()


def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Dynamics in music: measure loudness and peaks, compress, limit and master."""


def build_app(modules: tuple[str, ...] = tuple(COMMAND_MODULES)) -> typer.Typer:
    """The ``mezzo`` typer app with the commands of ``modules`` (all by default)."""
    built = typer.Typer(
        name="mezzo",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(_root)
    for module in modules:
        importlib.import_module(f"mezzo.cli.{module}").register(built)
    return built


def app_for(args: list[str]) -> typer.Typer:
    """The app that runs ``args``: with only its command's module when the command is known
    (the root options take no values, so the first word that is not an option names it)."""
    word = next((arg for arg in args if not arg.startswith("-")), None)
    for module, commands in COMMAND_MODULES.items():
        if word in commands:
            return build_app((module,))
    return build_app()


def __getattr__(name: str) -> Any:
    """``app``: the whole app, built on first use (for tests and tools that inspect it)."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and map errors to one-line messages and exit codes (see :mod:`mezzo.cli._exit`)."""
    from mezzo.cli import _signals
    from mezzo.cli._common import warnings_as_lines

    args = sys.argv[1:] if argv is None else list(argv)
    with _signals.policy(), warnings_as_lines():
        code = _run(args)
        try:  # whatever the outcome, what was printed must reach stdout
            _signals.flush_stdout()
        except _signals.StdoutError as exc:
            _signals.silence_stdout()
            sys.stderr.write(f"mezzo: error: {exc}\n")
            code = code or 1
    sys.exit(code)


def _run(args: list[str]) -> int:
    """Run the command; return its exit code after printing any error as one line."""
    from mezzo.cli import _exit, _signals
    from mezzo.errors import MezzoError, ParameterError

    debug = "--debug" in args
    app = app_for(args)

    def fail(message: str, code: int) -> int:
        message = _exit.one_line(_exit.cli_words(message, _exit.flags_of(app, args)))
        with contextlib.suppress(Exception):
            sys.stderr.write(f"mezzo: error: {message}\n")
            sys.stderr.flush()
        return code

    try:
        _signals.check_stdout()
        # Outside standalone mode typer returns the exit code of typer.Exit (and of Ctrl-C).
        code = app(args=args, prog_name="mezzo", standalone_mode=False)
        _signals.flush_stdout()  # inside the try: a failure here is one line and exit 1
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        code = 130
    except typer.TyperException as exc:  # usage errors (click's, as vendored by typer): exit 2
        return _usage(exc, fail)
    except KeyboardInterrupt:
        code = 130
    except _signals.Terminated as exc:
        sys.stderr.write("mezzo: terminated\n")
        return 128 + exc.signum
    except _signals.StdoutError as exc:
        _signals.silence_stdout()
        return fail(str(exc), 1)
    except MezzoError as exc:
        if debug:
            raise
        return fail(str(exc), 2 if isinstance(exc, ParameterError) else 1)
    except OSError as exc:  # the environment (a folder that is a file, a full disk...), not a bug
        if debug:
            raise
        from mezzo.io.atomic import os_error

        name = exc.filename if isinstance(exc.filename, str) else "mezzo"
        return fail(str(os_error(name, exc)), 1)
    except Exception as exc:  # a bug: still one line, unless --debug
        if debug:
            raise
        return fail(f"unexpected {type(exc).__name__}: {exc} — rerun with --debug and report it", 1)
    signum = _signals.terminated_by()
    if signum is not None:  # raised where Python only reports exceptions (see _signals): still an end
        sys.stderr.write("mezzo: terminated\n")
        return 128 + signum
    if code == 130 or _signals.interrupted():
        sys.stderr.write("mezzo: interrupted\n")
        return 130
    return code if isinstance(code, int) else 0


def _usage(exc: Exception, fail: Any) -> int:
    """A usage error of click (as vendored by typer) as one line, with where to find help."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    code = int(getattr(exc, "exit_code", 2))
    if not message.strip():  # no arguments at all: the help was printed
        return code
    ctx = getattr(exc, "ctx", None)
    where = f" — see '{ctx.command_path} -h'" if ctx is not None else ""
    return fail(f"{message.rstrip('.')}{where}", code)


if __name__ == "__main__":
    main()
