"""Smoke test of benchmarks/bench_batch.py, so it cannot rot. Asserts no speed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def bench_batch():
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import bench_batch

        yield bench_batch
    finally:
        sys.path.remove(str(BENCH_DIR))


def test_catalogue_files_are_30_second_stereo_wavs(bench_batch, tmp_path: Path) -> None:
    import soundfile as sf

    paths = bench_batch.make_catalogue(tmp_path, 2, 1.5)
    for path in paths:
        info = sf.info(path)
        assert (info.channels, info.samplerate, info.frames, info.subtype) == (2, 48000, 72000, "PCM_16")


def test_quick_run_reports_rows_and_skipped_floors(bench_batch, tmp_path: Path) -> None:
    out = tmp_path / "batch.json"
    status = bench_batch.main(["--quick", "--files", "2", "--loop-files", "1", "--repeats", "1", "--no-full",
                               "--out", str(out)])
    assert status == 0
    report = json.loads(out.read_text())
    assert {f["status"] for f in report["floors"]} == {"SKIPPED"}
    tools = [row["tool"] for row in report["rows"]]
    assert tools[:2] == [f"mezzo batch analyze --loudness-only --workers {w}" for w in (1, 2)]
    assert all(row["files_per_s"] > 0 for row in report["rows"])
