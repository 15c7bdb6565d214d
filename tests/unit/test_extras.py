"""Optional parts: the core works without them, and a missing one is named in one line."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import soundfile as sf

from cli_runner import run_main
from mezzo._extras import require
from mezzo.errors import MissingExtraError


def test_require_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # hidden: importing it raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'mezzo\[batch\]'"):
        require("distributed", "batch", "scheduler=...")


def test_batch_scheduler_without_dask_is_one_line_naming_the_extra(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    sf.write(tmp_path / "a.wav", 0.1 * np.sin(np.arange(48000) / 10.0), 48000)
    code, _, err = run_main(capsys, "batch", "analyze", tmp_path, "--scheduler", "local", "--loudness-only")
    lines = err.strip().splitlines()
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("mezzo: error:"), err
    assert "--scheduler" in lines[0] and "pip install 'mezzo[batch]'" in lines[0]


def test_the_core_has_no_librosa_dask_or_web_dependency() -> None:
    from importlib.metadata import requires

    core = [r for r in requires("mezzo") or [] if "extra ==" not in r]
    names = {r.split(">")[0].split("=")[0].split("[")[0].split(";")[0].strip().lower() for r in core}
    assert not names & {
        "librosa", "scikit-learn", "dask", "distributed", "fastapi", "starlette", "uvicorn", "matplotlib",
    }, names


def _one_line_naming_plot(code: int, err: str) -> None:
    lines = err.strip().splitlines()
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("mezzo: error:"), err
    assert "pip install 'mezzo[plot]'" in lines[0], err


def test_plot_functions_without_matplotlib_name_the_plot_extra(monkeypatch) -> None:
    from types import SimpleNamespace

    from mezzo.report.plots import plot_loudness

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # hidden: importing it raises ImportError
    result = SimpleNamespace(momentary_lufs=[], momentary_times_s=[], short_term_lufs=[], short_term_times_s=[])
    with pytest.raises(MissingExtraError, match=r"^plotting needs mezzo's 'plot' extra .*pip install 'mezzo\[plot\]'$"):
        plot_loudness(result)


def test_analyze_plot_without_matplotlib_is_one_line_before_any_work(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    wav = tmp_path / "a.wav"
    sf.write(wav, 0.1 * np.sin(np.arange(48000) / 10.0), 48000)
    code, out, err = run_main(capsys, "analyze", wav, "--plot", tmp_path / "a.png", "--loudness-only", "--json")
    _one_line_naming_plot(code, err)
    assert "--plot" in err and not out and not (tmp_path / "a.png").exists()


def test_report_without_matplotlib_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    wav = tmp_path / "a.wav"
    sf.write(wav, 0.1 * np.sin(np.arange(48000) / 10.0), 48000)
    code, _, err = run_main(capsys, "report", wav, "-o", tmp_path / "r.html")
    _one_line_naming_plot(code, err)
    assert "the HTML report" in err and not (tmp_path / "r.html").exists()
