"""Start the studio: bind, print the URL with its token, open the browser, serve until Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from mezzo.errors import MezzoError

__all__ = ["DEFAULT_PORT", "check_installed", "default_work_dir", "serve"]

DEFAULT_PORT = 8765
#: Modules of the ``studio`` extra, with the package that brings each.
_NEEDED = {"starlette": "starlette", "uvicorn": "uvicorn", "multipart": "python-multipart", "plotly": "plotly"}


class StudioError(MezzoError, RuntimeError):
    """The studio cannot start (missing extra, port in use...)."""


def check_installed() -> None:
    """Raise :class:`StudioError` naming the ``studio`` extra if one of its packages is missing."""
    import importlib.util

    missing = [package for module, package in _NEEDED.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise StudioError(
            f"the studio needs {', '.join(missing)}: install mezzo's studio extra "
            "(pip install 'mezzo[studio]', or make setup in a checkout)"
        )


def default_work_dir() -> Path:
    """``$XDG_DATA_HOME/mezzo/studio`` (``~/.local/share/mezzo/studio``): tracks stay between sessions."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "mezzo" / "studio"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE on Linux, macOS
            raise StudioError(
                f"port {port} on {host} is in use (another studio?) — pass --port {port + 1}, or --port 0 for any "
                "free port"
            ) from None
        raise StudioError(f"cannot listen on {host}:{port} ({exc.strerror}) — check --host and --port") from None
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


def serve(
    paths: Sequence[str] = (),
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    work_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    max_upload_bytes: int | None = None,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
    quiet: bool = False,
) -> None:
    """Run the studio until interrupted.

    Parameters
    ----------
    paths : sequence of str
        Audio files to open as tracks; a folder opens its audio files as a stem set.
    host : str
        Address to listen on; anything but a loopback address gets a warning.
    port : int, 0 to 65535
        Port (0: any free one; the URL printed says which).
    open_browser : bool
        Open the page in the default browser.
    work_dir : path, optional
        The work folder (default :func:`default_work_dir`).
    workers : int, >= 1
        Jobs that run at the same time.
    max_upload_bytes : int, optional
        Largest upload accepted.
    echo, warn : callable
        Where the URL and the warnings are printed.
    quiet : bool
        Print the URL line only (no work folder, files opened, Ctrl-C hint); the server logs
        errors only. Warnings (a non-loopback address) are still printed.
    """
    check_installed()
    import uvicorn

    from mezzo.studio.app import DEFAULT_MAX_UPLOAD_BYTES, create_app, is_loopback
    from mezzo.studio.service import Studio, check_openable

    check_openable([os.fspath(p) for p in paths])
    loopback = is_loopback(host)
    if not loopback:
        warn(
            f"warning: listening on {host}, not only on this machine: anyone who can reach port {port} "
            "and learns the token can use the studio and its files, and the connection is not encrypted"
        )
    sock = _bind(host, port)
    actual_port = sock.getsockname()[1]
    folder = Path(work_dir) if work_dir is not None else default_work_dir()
    studio = None
    try:
        studio = Studio(folder, workers=workers)
        tracks, sets = studio.open_paths([os.fspath(p) for p in paths])
        token = secrets.token_urlsafe(24)
        app = create_app(studio, token=token, cookie_name=f"mezzo_studio_{actual_port}", loopback_only=loopback,
                         max_upload_bytes=max_upload_bytes or DEFAULT_MAX_UPLOAD_BYTES)  # fmt: skip
        shown = host if loopback or host not in ("0.0.0.0", "::") else socket.gethostname()
        shown = f"[{shown}]" if ":" in shown else shown
        url = f"http://{shown}:{actual_port}/?token={token}"
        opened = [t.name for t in tracks] + [f"stems {', '.join(s.names)}" for s in sets]
        echo(f"mezzo studio: {url}")
        if not quiet:
            echo(f"work folder: {studio.workspace.root}")
            echo("opened: " + "; ".join(opened) if opened else "no file given: the page offers the demo track")
            echo("Ctrl-C stops the studio")
        if open_browser:
            import webbrowser

            threading.Timer(0.3, webbrowser.open, args=(url,)).start()
        config = uvicorn.Config(app, log_level="error" if quiet else "warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=3, server_header=False)  # fmt: skip
        # uvicorn shuts down on SIGINT/SIGTERM, then raises the signal again with the handler that
        # was there before (the CLI's policy): the finally below stops the jobs and the workers.
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        with contextlib.suppress(Exception):
            sock.close()
        if studio is not None:
            studio.close()
