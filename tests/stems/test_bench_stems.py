"""Smoke test of benchmarks/bench_stems.py (so it cannot rot); asserts no speed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.slow
def test_stems_benchmark_runs_quick(capsys) -> None:
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import bench_stems

        assert bench_stems.main(["--quick"]) == 0
    finally:
        sys.path.remove(str(BENCH_DIR))
    out = capsys.readouterr().out
    assert "mezzo.audibility(5 stereo" in out and "load average" in out
