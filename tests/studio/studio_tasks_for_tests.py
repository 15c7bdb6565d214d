"""Tasks for the job-runner tests: sleep, fail, crash and echo, with no audio in the way.

The runner loads this module in its worker processes by name (``JobRunner(tasks=...)``);
the tests folder is on the workers' ``sys.path`` because ``spawn`` passes the parent's on.
"""

from __future__ import annotations

import os
import time
from typing import Any


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def warm() -> None:
    """Nothing to load."""


def run(kind: str, args: dict[str, Any], progress: Any) -> dict[str, Any]:
    if kind == "sleep":
        steps = int(args.get("steps", 10))
        for i in range(steps):
            time.sleep(float(args["seconds"]) / steps)
            progress((i + 1) / steps, f"slept {i + 1} of {steps}")
        return {"pid": os.getpid(), "start": args.get("start")}
    if kind == "fail":
        raise ValueError("this task always fails\nwith a second line")
    if kind == "crash":
        os._exit(3)
    if kind == "echo":
        return {"pid": os.getpid(), **args}
    raise KeyError(kind)
