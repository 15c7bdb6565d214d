"""master / normalize report real phases through their progress hook, in order."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from mezzo.mastering.master import master_file, normalize_files

FS = 48000


def _song(path, seconds: float = 6.0, level: float = 0.2) -> int:
    t = np.arange(int(FS * seconds)) / FS
    x = level * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    sf.write(path, np.stack([x, x], 1), FS, subtype="PCM_24")
    return t.size


def _phases(calls):
    """The phases in the order they started (each once per start)."""
    seen: list[str] = []
    for phase, _, _ in calls:
        if not seen or seen[-1] != phase:
            seen.append(phase)
    return seen


def test_master_phases_in_order_with_counts(tmp_path, monkeypatch):
    from mezzo.mastering import master as master_module

    monkeypatch.setattr(master_module, "BLOCK_SAMPLES", 50000)  # several blocks per pass
    n = _song(tmp_path / "in.wav", level=0.9)  # loud: gain and the limiter, so more than one pass
    calls: list[tuple[str, int, int | None]] = []
    report = master_file(tmp_path / "in.wav", tmp_path / "out.wav", target_lufs=-8.0,
                         progress=lambda *call: calls.append(call))
    phases = _phases(calls)
    passes = [f"rendering pass {k}" for k in range(1, report.renders + 1)]
    assert phases == ["measuring", *passes, "writing"], phases
    for phase in ("measuring", *passes):
        counts = [(d, t) for p, d, t in calls if p == phase]
        assert counts[0] == (0, n) and counts[-1] == (n, n)
        assert [d for d, _ in counts] == sorted(d for d, _ in counts) and len(counts) >= 3


def test_album_passes_name_the_file_and_several_files_their_names(tmp_path):
    for name in ("a.wav", "b.wav"):
        _song(tmp_path / name)
    calls: list[tuple[str, int, int | None]] = []
    normalize_files([tmp_path / "a.wav", tmp_path / "b.wav"], [tmp_path / "A.wav", tmp_path / "B.wav"],
                    album=True, progress=lambda *call: calls.append(call))
    phases = _phases(calls)
    assert phases[:3] == ["measuring", "rendering pass 1 (file 1 of 2)", "rendering pass 1 (file 2 of 2)"]
    calls.clear()
    normalize_files([tmp_path / "a.wav", tmp_path / "b.wav"], [tmp_path / "A.wav", tmp_path / "B.wav"],
                    overwrite=True, progress=lambda *call: calls.append(call))
    phases = _phases(calls)
    assert "a.wav: rendering pass 1" in phases and "b.wav: rendering pass 1" in phases and phases[-1] == "writing"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (the lossy encoder)")
def test_lossy_master_says_encoding_and_checking(tmp_path):
    _song(tmp_path / "in.wav")
    calls: list[tuple[str, int, int | None]] = []
    master_file(tmp_path / "in.wav", tmp_path / "out.mp3", progress=lambda *call: calls.append(call))
    phases = _phases(calls)
    assert phases[:4] == ["measuring", "rendering pass 1", "encoding", "checking the encoded file"], phases
    assert phases[-1] == "writing"
    assert all(t is None for p, _, t in calls if p in ("encoding", "checking the encoded file", "writing"))
