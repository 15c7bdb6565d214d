"""The output's extension decides the container and the container the encoding (cases 7 and 8).

An MP3 input written to .wav/.flac/.aiff gives PCM there (it failed with "cannot be written as
WAV MPEG_LAYER_III"); extensions that name no format mezzo writes are refused (they gave a WAV
under a wrong name); those libsndfile writes are written in the format they name.
"""

from __future__ import annotations

import pytest
import soundfile as sf
from faultkit import Scratch, debris


@pytest.mark.parametrize("command", ["compress", "master"])
@pytest.mark.parametrize(
    ("name", "container", "subtype"),
    [("o.wav", "WAV", "PCM_24"), ("o.flac", "FLAC", "PCM_24"), ("o.aiff", "AIFF", "PCM_24")],
)
def test_mp3_input_gives_pcm_in_the_container_the_extension_names(
    scratch: Scratch, main, command: str, name: str, container: str, subtype: str
) -> None:
    code, _, err = main(command, scratch.inp / "tone.mp3", "-o", scratch.out / name)
    assert code == 0, err
    info = sf.info(scratch.out / name)
    assert (info.format, info.subtype) == (container, subtype)


@pytest.mark.parametrize(
    ("name", "container", "subtype"),
    [("o.opus", "OGG", "OPUS"), ("o.ogg", "OGG", "VORBIS"), ("o.mp3", "MP3", "MPEG_LAYER_III"),
     ("o.w64", "W64", "PCM_16"), ("o.wav", "WAV", "PCM_16")],
)
def test_writable_extensions_are_written_in_their_format(scratch: Scratch, main, name, container, subtype) -> None:
    # The 16-bit WAV input keeps its bit depth where the container holds PCM.
    code, _, err = main("compress", scratch.inp / "good.wav", "-o", scratch.out / name)
    assert code == 0, err
    info = sf.info(scratch.out / name)
    assert (info.format, info.subtype) == (container, subtype)
    assert debris(scratch.out) == []


def test_mp3_decoder_notes_do_not_leak_to_stderr(scratch: Scratch) -> None:
    # libmpg123 prints "Note: Illegal Audio-MPEG-Header ..." straight to file descriptor 2.
    from faultkit import cli

    data = bytearray((scratch.inp / "tone.mp3").read_bytes())
    data[3000:3400] = bytes(400)  # a damaged stretch the decoder resyncs over
    damaged = scratch.root / "damaged.mp3"
    damaged.write_bytes(bytes(data))
    proc = cli(["analyze", damaged, "--loudness-only", "--json"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
