"""``mezzo batch`` end to end: exit codes, summary, one-line failures, resuming, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import soundfile as sf
from batch_data import BAD, CLI, GOOD, abspaths, leftovers, tone

from mezzo.batch.results import ResultsFile


def call(cli_main, capsys, *args: str) -> tuple[int, str, str]:
    """Run ``mezzo ARGS`` in this process; return (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        cli_main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_bad_files_are_listed_and_make_the_exit_status_1(catalogue: Path, cli_main, capsys) -> None:
    out_dir = catalogue / "out"  # inside the input tree: never walked
    code, out, err = call(cli_main, capsys, "batch", "analyze", str(catalogue), "--out-dir", str(out_dir),
                          "--loudness-only", "--workers", "2", "--quiet")
    assert code == 1
    assert f"{len(GOOD) + len(BAD)} files — {len(GOOD)} done, 0 skipped, {len(BAD)} failed" in out
    assert "throughput" in out and "audio processed: 0.003 h" in out
    failures = [line for line in err.splitlines() if line.startswith("mezzo: failed: ")]
    assert len(failures) == len(BAD) == len(err.splitlines())  # one line each, no traceback
    for rel in BAD:
        assert sum(Path(rel).name in line for line in failures) == 1
    rows = ResultsFile(out_dir / "results.csv").load()
    assert set(rows) == abspaths(catalogue, [*GOOD, *BAD])

    code, out, err = call(cli_main, capsys, "batch", "analyze", str(catalogue), "--out-dir", str(out_dir),
                          "--loudness-only", "--workers", "2", "--quiet")
    assert code == 1  # the bad files still fail; skipped files are not failures
    assert f"0 done, {len(GOOD)} skipped, {len(BAD)} failed" in out


def test_only_good_files_exit_0_and_json_carries_summary_and_rows(catalogue: Path, tmp_path: Path, cli_main,
                                                                  capsys) -> None:
    args = ["batch", "analyze", str(catalogue / "a"), str(catalogue / "b"), "--out-dir", str(tmp_path / "o"),
            "--results", str(tmp_path / "r.jsonl"), "--loudness-only", "--workers", "1", "--json"]
    code, out, err = call(cli_main, capsys, *args)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["summary"]["done"] == len(GOOD) and payload["summary"]["failed"] == 0
    assert payload["results"] == str(tmp_path / "r.jsonl")
    levels = {os.path.abspath(catalogue / rel): level for rel, (level, _, _) in GOOD.items()}
    for row in payload["rows"]:  # EBU Tech 3341 case 1: the sine reads its level in LUFS
        assert row["integrated_lufs"] == pytest.approx(levels[row["path"]], abs=0.1)
    code, out, _ = call(cli_main, capsys, *args, "--force")
    assert code == 0 and json.loads(out)["summary"]["done"] == len(GOOD)


def test_normalize_and_master_write_mirrored_outputs(catalogue: Path, tmp_path: Path, cli_main, capsys) -> None:
    code, out, err = call(cli_main, capsys, "batch", "normalize", str(catalogue / "a"), "--out-dir",
                          str(tmp_path / "n"), "--target-lufs", "-16", "--album", "--workers", "1", "--json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert {Path(r["output"]).relative_to(tmp_path / "n").as_posix() for r in rows} == {"one.wav", "two.flac"}
    assert all(r["album_integrated_lufs"] == pytest.approx(-16.0, abs=0.1) for r in rows)
    code, out, err = call(cli_main, capsys, "batch", "master", str(catalogue / "b"), "--out-dir",
                          str(tmp_path / "m"), "--preset", "ebu", "--workers", "1", "--json")
    assert code == 0, err
    (row,) = json.loads(out)["rows"]
    assert row["after_integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert sf.info(row["output"]).frames == sf.info(catalogue / "b" / "three.wav").frames


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["analyze", "--workers", "0"], "--workers 0"),
        (["master", "--out-dir", "OUT", "--preset", "vinyl"], "--preset 'vinyl'"),
        (["normalize", "--out-dir", "OUT", "--target-lufs", "2"], "--target-lufs 2"),
        (["analyze", "--results", "r.xlsx"], "use .csv, .jsonl or .parquet"),
        (["analyze", "--scheduler", "nowhere"], "--scheduler 'nowhere'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(catalogue: Path, tmp_path: Path, cli_main, capsys, args, match) -> None:
    args = [a.replace("OUT", str(tmp_path / "o")) for a in args]
    code, out, err = call(cli_main, capsys, "batch", args[0], str(catalogue), *args[1:])
    assert code == 2
    assert err.startswith("mezzo: error: ") and match in err and len(err.splitlines()) == 1
    assert out == ""


def test_normalize_needs_an_out_dir(catalogue: Path, cli_main, capsys) -> None:
    code, _, err = call(cli_main, capsys, "batch", "normalize", str(catalogue))
    assert code == 2 and "--out-dir" in err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_leaves_complete_files_and_a_results_file_a_rerun_continues(tmp_path: Path, workers: str) -> None:
    music = tmp_path / "music"
    music.mkdir()
    n_files = 16
    for i in range(n_files):
        sf.write(music / f"track{i:02d}.wav", tone(-20.0 - i % 5, 48000, seconds=12.0), 48000, subtype="PCM_24")
    out = tmp_path / "out"
    args = [*CLI, "batch", "normalize", str(music), "--out-dir", str(out), "--workers", workers, "--quiet"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    table = out / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if table.exists() and len(table.read_text().splitlines()) >= 3:  # header and two rows
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not leftovers(out) and not leftovers(music)
    done = {p: r for p, r in ResultsFile(table).load().items() if r["status"] == "ok"}
    assert 2 <= len(done) < n_files
    for row in done.values():  # every output a finished row points to is complete
        assert sf.info(row["output"]).frames == 12 * 48000
    written = {str(p) for p in out.rglob("*.wav")}
    assert written >= {r["output"] for r in done.values()}
    for path in written:  # and nothing else is half-written
        assert sf.info(path).frames == 12 * 48000

    rerun = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)["summary"]
    assert summary["skipped"] == len(done)
    assert summary["done"] == n_files - len(done)
    assert len(ResultsFile(table).load()) == n_files


def test_dry_run_lists_the_plan_and_writes_nothing(catalogue: Path, tmp_path: Path, cli_main, capsys) -> None:
    out_dir = tmp_path / "out"
    base = ["batch", "analyze", str(catalogue / "a"), "--out-dir", str(out_dir), "--loudness-only", "-j", "1"]
    code, out, _ = call(cli_main, capsys, *base, "--dry-run", "--json")
    assert code == 0 and not out_dir.exists()
    payload = json.loads(out)
    assert (payload["todo"], payload["skipped"]) == (2, 0)
    assert call(cli_main, capsys, *base, "--quiet")[0] == 0
    code, out, _ = call(cli_main, capsys, *base, "--dry-run")
    assert code == 0 and "0 to process, 2 already done" in out
