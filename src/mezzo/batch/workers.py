"""What every batch worker process does first: die with its parent, clean up on SIGTERM, warm up.

- **Die with the parent.** A worker asks the kernel for SIGTERM when its parent
  dies (``prctl(PR_SET_PDEATHSIG)`` on Linux, through ctypes); elsewhere a
  watchdog thread polls the parent's id. Killing ``mezzo batch`` with SIGKILL
  therefore leaves no worker behind.
- **Clean up on SIGTERM.** The handler removes the temporary files the worker
  has open (:func:`mezzo.io.atomic.remove_temporaries`) and exits at once
  (status 143); Ctrl-C is ignored (the parent decides).
- **Warm up.** :func:`warm` runs the job once on a short generated file, so the
  numba kernels are compiled (or loaded from the on-disk cache) before the
  first real file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from typing import Any

from mezzo.batch.jobs import Task, run_task

__all__ = ["WARM_SECONDS", "die_with_parent", "prepare_worker", "warm"]

#: Seconds of audio in the warm-up file: long enough for every code path of the full
#: analysis (tempo and build-up detection need several seconds of beats), so nothing is
#: left to compile when the first real file arrives.
WARM_SECONDS = 8.0

#: Seconds between two looks at the parent by the watchdog (where prctl is missing).
WATCHDOG_S = 1.0

_PR_SET_PDEATHSIG = 1

#: Jobs already warmed in this process (a forked worker inherits its parent's).
_WARMED: set[str] = set()


def warm(job: str, options: Mapping[str, Any]) -> None:
    """Run the job once on a short generated file: compiles (or loads) every kernel it uses.

    Never raises: a problem here shows up, with its reason, in the rows of the real files.
    """
    key = f"{job}:{sorted(options.items())!r}"
    if key in _WARMED:
        return
    with contextlib.suppress(Exception), tempfile.TemporaryDirectory(prefix="mezzo-warm-") as folder:
        import numpy as np
        import soundfile as sf

        rate = 48000
        n = int(WARM_SECONDS * rate)
        t = np.arange(n) / rate
        rng = np.random.default_rng(0)
        swell = 1.0 + 0.5 * np.sin(2 * np.pi * 0.25 * t)  # a crescendo and a decrescendo
        beats = (np.arange(n) % (rate // 2) < 240).astype(np.float64)  # clicks at 120 BPM
        audio = 0.2 * swell * np.sin(2 * np.pi * 440.0 * t) + 0.4 * beats + 0.03 * rng.standard_normal((2, n))
        path = os.path.join(folder, "warm.wav")
        sf.write(path, audio.T.astype(np.float32), rate, subtype="PCM_16")
        output = os.path.join(folder, "out", "warm.wav" if job != "analyze" else "warm.json")
        run_task(Task(job, (path,), (output,), dict(options)))
        _WARMED.add(key)


def _exit_cleanly(signum: int, frame: Any) -> None:
    from mezzo.io.atomic import remove_temporaries

    remove_temporaries()
    os._exit(128 + signum)


def die_with_parent(parent_pid: int) -> None:
    """End this process (SIGTERM, so it cleans up) when ``parent_pid`` dies.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGTERM)``, then a check that the parent
    did not die before the call. Elsewhere: a daemon thread that polls
    ``os.getppid()`` every :data:`WATCHDOG_S` seconds.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl
                    os.kill(os.getpid(), signal.SIGTERM)
                return

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCHDOG_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="mezzo-parent-watchdog", daemon=True).start()


def prepare_worker(parent_pid: int) -> None:
    """Set up a worker process of a local pool: parent-death signal, SIGTERM cleanup, no Ctrl-C."""
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # Ctrl-C is the parent's business: it lets running files finish, then stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)
