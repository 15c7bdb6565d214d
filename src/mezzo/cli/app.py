"""Entry point of the ``mezzo`` command.

Exit codes: 0 success, 1 input or processing error, 2 usage error (including
an out-of-range parameter). Errors are
one line on stderr (``mezzo: error: …``); ``--debug`` shows the traceback.
Heavy modules (numba, scipy, matplotlib) are imported inside the commands, so
``mezzo --help`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from mezzo import __version__
from mezzo.cli import (
    analyze_cmd,
    batch_cmd,
    demo_cmd,
    dynamics_cmd,
    master_cmd,
    midi_cmd,
    process_cmd,
    report_cmd,
    stems_cmd,
)

app = typer.Typer(
    name="mezzo",
    help="Dynamics in music: measure loudness and peaks, compress, limit and master.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mezzo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Dynamics in music: measure loudness and peaks, compress, limit and master."""


analyze_cmd.register(app)
demo_cmd.register(app)
process_cmd.register(app)
master_cmd.register(app)
report_cmd.register(app)
batch_cmd.register(app)
dynamics_cmd.register(app)
midi_cmd.register(app)
stems_cmd.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and map errors to one-line messages and exit codes."""
    from mezzo.errors import MezzoError, ParameterError

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Outside standalone mode typer returns the exit code of typer.Exit (and of Ctrl-C).
        code = app(args=args, prog_name="mezzo", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("mezzo: interrupted\n")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors (click's, as vendored by typer): exit 2
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    except KeyboardInterrupt:
        sys.stderr.write("mezzo: interrupted\n")
        sys.exit(130)
    except MezzoError as exc:
        if debug:
            raise
        sys.stderr.write(f"mezzo: error: {exc}\n")
        sys.exit(2 if isinstance(exc, ParameterError) else 1)
    except Exception as exc:  # a bug: still one line, unless --debug
        if debug:
            raise
        sys.stderr.write(
            f"mezzo: error: unexpected {type(exc).__name__}: {exc} — rerun with --debug and report it\n"
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
