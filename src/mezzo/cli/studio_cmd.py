"""``mezzo studio``: the local web app where a producer sees, hears and fixes a track's dynamics."""

from __future__ import annotations

from pathlib import Path

import typer

from mezzo.cli._common import warn


def studio(
    paths: list[Path] = typer.Argument(None, help="Audio files to open as tracks; a folder opens its audio files as stems.", show_default=False, metavar="FILE_OR_DIR"),
    port: int = typer.Option(8765, "--port", help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Anything but 127.0.0.1/localhost is reachable from other machines (a warning says so)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the page in the browser; just print its address."),
    work_dir: Path | None = typer.Option(None, "--work-dir", help="The studio's work folder, where tracks and versions are kept (default ~/.local/share/mezzo/studio).", show_default=False),
    workers: int = typer.Option(2, "--workers", help="Jobs (analysis, mastering...) that run at the same time, each in its own process."),
    max_upload_mb: float = typer.Option(2048.0, "--max-upload-mb", help="Largest upload accepted, MB."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the URL line (no work folder, files opened or Ctrl-C hint); the server logs errors only. Warnings still show."),
) -> None:
    """Open the studio: see the loudness, markings and tempo of a track, hear it A/B, master it, download.

    Prints the studio's address with its session token (every request needs it; with
    --quiet that line only, for scripts) and opens it in the browser. No request log is kept. Files given are copied into the work folder; the studio
    never writes anywhere else. Ctrl-C stops it.
    """
    from mezzo._validate import check_range
    from mezzo.studio.server import serve

    check_range("port", port, 0, 65535)
    check_range("workers", workers, 1, 64)
    check_range("max_upload_mb", max_upload_mb, 0.001, 1e7, "MB")
    serve(
        [str(p) for p in paths or []], host=host, port=port, open_browser=not no_browser, work_dir=work_dir,
        workers=workers, max_upload_bytes=round(max_upload_mb * 1e6),
        echo=lambda line: typer.echo(line), warn=lambda line: warn(line), quiet=quiet,
    )


def register(app: typer.Typer) -> None:
    """Add ``mezzo studio`` to the app."""
    app.command("studio")(studio)
