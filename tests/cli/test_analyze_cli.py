"""`mezzo analyze` end to end: JSON schema, exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

JSON_KEYS = {
    "path", "integrated_lufs", "loudness_range_lu", "momentary_max_lufs", "short_term_max_lufs",
    "sample_peak_dbfs", "true_peak_dbtp", "plr_db", "duration_s", "sample_rate", "channels",
}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mezzo.cli.app", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )


def tone(seconds: float, level_dbfs: float, sample_rate: int = 48000, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return np.tile(10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 1000 * t), (channels, 1))


@pytest.fixture(scope="module")
def tone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "tone.wav"
    sf.write(path, tone(6, -23).T, 48000, subtype="PCM_24")
    return path


def test_json_one_file_has_the_documented_keys(tone_wav: Path) -> None:
    proc = run_cli("analyze", str(tone_wav), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)  # stdout carries only JSON
    assert set(payload) >= JSON_KEYS
    # EBU Tech 3341 case 1 level: a -23 dBFS stereo 1 kHz sine reads -23.0 ±0.1 LUFS
    assert payload["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert payload["sample_rate"] == 48000 and payload["channels"] == 2
    assert payload["duration_s"] == pytest.approx(6.0)


def test_json_several_files_is_a_list(tone_wav: Path, tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.flac"
    sf.write(quiet, tone(5, -33, 44100).T, 44100)
    proc = run_cli("analyze", str(tone_wav), str(quiet), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert [Path(p["path"]).name for p in payload] == ["tone.wav", "quiet.flac"]
    assert payload[1]["integrated_lufs"] == pytest.approx(-33.0, abs=0.1)


def test_silence_gives_null_not_nan(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros((48000 * 4, 2)), 48000)
    proc = run_cli("analyze", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    for key in ("integrated_lufs", "loudness_range_lu", "momentary_max_lufs", "true_peak_dbtp", "plr_db"):
        assert payload[key] is None


def test_series_csv(tone_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "series.csv"
    proc = run_cli("analyze", str(tone_wav), "--series", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "time_s,momentary_lufs,short_term_lufs"
    first, last = lines[1].split(","), lines[-1].split(",")
    assert float(first[0]) == pytest.approx(0.4) and first[2] == ""  # short-term needs 3 s
    assert float(last[0]) == pytest.approx(6.0)
    assert float(last[1]) == pytest.approx(-23.0, abs=0.1) and float(last[2]) == pytest.approx(-23.0, abs=0.1)


def _write_truncated(path: Path) -> None:
    sf.write(path, tone(2, -20).T, 48000, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[:30])  # cut inside the header


def _write_nan(path: Path) -> None:
    audio = tone(2, -20)
    audio[0, 1000] = np.nan
    sf.write(path, audio.T, 48000, subtype="FLOAT")


BAD_INPUTS = {
    "missing": (lambda p: None, "no such file"),
    "directory": (lambda p: p.mkdir(), "folder"),
    "empty": (lambda p: p.write_bytes(b""), "empty"),
    "truncated": (_write_truncated, "wav"),
    "text": (lambda p: p.write_text("this is not audio\n" * 20), "not an audio file"),
    "zero_length": (lambda p: sf.write(p, np.zeros((0, 2)), 48000), "no audio"),
    "nan": (_write_nan, "NaN"),
    "low_rate": (lambda p: sf.write(p, tone(1, -20, 4000).T, 4000), "4000 Hz"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_error(case: str, tmp_path: Path) -> None:
    make, fragment = BAD_INPUTS[case]
    target = tmp_path / "input.wav"
    make(target)
    series = tmp_path / "series.csv"
    proc = run_cli("analyze", str(target), "--series", str(series), "--json")
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mezzo: error: ")
    assert fragment.lower() in lines[0].lower()
    assert "Traceback" not in proc.stderr
    assert not series.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "input.wav") == []


def test_unsupported_format_is_one_line_error(tmp_path: Path) -> None:
    target = tmp_path / "song.xyz"
    target.write_bytes(bytes(range(256)) * 64)
    proc = run_cli("analyze", str(target))
    assert proc.returncode == 1
    assert proc.stderr.startswith("mezzo: error: ") and len(proc.stderr.strip().splitlines()) == 1


def test_bad_parameter_is_usage_error(tone_wav: Path) -> None:
    proc = run_cli("analyze", str(tone_wav), "--hop-s", "0.015")
    assert proc.returncode == 2
    assert "--hop-s" in proc.stderr and "Traceback" not in proc.stderr


def test_debug_shows_traceback(tmp_path: Path) -> None:
    proc = run_cli("--debug", "analyze", str(tmp_path / "missing.wav"))
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_help_is_light_and_fast() -> None:
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "from mezzo.cli.app import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "try:\n    main(['analyze', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numba', 'scipy', 'matplotlib', 'librosa', 'dask') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stdout
    assert "analyze" in proc.stdout


def test_import_mezzo_is_light() -> None:
    code = "import sys, mezzo; print([m for m in ('numba', 'scipy', 'matplotlib') if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_several_files_one_bad_exits_1_and_reports_it(tone_wav: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    proc = run_cli("analyze", str(tone_wav), str(bad), "--json")
    assert proc.returncode == 1
    payload = json.loads(proc.stdout)
    assert payload[0]["integrated_lufs"] is not None and "not an audio file" in payload[1]["error"]
    assert proc.stderr.count("mezzo: error:") == 1


def test_a_path_with_brackets_prints_whole_and_as_given(tone_wav: Path, tmp_path: Path) -> None:
    # rich reads "[...]" as markup (a "[/b]" it cannot match stopped the command) and wraps a
    # table's title to the table's width
    folder = tmp_path / ("a folder whose name is long enough to pass eighty columns" + "x" * 30) / "live ["
    folder.mkdir(parents=True)
    path = folder / "b] mix [bold] v2.wav"
    path.write_bytes(tone_wav.read_bytes())
    proc = run_cli("analyze", str(path), "--loudness-only")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == str(path)
