"""Report items of issue 18: maxima in the summary, normalising platforms, unrelated --compare."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from cli_runner import run_main


def _music(path, seed: int, seconds: float = 8.0, rate: int = 44100, gain: float = 0.3) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = gain * (0.5 + 0.4 * np.sin(2 * np.pi * t / 3)) * rng.standard_normal(t.size)
    sf.write(path, np.stack([x, x], 1), rate)


def test_unrelated_compare_is_refused_before_the_work(tmp_path, capsys) -> None:
    _music(tmp_path / "a.wav", 1)
    _music(tmp_path / "b.wav", 2)
    code, _, err = run_main(capsys, "report", tmp_path / "a.wav", "--compare", tmp_path / "b.wav", "-o", tmp_path / "r.html")
    assert code == 2
    assert "does not look like a processed version" in err and "--compare" in err
    assert not (tmp_path / "r.html").exists()


def test_summary_has_the_maxima_and_loud_masters_are_turned_down(tmp_path, capsys) -> None:
    rate = 44100
    t = np.arange(rate * 8) / rate
    x = 0.5 * np.sin(2 * np.pi * 1000 * t)  # about -6 LUFS, true peak -6 dBTP: only too loud
    sf.write(tmp_path / "a.wav", np.stack([x, x], 1), rate)
    page = tmp_path / "r.html"
    code, _, err = run_main(capsys, "report", tmp_path / "a.wav", "-o", page, "--quiet")
    assert code == 0, err
    html = page.read_text()
    assert "Momentary max" in html and "Short-term max" in html
    spotify = html.split(">Spotify<", 1)[1].split("</tr>", 1)[0]
    assert "turned down" in spotify and "misses" not in spotify
    ebu = html.split(">EBU R 128 (broadcast)<", 1)[1].split("</tr>", 1)[0]
    assert "misses" in ebu  # a delivery specification, not a normalising platform


@pytest.mark.parametrize("gain_db", [-6.0])
def test_processed_compare_still_works(tmp_path, capsys, gain_db: float) -> None:
    _music(tmp_path / "a.wav", 1)
    x, rate = sf.read(tmp_path / "a.wav")
    sf.write(tmp_path / "quiet.wav", x * 10 ** (gain_db / 20), rate)
    code, _, err = run_main(capsys, "report", tmp_path / "a.wav", "--compare", tmp_path / "quiet.wav", "-o",
                            tmp_path / "r.html", "--quiet")
    assert code == 0, err


def test_compression_plot_draws_threshold_and_static_curve() -> None:
    import mezzo
    from mezzo.report.plots import plot_gain_reduction

    rate = 48000
    t = np.arange(rate * 2) / rate
    x = 0.8 * np.sin(2 * np.pi * 220 * t) * np.where(t % 1 < 0.5, 1.0, 0.1)
    comp = mezzo.Compressor(threshold_db=-20.0, ratio=4.0, knee_db=0.0)
    y, gain = comp(x, rate, return_gain=True)
    fig = plot_gain_reduction(x, y, gain, rate, processor=comp)
    wave, _gain, static = fig.axes
    assert [c.get_label() for c in wave.collections][:2] == ["Before", "After"]  # before drawn first, behind
    assert any(line.get_label().startswith("Threshold") for line in wave.lines)
    curve = next(line for line in static.lines if line.get_label().startswith("Static curve"))
    xs, ys = curve.get_data()
    assert ys[np.argmin(np.abs(xs - 0.0))] == pytest.approx(-15.0, abs=0.01)  # 4:1 above -20 dB
    assert len(plot_gain_reduction(x, y, gain, rate).axes) == 2  # without a processor: as before
