"""Tests of mezzo.report.plots: valid PNG files of the promised size, written atomically."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import numpy as np
import pytest

from mezzo.errors import AudioFileError, ParameterError
from mezzo.report import plots
from mezzo.report.plots import plot_loudness

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WIDTH_PX, HEIGHT_PX = 1400, 600
SHORT_TERM_RGB = (0x08 / 255, 0x51 / 255, 0x9C / 255)


def loudness_result(**overrides):
    """A duck-typed loudness result: a 60 s crescendo with a silent gap."""
    momentary_t = np.arange(4, 601) / 10.0
    short_t = np.arange(30, 601) / 10.0
    momentary = -30.0 + 15.0 * momentary_t / 60.0 + 2.0 * np.sin(momentary_t * 3.0)
    short = -30.0 + 15.0 * short_t / 60.0
    momentary[(momentary_t > 20) & (momentary_t < 22)] = np.nan
    fields = dict(
        momentary_lufs=momentary,
        momentary_times_s=momentary_t,
        short_term_lufs=short,
        short_term_times_s=short_t,
        integrated_lufs=-21.4,
        true_peak_dbtp=-0.4,
        loudness_range_lu=8.2,
    )
    fields.update(overrides)
    return types.SimpleNamespace(**fields)


def silent_result():
    times = np.arange(4, 51) / 10.0
    return types.SimpleNamespace(
        momentary_lufs=np.full(times.size, np.nan),
        momentary_times_s=times,
        short_term_lufs=np.full(times.size, np.nan),
        short_term_times_s=times,
        integrated_lufs=None,
        true_peak_dbtp=None,
        loudness_range_lu=None,
    )


def read_png(path):
    from matplotlib import image

    with open(path, "rb") as file:
        assert file.read(8) == PNG_SIGNATURE
    return image.imread(path)


def colour_pixels(pixels, rgb, tolerance=0.03):
    return int(np.all(np.abs(pixels[..., :3] - np.asarray(rgb)) < tolerance, axis=-1).sum())


def test_writes_png_of_expected_size(tmp_path):
    path = tmp_path / "loudness.png"
    returned = plot_loudness(loudness_result(), path, title="Test track")
    assert returned == path
    pixels = read_png(path)
    assert pixels.shape[:2] == (HEIGHT_PX, WIDTH_PX)


def test_accepts_str_path(tmp_path):
    returned = plot_loudness(loudness_result(), str(tmp_path / "a.png"))
    assert returned == tmp_path / "a.png"
    assert returned.is_file()


@pytest.mark.parametrize(
    "result",
    [
        silent_result(),
        types.SimpleNamespace(**{**vars(silent_result()), "integrated_lufs": float("nan")}),
        types.SimpleNamespace(
            momentary_lufs=np.array([]),
            momentary_times_s=np.array([]),
            short_term_lufs=None,
            short_term_times_s=None,
            integrated_lufs=None,
            true_peak_dbtp=float("-inf"),
            loudness_range_lu=None,
        ),
        loudness_result(momentary_lufs=np.full(597, -120.0), short_term_lufs=np.full(571, -80.0)),
    ],
    ids=["all-nan", "nan-integrated", "empty", "below-gate"],
)
def test_silence_still_writes_a_valid_png(tmp_path, result):
    path = plot_loudness(result, tmp_path / "silence.png")
    assert read_png(path).shape[:2] == (HEIGHT_PX, WIDTH_PX)


def test_curves_are_drawn(tmp_path):
    # The short-term curve's colour covers far more pixels with data than in silence
    # (where only the legend handle has it).
    with_data = read_png(plot_loudness(loudness_result(), tmp_path / "data.png"))
    silent = read_png(plot_loudness(silent_result(), tmp_path / "silent.png"))
    drawn = colour_pixels(with_data, SHORT_TERM_RGB)
    legend_only = colour_pixels(silent, SHORT_TERM_RGB)
    assert drawn > 5 * max(legend_only, 1)
    assert drawn > 1000


def test_optional_true_peak_time(tmp_path):
    path = plot_loudness(loudness_result(true_peak_time_s=33.0), tmp_path / "peak.png")
    assert read_png(path).shape[:2] == (HEIGHT_PX, WIDTH_PX)


def test_replaces_existing_file_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "loudness.png"
    path.write_bytes(b"old")
    plot_loudness(loudness_result(), path, overwrite=True)
    plot_loudness(loudness_result(), path, overwrite=True)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loudness.png"]


def test_existing_file_needs_overwrite(tmp_path):
    # One rule for every output: an existing file is replaced only with overwrite (issue 16).
    path = tmp_path / "loudness.png"
    path.write_bytes(b"old")
    with pytest.raises(AudioFileError, match="already exists — pass overwrite=True"):
        plot_loudness(loudness_result(), path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loudness.png"]


def test_svg_by_suffix(tmp_path):
    path = plot_loudness(loudness_result(), tmp_path / "loudness.svg")
    assert b"<svg" in path.read_bytes()[:1000]


def test_missing_folder_is_an_audio_file_error(tmp_path):
    target = tmp_path / "missing" / "loudness.png"
    with pytest.raises(AudioFileError, match=r"loudness\.png"):
        plot_loudness(loudness_result(), target)
    assert not (tmp_path / "missing").exists()


def test_failed_save_removes_the_temporary_file(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def broken_savefig(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk on fire"):
        plot_loudness(loudness_result(), tmp_path / "loudness.png")
    assert list(tmp_path.iterdir()) == []


def test_unsupported_suffix(tmp_path):
    with pytest.raises(ParameterError, match="suffix"):
        plot_loudness(loudness_result(), tmp_path / "loudness.jpg")


def test_mismatched_series(tmp_path):
    result = loudness_result(short_term_times_s=np.arange(10.0))
    with pytest.raises(ParameterError, match="short_term"):
        plot_loudness(result, tmp_path / "loudness.png")


def test_not_a_loudness_result(tmp_path):
    with pytest.raises(ParameterError, match="momentary_lufs"):
        plot_loudness(object(), tmp_path / "loudness.png")


@pytest.mark.parametrize(
    ("seconds", "end_s", "text"),
    [(0.0, 75.0, "0:00"), (65.0, 75.0, "1:05"), (3725.0, 4000.0, "1:02:05"), (2.5, 5.0, "0:02.5")],
)
def test_clock_labels(seconds, end_s, text):
    assert plots.clock_label(seconds, end_s) == text


def test_import_does_not_load_matplotlib():
    code = "import sys, mezzo.report, mezzo.report.plots; print('matplotlib' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False"
