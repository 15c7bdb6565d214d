"""Long work of the studio in worker processes: queued, several at once, cancellable.

:class:`JobRunner` keeps a few worker processes (``spawn``: a fresh interpreter each,
whatever threads the server runs). A dispatcher thread hands queued jobs to idle
workers over a pipe and reads back what they report: ``started``, ``progress``
(a fraction and the phase in words, only where the work itself reports one),
``done`` with the task's result, or ``failed`` with a one-line message. A running job
is cancelled by killing its worker, which is then replaced; a queued one is simply
dropped. A worker that dies fails its job and is replaced too. Workers end with
the server, even when it is killed, and leave Ctrl-C to it
(:func:`mezzo.batch.workers.prepare_worker`, as batch workers do).

The tasks themselves (what a worker runs) are in :mod:`mezzo.studio.tasks`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from mezzo.studio.storage import new_id

__all__ = ["STATES", "Job", "JobRunner"]

#: Job states, in the order a job goes through them (the last three are final).
STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL_STATES = frozenset({"done", "failed", "cancelled"})
#: Finished jobs kept for ``GET /api/jobs`` (the oldest are forgotten first).
KEEP_FINISHED = 500


@dataclass
class Job:
    """One piece of long work and what became of it.

    Attributes
    ----------
    id : str
    kind : str
        Task name (:data:`mezzo.studio.tasks.TASKS`).
    label : str
        What it does, in words, for the page.
    args : dict
        Keyword arguments of the task.
    state : str
        One of :data:`STATES`.
    progress : float, 0-1
        Share of the work done, as the work reports it (0 until it does; 1 when done).
    phase : str
        What it is doing now, in words.
    track_id, stems_id : str or None
        What it works on.
    result_track_id : str or None
        The new version it made (set before the state becomes ``done``).
    result : dict or None
        What the task returned (after ``finish`` ran).
    error : str or None
        Why it failed, one line.
    """

    id: str
    kind: str
    label: str
    args: dict[str, Any]
    track_id: str | None = None
    stems_id: str | None = None
    priority: int = 1
    state: str = "queued"
    progress: float = 0.0
    phase: str = "waiting for a free worker"
    result_track_id: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    created_s: float = field(default_factory=time.time)
    started_s: float | None = None
    finished_s: float | None = None
    scratch: Path | None = None
    finish: Callable[[Job, dict[str, Any]], None] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The job as JSON for ``GET /api/jobs/{id}``."""
        end = self.finished_s if self.finished_s is not None else time.time()
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "state": self.state,
            "progress": round(self.progress, 4),
            "phase": self.phase,
            "track_id": self.track_id,
            "stems_id": self.stems_id,
            "result_track_id": self.result_track_id,
            "result": self.result,
            "error": self.error,
            "created_s": self.created_s,
            "started_s": self.started_s,
            "finished_s": self.finished_s,
            "elapsed_s": None if self.started_s is None else round(end - self.started_s, 2),
        }


class _Worker:
    def __init__(self, context: Any, tasks: str) -> None:
        parent_end, child_end = context.Pipe(duplex=True)
        self.conn: Connection = parent_end
        self.process = context.Process(
            target=worker_main, args=(child_end, os.getpid(), tasks), name="mezzo-studio-worker", daemon=True
        )
        self.process.start()
        child_end.close()
        self.job: Job | None = None

    def stop(self, *, kill: bool) -> None:
        if kill:
            with contextlib.suppress(Exception):
                self.process.kill()
        else:
            with contextlib.suppress(Exception):
                self.conn.send(None)
        self.process.join(timeout=1.0)  # an idle worker ends at once; one still warming up is killed
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5.0)
        with contextlib.suppress(Exception):
            self.conn.close()


class JobRunner:
    """Run jobs in ``workers`` processes; submit, look up, cancel.

    Parameters
    ----------
    workers : int, >= 1
        Jobs that run at the same time.
    warm : bool
        Have each worker load mezzo's meters and kernels as it starts, so that the
        first job does not pay for it.
    tasks : str
        Module the workers take their tasks from: it has ``run(kind, args, progress)``,
        ``one_line(exc)`` and ``warm()`` (:mod:`mezzo.studio.tasks`; tests use their own).
    """

    def __init__(self, workers: int = 2, *, warm: bool = True, tasks: str = "mezzo.studio.tasks") -> None:
        if int(workers) < 1:
            raise ValueError(f"workers={workers!r}: expected at least 1")
        self._context = multiprocessing.get_context("spawn")
        self._warm = warm
        self._tasks = tasks
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._queue: list[tuple[int, int, str]] = []
        self._order = itertools.count()
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)
        self._stopping = False
        self._workers = [self._start_worker() for _ in range(int(workers))]
        self._thread = threading.Thread(target=self._dispatch, name="mezzo-studio-jobs", daemon=True)
        self._thread.start()

    def _start_worker(self) -> _Worker:
        worker = _Worker(self._context, self._tasks)
        if self._warm:
            worker.conn.send(("warm",))
        return worker

    # ------------------------------------------------------------------ public

    @property
    def workers(self) -> int:
        """Number of worker processes."""
        return len(self._workers)

    def submit(
        self,
        kind: str,
        args: dict[str, Any],
        *,
        label: str,
        track_id: str | None = None,
        stems_id: str | None = None,
        scratch: Path | None = None,
        finish: Callable[[Job, dict[str, Any]], None] | None = None,
        priority: int = 1,
    ) -> Job:
        """Queue a job; ``finish(job, result)`` runs in the dispatcher before it is ``done``.

        ``scratch`` (a folder the task writes into) is removed when the job ends,
        whatever its end.
        """
        job = Job(id=new_id(), kind=kind, label=label, args=args, track_id=track_id, stems_id=stems_id,
                  priority=priority, scratch=scratch, finish=finish)  # fmt: skip
        with self._lock:
            if self._stopping:
                raise RuntimeError("the studio is shutting down")
            self._jobs[job.id] = job
            heapq.heappush(self._queue, (priority, next(self._order), job.id))
        self._wake()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """Every job known, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: -j.created_s)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued or running job (a finished one is left as it is); None if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state in FINAL_STATES:
                return job
            was_running = job.state == "running" or any(w.job is job for w in self._workers)
            self._end(job, "cancelled", phase="cancelled")
            if was_running:
                for worker in self._workers:
                    if worker.job is job:
                        with contextlib.suppress(Exception):
                            worker.process.kill()
            else:
                self._cleanup(job)
        self._wake()
        return job

    def shutdown(self) -> None:
        """Cancel what is left, stop the workers and the dispatcher."""
        with self._lock:
            self._stopping = True
            for job in list(self._jobs.values()):
                if job.state not in FINAL_STATES:
                    self._end(job, "cancelled", phase="the studio stopped")
        self._wake()
        self._thread.join(timeout=10.0)
        for worker in self._workers:
            worker.stop(kill=worker.job is not None)
        with self._lock:
            for job in self._jobs.values():
                self._cleanup(job)

    # ------------------------------------------------------------------ dispatcher

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send_bytes(b"!")

    def _end(self, job: Job, state: str, *, phase: str, error: str | None = None) -> None:
        job.state = state
        job.phase = phase
        job.error = error
        job.finished_s = time.time()
        if state == "done":
            job.progress = 1.0

    @staticmethod
    def _cleanup(job: Job) -> None:
        if job.scratch is not None:
            shutil.rmtree(job.scratch, ignore_errors=True)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINAL_STATES]
        if len(finished) > KEEP_FINISHED:
            for job in sorted(finished, key=lambda j: j.finished_s or 0.0)[: len(finished) - KEEP_FINISHED]:
                del self._jobs[job.id]

    def _assign(self) -> None:
        for worker in self._workers:
            if worker.job is not None:
                continue
            while self._queue:
                _, _, job_id = heapq.heappop(self._queue)
                job = self._jobs.get(job_id)
                if job is not None and job.state == "queued":
                    break
            else:
                return
            worker.job = job
            job.phase = "starting"
            try:
                worker.conn.send(("run", job.id, job.kind, job.args))
            except OSError:
                with contextlib.suppress(Exception):
                    worker.process.kill()  # replaced when its sentinel fires; the job fails there

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                self._assign()
                waitables: list[Any] = [self._wake_r]
                for worker in self._workers:
                    waitables += [worker.conn, worker.process.sentinel]
            ready = wait(waitables, timeout=1.0)
            if self._wake_r in ready:
                with contextlib.suppress(EOFError, OSError):
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
            for worker in list(self._workers):
                if worker.conn in ready:
                    self._read(worker)
                if worker.process.sentinel in ready or not worker.process.is_alive():
                    self._replace(worker)

    def _read(self, worker: _Worker) -> None:
        while True:
            try:
                if not worker.conn.poll():
                    return
                message = worker.conn.recv()
            except (EOFError, OSError):
                return
            self._handle(worker, message)

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        with self._lock:
            job = worker.job
            if job is None or (len(message) > 1 and message[1] != job.id):
                return
            if kind == "started" and job.state == "queued":
                job.state = "running"
                job.started_s = time.time()
                job.phase = "running"
            elif kind == "progress" and job.state == "running":
                job.progress = max(0.0, min(1.0, float(message[2])))
                job.phase = str(message[3])
            elif kind in ("done", "failed"):
                worker.job = None
                if job.state in FINAL_STATES:  # cancelled meanwhile
                    self._cleanup(job)
                    return
        if kind == "done":
            self._finish(job, message[2])
        elif kind == "failed":
            with self._lock:
                if job.state not in FINAL_STATES:
                    self._end(job, "failed", phase="failed", error=" ".join(str(message[2]).split()))
                self._cleanup(job)
                self._forget_old()

    def _finish(self, job: Job, result: dict[str, Any]) -> None:
        try:
            if job.finish is not None:
                job.finish(job, result)
        except Exception as exc:  # finishing is ours (moving files, registering the track)
            with self._lock:
                if job.state not in FINAL_STATES:
                    self._end(job, "failed", phase="failed", error=f"{type(exc).__name__}: {exc}")
        else:
            with self._lock:
                if job.state not in FINAL_STATES:
                    job.result = result
                    self._end(job, "done", phase="done")
        finally:
            with self._lock:
                self._cleanup(job)
                self._forget_old()

    def _replace(self, worker: _Worker) -> None:
        worker.process.join(timeout=5.0)
        with contextlib.suppress(Exception):
            worker.conn.close()
        with self._lock:
            job = worker.job
            if job is not None:
                if job.state not in FINAL_STATES:
                    code = worker.process.exitcode
                    self._end(job, "failed", phase="failed",
                              error=f"the worker process died (exit code {code}) — try again; "
                                    "if it keeps failing, the file may be too large for the memory")  # fmt: skip
                self._cleanup(job)
            index = self._workers.index(worker)
            if not self._stopping:
                self._workers[index] = self._start_worker()


# ---------------------------------------------------------------------- worker side


def worker_main(conn: Connection, parent_pid: int, tasks_module: str) -> None:
    """Loop of a worker process: run the jobs the parent sends, report back, exit on EOF."""
    import importlib

    from mezzo.batch.workers import prepare_worker

    prepare_worker(parent_pid)  # dies with the server, cleans up on SIGTERM, leaves Ctrl-C to the server
    tasks = importlib.import_module(tasks_module)

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "warm":
            with contextlib.suppress(Exception):
                tasks.warm()
            continue
        _, job_id, kind, args = message

        def progress(fraction: float, phase: str, job_id: str = job_id) -> None:
            conn.send(("progress", job_id, fraction, phase))

        conn.send(("started", job_id))
        try:
            result = tasks.run(kind, args, progress)
        except Exception as exc:
            conn.send(("failed", job_id, tasks.one_line(exc)))
        else:
            conn.send(("done", job_id, result))
