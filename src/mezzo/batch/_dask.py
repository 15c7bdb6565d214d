"""Dask parts that need ``distributed`` at import time (imported only with a scheduler)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distributed import WorkerPlugin

from mezzo.batch.executors import warm


class WarmPlugin(WorkerPlugin):
    """Warms mezzo's kernels on every worker when it starts (or joins later)."""

    name = "mezzo-warm"

    def __init__(self, job: str, options: Mapping[str, Any]) -> None:
        self.job = job
        self.options = dict(options)

    def setup(self, worker: Any) -> None:
        """Run the job once on a one-second generated file in the worker."""
        warm(self.job, self.options)
