"""``mezzo stems``: the JSON shape of the issue, plots, fixes written to a folder, one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import stem_signals as sig

from cli_runner import run_main

D = 12.0


def _write(folder: Path, name: str, audio: np.ndarray, rate: int = sig.SR, subtype: str = "PCM_24") -> Path:
    path = folder / f"{name}.wav"
    sf.write(path, audio.T, rate, subtype=subtype)
    return path


@pytest.fixture(scope="module")
def stem_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("stems")
    lead = sig.ride(sig.lead(D, -32.0), [(4.0, 0.0), (4.2, -24.0), (8.0, -24.0), (8.2, 0.0)])
    return [_write(folder, "lead", lead), _write(folder, "pad", sig.pad(D, -20.0))]


def test_json_has_the_shape_of_the_issue(capsys, stem_files) -> None:
    code, out, err = run_main(capsys, "stems", *stem_files, "--json", "--quiet")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"stems", "suggestions"}
    assert [s["name"] for s in data["stems"]] == ["lead", "pad"]
    lead = data["stems"][0]
    assert isinstance(lead["loudness_lufs"], float)
    (buried,) = lead["buried"]
    assert set(buried) >= {"start_s", "end_s", "masked_by", "band_hz", "needed_db"}
    assert buried["masked_by"] == ["pad"]
    assert len(buried["band_hz"]) == 2 and buried["band_hz"][0] < buried["band_hz"][1]
    assert buried["needed_db"] > 0
    assert 3.5 <= buried["start_s"] <= 4.5 and 7.7 <= buried["end_s"] <= 8.7
    assert data["stems"][1]["buried"] == []
    assert {g["action"] for g in data["suggestions"]} >= {"raise", "duck"}
    assert all(g["stem"] == "lead" and g["text"] for g in data["suggestions"])
    assert "audibility" not in lead  # the curves only with --series


def test_series_adds_the_audibility_curves(capsys, stem_files) -> None:
    code, out, _ = run_main(capsys, "stems", *stem_files, "--json", "--series", "--quiet")
    data = json.loads(out)
    assert code == 0 and len(data["times_s"]) == len(data["stems"][0]["audibility"]) == round(D / 0.1)


def test_table_names_the_buried_stem_and_its_masker(capsys, stem_files) -> None:
    code, out, _ = run_main(capsys, "stems", *stem_files, "--quiet")
    assert code == 0
    assert "Buried" in out and "pad 100%" in out and "raise lead" in out
    # in 80 columns the interval and the band stay whole (the words around them wrap)
    assert re.search(r"0:0\d\.\d-0:0\d\.\d  ", out) and re.search(r"\d+-\d+ Hz", out), out


def test_stem_names_with_brackets_print_as_they_are(capsys, stem_files, tmp_path) -> None:
    # rich reads "[...]" in a table cell as markup
    named = [tmp_path / "lead [take 2].wav", tmp_path / "pad [red].wav"]
    for source, target in zip(stem_files, named, strict=True):
        target.write_bytes(source.read_bytes())
    code, out, _ = run_main(capsys, "stems", *named, "--quiet")
    assert code == 0
    assert "lead [take 2]" in out and "pad [red]" in out
    assert re.search(r"0:0\d\.\d-0:0\d\.\d  ", out), out  # longer names: the interval still whole


def test_plot_is_written(capsys, stem_files, tmp_path) -> None:
    png = tmp_path / "stems.png"
    code, out, _ = run_main(capsys, "stems", *stem_files, "--plot", png, "--quiet")
    assert code == 0 and str(png) in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fix_writes_every_stem_and_the_mix(capsys, stem_files, tmp_path) -> None:
    out_dir = tmp_path / "fixed"
    code, out, err = run_main(capsys, "stems", *stem_files, "--fix", "lead", "--out-dir", out_dir, "--json", "--quiet")
    assert code == 0, err
    data = json.loads(out)
    fix = data["fix"]
    assert fix["ok"] and fix["buried_after_s"] <= 0.25 * fix["buried_before_s"]
    assert abs(fix["loudness_change_lu"]) <= 1.5
    assert sorted(p.name for p in out_dir.iterdir()) == ["lead.wav", "mix.wav", "pad.wav"]
    lead, rate = sf.read(out_dir / "lead.wav", always_2d=True)
    pad, _ = sf.read(out_dir / "pad.wav", always_2d=True)
    mix, _ = sf.read(out_dir / "mix.wav", always_2d=True)
    assert rate == sig.SR and sf.info(out_dir / "lead.wav").subtype == "PCM_24"  # the input's format
    assert np.max(np.abs(lead + pad - mix)) < 1e-5  # 24-bit rounding
    assert data["after"]["stems"][0]["buried_s"] == fix["buried_after_s"]
    # a second run refuses to replace the files without --overwrite
    code, _, err = run_main(capsys, "stems", *stem_files, "--fix", "lead", "--out-dir", out_dir, "--quiet")
    assert code == 1 and "already exists" in err and err.count("\n") == 1


def test_stems_of_different_lengths_are_padded_with_silence(capsys, tmp_path) -> None:
    short = _write(tmp_path, "lead", sig.lead(3.0, -20.0))
    long = _write(tmp_path, "pad", sig.pad(5.0, -30.0))
    code, out, err = run_main(capsys, "stems", short, long, "--json", "--series", "--quiet")
    data = json.loads(out)
    assert code == 0, err
    assert data["duration_s"] == pytest.approx(5.0)
    lead_curve = np.array([np.nan if v is None else v for v in data["stems"][0]["audibility"]])
    assert np.isnan(lead_curve[-10:]).all()  # silent after its end: not buried, undefined


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--fix", "lead"], 2, "--fix NAME and --out-dir DIR go together"),
        (["--fix", "vocal", "--out-dir", "OUT"], 2, "stem='vocal'"),
        (["--plot", "stems.jpg"], 2, "expected .png, .svg or .pdf"),
    ],
)
def test_usage_errors_are_one_line(capsys, stem_files, tmp_path, args, code, message) -> None:
    args = [str(tmp_path / a) if a in ("OUT", "stems.jpg") else a for a in args]
    got, out, err = run_main(capsys, "stems", *stem_files, *args, "--quiet")
    assert got == code and message in err and err.startswith("mezzo: error:") and err.count("\n") == 1
    assert out == ""


def test_one_file_is_not_a_mix(capsys, stem_files) -> None:
    code, _, err = run_main(capsys, "stems", stem_files[0])
    assert code == 2 and "at least two" in err


def test_different_sample_rates_are_refused(capsys, tmp_path) -> None:
    a = _write(tmp_path, "lead", sig.lead(1.0, -20.0))
    b = _write(tmp_path, "pad", sig.pad(1.0, -20.0)[:, ::2], rate=24000)
    code, _, err = run_main(capsys, "stems", a, b)
    assert code == 1 and "different sample rates" in err and "resample" in err and err.count("\n") == 1
