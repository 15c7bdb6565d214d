"""The stems section of ``mezzo report`` (``--stem``) and of ``write_report(stems=...)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import stem_signals as sig

from cli_runner import run_main
from mezzo.meters.audibility import audibility
from mezzo.report.html import write_report

D = 8.0


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stems-report")
    lead = sig.ride(sig.lead(D, -32.0), [(3.0, 0.0), (3.2, -24.0), (6.0, -24.0), (6.2, 0.0)])
    pad = sig.pad(D, -20.0)
    paths = {}
    for name, audio in (("lead", lead), ("pad", pad), ("mix", lead + pad)):
        paths[name] = folder / f"{name}.wav"
        sf.write(paths[name], audio.T, sig.SR, subtype="FLOAT")
    return paths


def test_report_cli_adds_the_stems_section_and_its_png(capsys, files, tmp_path) -> None:
    page, png_dir = tmp_path / "r.html", tmp_path / "png"
    code, out, err = run_main(capsys, "report", files["mix"], "-o", page, "--stem", files["lead"],
                              "--stem", files["pad"], "--png", png_dir)
    assert code == 0, err
    assert str(png_dir / "stems.png") in out.splitlines()
    text = page.read_text(encoding="utf-8")
    assert 'id="stems"' in text and 'id="plot-stems"' in text
    section = text[text.index('<section id="stems">'):]
    section = section[: section.index("</section>")]
    assert "<td>lead</td>" in section and "pad 100%" in section and "raise lead by" in section
    with open(png_dir / "stems.png", "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_one_stem_is_a_usage_error(capsys, files, tmp_path) -> None:
    code, out, err = run_main(capsys, "report", files["mix"], "-o", tmp_path / "r.html", "--stem", files["lead"])
    assert code == 2 and "at least two stems" in err and out == ""
    assert not (tmp_path / "r.html").exists()


def test_write_report_takes_a_measured_result(files, tmp_path) -> None:
    result = audibility({"lead": sf.read(files["lead"])[0].T, "pad": sf.read(files["pad"])[0].T}, sig.SR)
    page = write_report(files["mix"], tmp_path / "r.html", stems=result)
    text = page.read_text(encoding="utf-8")
    assert "Stems: which is buried, when, by what" in text and "100 dB SPL" in text
    assert np.isfinite(result.stem("lead").audibility).any()
