"""The per-file work of a batch: top-level, picklable task functions that return rows.

A task is one file (or, with ``album=True``, one album for ``normalize``/``master``).
:func:`run_task` runs it in a worker (a local process or a Dask worker) and returns one
row per file: ``path``, ``status`` (``'ok'`` or ``'failed'``), ``error`` (one line),
``job``, ``output``, ``input_mtime_s``, ``seconds`` and every figure of the job as a
flat scalar column. It never raises for a bad file: the row says what is wrong.

Adding a job is one function ``f(task) -> list[row]`` plus one :class:`JobSpec` in
:data:`JOBS`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mezzo.errors import MezzoError, ParameterError

__all__ = ["JOBS", "JobSpec", "Task", "failed_row", "get_job", "run_task"]

#: Longest error message kept in a row, characters.
MAX_ERROR_CHARS = 400

#: Key of a row whose failure is not about the file (unexpected exception): retried once.
RETRY_KEY = "_retry"


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: a job over one file, or over the files of one album.

    Attributes
    ----------
    job : str
        Job name (a key of :data:`JOBS`).
    paths : tuple of str
        Absolute input paths.
    outputs : tuple of str or None
        One output path per input (``None``: no output, e.g. ``analyze`` without ``out_dir``).
    options : dict
        The job's options, already checked by :meth:`JobSpec.check_options`.
    album : bool
        The paths form one album (one gain for all).
    """

    job: str
    paths: tuple[str, ...]
    outputs: tuple[str | None, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    album: bool = False


def _worker_name() -> str:
    """``host:pid`` of the process running the task."""
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def one_line(exc: BaseException) -> str:
    """The reason for ``exc`` on one line (mezzo's own messages as they are)."""
    text = str(exc) if isinstance(exc, MezzoError) else f"unexpected {type(exc).__name__}: {exc}"
    text = " ".join(text.split()) or type(exc).__name__
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def base_row(task: Task, index: int) -> dict[str, Any]:
    """The leading columns of the row of ``task.paths[index]``."""
    path = task.paths[index]
    return {
        "path": path,
        "status": "ok",
        "error": None,
        "job": task.job,
        "output": task.outputs[index],
        "input_mtime_s": _mtime(path),
        "seconds": None,
        "worker": _worker_name(),
    }


def failed_row(task: Task, index: int, error: str, *, retry: bool = False) -> dict[str, Any]:
    """A row saying that ``task.paths[index]`` failed and why."""
    row = base_row(task, index)
    row.update(status="failed", error=error, output=None)
    if retry:
        row[RETRY_KEY] = True
    return row


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Scalar figures of a ``to_dict()``: nested dicts become ``prefix_key``; lists are left out."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}_"))
        elif value is None or isinstance(value, (bool, int, float, str)):
            out[f"{prefix}{key}"] = value
    return out


def _make_parent(path: str | None) -> None:
    if path is not None:
        from mezzo.io.atomic import make_folder

        make_folder(os.path.dirname(path) or ".")


def _per_file(task: Task, work: Callable[[str, str | None], dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for i, path in enumerate(task.paths):
        start = time.perf_counter()
        row = base_row(task, i)
        try:
            _make_parent(task.outputs[i])
            row.update(work(path, task.outputs[i]))
        except MezzoError as exc:
            row = failed_row(task, i, one_line(exc))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # not the file's fault as far as we know: retried once
            row = failed_row(task, i, one_line(exc), retry=True)
        row["seconds"] = round(time.perf_counter() - start, 4)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- analyze


def _analyze_one(options: Mapping[str, Any]) -> Callable[[str, str | None], dict[str, Any]]:
    def work(path: str, output: str | None) -> dict[str, Any]:
        from mezzo.analysis import analyze

        result = analyze(path, layout=options.get("layout"), dynamics=bool(options.get("dynamics", True)))
        figures = result.to_dict()
        if output is not None:
            import json

            from mezzo.io.atomic import write_text

            text = json.dumps(_json_ready(figures), indent=2, allow_nan=False) + "\n"
            write_text(output, text, overwrite=True)
        scalars = {k: v for k, v in figures.items() if k != "path"}
        if "psr_median_db" in scalars:  # psr_db = {"median", "min"} repeats psr_median_db, psr_min_db
            scalars.pop("psr_db", None)
        return flatten(scalars)

    return work


def _json_ready(value: Any) -> Any:
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if hasattr(value, "tolist"):
        return _json_ready(value.tolist())
    return value


def analyze_task(task: Task) -> list[dict[str, Any]]:
    """Analyse each file (:func:`mezzo.analysis.analyze`); write its JSON to the output if any."""
    return _per_file(task, _analyze_one(task.options))


# --------------------------------------------------------------------------- normalize / master


def _duration_s(path: str) -> float | None:
    from mezzo import io

    try:
        info = io.info(path)
    except MezzoError:
        return None
    return info.frames / info.sample_rate if info.sample_rate else None


def _report_row(report: Any, path: str) -> dict[str, Any]:
    row = flatten(report.to_dict())
    for key in ("input", "output", "summary", "dry_run"):
        row.pop(key, None)
    row["warnings"] = " / ".join(report.warnings) or None
    row["duration_s"] = _duration_s(path)
    return row


def _album_task(task: Task, render: Callable[[], list[Any]]) -> list[dict[str, Any]]:
    """Run an album at once: every file gets a row; a bad file keeps the whole album back.

    Each file's header is checked first, so a broken file's row gives its own reason and
    the others say which file held the album back (album gain needs every file).
    """
    from mezzo import io

    start = time.perf_counter()
    bad: dict[int, str] = {}
    for i, path in enumerate(task.paths):
        try:
            io.info(path)
        except MezzoError as exc:
            bad[i] = one_line(exc)
    rows: list[dict[str, Any]]
    if bad:
        names = ", ".join(os.path.basename(task.paths[i]) for i in bad)
        held = f"album not processed: {len(bad)} of its files failed ({names}) — fix or remove them, or leave album=True out"
        rows = [failed_row(task, i, bad.get(i, held)) for i in range(len(task.paths))]
    else:
        try:
            for out in task.outputs:
                _make_parent(out)
            reports = render()
        except MezzoError as exc:
            message = f"album not processed: {one_line(exc)}"
            rows = [failed_row(task, i, message) for i in range(len(task.paths))]
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            message = f"album not processed: {one_line(exc)}"
            rows = [failed_row(task, i, message, retry=True) for i in range(len(task.paths))]
        else:
            rows = []
            for i, report in enumerate(reports):
                row = base_row(task, i)
                row.update(_report_row(report, task.paths[i]))
                rows.append(row)
    seconds = round(time.perf_counter() - start, 4)
    for row in rows:
        row["seconds"] = seconds
        row["album"] = os.path.dirname(row["path"])
    return rows


def normalize_task(task: Task) -> list[dict[str, Any]]:
    """Normalise each file (or the album) with :func:`mezzo.mastering.master.normalize_files`."""
    from mezzo.mastering.master import normalize_files

    opts = task.options
    kwargs = {"targets": opts["targets"], "limit": opts.get("limit", True), "overwrite": True}
    if task.album:
        return _album_task(task, lambda: normalize_files(task.paths, task.outputs, album=True, **kwargs))

    def work(path: str, output: str | None) -> dict[str, Any]:
        report = normalize_files([path], [output], **kwargs)[0]
        return _report_row(report, path)

    return _per_file(task, work)


def master_task(task: Task) -> list[dict[str, Any]]:
    """Master each file with :func:`mezzo.mastering.master.master_file` (an album: one gain for all)."""
    from mezzo.mastering.master import master_file, normalize_files

    opts = task.options
    if task.album:
        # An album is mastered as one gain to the preset's target and ceiling, limited per file.
        def render() -> list[Any]:
            return normalize_files(
                task.paths, task.outputs, targets=opts["targets"], limit=opts.get("limit", True), album=True,
                overwrite=True, bitrate_kbps=opts.get("bitrate_kbps"),
            )

        return _album_task(task, render)

    def work(path: str, output: str | None) -> dict[str, Any]:
        report = master_file(
            path, output, targets=opts["targets"], glue=opts.get("glue", False), limit=opts.get("limit", True),
            bitrate_kbps=opts.get("bitrate_kbps"), overwrite=True,
        )
        return _report_row(report, path)

    return _per_file(task, work)


# --------------------------------------------------------------------------- registry


def _check_analyze(options: Mapping[str, Any], *, album: bool) -> dict[str, Any]:
    if album:
        raise ParameterError("album=True applies to normalize and master, not analyze: leave album=True out")
    unknown = set(options) - {"layout", "dynamics"}
    if unknown:
        raise ParameterError(f"analyze takes the options layout and dynamics, not {sorted(unknown)!r}")
    return {"layout": options.get("layout"), "dynamics": bool(options.get("dynamics", True))}


def _targets(options: Mapping[str, Any], default_preset: str | None) -> dict[str, Any]:
    """The job's :class:`~mezzo.mastering.targets.Targets`, resolved once (``targets``), and its figures."""
    from mezzo.mastering.targets import Targets

    targets = Targets.resolve(
        options.get("preset"), options.get("target_lufs"), options.get("ceiling_dbtp"), default_preset=default_preset
    )
    return {"targets": targets, **targets.to_dict()}


def _check_normalize(options: Mapping[str, Any], *, album: bool) -> dict[str, Any]:
    unknown = set(options) - {"preset", "target_lufs", "ceiling_dbtp", "limit"}
    if unknown:
        raise ParameterError(f"normalize takes preset, target_lufs, ceiling_dbtp and limit, not {sorted(unknown)!r}")
    return {**_targets(options, None), "limit": bool(options.get("limit", True))}


def _check_master(options: Mapping[str, Any], *, album: bool) -> dict[str, Any]:
    from mezzo.io.encode import check_bitrate

    unknown = set(options) - {"preset", "target_lufs", "ceiling_dbtp", "glue", "limit", "bitrate_kbps"}
    if unknown:
        raise ParameterError(
            f"master takes preset, target_lufs, ceiling_dbtp, glue, limit and bitrate_kbps, not {sorted(unknown)!r}"
        )
    glue = bool(options.get("glue", False))
    if album and glue:
        raise ParameterError("glue=True cannot be combined with album=True yet: master the album without glue")
    return {**_targets(options, "spotify"), "glue": glue, "limit": bool(options.get("limit", True)),
            "bitrate_kbps": check_bitrate(options.get("bitrate_kbps"))}


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A batch job: its task function, option checker and output naming.

    Attributes
    ----------
    name : str
        Job name.
    task : callable
        ``task(Task) -> list[row]`` (top-level, so it pickles).
    check_options : callable
        ``check_options(options, album=...) -> dict``: checked options with defaults;
        raises :class:`~mezzo.errors.ParameterError`.
    output_suffix : str or None
        Appended to the input's relative path for the output (``'.json'``); ``None``
        keeps the input's name (processed audio).
    needs_out_dir : bool
        The job writes audio, so an output folder is required.
    """

    name: str
    task: Callable[[Task], list[dict[str, Any]]]
    check_options: Callable[..., dict[str, Any]]
    output_suffix: str | None
    needs_out_dir: bool

    def output_for(self, relative: str, out_dir: str | None) -> str | None:
        """The output path of an input whose path relative to its root is ``relative``."""
        if out_dir is None:
            return None
        return os.path.join(out_dir, relative + (self.output_suffix or ""))


JOBS: dict[str, JobSpec] = {
    "analyze": JobSpec("analyze", analyze_task, _check_analyze, ".json", needs_out_dir=False),
    "normalize": JobSpec("normalize", normalize_task, _check_normalize, None, needs_out_dir=True),
    "master": JobSpec("master", master_task, _check_master, None, needs_out_dir=True),
}


def get_job(name: str) -> JobSpec:
    """Return the job called ``name`` or raise :class:`~mezzo.errors.ParameterError`."""
    from mezzo._validate import check_choice

    return JOBS[check_choice("job", name, tuple(JOBS))]


def run_task(task: Task) -> list[dict[str, Any]]:
    """Run one task and return its rows (this is what workers execute)."""
    return JOBS[task.job].task(task)
