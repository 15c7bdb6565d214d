"""Batch processing over folders: ``analyze``, ``normalize`` or ``master`` every file.

:func:`run` walks folders and globs (:mod:`mezzo.batch.walk`), skips files already done,
runs one task per file (or per album) on a local process pool or a Dask cluster
(:mod:`mezzo.batch.executors`), and records one row per file in a results table
(:mod:`mezzo.batch.results`): CSV, JSON lines or Parquet. A bad file never stops the
batch: its row says why it failed.

>>> from mezzo.batch import JOBS
>>> sorted(JOBS)
['analyze', 'master', 'normalize']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mezzo.batch.jobs import JOBS, JobSpec, Task, failed_row, get_job
from mezzo.batch.results import ResultsFile
from mezzo.batch.walk import Source, albums, expand
from mezzo.errors import AudioFileError, ParameterError
from mezzo.results import to_dict

__all__ = ["JOBS", "BatchSummary", "default_results", "run", "summarize", "to_dataframe"]

#: Name of the results file written in the output folder when none is given. A table belongs
#: to one job: a run of another job into the same folder is refused (give it ``results=``).
DEFAULT_RESULTS = "results.csv"
#: The name suggested for another job's table in the same folder.
OTHER_JOB_RESULTS = "results-{job}.csv"


def default_results(out_dir: PathArg, job: str) -> str:
    """The results table in ``out_dir`` when none is given (``results.csv``; ``job`` is unused)."""
    del job
    return os.path.join(os.fspath(out_dir), DEFAULT_RESULTS)

#: Slack when comparing modification times, s (file systems store them coarsely).
MTIME_SLACK_S = 1e-3

PathArg = str | os.PathLike[str]

@dataclass(frozen=True, slots=True)
class BatchSummary:
    """Counts and throughput of one batch run.

    Attributes
    ----------
    total, done, skipped, failed : int
        Files found; processed successfully; skipped as already done; failed.
    audio_hours : float
        Duration of the files processed successfully in this run, hours.
    wall_s : float
        Wall time of the run, s.
    files_per_s : float or None
        Files processed (done or failed) per second of wall time.
    """

    total: int
    done: int
    skipped: int
    failed: int
    audio_hours: float
    wall_s: float
    files_per_s: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return to_dict(self)


def summarize(rows: Iterable[Mapping[str, Any]], wall_s: float) -> BatchSummary:
    """Count the rows of a run by status and work out its throughput."""
    rows = list(rows)
    done = [r for r in rows if r.get("status") == "ok"]
    failed = sum(r.get("status") == "failed" for r in rows)
    skipped = sum(r.get("status") == "skipped" for r in rows)
    seconds = sum(float(r["duration_s"]) for r in done if isinstance(r.get("duration_s"), (int, float)))
    processed = len(done) + failed
    return BatchSummary(
        total=len(rows), done=len(done), skipped=skipped, failed=failed, audio_hours=seconds / 3600.0,
        wall_s=wall_s, files_per_s=processed / wall_s if wall_s > 0 and processed else None,
    )


def to_dataframe(rows: Iterable[Mapping[str, Any]]) -> Any:
    """The rows as a pandas ``DataFrame`` (needs pandas)."""
    try:
        import pandas as pd
    except ImportError:
        raise ParameterError(
            "to_dataframe needs pandas, which is not installed — pip install pandas, or use the list of dicts"
        ) from None
    return pd.DataFrame(list(rows))


def _mtime(path: str | None) -> float | None:
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _is_done(previous: Mapping[str, Any] | None, job: str, source: Source, output: str | None) -> bool:
    """A file is done when its row is ok for this job and its output is newer than the input."""
    if not previous or previous.get("status") != "ok" or previous.get("job") != job:
        return False
    now = _mtime(source.path)
    recorded = previous.get("input_mtime_s")
    if now is None or not isinstance(recorded, (int, float)) or now > recorded + MTIME_SLACK_S:
        return False
    if output is None:
        return True
    out_mtime = _mtime(output)
    return previous.get("output") == output and out_mtime is not None and out_mtime + MTIME_SLACK_S >= now


def _plan(
    spec: JobSpec, sources: list[Source], out_dir: str | None, previous: Mapping[str, Mapping[str, Any]],
    options: dict[str, Any], *, force: bool, album: bool,
) -> tuple[list[Task], dict[str, dict[str, Any]]]:
    """Tasks to run and rows already final (skipped files, output collisions)."""
    final: dict[str, dict[str, Any]] = {}
    outputs: dict[str, str | None] = {}
    claimed: dict[str, str] = {}
    for src in sources:
        output = spec.output_for(src.relative, out_dir)
        if output is not None:
            key = os.path.realpath(output)
            if key in claimed:
                task = Task(spec.name, (src.path,), (output,), options)
                final[src.path] = failed_row(
                    task, 0, f"{src.path!r}: its output {output!r} is also the output of {claimed[key]!r} "
                    "— process the two roots in separate runs or rename one",
                )  # fmt: skip
                final[src.path]["worker"] = None
                continue
            claimed[key] = src.path
        outputs[src.path] = output

    def skip_row(src: Source) -> dict[str, Any]:
        return {**previous[src.path], "status": "skipped"}

    tasks: list[Task] = []
    if album:
        for group in albums(s for s in sources if s.path in outputs).values():
            if not force and all(_is_done(previous.get(s.path), spec.name, s, outputs[s.path]) for s in group):
                final.update((s.path, skip_row(s)) for s in group)
            else:
                paths = tuple(s.path for s in group)
                tasks.append(Task(spec.name, paths, tuple(outputs[p] for p in paths), options, album=True))
        return tasks, final
    for src in sources:
        if src.path not in outputs:
            continue
        output = outputs[src.path]
        if not force and _is_done(previous.get(src.path), spec.name, src, output):
            final[src.path] = skip_row(src)
        else:
            tasks.append(Task(spec.name, (src.path,), (output,), options))
    return tasks, final


def run(
    paths: PathArg | Iterable[PathArg],
    job: str,
    *,
    out_dir: PathArg | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    results: PathArg | None = None,
    force: bool = False,
    album: bool = False,
    job_options: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Run ``job`` over every audio file under ``paths``; return one row per file.

    Parameters
    ----------
    paths : path or iterable of paths
        Folders (walked recursively; files with audio extensions), glob patterns
        (``'music/**/*.flac'``) and files.
    job : {'analyze', 'normalize', 'master'}
        What to do with each file.
    out_dir : path, optional
        Output folder, mirroring the input tree: ``analyze`` writes ``<name>.json``
        there (optional), ``normalize`` and ``master`` write the processed audio with the
        input's name and format (required). Never walked, even inside an input folder.
    workers : int, >= 1, optional
        Worker processes (default: the CPU count; 1 runs in this process). With
        ``scheduler='local'``, the number of Dask workers.
    scheduler : str, optional
        ``'local'`` for a ``dask.distributed.LocalCluster``, or a scheduler address
        (``'tcp://host:8786'``); default: a local process pool.
    results : path, optional
        Results table (``.csv``, ``.jsonl``, ``.parquet``). Default: ``results.csv``
        in ``out_dir`` when there is one (a table belongs to one job), else none (rows are
        only returned). A table that holds the rows of another job is refused.
    force : bool
        Redo files already done.
    album : bool
        ``normalize``/``master``: one gain per album (one folder = one album).
    job_options : mapping, optional
        ``analyze``: ``layout``, ``dynamics`` (default True; False measures loudness and
        peaks only). ``normalize``: ``target_lufs`` (default -14), ``ceiling_dbtp``
        (default -1), ``preset``, ``limit``. ``master``: ``preset`` (default
        ``'spotify'``), ``target_lufs``, ``ceiling_dbtp``, ``glue``.
    progress : callable, optional
        Called as ``progress(files_finished, files_total)`` (skipped files count as finished).
    dry_run : bool
        Only plan: return a row per file with status ``'todo'`` (would be processed) or
        ``'skipped'``, and write nothing (no outputs, no results table).

    Returns
    -------
    list of dict
        One row per file in walk order: ``path``, ``status`` (``'ok'``, ``'failed'``,
        ``'skipped'``), ``error`` (one line), ``job``, ``output``, ``input_mtime_s``,
        ``seconds``, ``worker`` (``host:pid`` that processed it) and the job's figures (e.g. ``integrated_lufs``, ``true_peak_dbtp``).
        A skipped file's row is its previous row with status ``'skipped'``.

    Raises
    ------
    ParameterError
        Unknown job or option, bad ``workers``/``scheduler``, missing ``out_dir``,
        unsupported results format.
    AudioFileError
        No audio file found, or the output folder cannot be created.

    Notes
    -----
    A file is skipped when its row in ``results`` says ``ok`` for this job, its input
    has not changed since (modification time), and its output exists and is newer than
    the input. Outputs and the results table are written atomically, so an interrupted
    run leaves complete files only and a rerun continues where it stopped.
    """
    from mezzo.batch import executors

    spec = get_job(job)
    options = spec.check_options(dict(job_options or {}), album=bool(album))
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    roots = [os.fspath(p) for p in paths]
    if not roots:
        raise ParameterError("paths is empty: give at least one folder, glob or file")
    if spec.needs_out_dir and out_dir is None:
        raise ParameterError(f"out_dir is required for {job}: give the folder for the processed files")
    out = None if out_dir is None else os.path.abspath(os.fspath(out_dir))
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise AudioFileError(f"{out!r}: is a file, not a folder — give a folder for out_dir")
    if results is None and out is not None:
        results = default_results(out, spec.name)
    table = ResultsFile(results) if results is not None else None

    sources = expand(roots, exclude=[out] if out else [])
    if not sources:
        raise AudioFileError(f"no audio files found in {', '.join(map(repr, roots))} — check the paths")
    previous = table.load() if table is not None else {}
    others = sorted({str(r.get("job")) for r in previous.values() if r.get("job") not in (None, spec.name)})
    if others and table is not None:
        raise ParameterError(
            f"results={table.path!r} holds the rows of batch {' and '.join(others)}: each job keeps its "
            f"own table — give another results file for {spec.name}, e.g. "
            f"results={os.path.join(os.path.dirname(table.path), OTHER_JOB_RESULTS.format(job=spec.name))!r}"
        )
    tasks, final = _plan(spec, sources, out, previous, options, force=bool(force), album=bool(album))
    rows: dict[str, dict[str, Any]] = dict(final)
    if dry_run:
        for task in tasks:
            for i, path in enumerate(task.paths):
                rows[path] = {"path": path, "status": "todo", "error": None, "job": spec.name,
                              "output": task.outputs[i], "album": os.path.dirname(path) if task.album else None}
        return [rows[s.path] for s in sources if s.path in rows]
    if out is not None:
        from mezzo.io.atomic import make_folder

        make_folder(out)
    total = len(sources)
    finished = len(final)
    if table is not None:
        keep = dict(previous)
        keep.update((k, v) for k, v in final.items() if v.get("status") == "failed")
        table.start(keep)
    executor = None
    interrupted = False
    try:
        if tasks:  # workers start before the first progress call (which may start a thread)
            executor = executors.create(workers, scheduler, spec.name, options)
        if progress is not None:
            progress(finished, total)
        if executor is not None:
            for task_rows in executor.run(tasks):
                for row in task_rows:
                    rows[row["path"]] = row
                    if table is not None:
                        table.add(row)
                finished += len(task_rows)
                if progress is not None:
                    progress(finished, total)
    except BaseException:
        interrupted = True
        raise
    finally:
        try:
            if executor is not None:
                executor.close(interrupted=interrupted)
        finally:
            if table is not None:
                table.close()
    return [rows[s.path] for s in sources if s.path in rows]
