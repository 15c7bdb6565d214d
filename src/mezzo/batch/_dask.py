"""Dask parts that need ``distributed`` at import time (imported only with a scheduler)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from distributed import WorkerPlugin

from mezzo.batch.workers import die_with_parent, warm


class WarmPlugin(WorkerPlugin):
    """Ties every worker to its parent and warms mezzo's kernels when it starts (or joins later)."""

    name = "mezzo-warm"

    def __init__(self, job: str, options: Mapping[str, Any]) -> None:
        self.job = job
        self.options = dict(options)

    def setup(self, worker: Any) -> None:
        """Tie the worker process to its parent, then run the job once on a short generated file."""
        die_with_parent(os.getppid())
        warm(self.job, self.options)
