"""MIDI files (reading, writing, tempo map, bad input), humanising and analysis."""

from __future__ import annotations

import os

import mido
import numpy as np
import pytest

from mezzo.errors import AudioFileError, ParameterError
from mezzo.midi import (
    MidiFileError,
    analyze_midi,
    apply_marks,
    humanize,
    read_midi,
    tempo_map,
    write_midi,
)

PPQ = 96


def build(tracks_velocities, *, tempo_changes=((0, 500000),), meter=(4, 4), type_=1):
    """A type-1 file: a conductor track, then one track per velocity list (quarter notes)."""
    song = mido.MidiFile(type=type_, ticks_per_beat=PPQ)
    conductor = mido.MidiTrack([mido.MetaMessage("track_name", name="Conductor"),
                                mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1])])
    prev = 0
    for tick, tempo in tempo_changes:
        conductor.append(mido.MetaMessage("set_tempo", tempo=tempo, time=tick - prev))
        prev = tick
    song.tracks.append(conductor)
    for k, velocities in enumerate(tracks_velocities):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=f"T{k + 2}"),
                                mido.Message("control_change", channel=k, control=64, value=127)])
        for i, v in enumerate(velocities):
            track.append(mido.Message("note_on", channel=k, note=60, velocity=int(v), time=0 if i == 0 else PPQ // 2))
            track.append(mido.Message("note_off", channel=k, note=60, velocity=0, time=PPQ // 2))
        track.append(mido.MetaMessage("end_of_track", time=3))
        song.tracks.append(track)
    return song


def test_round_trip_keeps_every_event(tmp_path):
    rng = np.random.default_rng(3)
    song = build([rng.integers(20, 120, 64), np.full(64, 100)], tempo_changes=((0, 500000), (PPQ * 16, 750000)),
                 meter=(3, 4))
    src = tmp_path / "in.mid"
    song.save(src)
    song = mido.MidiFile(src)  # as stored (mido adds the end_of_track of each track)
    back = read_midi(src)
    dst = tmp_path / "out.mid"
    write_midi(dst, back)
    again = mido.MidiFile(dst)
    assert again.type == 1 and again.ticks_per_beat == PPQ
    assert [list(t) for t in again.tracks] == [list(t) for t in song.tracks]
    # apply only touches velocities of the chosen track
    shaped = apply_marks(back, "0:pp< 10:ff", tracks=[2])
    write_midi(dst, shaped, overwrite=True)
    final = mido.MidiFile(dst)
    assert list(final.tracks[0]) == list(song.tracks[0]) and list(final.tracks[2]) == list(song.tracks[2])
    for a, b in zip(final.tracks[1], song.tracks[1], strict=True):
        if a.type == "note_on" and a.velocity > 0:
            assert a.copy(velocity=1) == b.copy(velocity=1)
        else:
            assert a == b


def test_write_is_atomic_and_refuses_to_overwrite(tmp_path):
    song = build([[100] * 4])
    dst = tmp_path / "x.mid"
    write_midi(dst, song)
    with pytest.raises(MidiFileError, match="already exists"):
        write_midi(dst, song)
    with pytest.raises(MidiFileError, match="is one of the input files"):
        write_midi(dst, song, overwrite=True, inputs=[dst])
    with pytest.raises(MidiFileError, match="does not exist"):
        write_midi(tmp_path / "missing" / "x.mid", song)
    assert sorted(os.listdir(tmp_path)) == ["x.mid"]  # no temporary files left


def test_tempo_map_from_the_file():
    song = build([[100] * 4], tempo_changes=((0, 500000), (PPQ * 8, 1000000)), meter=(3, 4))
    tmap = tempo_map(song)
    assert tmap.quarters_to_seconds(8.0) == pytest.approx(4.0)
    assert tmap.quarters_to_seconds(10.0) == pytest.approx(6.0)
    assert tmap.bar_beat_to_quarters(3, 1) == pytest.approx(6.0)  # 3/4: three quarters per bar
    plain = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    plain.tracks.append(mido.MidiTrack())
    assert tempo_map(plain).quarters_to_seconds(2.0) == pytest.approx(1.0)  # 120 BPM by default


def test_malformed_type2_and_missing_files(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x00\x60MTrk\x00\x00\x10\x00\x90")
    with pytest.raises(MidiFileError, match="not a valid MIDI file") as info:
        read_midi(bad)
    assert isinstance(info.value, AudioFileError) and isinstance(info.value, OSError)
    garbage = tmp_path / "text.mid"
    garbage.write_text("hello")
    with pytest.raises(MidiFileError, match="not a valid MIDI file"):
        read_midi(garbage)
    t2 = build([[100] * 4], type_=2)
    path2 = tmp_path / "t2.mid"
    t2.save(path2)
    with pytest.raises(MidiFileError, match="type 2"):
        read_midi(path2)
    with pytest.raises(MidiFileError, match="type 2"):
        humanize(t2, seed=1)
    with pytest.raises(MidiFileError, match="no such file"):
        read_midi(tmp_path / "nope.mid")


def test_empty_tracks_and_empty_files():
    song = build([[], [100] * 4])
    result = analyze_midi(song)
    assert result.tracks[1].notes == 0 and result.tracks[1].velocity_mean is None
    assert "no notes" in result.tracks[1].summary
    assert result.to_dict()["tracks"][1]["velocity_min"] is None
    out = apply_marks(song, "0:p")
    assert [m.velocity for m in out.tracks[2] if m.type == "note_on"] == [49] * 4
    empty = mido.MidiFile(type=1)
    empty.tracks.append(mido.MidiTrack())
    assert analyze_midi(empty).tracks[0].notes == 0
    assert humanize(empty, seed=1).tracks[0] == empty.tracks[0]


def velocities(track):
    return [m.velocity for m in track if m.type == "note_on" and m.velocity > 0]


def test_humanize_is_reproducible_and_bounded():
    song = build([[100] * 200, [1] * 50, [127] * 50])
    a = humanize(song, velocity_amount=6, seed=7)
    b = humanize(song, velocity_amount=6, seed=7)
    c = humanize(song, velocity_amount=6, seed=8)
    assert [list(t) for t in a.tracks] == [list(t) for t in b.tracks]
    assert velocities(a.tracks[1]) != velocities(c.tracks[1])
    v = np.array(velocities(a.tracks[1]))
    assert v.min() >= 94 and v.max() <= 106 and len(set(v)) > 8
    assert min(velocities(a.tracks[2])) >= 1 and max(velocities(a.tracks[3])) <= 127
    for x, y in zip(song.tracks[1], a.tracks[1], strict=True):  # nothing else changes
        assert x.copy(velocity=0) == y.copy(velocity=0) if x.type == "note_on" else x == y


def test_humanize_accents_downbeats():
    song = build([[80] * 16])  # quarter notes in 4/4: every fourth note is a downbeat
    out = humanize(song, velocity_amount=0, seed=1, accent_beats="1", accent_amount=10)
    assert velocities(out.tracks[1]) == [90, 80, 80, 80] * 4
    out = humanize(song, velocity_amount=0, seed=1, accent_beats="1,3", accent_amount=5)
    assert velocities(out.tracks[1]) == [85, 80, 85, 80] * 4
    with pytest.raises(ParameterError, match="accent"):
        humanize(song, seed=1, accent_beats="one")


def test_humanize_timing_is_bounded_and_keeps_notes_whole():
    song = build([[100] * 32])
    out = humanize(song, velocity_amount=0, timing_ms=20, seed=3)
    on = off = None
    ticks_in = np.cumsum([m.time for m in song.tracks[1]])
    ticks_out = np.cumsum([m.time for m in out.tracks[1]])
    on_in = [t for t, m in zip(ticks_in, song.tracks[1], strict=True) if m.type == "note_on"]
    on_out = [t for t, m in zip(ticks_out, out.tracks[1], strict=True) if m.type == "note_on"]
    off_out = [t for t, m in zip(ticks_out, out.tracks[1], strict=True) if m.type == "note_off"]
    # 20 ms at 120 BPM with 96 ticks per quarter is 3.84 ticks: at most 4 ticks either way
    assert max(abs(a - b) for a, b in zip(on_in, on_out, strict=True)) <= 4
    assert all(b - a == PPQ // 2 for a, b in zip(on_out, off_out, strict=True) if a > 0)
    assert on is None and off is None
    assert [m for m in out.tracks[1] if m.type == "control_change"] == [m for m in song.tracks[1] if m.type == "control_change"]


def test_flat_detection_finds_the_flat_track():
    rng = np.random.default_rng(11)
    varied = rng.integers(40, 110, 64)
    flat = np.full(64, 100)
    crescendo = np.linspace(30, 120, 64).round()
    result = analyze_midi(build([varied, flat, crescendo]))
    assert [t.flat for t in result.tracks] == [False, False, True, False]
    lead = result.tracks[2]
    assert lead.summary == "track 3 'T3': 64 notes, all at velocity 100 — flat"
    assert lead.velocity_min == lead.velocity_max == 100 and lead.velocity_std == 0.0
    assert sum(lead.histogram) == 64 and lead.histogram[6] == 64  # 97-112
    assert len(lead.flat_sections) == 1 and lead.flat_sections[0].start_bar == 1
    assert lead.flat_sections[0].end_bar == 16  # 64 quarter notes = 16 bars of 4/4
    # the crescendo implies rising markings
    marks = [s.marking for s in result.tracks[3].markings]
    assert marks[0] in ("pp", "p") and marks[-1] in ("ff", "fff")
    order = ["ppp", "pp", "p", "mp", "mf", "f", "ff", "fff"]
    assert [order.index(m) for m in marks] == sorted(order.index(m) for m in marks)


def test_flat_section_inside_a_varied_track():
    v = np.concatenate([np.tile([40, 90, 60, 110], 8), np.full(48, 72), np.tile([30, 100], 8)])
    track = analyze_midi(build([v])).tracks[1]
    assert not track.flat
    assert [(f.start_bar, f.end_bar) for f in track.flat_sections] == [(9, 20)]
    assert "flat in bars 9–20" in track.summary
    assert analyze_midi(build([v]), flat_min_bars=13).tracks[1].flat_sections == ()
