"""SIGKILL and SIGTERM while every writing command writes: no debris, inputs intact.

mezzo is stopped while its first temporary file exists: the fault-injection pause
(``MEZZO_FAULT_PAUSE_BEFORE_COMMIT_S``) holds it between writing that file and renaming
it, and one test kills a long master in the middle of its streamed write.

- SIGTERM (and Ctrl-C): exit 143 (130), ``mezzo: terminated`` (``mezzo: interrupted``) on
  one line, no temporary file left, no output half-written; the next run succeeds.
- SIGKILL: nothing can clean up at once, but the next run for the same target removes
  the stale temporary file and succeeds; nothing else is left.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
import soundfile as sf
from faultkit import PAUSE_ENV, Scratch, debris, snapshot, start, wait_for

from mezzo.io import atomic

#: Every command that writes a file: name -> arguments (IN and OUT are the scratch folders).
WRITERS = {
    "compress": ["compress", "IN/good.wav", "-o", "OUT/x.wav"],
    "expand": ["expand", "IN/good.wav", "-o", "OUT/x.flac"],
    "gate": ["gate", "IN/good.wav", "-o", "OUT/x.wav", "--threshold-db", "-30"],
    "duck": ["duck", "IN/good.wav", "--key", "IN/key.wav", "-o", "OUT/x.wav"],
    "level": ["level", "IN/good.wav", "-o", "OUT/x.wav"],
    "normalize": ["normalize", "IN/good.wav", "-o", "OUT/x.wav"],
    "master": ["master", "IN/good.wav", "-o", "OUT/x.wav"],
    "master-mp3-input": ["master", "IN/tone.mp3", "-o", "OUT/x.wav"],
    "dynamics": ["dynamics", "IN/good.wav", "-o", "OUT/x.wav", "--marks", "0:p 1:< 2:f"],
    "analyze-series": ["analyze", "IN/good.wav", "--loudness-only", "--series", "OUT/x.csv"],
    "analyze-plot": ["analyze", "IN/good.wav", "--loudness-only", "--plot", "OUT/x.png"],
    "report": ["report", "IN/good.wav", "-o", "OUT/x.html", "--png", "OUT/plots"],
    "midi-apply": ["midi", "apply", "IN/song.mid", "-o", "OUT/x.mid", "-m", "0:p 1:< 2:f"],
    "midi-compress": ["midi", "compress", "IN/song.mid", "-o", "OUT/x.mid"],
    "midi-humanize": ["midi", "humanize", "IN/song.mid", "-o", "OUT/x.mid", "--seed", "1"],
    "stems-plot": ["stems", "IN/stems/lead.wav", "IN/stems/pad.wav", "--plot", "OUT/x.png", "-q"],
    "stems-fix": ["stems", "IN/stems/lead.wav", "IN/stems/pad.wav", "--fix", "lead", "--out-dir", "OUT/fixed", "-q"],
    "batch-analyze": ["batch", "analyze", "IN/album", "--out-dir", "OUT/b", "-j", "1", "--loudness-only", "-q"],
    "batch-normalize": ["batch", "normalize", "IN/album", "--out-dir", "OUT/b", "-j", "1", "-q"],
    "batch-master": ["batch", "master", "IN/album", "--out-dir", "OUT/b", "-j", "1", "-q", "--album"],
}


def args_for(name: str, scratch: Scratch) -> list[str]:
    return [a.replace("IN", str(scratch.inp)).replace("OUT", str(scratch.out)) for a in WRITERS[name]]


def temporary_exists(folder: Path) -> bool:
    return bool(debris(folder))


@pytest.mark.parametrize("name", list(WRITERS))
def test_sigkill_leaves_nothing_after_the_next_run(scratch: Scratch, main, name: str) -> None:
    args = args_for(name, scratch)
    proc = start(args, env={PAUSE_ENV: "60"})
    try:
        wait_for(lambda: temporary_exists(scratch.out) or proc.poll() is not None, what="a temporary file")
        assert proc.poll() is None, proc.communicate()[1]
        proc.kill()
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert scratch.inputs_intact()
    stale = debris(scratch.out)
    assert stale  # killed with its temporary file on disk
    code, _, err = main(*args)  # the next run for the same targets
    assert code == 0, err
    assert debris(scratch.out) == [] and debris(scratch.inp) == []
    assert scratch.inputs_intact()


#: Ctrl-C unwinds like SIGTERM: checked on one command of each kind of writer.
CTRL_C = ("compress", "master", "analyze-plot", "report", "midi-apply", "batch-analyze")


@pytest.mark.parametrize(
    ("name", "signum", "code", "said"),
    [(name, signal.SIGTERM, 143, "terminated") for name in WRITERS]
    + [(name, signal.SIGINT, 130, "interrupted") for name in CTRL_C],
    ids=[f"{name}-SIGTERM" for name in WRITERS] + [f"{name}-Ctrl-C" for name in CTRL_C],
)
def test_sigterm_and_ctrl_c_clean_up(scratch: Scratch, main, monkeypatch, name: str, signum, code, said) -> None:
    # In this process: the CLI's own handlers turn SIGTERM and Ctrl-C into a clean exit.
    monkeypatch.setenv(PAUSE_ENV, "60")
    monkeypatch.setattr(atomic, "_paused", [])
    args = args_for(name, scratch)
    before_out = snapshot(scratch.out)

    def killer() -> None:
        wait_for(lambda: temporary_exists(scratch.out), what="a temporary file")
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    got, _, err = main(*args)
    thread.join(timeout=10)
    assert got == code, err
    assert err.splitlines()[-1].startswith(f"mezzo: {said}") and "Traceback" not in err
    assert len(err.splitlines()) == 1
    assert debris(scratch.out) == [] and scratch.inputs_intact()
    after = snapshot(scratch.out)
    new = {k: v for k, v in after.items() if before_out.get(k) != v and not v.startswith("mode:")}
    # Only a batch's results table (rewritten whole on the way out) may have appeared.
    assert all(Path(k).name.startswith("results") for k in new), new
    monkeypatch.delenv(PAUSE_ENV)
    code, _, err = main(*args)
    assert code == 0, err
    assert debris(scratch.out) == []


def test_sigkill_in_the_middle_of_a_streamed_master(scratch: Scratch, main) -> None:
    out = scratch.out / "long-master.wav"
    args = ["master", scratch.inp / "long.wav", "-o", out]
    proc = start(args)
    try:
        def writing() -> bool:
            parts = [p for p in scratch.out.iterdir() if p.name.endswith(".mezzo-part")]
            return any(p.stat().st_size > 1_000_000 for p in parts) or proc.poll() is not None

        wait_for(writing, timeout=120, what="the master's temporary file to grow")
        assert proc.poll() is None
        proc.kill()
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert debris(scratch.out) and not out.exists()
    code, _, err = main(*args)
    assert code == 0, err
    assert debris(scratch.out) == [] and sf.info(out).frames == 40 * 48000
    assert scratch.inputs_intact()


def test_sigterm_to_a_separate_process_exits_143_and_cleans_up(scratch: Scratch) -> None:
    proc = start(args_for("master", scratch), env={PAUSE_ENV: "60"})
    try:
        wait_for(lambda: temporary_exists(scratch.out) or proc.poll() is not None, what="a temporary file")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "mezzo: terminated"
    assert debris(scratch.out) == [] and list(scratch.out.iterdir()) == []
    assert scratch.inputs_intact()


@pytest.mark.slow
def test_demo_killed_then_terminated(scratch: Scratch, main, monkeypatch) -> None:
    # The demo writes a dozen files into its folder: killed while writing the first; the next
    # run removes that stale file at its first write, and, terminated there, cleans up its own.
    demo = scratch.out / "demo"
    proc = start(["demo", "--out-dir", demo, "-q"], env={PAUSE_ENV: "60"})
    try:
        wait_for(lambda: (demo.exists() and temporary_exists(demo)) or proc.poll() is not None,
                 timeout=120, what="the demo's first temporary file")
        proc.kill()
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    (killed,) = debris(demo)

    monkeypatch.setenv(PAUSE_ENV, "60")
    monkeypatch.setattr(atomic, "_paused", [])
    mine = f".{os.getpid()}."

    def terminate_when_writing() -> None:
        wait_for(lambda: any(mine in name for name in debris(demo)), timeout=120, what="this run's file")
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=terminate_when_writing, daemon=True)
    thread.start()
    code, _, err = main("demo", "--out-dir", demo, "-q")
    thread.join(timeout=10)
    assert code == 143 and err.splitlines()[-1] == "mezzo: terminated"
    assert debris(demo) == []  # the killed run's file went with the first write, this run's on SIGTERM
    assert not (demo / killed).exists()


def test_a_sigterm_that_lands_in_a_weakref_callback_still_ends_the_command_before_any_commit(tmp_path, capsys) -> None:
    # Python runs a signal handler at the next bytecode of the main thread, which may be inside a
    # weak-reference callback or a finaliser run by the garbage collector: the Terminated raised
    # there is only reported, and the command would go on and commit its outputs.
    import time
    import weakref

    from mezzo.cli import _signals

    class Held:
        pass

    def on_collect(_ref: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler runs here, inside the callback

    with _signals.policy():
        held = Held()
        ref = weakref.ref(held, on_collect)
        del held  # the callback runs; its Terminated is swallowed
        assert ref() is None and _signals.terminated_by() == signal.SIGTERM
        out = atomic.AtomicFile(tmp_path / "x.txt")
        out.write(b"done")
        with pytest.raises(_signals.Terminated):
            out.commit()
    assert list(tmp_path.iterdir()) == []  # nothing committed, no temporary file left
    assert "Terminated" not in capsys.readouterr().err  # the swallowed exception is not printed
