"""``mezzo batch analyze | normalize | master``: one job over whole folders, in parallel.

Walks folders and globs, skips files already done (``--force`` redoes them), runs the
files on a local process pool (``--workers``) or a Dask cluster (``--scheduler``), and
writes one row per file to the results table (``--results``: CSV, JSON lines, Parquet).
One progress bar over files on stderr; a summary on stdout at the end (``--json``: the
summary and every row as JSON); failed files are listed on stderr with their one-line
reasons and make the exit status 1 (skipped files are not failures). No DSP here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import typer

from mezzo.cli._common import print_json, warn

batch_app = typer.Typer(
    name="batch",
    help="Run analyze, normalize or master over whole folders, on local processes or a Dask cluster.",
    no_args_is_help=True,
    add_completion=False,
)

PRESET_NAMES = "spotify, apple, youtube, tidal, amazon, deezer, ebu, atsc, podcast"
ROOTS = typer.Argument(
    ..., metavar="ROOT_OR_GLOB...",
    help="Folders (walked recursively, audio extensions only), glob patterns ('music/**/*.flac') or files.",
    show_default=False,
)  # fmt: skip
WORKERS = typer.Option(None, "--workers", "-j", help="Worker processes (default: all cores; 1 runs in this process). "
                       "With --scheduler local, the number of Dask workers.", show_default=False)
SCHEDULER = typer.Option(None, "--scheduler", help="'local' for a Dask LocalCluster, or a Dask scheduler address "
                         "such as tcp://host:8786 (workers must see the same paths).", show_default=False)
RESULTS = typer.Option(None, "--results", help="Results table: .csv, .jsonl or .parquet (default: "
                       "OUT_DIR/results.csv). A rerun continues it; a table holds one job's rows.", show_default=False)
FORCE = typer.Option(False, "--force", help="Redo files already done (row ok and output newer than the input).")
JSON_OPT = typer.Option(False, "--json", help="Print the summary and every row as JSON on stdout.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bar.")
PRESET = typer.Option(None, "--preset", help=f"Platform preset: {PRESET_NAMES}.", show_default=False)
TARGET = typer.Option(None, "--target-lufs", help="Integrated loudness target, LUFS (overrides the preset's).",
                      show_default=False)
CEILING = typer.Option(None, "--ceiling-dbtp", help="True-peak ceiling, dBTP (overrides the preset's).",
                       show_default=False)
NO_LIMIT = typer.Option(False, "--no-limit", help="Never limit: lower the gain instead when the peaks would pass the ceiling.")
DRY_RUN = typer.Option(False, "--dry-run", help="Only list what would be processed and skipped; write nothing.")
ALBUM = typer.Option(False, "--album", help="One gain per album (one folder = one album), keeping the tracks' "
                     "relative loudness.")


def _out_dir_option(required: bool) -> Any:
    what = "Output folder (mirrors the input tree; never walked, even inside an input folder)."
    if required:
        return typer.Option(..., "--out-dir", "-o", help=what, show_default=False)
    return typer.Option(None, "--out-dir", "-o", help=what + " analyze writes NAME.json there.", show_default=False)


def _run(
    job: str, roots: list[str], *, out_dir: Path | None, workers: int | None, scheduler: str | None,
    results: Path | None, force: bool, album: bool, options: dict[str, Any], json_output: bool, quiet: bool,
    dry_run: bool,
) -> None:
    from mezzo.batch import default_results, run, summarize

    start = time.perf_counter()
    bar = _FileBar(f"batch {job}", quiet=quiet)
    try:
        with bar:
            rows = run(
                roots, job, out_dir=out_dir, workers=workers, scheduler=scheduler, results=results,
                force=force, album=album, job_options=options, progress=bar.update, dry_run=dry_run,
            )  # fmt: skip
    except KeyboardInterrupt:
        # SystemExit: typer turns KeyboardInterrupt into an exit code that main() does not see.
        warn("interrupted: finished files are in the results; run the same command again to continue")
        raise SystemExit(130) from None
    if dry_run:
        _print_plan(job, rows, json_output=json_output)
        return
    summary = summarize(rows, time.perf_counter() - start)
    table = results if results is not None else (default_results(out_dir, job) if out_dir is not None else None)
    failed = [r for r in rows if r.get("status") == "failed"]
    if json_output:
        print_json({"summary": summary.to_dict(), "results": None if table is None else str(table), "rows": rows})
    else:
        _print_summary(job, summary, table)
    for row in failed:
        error = str(row.get("error") or "failed")
        warn(f"failed: {error}" if row["path"] in error else f"failed: {row['path']!r}: {error}")
    if failed:
        # SystemExit, not typer.Exit: with standalone_mode=False click returns typer.Exit's
        # code from app() instead of raising, and main() would exit 0.
        raise SystemExit(1)


class _FileBar:
    """One rich progress bar over files on stderr, started at the first update.

    Starting late matters: the bar's refresh thread must not exist yet when the worker
    processes are forked (the batch starts them before its first progress call).
    """

    def __init__(self, description: str, *, quiet: bool) -> None:
        self.description = description
        self.enabled = not quiet and sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _FileBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` files."""
        if not self.enabled:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                TimeRemainingColumn(), console=Console(stderr=True), transient=True,
            )  # fmt: skip
            self._progress.start()
            self._task = self._progress.add_task(self.description, total=max(total, 1))
        self._progress.update(self._task, completed=done, total=max(total, 1))


def _print_plan(job: str, rows: list[dict[str, Any]], *, json_output: bool) -> None:
    todo = sum(r["status"] == "todo" for r in rows)
    skipped = sum(r["status"] == "skipped" for r in rows)
    failed = len(rows) - todo - skipped  # output collisions: known to fail already
    if json_output:
        print_json({"dry_run": True, "todo": todo, "skipped": skipped, "failed": failed, "rows": rows})
        return
    lines = [f"batch {job} (dry run): {len(rows)} files — {todo} to process, {skipped} already done"
             + (f", {failed} would fail" if failed else "")]
    lines += [f"  {r['status']:<7} {r['path']}" for r in rows]
    typer.echo("\n".join(lines))


def _print_summary(job: str, summary: Any, table: Path | None) -> None:
    rate = "—" if summary.files_per_s is None else f"{summary.files_per_s:.2f} files/s"
    lines = [
        f"batch {job}: {summary.total} files — {summary.done} done, {summary.skipped} skipped, {summary.failed} failed",
        f"audio processed: {summary.audio_hours:.3f} h · throughput: {rate} · wall time: {summary.wall_s:.1f} s",
    ]
    if table is not None:
        lines.append(f"results: {table}")
    typer.echo("\n".join(lines))


@batch_app.command("analyze")
def analyze(
    roots: list[str] = ROOTS,
    out_dir: Path | None = _out_dir_option(False),
    layout: str | None = typer.Option(None, "--layout", help="Channel layout for the BS.1770 weights (default: from "
                                      "the channel count).", show_default=False),
    loudness_only: bool = typer.Option(False, "--loudness-only", help="Only loudness and peaks: skip dynamic range, "
                                       "the dynamics map and tempo (fastest)."),
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    results: Path | None = RESULTS,
    force: bool = FORCE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET,
    dry_run: bool = DRY_RUN,
) -> None:
    """Measure every file: loudness, peaks, dynamic range, markings and tempo (one row per file)."""
    _run("analyze", roots, out_dir=out_dir, workers=workers, scheduler=scheduler, results=results, force=force,
         album=False, options={"layout": layout, "dynamics": not loudness_only}, json_output=json_output, quiet=quiet,
         dry_run=dry_run)


@batch_app.command("normalize")
def normalize(
    roots: list[str] = ROOTS,
    out_dir: Path = _out_dir_option(True),
    preset: str | None = PRESET,
    target_lufs: float | None = typer.Option(None, "--target-lufs", help="Integrated loudness target, LUFS "
                                             "(default -14, or the preset's).", show_default=False),
    ceiling_dbtp: float | None = typer.Option(None, "--ceiling-dbtp", help="True-peak ceiling, dBTP (default -1, "
                                              "or the preset's).", show_default=False),
    no_limit: bool = NO_LIMIT,
    album: bool = ALBUM,
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    results: Path | None = RESULTS,
    force: bool = FORCE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET,
    dry_run: bool = DRY_RUN,
) -> None:
    """Normalise every file to a loudness target with a true-peak ceiling (outputs in --out-dir)."""
    options = {"preset": preset, "target_lufs": target_lufs, "ceiling_dbtp": ceiling_dbtp, "limit": not no_limit}
    _run("normalize", roots, out_dir=out_dir, workers=workers, scheduler=scheduler, results=results, force=force,
         album=album, options=options, json_output=json_output, quiet=quiet,
         dry_run=dry_run)


@batch_app.command("master")
def master(
    roots: list[str] = ROOTS,
    out_dir: Path = _out_dir_option(True),
    preset: str | None = typer.Option(None, "--preset", help=f"Platform preset: {PRESET_NAMES} (default spotify).",
                                      show_default=False),
    target_lufs: float | None = TARGET,
    ceiling_dbtp: float | None = CEILING,
    glue: bool = typer.Option(False, "--glue", help="Mix-bus glue compressor before the limiter (not with --album)."),
    no_limit: bool = NO_LIMIT,
    bitrate_kbps: float | None = typer.Option(None, "--bitrate-kbps", help="Bit rate of lossy outputs (MP3, "
                                              "Ogg, Opus, AAC), kb/s. Default: each input's (lossy), else the "
                                              "codec's default.", show_default=False),
    album: bool = ALBUM,
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    results: Path | None = RESULTS,
    force: bool = FORCE,
    json_output: bool = JSON_OPT,
    quiet: bool = QUIET,
    dry_run: bool = DRY_RUN,
) -> None:
    """Master every file to a platform preset or target (outputs in --out-dir)."""
    options = {"preset": preset, "target_lufs": target_lufs, "ceiling_dbtp": ceiling_dbtp, "glue": glue,
               "limit": not no_limit, "bitrate_kbps": bitrate_kbps}
    _run("master", roots, out_dir=out_dir, workers=workers, scheduler=scheduler, results=results, force=force,
         album=album, options=options, json_output=json_output, quiet=quiet,
         dry_run=dry_run)


def register(app: typer.Typer) -> None:
    """Add ``mezzo batch`` to the app."""
    app.add_typer(batch_app, name="batch")
