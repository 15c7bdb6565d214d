"""``mezzo limit``: the standalone true-peak limiter on files."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from cli_runner import run_main


def _loud(path, rate: int = 48000) -> None:
    t = np.arange(rate * 3) / rate
    x = 0.95 * np.sin(2 * np.pi * 3000 * t + 0.3) * np.where((t % 1) < 0.2, 1.0, 0.3)
    sf.write(path, np.stack([x, 0.8 * x], 1), rate, subtype="FLOAT")


def test_limit_keeps_true_peak_under_the_ceiling_and_reports_gain_reduction(tmp_path, capsys) -> None:
    src, out = tmp_path / "in.wav", tmp_path / "out.wav"
    _loud(src)
    code, stdout, err = run_main(capsys, "limit", src, "-o", out, "--ceiling-dbtp", "-2", "--release-ms", "50", "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["command"] == "limit" and summary["max_gain_reduction_db"] > 1.0
    y, rate = sf.read(out, always_2d=True)
    assert y.shape[0] == 3 * rate  # the lookahead delay is removed
    # independent yardstick: 8x polyphase oversampling (scipy), not mezzo's Annex 2 meter
    peak_db = 20 * np.log10(np.abs(resample_poly(y, 8, 1, axis=0)).max())
    assert peak_db <= -2.0 + 0.1
    assert summary["after"]["true_peak_dbtp"] <= -2.0 + 1e-6


def test_limit_table_and_flag_errors(tmp_path, capsys) -> None:
    src, out = tmp_path / "in.wav", tmp_path / "out.wav"
    _loud(src)
    code, stdout, _ = run_main(capsys, "limit", src, "-o", out, "--lookahead-ms", "2")
    assert code == 0 and "Gain reduction: max" in stdout
    code, _, err = run_main(capsys, "limit", src, "-o", tmp_path / "x.wav", "--ceiling-dbtp", "3")
    assert code == 2 and "--ceiling-dbtp 3.0 is out of range" in err
    code, _, err = run_main(capsys, "limit", src, "-o", out)
    assert code != 0 and "--overwrite" in err
