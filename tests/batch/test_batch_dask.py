"""The same batch on a Dask ``LocalCluster`` of 2 worker processes, from Python and from the CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from batch_data import BAD, CLI, GOOD, abspaths, leftovers

pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'mezzo[batch]')")

from mezzo.batch import run
from mezzo.batch.results import ResultsFile


def test_local_cluster_runs_every_file_and_records_bad_ones(catalogue: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = run([catalogue], "analyze", out_dir=out, scheduler="local", workers=2, job_options={"dynamics": False})
    by_path = {r["path"]: r for r in rows}
    assert list(by_path) == sorted(abspaths(catalogue, [*GOOD, *BAD]))  # walk order, whatever finished first
    for rel, (level, _, _) in GOOD.items():  # EBU Tech 3341 case 1: the sine reads its level in LUFS
        row = by_path[os.path.abspath(catalogue / rel)]
        assert row["status"] == "ok" and row["integrated_lufs"] == pytest.approx(level, abs=0.1)
        assert Path(row["output"]).is_file()
    for rel in BAD:
        row = by_path[os.path.abspath(catalogue / rel)]
        assert row["status"] == "failed" and "\n" not in row["error"] and Path(rel).name in row["error"]
    assert not leftovers(out)
    # the results file written through the cluster is continued by a local run
    again = run([catalogue], "analyze", out_dir=out, workers=1, job_options={"dynamics": False})
    assert {r["path"] for r in again if r["status"] == "skipped"} == abspaths(catalogue, GOOD)
    assert set(ResultsFile(out / "results.csv").load()) == set(by_path)


def test_cli_normalize_album_on_a_local_cluster(catalogue: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [*CLI, "batch", "normalize", str(catalogue / "a"), str(catalogue / "bad"), "--out-dir", str(out),
         "--album", "--target-lufs", "-16", "--scheduler", "local", "--workers", "2", "--json",
         "--results", str(tmp_path / "r.jsonl")],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 1, proc.stderr  # the bad album failed
    payload = json.loads(proc.stdout)
    assert payload["summary"]["done"] == 2 and payload["summary"]["failed"] == len(BAD)
    ok = [r for r in payload["rows"] if r["status"] == "ok"]
    assert {Path(r["output"]).name for r in ok} == {"one.wav", "two.flac"}
    assert all(r["album_integrated_lufs"] == pytest.approx(-16.0, abs=0.1) for r in ok)
    assert len([line for line in proc.stderr.splitlines() if line.startswith("mezzo: failed: ")]) == len(BAD)
    assert not leftovers(out)
