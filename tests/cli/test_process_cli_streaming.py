"""The process commands stream: same samples as the whole-signal call, flat memory, atomic output.

The expected output is the processor's whole-signal ``__call__`` on the whole
file (the Processor contract's reference), never the CLI's own earlier output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cli_runner import run_main
from mezzo import processing
from mezzo.meters.loudness import loudness
from mezzo.processors import Compressor, Ducker, Leveler

FS = 48000
#: float32 samples written as FLOAT come back exactly; PCM_24 within half an LSB.
PCM24_LSB = 2.0**-23


def run(capsys, *args: str) -> tuple[int, str, str]:
    return run_main(capsys, *args)


def bursts(n: int, channels: int, seed: int) -> np.ndarray:
    """Noise in 50 ms bursts whose levels jump over 40 dB (hard transients)."""
    rng = np.random.default_rng(seed)
    env = np.repeat(10 ** (rng.uniform(-40, 0, size=n // 2400 + 1) / 20), 2400)[:n]
    return (0.7 * env * rng.uniform(-1, 1, size=(channels, n))).astype(np.float32)


@pytest.fixture
def music(tmp_path: Path) -> tuple[Path, np.ndarray]:
    x = bursts(3 * FS + 1234, 2, seed=1)
    path = tmp_path / "music.wav"
    sf.write(path, x.T, FS, subtype="FLOAT")
    return path, x


def write_key(path: Path, n: int) -> np.ndarray:
    t = np.arange(n) / FS
    k = (0.5 * np.sin(2 * np.pi * 220 * t) * ((t % 1.0) > 0.5)).astype(np.float32)
    sf.write(path, k, FS, subtype="FLOAT")
    return k[np.newaxis]


def read_out(path: Path) -> np.ndarray:
    y, fs = sf.read(path, dtype="float32", always_2d=True)
    assert fs == FS
    return y.T


@pytest.mark.parametrize("block_samples", [65536, 10007, 777])
def test_compress_with_lookahead_equals_the_whole_signal_call(
    capsys, monkeypatch, music, tmp_path, block_samples
):
    monkeypatch.setattr(processing, "BLOCK_SAMPLES", block_samples)
    path, x = music
    out = tmp_path / "out.wav"
    params = {
        "threshold_db": -24.0,
        "ratio": 4.0,
        "knee_db": 6.0,
        "attack_ms": 2.0,
        "release_ms": 80.0,
        "lookahead_ms": 5.0,
    }
    code, stdout, err = run(
        capsys,
        "compress",
        str(path),
        "-o",
        str(out),
        "--threshold-db",
        "-24",
        "--ratio",
        "4",
        "--knee-db",
        "6",
        "--attack-ms",
        "2",
        "--release-ms",
        "80",
        "--lookahead-ms",
        "5",
        "--json",
    )
    assert code == 0, err
    proc = Compressor(**params)
    expected, gain = proc(x, FS, return_gain=True)
    assert proc.latency_samples == round(0.005 * FS)
    y = read_out(out)
    assert y.shape == x.shape and sf.info(out).subtype == "FLOAT"
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-7)

    summary = json.loads(stdout)
    reduction = np.maximum(-gain.astype(np.float64), 0.0)
    assert summary["latency_samples"] == proc.latency_samples
    assert summary["max_gain_reduction_db"] == pytest.approx(reduction.max(), abs=1e-6)
    assert summary["mean_gain_reduction_db"] == pytest.approx(reduction.mean(), abs=1e-6)
    for when, audio in (("before", x), ("after", expected)):
        ref = loudness(audio, FS)
        assert summary[when]["integrated_lufs"] == pytest.approx(ref.integrated_lufs, abs=1e-6)
        assert summary[when]["loudness_range_lu"] == pytest.approx(ref.loudness_range_lu, abs=1e-6)
        assert summary[when]["true_peak_dbtp"] == pytest.approx(ref.true_peak_dbtp, abs=1e-6)


def test_leveler_latency_longer_than_many_blocks(capsys, monkeypatch, music, tmp_path):
    monkeypatch.setattr(processing, "BLOCK_SAMPLES", 4096)  # 1.5 s latency = 17+ blocks
    path, x = music
    out = tmp_path / "out.wav"
    code, _, err = run(capsys, "level", str(path), "-o", str(out), "--target-lufs", "-20", "--json")
    assert code == 0, err
    expected = Leveler(target_lufs=-20.0)(x, FS)
    np.testing.assert_allclose(read_out(out), expected, rtol=0, atol=1e-7)


def test_pcm24_output_within_write_precision(capsys, tmp_path):
    x = bursts(2 * FS, 2, seed=4)
    path = tmp_path / "in.wav"
    sf.write(path, x.T, FS, subtype="PCM_24")
    x24, _ = sf.read(path, dtype="float32", always_2d=True)
    out = tmp_path / "out.wav"
    code, _, err = run(
        capsys,
        "compress",
        str(path),
        "-o",
        str(out),
        "--lookahead-ms",
        "3",
        "--ratio",
        "8",
        "--threshold-db",
        "-30",
    )
    assert code == 0, err
    assert sf.info(out).subtype == "PCM_24"
    expected = Compressor(lookahead_ms=3.0, ratio=8.0, threshold_db=-30.0)(
        np.ascontiguousarray(x24.T), FS
    )
    np.testing.assert_allclose(read_out(out), expected, rtol=0, atol=PCM24_LSB)


@pytest.mark.parametrize(("key_seconds", "what"), [(2.0, "padded with silence"), (4.5, "trimmed")])
def test_key_of_other_length_is_padded_or_trimmed_block_aligned(
    capsys, monkeypatch, music, tmp_path, key_seconds, what
):
    monkeypatch.setattr(processing, "BLOCK_SAMPLES", 5000)
    path, x = music
    n = x.shape[1]
    key_path = tmp_path / "key.wav"
    k = write_key(key_path, int(key_seconds * FS))
    out = tmp_path / "out.wav"
    code, _, err = run(
        capsys,
        "duck",
        str(path),
        "--key",
        str(key_path),
        "-o",
        str(out),
        "--depth-db",
        "12",
        "--lookahead-ms",
        "2",
    )
    assert code == 0, err
    assert err == f"mezzo: warning: key is {k.shape[1]} samples, input {n}: key {what}\n"
    k_aligned = k[:, :n] if k.shape[1] > n else np.pad(k, ((0, 0), (0, n - k.shape[1])))
    expected = Ducker(depth_db=12.0, lookahead_ms=2.0)(x, FS, key=k_aligned)
    np.testing.assert_allclose(read_out(out), expected, rtol=0, atol=1e-7)


def test_failure_mid_stream_leaves_no_output(capsys, monkeypatch, music, tmp_path):
    monkeypatch.setattr(processing, "BLOCK_SAMPLES", 10000)
    path, _ = music
    calls = []
    real = Compressor.process

    def failing(self, block, *args, **kwargs):
        calls.append(block.shape[1])
        if len(calls) == 5:
            from mezzo.errors import AudioInputError

            raise AudioInputError("simulated failure in block 5")
        return real(self, block, *args, **kwargs)

    monkeypatch.setattr(Compressor, "process", failing)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, stdout, err = run(capsys, "compress", str(path), "-o", str(out_dir / "o.wav"), "--json")
    assert code == 1 and err == "mezzo: error: simulated failure in block 5\n" and stdout == ""
    assert len(calls) == 5 and os.listdir(out_dir) == []


def test_mono_file_stays_mono(capsys, tmp_path):
    x = bursts(FS, 1, seed=7)
    path = tmp_path / "mono.wav"
    sf.write(path, x[0], FS, subtype="FLOAT")
    out = tmp_path / "out.wav"
    code, _, err = run(
        capsys, "gate", str(path), "-o", str(out), "--threshold-db", "-30", "--lookahead-ms", "1"
    )
    assert code == 0, err
    assert sf.info(out).channels == 1
    from mezzo.processors import Gate

    np.testing.assert_allclose(
        read_out(out), Gate(threshold_db=-30.0, lookahead_ms=1.0)(x, FS), rtol=0, atol=1e-7
    )


# --- memory ------------------------------------------------------------------------------------

_RUN = textwrap.dedent(
    """
    import resource, sys
    from mezzo.cli.app import main
    try:
        main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
    print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def _long_wav(path: Path, minutes: float) -> None:
    """Stereo 48 kHz PCM_16 with loud and quiet 1.7 s stretches, written 10 s at a time."""
    n = int(minutes * 60 * FS)
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", FS, 2, subtype="PCM_16") as handle:
        for start in range(0, n, 10 * FS):
            m = min(10 * FS, n - start)
            t = (start + np.arange(m)) / FS
            env = 0.05 + 0.45 * (np.sin(2 * np.pi * 0.3 * t) > 0)
            handle.write((env * rng.uniform(-1, 1, (2, m))).T.astype(np.float32))


def _peak_rss_mb(tmp_path: Path, minutes: float) -> float:
    src = tmp_path / f"in{minutes:g}.wav"
    _long_wav(src, minutes)
    out = tmp_path / f"out{minutes:g}.wav"
    done = subprocess.run(
        [sys.executable, "-c", _RUN, "compress", str(src), "-o", str(out), "--json"],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    code, rss_kb = done.stdout.strip().splitlines()[-1].split()
    assert code == "0", done.stderr
    assert sf.info(out).frames == sf.info(src).frames
    src.unlink()
    out.unlink()
    return int(rss_kb) / 1024


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_length(tmp_path):
    # 10 minutes of stereo float32 is 230 MB per copy; reading it whole took ~1.3 GB peak.
    short_mb = _peak_rss_mb(tmp_path, 1.0)
    long_mb = _peak_rss_mb(tmp_path, 10.0)
    print(f"peak RSS: 1 min {short_mb:.0f} MB, 10 min {long_mb:.0f} MB")
    assert long_mb - short_mb < 30.0


def test_key_length_of_a_compressed_key_is_counted(capsys, music, tmp_path):
    # OGG headers do not give exact lengths: the key is counted while streaming.
    path, x = music
    key_path = tmp_path / "key.ogg"
    t = np.arange(2 * FS) / FS
    sf.write(key_path, 0.5 * np.sin(2 * np.pi * 220 * t), FS)
    decoded = sf.read(key_path)[0].shape[0]
    code, _, err = run(
        capsys, "duck", str(path), "--key", str(key_path), "-o", str(tmp_path / "o.wav")
    )
    assert code == 0, err
    assert err == f"mezzo: warning: key is {decoded} samples, input {x.shape[1]}: key padded with silence\n"
