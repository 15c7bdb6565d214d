"""Tests of ``mezzo report``: outputs, exit codes and one-line errors that leave nothing behind."""

from __future__ import annotations

import subprocess
import sys

import pytest
from report_data import BASE_PLOTS, COMPARE_PLOTS, PLOT_SIZES, png_size

from cli_runner import run_main

#: Runs the real entry point in a subprocess.
RUNNER = "import sys\nfrom mezzo.cli.app import main\nmain(sys.argv[1:])\n"


@pytest.fixture
def cli(capsys):
    """Call ``mezzo report ...`` through the real entry point, in-process."""
    return lambda *args: run_main(capsys, "report", *args)


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mezzo: error: ")
    assert "Traceback" not in err
    return lines[0]


def test_report_with_compare_and_png(cli, report_inputs, tmp_path):
    before, after = report_inputs
    out, png_dir = tmp_path / "report.html", tmp_path / "plots"
    code, stdout, err = cli(before, "--compare", after, "-o", out, "--png", png_dir)
    assert code == 0, err
    names = BASE_PLOTS + COMPARE_PLOTS
    assert stdout.splitlines() == [str(out)] + [str(png_dir / f"{n}.png") for n in names]
    text = out.read_text(encoding="utf-8")
    assert "Gain-reduction trace" in text and "Before and after: waveform" in text
    for name in names:
        data = (png_dir / f"{name}.png").read_bytes()
        assert len(data) > 5000 and png_size(data) == PLOT_SIZES[name]


def test_the_real_entry_point_reports_errors_in_one_line(report_inputs, tmp_path):
    """``python -m``-style run of ``mezzo.cli.app.main``: exit code and stderr as a user sees them."""
    out = tmp_path / "r.html"
    out.write_text("old")
    result = subprocess.run([sys.executable, "-c", RUNNER, "report", str(report_inputs[0]), "-o", str(out)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "--overwrite" in _one_line_error(result.stderr)
    assert result.stdout == ""
    assert out.read_text() == "old"
    assert {p.name for p in tmp_path.iterdir()} == {"r.html"}


def test_plain_report_overwrites_on_request(cli, report_inputs, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    code, stdout, _err = cli(report_inputs[0], "-o", out, "--overwrite", "--preset", "apple", "--title", "Mix 4")
    assert code == 0
    assert stdout.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert "<h1>Mix 4</h1>" in text and "Target \u221216.0 LUFS" not in text  # target is in the image
    assert 'class="sel"><td>Apple Music' in text


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("missing", 1, "no such file"),
        ("not-audio", 1, "not an audio file"),
        ("suffix", 2, "expected .html"),
        ("preset", 2, "--preset 'loudest'"),
        ("folder", 1, "does not exist"),
        ("compare-missing", 1, "no such file"),
    ],
)
def test_bad_inputs_are_one_line_errors_and_leave_nothing(cli, report_inputs, tmp_path, case, code, message):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.wav").write_text("hello")
    good = report_inputs[0]
    args = {
        "missing": [work / "nope.wav", "-o", work / "r.html"],
        "not-audio": [work / "notes.wav", "-o", work / "r.html", "--png", work / "png"],
        "suffix": [good, "-o", work / "r.txt"],
        "preset": [good, "-o", work / "r.html", "--preset", "loudest"],
        "folder": [good, "-o", work / "sub" / "r.html"],
        "compare-missing": [good, "--compare", work / "nope.wav", "-o", work / "r.html", "--png", work / "png"],
    }[case]
    exit_code, stdout, err = cli(*args)
    assert exit_code == code
    assert message in _one_line_error(err)
    assert stdout == ""
    assert {p.name for p in work.iterdir()} == {"notes.wav"}


def test_output_is_required(cli, report_inputs):
    code, _out, err = cli(report_inputs[0])
    assert code == 2
    assert "--output" in err


def test_help_names_the_options(cli):
    code, out, _err = cli("--help")
    assert code == 0
    for option in ("--output", "--compare", "--png", "--overwrite", "--preset"):
        assert option in out
