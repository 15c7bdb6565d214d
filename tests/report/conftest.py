"""Fixtures of the report tests (helpers and constants are in report_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_data import write_inputs


@pytest.fixture(scope="session")
def report_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(input, processed) FLOAT WAV files; the processed one is ``GAIN * input``, 5 ms late."""
    return write_inputs(tmp_path_factory.mktemp("report-inputs"))
