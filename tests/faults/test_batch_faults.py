"""A batch whose parent process dies: no orphaned workers, and a rerun gives the same rows (case 10).

The figures of every row are compared with an uninterrupted run of the same files; only
what describes the run itself (timings, worker ids, output folder) may differ.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psutil
import pytest
import soundfile as sf
from faultkit import Scratch, cli, debris, music, start, wait_for

from mezzo.batch.results import ResultsFile

#: Columns that describe a run rather than a file.
RUN_COLUMNS = {"seconds", "worker", "output", "status", "input_mtime_s"}


def catalogue(folder: Path, n: int = 6) -> Path:
    folder.mkdir()
    for i in range(n):
        sf.write(folder / f"t{i}.wav", music(3.0, seed=20 + i, level=0.05 + 0.03 * i), 48000, subtype="PCM_16")
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    """The catalogue and the rows of an uninterrupted run (in this process, one worker)."""
    from mezzo.batch import run

    root = tmp_path_factory.mktemp("batch-reference")
    music_dir = catalogue(root / "many")
    rows = run([music_dir], "master", out_dir=root / "out", workers=1)
    assert all(r["status"] == "ok" for r in rows)
    return music_dir, figures(ResultsFile(root / "out" / "results.csv").load())


def figures(rows: dict[str, dict]) -> dict[str, dict]:
    return {Path(p).name: {k: v for k, v in r.items() if k not in RUN_COLUMNS} for p, r in rows.items()}


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """The pids still running (not zombies) after ``seconds``."""
    deadline = time.monotonic() + seconds
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.1)
    return alive


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_killed_parent_leaves_no_workers_and_a_rerun_gives_the_same_rows(
    scratch: Scratch, reference: tuple[Path, dict[str, dict]], how: str
) -> None:
    music_dir, expected = reference
    out = scratch.out / "run"
    args = ["batch", "master", music_dir, "--out-dir", out, "-j", "2", "-q"]
    proc = start(args)
    table = out / "results.csv"
    try:
        wait_for(lambda: proc.poll() is not None or (table.exists() and len(table.read_text().splitlines()) >= 3),
                 timeout=120, what="two finished rows")
        assert proc.poll() is None, proc.communicate()[1]
        workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        assert len(workers) >= 2
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    orphans = gone_within(workers, 10.0)
    for pid in orphans:  # a failed check must not leave them running (they hold our pipes)
        psutil.Process(pid).kill()
    _, err = proc.communicate(timeout=30)
    assert orphans == []  # no orphan within 10 s
    if how == "SIGTERM":
        assert proc.returncode == 143 and err.strip().splitlines()[-1] == "mezzo: terminated"
        assert debris(out) == []
    assert scratch.inputs_intact()

    rerun = cli([*args, "--json"])
    assert rerun.returncode == 0, rerun.stderr
    assert debris(out) == []
    assert figures(ResultsFile(table).load()) == expected
