"""Text tags (title, artist...) go from the input to the output (io.open_writer/io.write with ``like``).

master and normalize write through mezzo.mastering.files.FileSink, which issue 13 is reworking:
their tags are to be passed there once it has landed.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from cli_runner import run_main
from mezzo.io.stream import read_tags

TAGS = {"title": "Night Song", "artist": "The Band", "album": "First", "comment": "take 3"}


def _tagged(path, rate: int = 48000) -> None:
    t = np.arange(rate * 4) / rate
    x = 0.5 * np.sin(2 * np.pi * 440 * t) * (0.3 + 0.7 * (t % 1 < 0.3))
    with sf.SoundFile(path, "w", rate, 2) as f:
        for name, value in TAGS.items():
            setattr(f, name, value)
        f.write(np.stack([x, x], 1))


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
@pytest.mark.parametrize(
    "args",
    [["compress", "--ratio", "3"], ["limit", "--ceiling-dbtp", "-3"], ["dynamics", "-m", "0:p 2:ff"]],
)
def test_tags_are_kept(tmp_path, capsys, suffix: str, args: list[str]) -> None:
    src, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    _tagged(src)
    assert read_tags(src) == TAGS
    code, _, err = run_main(capsys, args[0], src, "-o", out, *args[1:])
    assert code == 0, err
    assert read_tags(out) == TAGS


def test_a_file_without_tags_gives_none(tmp_path) -> None:
    sf.write(tmp_path / "x.wav", np.zeros(100), 8000)
    assert read_tags(tmp_path / "x.wav") == {}
    assert read_tags(tmp_path / "missing.wav") == {}
