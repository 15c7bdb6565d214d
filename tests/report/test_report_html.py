"""Tests of mezzo.report.html.write_report and its streaming helpers (mezzo.report.scan).

Expectations are independent: true peaks of quarter-rate sines (their amplitude), a known
gain and delay of the processed copy, platform verdicts worked out by hand, PNG sizes read
from the PNG header, and the page rendered by headless Chromium as a person would open it.
"""

from __future__ import annotations

import base64
import html.parser
import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from report_data import (
    BASE_HEADINGS,
    BASE_PLOTS,
    COMPARE_HEADINGS,
    COMPARE_PLOTS,
    DELAY_SAMPLES,
    DURATION_S,
    GAIN,
    OVER_0_S,
    OVER_MINUS_1_S,
    PLOT_SIZES,
    SAMPLE_RATE,
    png_size,
)

from mezzo.errors import AudioFileError, AudioInputError, ParameterError
from mezzo.report.html import platform_verdicts, write_report
from mezzo.report.scan import estimate_lag_s, gain_trace, scan_file

#: Columns may reach a little outside the sine's window (fades, column width, filter length).
EDGE_S = 0.05
#: The gain trace of a pure gain change is exact up to float32 rounding of the files.
GAIN_TRACE_DB = 0.01


class _Page(html.parser.HTMLParser):
    """Collects headings, images and any reference to another file."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.images: dict[str, tuple[str, dict[str, str]]] = {}
        self.external: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("h1", "h2"):
            self._in_heading = True
            self.headings.append("")
        if tag == "img":
            self.images[a.get("id", "")] = (a.get("src", ""), a)
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("data:", "#")):
                self.external.append(f"<{tag} {key}={a[key]!r}>")
        if tag in ("script", "link", "iframe", "object", "embed"):
            self.external.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2"):
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings[-1] += data


def parse(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    return text, page


@pytest.fixture(scope="module")
def plain_report(report_inputs, tmp_path_factory):
    before, _after = report_inputs
    folder = tmp_path_factory.mktemp("plain")
    out = write_report(before, folder / "report.html", png_dir=folder / "png")
    return out, folder / "png"


@pytest.fixture(scope="module")
def compare_report(report_inputs, tmp_path_factory):
    before, after = report_inputs
    folder = tmp_path_factory.mktemp("compare")
    out = write_report(before, folder / "report.html", compare=after, png_dir=folder / "png", title="Take 3")
    return out, folder / "png"


# --- streaming scans ---------------------------------------------------------------------------


def _covered(regions, window):
    """Seconds of ``window`` covered by ``regions``."""
    return sum(max(0.0, min(b, window[1]) - max(a, window[0])) for a, b in regions)


def test_true_peak_overs_are_where_the_hot_sines_are(report_inputs):
    scan = scan_file(report_inputs[0], column_s=0.01)
    over1, over0 = scan.over_regions(-1.0), scan.over_regions(0.0)
    for a, b in over1:
        assert any(w[0] - EDGE_S <= a and b <= w[1] + EDGE_S for w in (OVER_MINUS_1_S, OVER_0_S)), (a, b)
    for a, b in over0:
        assert OVER_0_S[0] - EDGE_S <= a and b <= OVER_0_S[1] + EDGE_S, (a, b)
    inner = 1.0 - 2 * EDGE_S  # the window less the fades
    assert _covered(over1, OVER_MINUS_1_S) >= inner
    assert _covered(over1, OVER_0_S) >= inner
    assert _covered(over0, OVER_0_S) >= inner
    assert _covered(over0, OVER_MINUS_1_S) == 0.0
    # the true peak of a quarter-rate sine at 45 degrees is its amplitude, 0.707 above its samples
    assert np.nanmax(scan.true_peak_dbtp) == pytest.approx(20 * math.log10(1.4), abs=0.05)


def test_envelope_matches_a_naive_min_max(report_inputs):
    x, rate = sf.read(report_inputs[0], always_2d=True)
    scan = scan_file(report_inputs[0], column_s=0.1)
    col = round(0.1 * rate)
    assert scan.duration_s == pytest.approx(DURATION_S)
    assert scan.max_amplitude.size == math.ceil(x.shape[0] / col)
    for k in (0, 37, 100, scan.max_amplitude.size - 1):
        part = x[k * col : (k + 1) * col]
        assert scan.max_amplitude[k] == pytest.approx(part.max(), abs=1e-7)
        assert scan.min_amplitude[k] == pytest.approx(part.min(), abs=1e-7)


def test_gain_trace_of_a_delayed_gain_change(report_inputs):
    before, after = report_inputs
    lag = estimate_lag_s(before, after)
    assert lag * SAMPLE_RATE == pytest.approx(DELAY_SAMPLES, abs=0.5)
    s0 = scan_file(before, column_s=0.1)
    s1 = scan_file(after, column_s=0.1, skip_s=lag)
    trace = gain_trace(s0, s1, lag_s=lag)
    finite = trace.gain_db[np.isfinite(trace.gain_db)]
    # frames are left out exactly where the input's mean square is under -70 dBFS (naive count)
    x, _rate = sf.read(before, always_2d=True)
    frame = round(trace.frame_s * SAMPLE_RATE)
    frames = trace.gain_db.size
    mean_square = np.mean(x[: frames * frame].reshape(frames, frame, -1) ** 2, axis=(1, 2))
    assert finite.size == np.count_nonzero(mean_square >= 1e-7) > 0.3 * frames
    assert np.all(np.abs(finite - 20 * math.log10(GAIN)) < GAIN_TRACE_DB)


# --- platform verdicts (worked out by hand) -----------------------------------------------------


def test_platform_verdict_loud_and_over_the_ceiling():
    by_name = {v.name: v for v in platform_verdicts(-11.7, -0.4)}
    spotify = by_name["spotify"]
    assert not spotify.meets
    assert spotify.difference_lu == pytest.approx(2.3)
    assert spotify.playback_gain_db == pytest.approx(-2.3)
    assert spotify.loudness_text == "2.3 LU louder, will be turned down 2.3 dB"
    assert spotify.peak_text == "true peak \u22120.4 dBTP exceeds \u22121 dBTP by 0.6 dB"
    assert by_name["ebu"].loudness_text == "11.3 LU louder, will be turned down 11.3 dB"


def test_platform_verdict_on_target_and_quiet():
    by_name = {v.name: v for v in platform_verdicts(-14.3, -1.5)}
    assert by_name["spotify"].meets
    assert not by_name["amazon"].meets  # its ceiling is -2 dBTP
    assert by_name["amazon"].peak_text == "true peak \u22121.5 dBTP exceeds \u22122 dBTP by 0.5 dB"
    quiet = {v.name: v for v in platform_verdicts(-20.0, -6.0)}["spotify"]
    assert not quiet.meets
    assert quiet.loudness_text.startswith("6.0 LU quieter")
    assert "headroom to the ceiling 5.0 dB" in quiet.loudness_text
    silent = platform_verdicts(None, None)
    assert all(not v.meets for v in silent)


# --- the page --------------------------------------------------------------------------------


def _check_self_contained(text: str, page: _Page) -> None:
    assert "http://" not in text and "https://" not in text
    assert page.external == []
    assert "<script" not in text.lower()
    assert "url(" not in text  # no CSS references to fonts or images


def _check_images(page: _Page, names) -> None:
    assert set(page.images) == {f"plot-{n}" for n in names}
    for name in names:
        src, attrs = page.images[f"plot-{name}"]
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png_size(data) == PLOT_SIZES[name]
        assert (int(attrs["width"]), int(attrs["height"])) == PLOT_SIZES[name]
        assert attrs.get("alt")


def test_plain_report_is_self_contained_with_every_section(plain_report):
    out, _png = plain_report
    text, page = parse(out)
    _check_self_contained(text, page)
    assert page.headings[0] == "take.wav"
    assert page.headings[1:] == list(BASE_HEADINGS)
    _check_images(page, BASE_PLOTS)
    for heading in COMPARE_HEADINGS:
        assert heading not in text
    assert text.count("<tr") >= 1 + 9  # header + one row per platform preset
    assert "LU louder" in text or "LU quieter" in text or "on target" in text
    assert re.search(r"global tempo \((weak pulse, |pulse )confidence [01]\.\d\d\)", text)


def test_png_dir_holds_the_same_plots(plain_report):
    out, png_dir = plain_report
    _text, page = parse(out)
    assert sorted(p.name for p in png_dir.iterdir()) == sorted(f"{n}.png" for n in BASE_PLOTS)
    for name in BASE_PLOTS:
        data = (png_dir / f"{name}.png").read_bytes()
        assert len(data) > 5000
        assert png_size(data) == PLOT_SIZES[name]
        embedded = base64.b64decode(page.images[f"plot-{name}"][0].split(",", 1)[1])
        assert data == embedded


def test_compare_adds_overlays_and_the_gain_trace(compare_report):
    out, png_dir = compare_report
    text, page = parse(out)
    _check_self_contained(text, page)
    assert page.headings == ["Take 3", *BASE_HEADINGS, *COMPARE_HEADINGS]
    _check_images(page, BASE_PLOTS + COMPARE_PLOTS)
    assert sorted(p.name for p in png_dir.iterdir()) == sorted(f"{n}.png" for n in BASE_PLOTS + COMPARE_PLOTS)
    assert "delay found: 5.0 ms" in text
    # the summary's change column: 20*log10(0.5) = -6.0 LU of integrated loudness
    assert re.search(r"<td>Integrated loudness</td>.*?<td class='num'>\u22126\.0</td>", text)


def test_silent_input_still_gives_a_readable_report(tmp_path):
    silent = tmp_path / "silence.wav"
    sf.write(silent, np.zeros((5 * SAMPLE_RATE, 2)), SAMPLE_RATE, subtype="PCM_16")
    out = write_report(silent, tmp_path / "silence.html")
    text, page = parse(out)
    assert page.headings[1:] == list(BASE_HEADINGS)
    _check_images(page, BASE_PLOTS)
    assert "no loudness (silent)" in text


# --- bad inputs: one-line errors, nothing written ---------------------------------------------------


def _only(folder: Path, names: set[str]) -> None:
    assert {p.name for p in folder.iterdir()} == names  # no temporary or partial files


def test_non_audio_input_writes_nothing(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioFileError, match="not an audio file") as info:
        write_report(bad, tmp_path / "r.html", png_dir=tmp_path / "png")
    assert "\n" not in str(info.value)
    _only(tmp_path, {"notes.wav"})


def test_missing_and_empty_inputs(tmp_path):
    with pytest.raises(AudioFileError, match="no such file"):
        write_report(tmp_path / "missing.wav", tmp_path / "r.html")
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0, 2)), SAMPLE_RATE)
    with pytest.raises((AudioInputError, AudioFileError)) as info:
        write_report(empty, tmp_path / "r.html")
    assert "\n" not in str(info.value)
    _only(tmp_path, {"empty.wav"})


def test_existing_outputs_are_kept_without_overwrite(report_inputs, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("keep me")
    with pytest.raises(AudioFileError, match="pass overwrite=True"):
        write_report(report_inputs[0], out)
    assert out.read_text() == "keep me"
    png_dir = tmp_path / "png"
    png_dir.mkdir()
    (png_dir / "tempo.png").write_bytes(b"keep")
    with pytest.raises(AudioFileError, match=r"tempo\.png"):
        write_report(report_inputs[0], tmp_path / "new.html", png_dir=png_dir)
    _only(tmp_path, {"r.html", "png"})
    _only(png_dir, {"tempo.png"})


def test_bad_output_suffix_and_output_equal_to_input(report_inputs, tmp_path):
    with pytest.raises(ParameterError, match=r"expected \.html"):
        write_report(report_inputs[0], tmp_path / "r.pdf")
    with pytest.raises(ParameterError, match="preset"):
        write_report(report_inputs[0], tmp_path / "r.html", preset="myspace")
    _only(tmp_path, set())


# --- as a person would see it: headless Chromium ---------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (make test installs it with apt-get where possible: "
    "apt-get install chromium); the page itself is still checked by the other tests",
)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    profile = tempfile.mkdtemp(prefix="mezzo-chromium-")
    try:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "HOME": profile},
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@needs_chromium
def test_chromium_renders_every_section(compare_report, tmp_path):
    out, _png = compare_report
    url = out.resolve().as_uri()
    dom = _chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for heading in ("Take 3", *BASE_HEADINGS, *COMPARE_HEADINGS):
        assert f">{heading}</h" in dom.stdout.replace("&amp;", "&"), heading
    assert dom.stdout.count('src="data:image/png;base64,') == len(BASE_PLOTS + COMPARE_PLOTS)
    problems = [line for line in dom.stderr.splitlines()
                if re.search(r"Failed to load|net::ERR|Uncaught|CONSOLE", line)]
    assert problems == []

    shot = tmp_path / "shot.png"
    result = _chromium(f"--screenshot={shot}", "--window-size=1400,3000", url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert png_size(shot.read_bytes()) == (1400, 3000)
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    # the plots were decoded and drawn: the short-term loudness blue (#08519c) is on screen
    blue = np.all(np.abs(pixels - np.array([0x08, 0x51, 0x9C]) / 255) < 0.03, axis=-1)
    assert blue.sum() > 2000
    assert pixels.std() > 0.05  # not a blank page
