"""Smoke test of the benchmark code (benchmarks/), so it cannot rot. Asserts no speed."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench_modules():
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import _common
        import bench_loudness
        import run

        yield _common, bench_loudness, run
    finally:
        sys.path.remove(str(BENCH_DIR))


def test_music_like_signal_is_seeded_float32_stereo_and_below_full_scale(bench_modules):
    common, _, _ = bench_modules
    a = common.music_like(2.5, 48000, seed=1)
    b = common.music_like(2.5, 48000, seed=1)
    assert a.shape == (2, 120000)
    assert a.dtype == np.float32
    assert np.array_equal(a, b)
    assert 0.05 < np.abs(a).max() < 1.0
    # chunking does not change the samples: a shorter signal is a prefix of a longer one
    assert np.array_equal(common.music_like(1.0, 48000, seed=1), a[:, :48000])


def test_run_isolated_reports_result_and_peak_rss(bench_modules):
    common, _, _ = bench_modules
    child = common.run_isolated("bench_loudness", "child_import_baseline")
    assert child.result == {}
    assert child.peak_rss_bytes > 1_000_000


def test_peak_rss_is_the_commands_own_not_the_runners(bench_modules):
    """A runner holding 400 MB measures a bare interpreter at its own few MB, and a child's
    own 200 MB as 200 MB (measured directly, a vfork child reported the runner's peak)."""
    import sys

    common, _, _ = bench_modules
    held = np.ones(50_000_000)  # 400 MB in this process
    bare = common.run_command([sys.executable, "-S", "-c", "pass"])
    big = common.run_command([sys.executable, "-c", "import numpy as np; print(np.ones(25_000_000).sum())"])
    assert held.sum() > 0
    assert bare.returncode == 0 and 1e6 < bare.peak_rss_bytes < 60e6
    assert big.returncode == 0 and big.result.strip() == "25000000.0"
    assert 200e6 < big.peak_rss_bytes < 320e6


def test_run_command_reports_exit_status_and_a_missing_command(bench_modules):
    import sys

    common, _, _ = bench_modules
    assert common.run_command([sys.executable, "-c", "raise SystemExit(3)"]).returncode == 3
    missing = common.run_command(["mezzo-no-such-command"])
    assert missing.returncode == 127 and "mezzo-no-such-command" in missing.stderr
    slow = common.run_command([sys.executable, "-c", "import time; time.sleep(30)"], timeout_s=0.5)
    assert slow.returncode < 0 and slow.wall_s < 10


def test_band_limited_reference_reads_a_sines_amplitude_between_its_samples(bench_modules):
    """The loudness benchmark's true-peak reference against the closed form: a sine at fs/4 with
    a 45 degree phase has its samples at 0.707 of its amplitude (-3.01 dB below its peak)."""
    _, bench, _ = bench_modules
    n = np.arange(48000)
    fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 4800)
    for amplitude in (0.5, 0.9):
        x = amplitude * np.sin(np.pi / 2 * n + np.pi / 4) * fade
        got = bench.band_limited_true_peak_dbtp(np.stack([x, 0.5 * x]))
        assert got == pytest.approx(20 * np.log10(amplitude), abs=0.002)
        assert got > 20 * np.log10(np.abs(x).max()) + 2.9


def test_loudness_benchmark_runs_with_mezzo_on_a_short_signal(bench_modules, tmp_path):
    _, bench, _ = bench_modules
    out = tmp_path / "loudness.json"
    status = bench.main(quick=True, tools=("mezzo",), duration_s=4.0, out_path=out)
    assert status == 0  # floors are skipped (no pyebur128, no 60-minute file): nothing can fail
    report = json.loads(out.read_text())
    assert {f["status"] for f in report["floors"]} == {"SKIPPED"}
    rows = {row["what"].split(";")[0]: row for row in report["rows"] if row["tool"] == "mezzo"}
    full = rows[bench.MEZZO_WHAT]
    assert full["seconds"] > 0
    assert full["ns_per_sample_per_channel"] > 0
    assert full["ratio_vs_mezzo"] == pytest.approx(1.0)
    assert full["peak_rss_mb"] > 0
    figures = report["figures"]["mezzo"]
    assert set(figures) == set(bench.FIGURES)
    # the in-memory signal and the 16-bit file of it measure the same loudness
    assert figures["integrated_lufs"] == pytest.approx(
        report["figures"]["mezzo (file)"]["integrated_lufs"], abs=0.05
    )


def test_runner_finds_the_loudness_benchmark(bench_modules):
    _, _, run = bench_modules
    assert "loudness" in run.discover()
    with pytest.raises(SystemExit):
        run.main(["--only", "no-such-benchmark"])


def _dynamics_eval_module(name: str):
    """Import ``benchmarks/dynamics_eval/<name>.py`` (the scripts import their siblings by name)."""
    import importlib

    sys.path.insert(0, str(BENCH_DIR / "dynamics_eval"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH_DIR / "dynamics_eval"))


def test_tempo_anchor_curve_is_the_beat_rate_and_ignores_one_missed_beat():
    tempo_anchors = _dynamics_eval_module("tempo_anchors")
    beats = np.arange(40) * 0.5  # 120 BPM
    curve = tempo_anchors.beat_curve(beats)
    assert [p["bpm"] for p in curve] == pytest.approx([120.0] * 39)
    assert curve[0]["time_s"] == pytest.approx(0.25)
    missed = tempo_anchors.beat_curve(np.delete(beats, 20))  # one interval of 1 s: 60 BPM
    assert [p["bpm"] for p in missed] == pytest.approx([120.0] * 38)
    assert tempo_anchors.beat_curve(np.array([0.0, 0.5])) == []


def test_robustness_variants_keep_the_music_and_change_only_rate_channels_level_or_codec():
    robustness = _dynamics_eval_module("robustness")
    t = np.arange(44100) / 44100
    x = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)], axis=1).astype(np.float32)
    y, rate = robustness.variant_audio(x, 44100, "48k")
    assert rate == 48000 and y.shape == (48000, 2)
    peak = np.argmax(np.abs(np.fft.rfft(y[:, 0])))  # 1 s of audio: bin k is k Hz
    assert peak == 440
    y, rate = robustness.variant_audio(x, 44100, "22k-mono")
    assert rate == 22050 and y.shape == (22050, 1)
    y, rate = robustness.variant_audio(x[:32000], 32000, "48k")  # the ratio follows the input's rate
    assert rate == 48000 and y.shape == (48000, 2)
    y, rate = robustness.variant_audio(x, 44100, "quiet")
    assert rate == 44100 and 20 * np.log10(np.max(np.abs(y)) / np.max(np.abs(x))) == pytest.approx(-20.0)
    with pytest.raises(ValueError, match="unknown array variant"):
        robustness.variant_audio(x, 44100, "louder")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the mp3 variant needs ffmpeg: run `make ffmpeg`")
def test_robustness_mp3_variant_is_an_mp3_of_the_same_music(tmp_path):
    import soundfile as sf

    robustness = _dynamics_eval_module("robustness")
    t = np.arange(44100 * 2) / 44100
    x = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)], axis=1).astype(np.float32)
    path = robustness.variant_file(x, 44100, "mp3", tmp_path, "tone")
    assert path.suffix == ".mp3" and [p.name for p in tmp_path.iterdir()] == ["mp3_tone.mp3"]  # no WAV left
    assert path.read_bytes()[:3] == b"ID3" or path.read_bytes()[0] == 0xFF  # an MP3 stream, not a WAV
    y, rate = sf.read(path, always_2d=True)
    assert rate == 44100 and y.shape[1] == 2
    spectrum = np.abs(np.fft.rfft(y[:44100, 0], n=44100))
    assert int(np.argmax(spectrum)) == 440  # 1 Hz bins: the left channel's tone survives the codec
    assert robustness.variant_file(x, 44100, "quiet", tmp_path, "tone").suffix == ".wav"


def test_soundfont_curve_reads_a_tones_rms_and_frequency_and_writes_one_note():
    import io

    import mido

    curves = _dynamics_eval_module("soundfont_curves")
    t = np.arange(44100) / 44100
    x = np.stack([0.5 * np.sin(2 * np.pi * 1000 * t)] * 2)  # (channels, samples)
    level_db, centroid_hz = curves.level_and_centroid(x, 44100)
    assert level_db == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.01)  # RMS of a sine: A / sqrt(2)
    assert centroid_hz == pytest.approx(1000.0, rel=0.01)
    notes = [m for m in mido.MidiFile(file=io.BytesIO(curves.note_midi(40, 72))) if m.type == "note_on"]
    assert [(m.note, m.velocity) for m in notes] == [(64, 72)]


def test_soundfont_attack_time_is_ten_to_ninety_percent_of_a_linear_ramp():
    curves = _dynamics_eval_module("soundfont_curves")
    rate = 44100
    t = np.arange(rate) / rate
    ramp = np.clip(t / 0.1, 0.0, 1.0)  # 0 to full over 100 ms, then held: 10 % to 90 % takes 80 ms
    x = (ramp * np.sin(2 * np.pi * 1000 * t))[None, :]
    assert curves.attack_ms(x, rate) == pytest.approx(80.0, abs=2.0)


def test_offset_test_recovers_a_shift_that_a_summary_gives_and_not_one_it_does_not():
    offset = _dynamics_eval_module("offset")
    rng = np.random.default_rng(1)

    def item(k: int, x: float, best: float):
        counts = np.clip(100.0 - 50.0 * np.abs(offset.SHIFTS - best), 0.0, None)  # within-one-step count
        return offset.Item("tuning", f"item{k}", f"composer{k % 4}", counts, 100, {"x": x, "noise": rng.normal()})

    xs = rng.uniform(-2.0, 2.0, 40)
    rows = [item(k, x, 0.5 * x) for k, x in enumerate(xs)]  # the best shift is half the summary
    assert offset.best_shift(rows[0]) == pytest.approx(0.5 * xs[0], abs=0.05)
    assert offset.pooled(rows, 0.5 * xs) == pytest.approx(1.0, abs=0.03)  # the oracle (on a 0.1-step grid)
    assert offset.leave_one_composer_out(rows, ("x",)) > 0.95
    assert offset.leave_one_composer_out(rows, ("noise",)) < offset.leave_one_composer_out(rows, ("x",)) - 0.2
    assert offset.leave_one_composer_out(rows, ()) == pytest.approx(offset.pooled(rows, np.zeros(40)), abs=0.05)


def test_long_hairpin_ramp_is_the_gain_asked_for_and_a_match_is_half_the_longer_span():
    lh = _dynamics_eval_module("long_hairpins")
    rate = 100
    audio = np.ones((2, 30 * rate), dtype=np.float32)  # 30 s, repeated to 10 + 20 + 60 + 20 s
    x = lh.ramped(audio, rate, 12.0, 60.0)
    assert x.shape == (2, 100 * rate)
    db = 20 * np.log10(x[0])
    assert db[:20 * rate] == pytest.approx(-12.0, abs=1e-4)  # held, 12 dB under the top
    assert db[50 * rate] == pytest.approx(-6.0, abs=0.01)  # half way up the ramp
    assert db[-1] == pytest.approx(0.0, abs=1e-4)  # never above the input
    assert lh.ramped(audio, rate, -12.0, 60.0)[0, -1] == pytest.approx(10 ** (-12 / 20), rel=1e-5)
    hit = [{"start_s": 30.0, "end_s": 85.0, "kind": "crescendo"}]
    assert lh.found(hit, 12.0, 60.0) and not lh.found(hit, -12.0, 60.0)
    assert not lh.found([{"start_s": 20.0, "end_s": 45.0, "kind": "crescendo"}], 12.0, 60.0)


def test_tempo_ramp_tape_speed_scales_the_frequency_and_a_change_is_judged_by_its_span_and_ratio():
    tr = _dynamics_eval_module("tempo_ramps")
    rate = 8000
    t = np.arange(20 * rate) / rate
    audio = np.sin(2 * np.pi * 100.0 * t)[None, :]  # 100 Hz, repeated as needed
    x = tr.tape(audio, rate, 1.2, 4.0)[0]
    assert x.size == round((2 * tr.HOLD_S + 4.0) * rate)

    def hz(segment: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(segment * np.hanning(segment.size)))
        return float(np.argmax(spectrum)) * rate / segment.size

    assert hz(x[2 * rate : 12 * rate]) == pytest.approx(100.0, abs=0.2)  # before the ramp: its own speed
    assert hz(x[-10 * rate :]) == pytest.approx(120.0, abs=0.2)  # after: 1.2 times faster
    curve = [{"time_s": s, "bpm": 100.0 if s < 27.0 else 120.0} for s in np.arange(1.0, 54.0, 0.5)]
    reading = {"tempo_changes": [{"start_s": 25.5, "end_s": 29.0, "kind": "accelerando"}], "tempo_curve": curve}
    found, reported, ratio = tr.judge(reading, 1.2, 4.0)
    assert found and reported == 1 and ratio == pytest.approx(1.2)
    assert not tr.judge(reading, 0.8, 4.0)[0]  # the wrong way
    assert tr.judge({"tempo_changes": [], "tempo_curve": []}, 1.0, 8.0) == (False, 0, None)


def test_short_loop_error_is_read_at_the_nearest_octave_and_another_level_is_apart():
    sl = _dynamics_eval_module("short_loops")
    assert sl.error_at_nearest_octave(121.2, 120.0) == pytest.approx(0.01)
    assert sl.error_at_nearest_octave(59.4, 120.0) == pytest.approx(-0.01)  # half tempo, 1 % slow
    assert sl.error_at_nearest_octave(243.6, 120.0) == pytest.approx(0.015)
    assert sl.error_at_nearest_octave(90.0, 120.0) is None  # 3:4, another metrical level
    assert sl.error_at_nearest_octave(None, 120.0) is None
