"""The studio's work folder: ids, safe names, what is served, crash safety, reloading."""

from __future__ import annotations

import os

import pytest

from conftest import tone_wav
from mezzo.errors import AudioFileError
from mezzo.studio.storage import NotFound, Workspace, check_id, safe_name, stored_extension


@pytest.fixture
def space(tmp_path):
    return Workspace(tmp_path / "work")


@pytest.fixture
def tone(tmp_path):
    path = tmp_path / "tone.wav"
    path.write_bytes(tone_wav())
    return path


@pytest.mark.parametrize("value", ["", "../etc", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0",
                                   "0123456789abcdeg", "/etc/passwd", "..", "0123456789abcde\x00", 12])  # fmt: skip
def test_only_sixteen_hex_digits_are_ids(value):
    with pytest.raises(NotFound):
        check_id(value)


@pytest.mark.parametrize(("given", "expected"), [
    ("song.wav", "song.wav"),
    ("../../x.wav", "x.wav"),
    ("C:\\Users\\me\\mix.wav", "mix.wav"),
    ("a\x00b\r\n.wav", "ab.wav"),
    ('"quoted";.wav', "quoted.wav"),
    ("...hidden.wav", "hidden.wav"),
    ("", "track"),
    ("/", "track"),
    ("é" * 300 + ".wav", "é" * 116 + ".wav"),
])  # fmt: skip
def test_safe_name(given, expected):
    assert safe_name(given) == expected


def test_the_extension_says_what_the_file_is():
    assert stored_extension("mix.FLAC", "FLAC") == "flac"
    assert stored_extension("mix.exe", "WAV") == "wav"
    assert stored_extension("mix.flac", "WAV") == "wav"
    assert stored_extension("mix", "OGG") == "ogg"
    assert stored_extension("mix.m4a", "M4A") == "m4a"
    assert stored_extension("mix.aiff", "AIFF") == "aiff"
    assert stored_extension("mix.html", "VOC") == "snd"
    assert stored_extension("mix.wv", "VOC") == "wv"


def test_a_track_is_a_copy_and_the_folder_is_listed_again(tmp_path, space, tone):
    track = space.add_track(tone, "My tone.wav", made_by="imported")
    assert tone.exists() and space.audio_path(track.id).read_bytes() == tone.read_bytes()
    again = Workspace(tmp_path / "work")
    assert [t.to_dict() for t in again.tracks()] == [track.to_dict()]
    assert oct(os.stat(tmp_path / "work").st_mode & 0o777) == "0o700"


def test_an_original_is_found_again_by_name_and_bytes(tmp_path, space, tone):
    track = space.add_track(tone, "tone.wav", made_by="imported")
    space.add_track(tone, "tone.wav", made_by="a version", parent_id=track.id)
    assert space.find_original(tone, "tone.wav") == track
    assert space.find_original(tone, "other name.wav") is None
    changed = tmp_path / "tone.wav.changed"
    changed.write_bytes(tone.read_bytes()[:-2] + b"\0\1")
    assert space.find_original(changed, "tone.wav") is None


def test_not_audio_is_refused_and_nothing_is_kept(tmp_path, space):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF but not really a wave file" * 10)
    with pytest.raises(AudioFileError):
        space.add_track(bad, "bad.wav", made_by="uploaded")
    assert space.tracks() == [] and os.listdir(space.root / "tracks") == []


def test_half_made_tracks_and_scratch_are_removed_on_start(tmp_path, space, tone):
    (space.root / "tracks" / ".0123456789abcdef").mkdir()
    space.scratch("upload")
    Workspace(tmp_path / "work")
    assert os.listdir(space.root / "tracks") == [] and os.listdir(space.root / "scratch") == []


def test_a_symlink_out_of_the_work_folder_is_never_served(tmp_path, space, tone):
    track = space.add_track(tone, "tone.wav", made_by="imported")
    secret = tmp_path / "secret.wav"
    secret.write_bytes(tone.read_bytes())
    audio = space.root / "tracks" / track.id / "audio.wav"
    audio.unlink()
    audio.symlink_to(secret)
    with pytest.raises(NotFound):
        space.audio_path(track.id)
    # The same for a track folder that points elsewhere.
    folder = space.root / "tracks" / track.id
    os.rename(folder, tmp_path / "moved")
    (tmp_path / "moved" / "audio.wav").unlink()
    (tmp_path / "moved" / "audio.wav").write_bytes(tone.read_bytes())
    folder.symlink_to(tmp_path / "moved")
    with pytest.raises(NotFound):
        space.audio_path(track.id)


def test_only_known_files_of_a_track(space, tone):
    track = space.add_track(tone, "tone.wav", made_by="imported")
    for name in ("track.json", "../track.json", "audio.wav", "/etc/passwd"):
        with pytest.raises(NotFound):
            space.track_file(track.id, name)
    assert space.track_file(track.id, "analysis.json") is None


def test_deleting_a_track_deletes_its_versions(space, tone):
    root = space.add_track(tone, "a.wav", made_by="imported")
    child = space.add_track(tone, "b.wav", made_by="x", parent_id=root.id)
    grandchild = space.add_track(tone, "c.wav", made_by="y", parent_id=child.id)
    other = space.add_track(tone, "d.wav", made_by="imported")
    assert grandchild.root_id == root.id
    assert space.delete_track(child.id) == sorted([child.id, grandchild.id])
    assert [t.id for t in space.tracks()] == [root.id, other.id]


def test_stem_names_are_unique(space, tone):
    stems = space.add_stems([(str(tone), "kick.wav"), (str(tone), "kick.flac"), (str(tone), "../")])
    assert stems.names == ("kick", "kick-2", "stem3")
    assert [p.name for p in space.stem_paths(stems.id)] == ["0.wav", "1.wav", "2.wav"]
