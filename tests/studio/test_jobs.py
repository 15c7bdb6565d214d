"""The studio's job runner: several jobs at once, progress, cancel (queued and running), failures,
dead workers, and workers that do not outlive their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mezzo.studio.jobs import FINAL_STATES, JobRunner

TASKS = "studio_tasks_for_tests"
HERE = Path(__file__).resolve().parent


def wait_final(runner: JobRunner, job_id: str, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = runner.get(job_id)
        if job.state in FINAL_STATES:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} still {runner.get(job_id).state} after {timeout_s} s")


def wait_state(runner: JobRunner, job_id: str, state: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while runner.get(job_id).state != state:
        assert time.monotonic() < deadline, f"job never reached {state!r} (is {runner.get(job_id).state!r})"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def runner():
    r = JobRunner(2, warm=False, tasks=TASKS)
    yield r
    r.shutdown()


def test_two_jobs_run_at_the_same_time_in_two_processes(runner):
    # Warm both workers up (their interpreters start in parallel with the test).
    for job in [runner.submit("echo", {}, label="warm") for _ in range(2)]:
        wait_final(runner, job.id)
    start = time.monotonic()
    a = runner.submit("sleep", {"seconds": 1.0}, label="a")
    b = runner.submit("sleep", {"seconds": 1.0}, label="b")
    wait_state(runner, a.id, "running")
    wait_state(runner, b.id, "running")
    assert wait_final(runner, a.id).state == "done"
    assert wait_final(runner, b.id).state == "done"
    elapsed = time.monotonic() - start
    assert a.result["pid"] != b.result["pid"]
    assert elapsed < 1.9, f"two 1 s jobs took {elapsed:.2f} s: they did not run side by side"


def test_progress_is_what_the_task_reports(runner):
    job = runner.submit("sleep", {"seconds": 0.6, "steps": 3}, label="steps")
    seen = set()
    while runner.get(job.id).state not in FINAL_STATES:
        j = runner.get(job.id)
        if j.state == "running":
            seen.add((round(j.progress, 3), j.phase))
        time.sleep(0.01)
    assert job.state == "done" and job.progress == 1.0
    assert {(0.333, "slept 1 of 3"), (0.667, "slept 2 of 3")} <= seen, seen
    assert all(0.0 <= p <= 1.0 for p, _ in seen)


def test_cancel_a_running_job_kills_its_worker_and_the_pool_goes_on(runner):
    job = runner.submit("sleep", {"seconds": 30.0}, label="long", scratch=None)
    wait_state(runner, job.id, "running")
    pid_before = {w.process.pid for w in runner._workers}
    start = time.monotonic()
    runner.cancel(job.id)
    assert runner.get(job.id).state == "cancelled"
    # The killed worker is replaced and the next job runs.
    after = runner.submit("echo", {"x": 1}, label="after")
    assert wait_final(runner, after.id).state == "done"
    assert time.monotonic() - start < 15.0
    deadline = time.monotonic() + 10
    while {w.process.pid for w in runner._workers} == pid_before:
        assert time.monotonic() < deadline, "the cancelled job's worker was not replaced"
        time.sleep(0.05)
    assert runner.get(job.id).state == "cancelled" and runner.get(job.id).result is None


def test_cancel_a_queued_job(runner):
    blockers = [runner.submit("sleep", {"seconds": 1.0}, label=f"busy {i}") for i in range(2)]
    queued = runner.submit("echo", {}, label="queued")
    assert runner.get(queued.id).state == "queued"
    runner.cancel(queued.id)
    for b in blockers:
        wait_final(runner, b.id)
    time.sleep(0.2)
    assert runner.get(queued.id).state == "cancelled" and runner.get(queued.id).started_s is None


def test_cancel_of_a_finished_job_changes_nothing(runner):
    job = runner.submit("echo", {"y": 2}, label="done")
    wait_final(runner, job.id)
    runner.cancel(job.id)
    assert runner.get(job.id).state == "done" and runner.get(job.id).result["y"] == 2


def test_a_failing_task_fails_its_job_with_one_line(runner):
    job = wait_final(runner, runner.submit("fail", {}, label="fail").id)
    assert job.state == "failed"
    assert job.error == "ValueError: this task always fails with a second line"
    ok = wait_final(runner, runner.submit("echo", {}, label="next").id)
    assert ok.state == "done"


def test_a_dying_worker_fails_its_job_and_is_replaced(runner):
    job = wait_final(runner, runner.submit("crash", {}, label="crash").id)
    assert job.state == "failed" and "worker process died (exit code 3)" in job.error
    ok = wait_final(runner, runner.submit("echo", {}, label="next").id)
    assert ok.state == "done"


def test_scratch_is_removed_whatever_the_end(runner, tmp_path):
    for kind in ("echo", "fail", "crash"):
        scratch = tmp_path / kind
        scratch.mkdir()
        (scratch / "part").write_bytes(b"x")
        wait_final(runner, runner.submit(kind, {}, label=kind, scratch=scratch).id)
        assert not scratch.exists(), kind


def test_finish_runs_before_done_and_its_failure_fails_the_job(runner):
    seen = []

    def finish(job, result):
        seen.append(job.state)
        job.result_track_id = "0123456789abcdef"

    job = wait_final(runner, runner.submit("echo", {}, label="f", finish=finish).id)
    assert seen == ["running"] and job.state == "done" and job.result_track_id == "0123456789abcdef"

    def broken(job, result):
        raise OSError("disk full")

    job = wait_final(runner, runner.submit("echo", {}, label="g", finish=broken).id)
    assert job.state == "failed" and job.error == "OSError: disk full"


WATCHDOG = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {here!r})
    from mezzo.studio.jobs import JobRunner
    if __name__ == "__main__":
        runner = JobRunner(2, warm=False, tasks="studio_tasks_for_tests")
        job = runner.submit("sleep", {{"seconds": 60.0}}, label="orphan?")
        while runner.get(job.id).state != "running":
            time.sleep(0.01)
        print(" ".join(str(w.process.pid) for w in runner._workers), flush=True)
        time.sleep(120)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_die_with_a_killed_server(tmp_path):
    script = tmp_path / "server.py"
    script.write_text(WATCHDOG.format(here=str(HERE)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids):
            assert time.monotonic() < deadline, "workers outlived the killed server"
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
