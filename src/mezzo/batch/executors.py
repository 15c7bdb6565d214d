"""Where the tasks of a batch run: in this process, a local process pool, or a Dask cluster.

Every executor runs :func:`mezzo.batch.jobs.run_task` over the tasks and yields their
rows as they finish (in completion order). Failures that are not about the file (an
unexpected exception, a worker process that died, a lost Dask worker) are retried once,
then recorded as failed rows; a bad file fails at once with its reason.

Numba caches are warmed before the workers start (:func:`mezzo.batch.workers.warm` in the
parent writes the on-disk cache), and every worker warms itself (a local pool's
initializer, a Dask worker plugin), so the workers load compiled kernels instead of all
compiling at once. Workers die with their parent and remove their temporary files on
SIGTERM (:mod:`mezzo.batch.workers`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from mezzo.batch.jobs import RETRY_KEY, Task, failed_row, one_line, run_task
from mezzo.batch.workers import prepare_worker, warm
from mezzo.errors import MezzoError, ParameterError

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "SerialExecutor", "create"]

#: Failures not about the file are retried this many times.
RETRIES = 1


class Executor(Protocol):
    """What :func:`mezzo.batch.run` needs from an executor."""

    workers: int

    def run(self, tasks: Sequence[Task]) -> Iterator[list[dict[str, Any]]]:
        """Yield the rows of each task as it finishes."""

    def close(self, *, interrupted: bool = False) -> None:
        """Release the workers (at once when ``interrupted``)."""


# --------------------------------------------------------------------------- workers


def _init_local_worker(parent_pid: int, job: str, options: Mapping[str, Any]) -> None:
    prepare_worker(parent_pid)
    warm(job, options)


def _ready(_: int) -> bool:
    return True


def _strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row.pop(RETRY_KEY, None)
    return rows


def _needs_retry(rows: list[dict[str, Any]]) -> bool:
    return any(row.get(RETRY_KEY) for row in rows)


def _all_failed(task: Task, reason: str) -> list[dict[str, Any]]:
    rows = [failed_row(task, i, reason) for i in range(len(task.paths))]
    for row in rows:
        row["worker"] = None  # written here, not by a worker
    return rows


# --------------------------------------------------------------------------- in this process


class SerialExecutor:
    """Runs the tasks one after another in this process (``workers=1``)."""

    workers = 1

    def __init__(self, job: str, options: Mapping[str, Any]) -> None:
        warm(job, options)

    def run(self, tasks: Sequence[Task]) -> Iterator[list[dict[str, Any]]]:
        """Yield each task's rows, retrying unexpected failures once."""
        for task in tasks:
            rows = run_task(task)
            for _ in range(RETRIES):
                if not _needs_retry(rows):
                    break
                rows = run_task(task)
            yield _strip(rows)

    def close(self, *, interrupted: bool = False) -> None:
        """Nothing to release."""


# --------------------------------------------------------------------------- local processes


def _mp_context() -> Any:
    # fork: workers inherit the imported modules and the kernels compiled by the warm-up.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


class LocalExecutor:
    """A :class:`concurrent.futures.ProcessPoolExecutor` over files.

    Parameters
    ----------
    workers : int, >= 1
        Worker processes.
    job, options
        The job, to warm each worker with.
    """

    def __init__(self, workers: int, job: str, options: Mapping[str, Any]) -> None:
        self.workers = workers
        self._job = job
        self._options = dict(options)
        warm(job, options)  # in the parent first: writes the on-disk cache, and fork inherits it
        self._pool = self._new_pool()
        # Start every worker now, before the caller starts threads (a progress bar): fork
        # copies only the calling thread, so forking later could copy a held lock.
        list(self._pool.map(_ready, range(workers)))

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=_mp_context(),
            initializer=_init_local_worker, initargs=(os.getpid(), self._job, self._options),
        )  # fmt: skip

    def run(self, tasks: Sequence[Task]) -> Iterator[list[dict[str, Any]]]:
        """Yield each task's rows as it finishes; at most two tasks per worker are queued."""
        queue: deque[int] = deque(range(len(tasks)))
        attempts = [0] * len(tasks)
        in_flight: dict[Future[list[dict[str, Any]]], int] = {}
        limit = 2 * self.workers
        try:
            while queue or in_flight:
                while queue and len(in_flight) < limit:
                    i = queue.popleft()
                    in_flight[self._pool.submit(run_task, tasks[i])] = i
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    i = in_flight.pop(future)
                    try:
                        rows = future.result()
                    except BrokenProcessPool:
                        broken = True
                        in_flight[future] = i  # handled below with the others in flight
                        continue
                    except Exception as exc:
                        rows = _all_failed(tasks[i], one_line(exc))
                        for row in rows:
                            row[RETRY_KEY] = True
                    if _needs_retry(rows) and attempts[i] < RETRIES:
                        attempts[i] += 1
                        queue.appendleft(i)
                        continue
                    yield _strip(rows)
                if broken:
                    yield from self._recover(tasks, in_flight, queue, attempts)
        except KeyboardInterrupt:
            yield from self._finish_running(tasks, in_flight)
            raise

    def _recover(
        self, tasks: Sequence[Task], in_flight: dict[Future[Any], int], queue: deque[int], attempts: list[int]
    ) -> Iterator[list[dict[str, Any]]]:
        """A worker died (crash, out of memory): new pool; the tasks in flight are retried once."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        for _, i in sorted(in_flight.items(), key=lambda item: -item[1]):
            if attempts[i] < RETRIES:
                attempts[i] += 1
                queue.appendleft(i)
            else:
                yield _all_failed(tasks[i], "the worker process died while processing it, twice (crash or out of memory)")
        in_flight.clear()

    @staticmethod
    def _finish_running(tasks: Sequence[Task], in_flight: dict[Future[Any], int]) -> Iterator[list[dict[str, Any]]]:
        """After Ctrl-C: drop queued tasks, collect the ones already running (a second Ctrl-C stops)."""
        running = [f for f in in_flight if not f.cancel()]
        for future in running:
            try:
                rows = future.result()
            except Exception:  # nothing to record: the file is redone by the next run
                continue
            yield _strip(rows) if not _needs_retry(rows) else []

    def close(self, *, interrupted: bool = False) -> None:
        """Shut the pool down; when interrupted, stop the workers at once."""
        if interrupted:
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in processes:
                with contextlib.suppress(Exception):
                    proc.terminate()
        else:
            self._pool.shutdown(wait=True)


# --------------------------------------------------------------------------- Dask


def _dask() -> Any:
    from mezzo._extras import require

    return require("distributed", "batch", "scheduler=...")


class DaskExecutor:
    """The tasks on a Dask cluster: ``'local'`` starts a ``LocalCluster``, else an address.

    Parameters
    ----------
    scheduler : str
        ``'local'`` or the scheduler's address (``'tcp://host:8786'``).
    workers : int or None
        Worker processes of a ``'local'`` cluster (default: the CPU count); ignored for
        an address (the cluster has the workers it has).
    job, options
        The job, to warm the workers with.
    """

    def __init__(self, scheduler: str, workers: int | None, job: str, options: Mapping[str, Any]) -> None:
        import logging

        distributed = _dask()
        self._cluster = None
        warm(job, options)  # writes the on-disk cache that local workers then load
        try:
            if scheduler == "local":
                n = workers or os.cpu_count() or 1
                self._cluster = distributed.LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                )  # fmt: skip
                self._client = distributed.Client(self._cluster)
            else:
                self._client = distributed.Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            self.close(interrupted=True)
            raise MezzoError(
                f"scheduler={scheduler!r}: cannot connect ({one_line(exc)}) — start it with "
                "`dask scheduler` and give its address, e.g. tcp://host:8786"
            ) from None
        from mezzo.batch._dask import WarmPlugin

        self._client.register_plugin(WarmPlugin(job, options))
        self.workers = len(self._client.scheduler_info().get("workers", {})) or (workers or 1)
        self._futures: list[Any] = []

    def run(self, tasks: Sequence[Task]) -> Iterator[list[dict[str, Any]]]:
        """Submit every task; yield rows as they finish (retries: Dask's once, then ours once)."""
        distributed = _dask()
        token = uuid.uuid4().hex[:8]
        owner: dict[str, int] = {}
        attempts = [0] * len(tasks)

        def submit(i: int) -> Any:
            key = f"mezzo-batch-{token}-{i}-{attempts[i]}"
            future = self._client.submit(run_task, tasks[i], key=key, pure=False, retries=RETRIES)
            owner[future.key] = i
            self._futures.append(future)
            return future

        pending = distributed.as_completed([submit(i) for i in range(len(tasks))])
        try:
            for future in pending:
                i = owner[future.key]
                try:
                    rows = future.result()
                except Exception as exc:  # the task's own retries are spent (worker lost...)
                    rows = _all_failed(tasks[i], one_line(exc))
                future.release()
                if _needs_retry(rows) and attempts[i] < RETRIES:
                    attempts[i] += 1
                    pending.add(submit(i))
                    continue
                yield _strip(rows)
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                self._client.cancel(self._futures)
            raise

    def close(self, *, interrupted: bool = False) -> None:
        """Close the client (and the local cluster)."""
        client = getattr(self, "_client", None)
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


def create(workers: int | None, scheduler: str | None, job: str, options: Mapping[str, Any]) -> Executor:
    """The executor for ``workers`` and ``scheduler`` (see :func:`mezzo.batch.run`)."""
    from mezzo._validate import check_range

    if workers is not None:
        number = check_range("workers", workers, 1, 4096, "processes")
        if number != int(number):
            raise ParameterError(f"workers={workers!r} is not a whole number of processes")
        workers = int(number)
    if scheduler is not None:
        if scheduler != "local" and "://" not in scheduler:
            raise ParameterError(
                f"scheduler={scheduler!r} is not 'local' or an address: expected e.g. tcp://host:8786"
            )
        return DaskExecutor(scheduler, workers, job, options)
    n = workers or os.cpu_count() or 1
    if n == 1:
        return SerialExecutor(job, options)
    return LocalExecutor(n, job, options)
