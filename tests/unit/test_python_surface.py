"""Python discoverability: real processor signatures, mezzo.read, mezzo.loudness(path), Figures, presets."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import soundfile as sf

import mezzo
from cli_runner import run_main
from mezzo.processors.params import COMPRESSOR_PARAMS


@pytest.mark.parametrize("name", ["Compressor", "Expander", "Gate", "Ducker", "Leveler", "Limiter", "GainAutomation"])
def test_every_processor_has_a_real_signature(name: str) -> None:
    cls = getattr(mezzo, name)
    params = inspect.signature(cls).parameters
    assert params and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert list(params) == [p.name for p in cls.PARAMS]
    assert all(params[p.name].default == p.default or p.default != p.default for p in cls.PARAMS)


def test_compressor_signature_names_threshold_with_its_default() -> None:
    sig = inspect.signature(mezzo.Compressor)
    default = {p.name: p.default for p in COMPRESSOR_PARAMS}["threshold_db"]
    assert sig.parameters["threshold_db"].default == default
    assert sig.parameters["threshold_db"].annotation is float
    mezzo.Compressor(**{"threshold_db": -30.0})  # the signature is the one __init__ accepts


def _wav(path, rate: int = 48000) -> np.ndarray:
    t = np.arange(rate * 5) / rate
    x = np.stack([0.1 * np.sin(2 * np.pi * 997 * t)] * 2)
    sf.write(path, x.T, rate, subtype="FLOAT")
    return x


def test_read_and_loudness_of_a_path(tmp_path) -> None:
    path = tmp_path / "x.wav"
    x = _wav(path)
    audio, rate = mezzo.read(path)
    assert rate == 48000 and audio.shape == x.shape
    from_file = mezzo.loudness(str(path))
    from_array = mezzo.loudness(audio, rate)
    assert from_file.integrated_lufs == pytest.approx(from_array.integrated_lufs, abs=1e-6)
    with pytest.raises(mezzo.ParameterError, match="sample_rate is required"):
        mezzo.loudness(audio)


def test_plot_functions_return_a_figure_without_a_path(tmp_path) -> None:
    from matplotlib.figure import Figure

    from mezzo.report.plots import plot_analysis, plot_loudness

    path = tmp_path / "x.wav"
    _wav(path)
    result = mezzo.analyze(path)
    assert isinstance(plot_loudness(result.loudness), Figure)
    assert isinstance(plot_analysis(result), Figure)
    assert not list(tmp_path.glob("*.png"))  # nothing written
    assert plot_analysis(result, tmp_path / "map.png") == tmp_path / "map.png"


def test_the_tempo_curve_is_dashed_and_said_weak_on_a_weak_pulse(tmp_path) -> None:
    import dataclasses

    from mezzo.report.plots import plot_analysis

    rate = 22050
    t = np.arange(rate * 12) / rate
    clicks = np.exp(-np.mod(t, 0.5) / 0.02) * np.sin(2 * np.pi * 880 * t)  # 120 BPM
    path = tmp_path / "clicks.wav"
    sf.write(path, np.stack([clicks, clicks]).T * 0.3, rate, subtype="FLOAT")
    result = mezzo.analyze(path, dynamics=True)
    assert result.tempo.curve_bpm.size and result.tempo.confidence >= 0.5
    for confidence, style, words in ((result.tempo.confidence, "-", "(pulse confidence"), (0.2, "--", "(weak pulse, confidence 0.20)")):
        analysis = dataclasses.replace(result, tempo=dataclasses.replace(result.tempo, confidence=confidence))
        tempo_axis = plot_analysis(analysis).axes[2]
        assert tempo_axis.lines[0].get_linestyle() == style
        assert words in tempo_axis.get_title(loc="right")


def test_markings_lane_dashes_the_hairpins_reported_only_on_request() -> None:
    from types import SimpleNamespace

    from matplotlib.figure import Figure

    from mezzo.report.plots import draw_markings_lane

    ax = Figure().add_subplot()
    sure = SimpleNamespace(start_s=1.0, end_s=3.0, kind="crescendo", confidence=0.9)
    weak = SimpleNamespace(start_s=4.0, end_s=6.0, kind="decrescendo", confidence=0.2)
    draw_markings_lane(ax, SimpleNamespace(markings=[], hairpins=[sure, weak], flat_sections=[]), 10.0)
    styles = [p.get_linestyle() for p in ax.patches]
    assert styles == ["-", "--"]


def test_compress_lists_its_presets(capsys) -> None:
    from mezzo.processors.compressor import PRESETS

    code, out, _ = run_main(capsys, "compress", "--list-presets")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(PRESETS)
    assert "--ratio 3 " in out.splitlines()[0]


@pytest.mark.parametrize("command", ["master", "normalize"])
def test_master_and_normalize_list_their_presets(capsys, command: str) -> None:
    from mezzo.mastering.presets import PRESETS

    code, out, _ = run_main(capsys, command, "--list-presets")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(PRESETS)
    assert "spotify  --target-lufs -14 --ceiling-dbtp -1" in out
