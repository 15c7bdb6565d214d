"""process_blocks / process_file: the one streaming loop (latency compensated, tags kept, atomic)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import soundfile as sf

import mezzo
from mezzo.errors import AudioFileError, AudioInputError
from mezzo.processing import process_blocks, process_file
from mezzo.processors import Compressor, Ducker, Limiter

FS = 48000


def _noise(seconds: float, channels: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    env = np.repeat(rng.uniform(0.05, 1.0, int(seconds * 10)), FS // 10)
    return (0.5 * env * rng.standard_normal((channels, env.size))).astype(np.float32)


@pytest.mark.parametrize("sizes", [[FS * 3], [1000, 1, 37000, 0, 105999], [4096] * 36])
def test_blocks_of_any_size_give_the_whole_signal_call(sizes):
    x = _noise(3.0)[:, : sum(sizes)]
    bounds = np.cumsum([0, *sizes])
    blocks = [x[:, a:b] for a, b in pairwise(bounds)]
    proc = Compressor(threshold_db=-20, ratio=4, attack_ms=2, release_ms=80, lookahead_ms=5)
    expected, gain = Compressor(threshold_db=-20, ratio=4, attack_ms=2, release_ms=80, lookahead_ms=5)(
        x, FS, return_gain=True
    )
    outs = list(process_blocks(proc, blocks, FS, return_gain=True))
    assert all(o.shape[1] > 0 for o, _ in outs)
    y = np.concatenate([o for o, _ in outs], axis=1)
    g = np.concatenate([g for _, g in outs], axis=1)
    assert proc.latency_samples == round(0.005 * FS)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-7)
    np.testing.assert_allclose(g, gain, rtol=0, atol=1e-6)


def test_key_is_cut_to_the_input_blocks_and_padded_past_its_end():
    x = _noise(2.0, seed=1)
    key = _noise(1.5, channels=1, seed=2) * 4
    padded = np.concatenate([key, np.zeros((1, x.shape[1] - key.shape[1]), np.float32)], axis=1)
    expected = Ducker(threshold_db=-30, depth_db=12)(x, FS, key=padded)
    key_blocks = [key[:, i : i + 7000] for i in range(0, key.shape[1], 7000)]
    x_blocks = [x[:, i : i + 5000] for i in range(0, x.shape[1], 5000)]
    y = np.concatenate(list(process_blocks(Ducker(threshold_db=-30, depth_db=12), x_blocks, FS, key=key_blocks)), axis=1)
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-7)


def test_mono_blocks_stay_mono_and_nothing_in_gives_nothing_out():
    x = _noise(1.0, channels=1)[0]
    y = np.concatenate(list(process_blocks(Limiter(ceiling_db=-6.0, true_peak=False), [x[:20000], x[20000:]], FS)))
    assert y.ndim == 1 and y.shape == x.shape and np.abs(y).max() <= 10 ** (-6 / 20) + 1e-6
    assert list(process_blocks(Limiter(), [], FS)) == []


def _tagged(path, x):
    with sf.SoundFile(path, "w", FS, x.shape[0], format="FLAC") as f:
        f.title, f.artist = "Night Drive", "The Testers"
        f.write(x.T)


def test_process_file_streams_keeps_tags_and_reports(tmp_path):
    x = _noise(4.0)
    src, out = tmp_path / "in.flac", tmp_path / "out.flac"
    _tagged(src, x)
    calls = []
    report = mezzo.process_file(
        Limiter(ceiling_db=-3.0), src, out, block_samples=10000,
        progress=lambda phase, done, total: calls.append((phase, done, total)),
    )
    y, rate = sf.read(out, always_2d=True)
    assert rate == FS and y.shape == x.T.shape
    with sf.SoundFile(out) as f:
        assert (f.title, f.artist) == ("Night Drive", "The Testers")
    ref = mezzo.loudness(y.T.astype(np.float32), FS)
    assert report.after.integrated_lufs == pytest.approx(ref.integrated_lufs, abs=0.01)
    assert report.processor == "Limiter" and report.latency_samples > 0 and report.max_gain_reduction_db > 1
    assert report.before.true_peak_dbtp > -3.0 >= report.after.sample_peak_dbfs
    assert calls[0] == ("processing", 0, x.shape[1]) and calls[-1][0] == "finishing"
    done = [d for p, d, _ in calls if p == "processing"]
    assert done == sorted(done) and done[-1] == x.shape[1]
    assert report.to_dict()["before"]["integrated_lufs"] == report.before.integrated_lufs


def test_process_file_refuses_without_writing(tmp_path):
    x = _noise(1.0)
    src, out = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(src, x.T, FS)
    sf.write(tmp_path / "key.wav", x[:1].T, 44100)
    with pytest.raises(AudioInputError, match="resample the key"):
        process_file(Ducker(), src, out, key=tmp_path / "key.wav")
    assert not out.exists()
    with pytest.raises(AudioFileError):
        process_file(Compressor(), src, src)  # never the input
    out.write_bytes(b"keep")
    with pytest.raises(AudioFileError):
        process_file(Compressor(), src, out)
    assert out.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "key.wav", "out.wav"]  # no temporary left


def test_process_file_warns_about_a_short_key(tmp_path):
    x = _noise(2.0)
    sf.write(tmp_path / "in.wav", x.T, FS)
    sf.write(tmp_path / "key.wav", x[:1, :FS].T, FS)
    report = process_file(Ducker(), tmp_path / "in.wav", tmp_path / "out.wav", key=tmp_path / "key.wav")
    assert report.key.endswith("key.wav")
    assert any("padded with silence" in w for w in report.warnings)
