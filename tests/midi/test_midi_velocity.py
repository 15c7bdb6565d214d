"""Markings to velocities and controllers; the velocity compressor/expander against the static curve."""

from __future__ import annotations

import itertools

import mido
import numpy as np
import pytest

from mezzo.errors import ParameterError
from mezzo.marks import VELOCITIES, MarksWarning
from mezzo.midi import apply_marks, compress_velocities, expand_velocities, velocity_curve

PPQ = 480


def song_with_tempo_map() -> mido.MidiFile:
    """Conductor (tempo 120 then 60 BPM at bar 3, 4/4), a lead on ch 0 with CC and pitch bend, a bass on ch 1."""
    song = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    conductor = mido.MidiTrack([
        mido.MetaMessage("track_name", name="Conductor"),
        mido.MetaMessage("time_signature", numerator=4, denominator=4),
        mido.MetaMessage("set_tempo", tempo=500000),
        mido.MetaMessage("set_tempo", tempo=1000000, time=8 * PPQ),
    ])
    lead = mido.MidiTrack([mido.MetaMessage("track_name", name="Lead"),
                           mido.Message("program_change", program=40),
                           mido.Message("control_change", control=11, value=90)])
    for k in range(32):  # eighth notes over 4 bars
        lead.append(mido.Message("note_on", note=60 + k % 5, velocity=100, time=0 if k == 0 else PPQ // 2 - 10))
        if k == 10:
            lead.append(mido.Message("pitchwheel", pitch=512, time=5))
            lead.append(mido.Message("note_off", note=60 + k % 5, velocity=64, time=5))
        else:
            lead.append(mido.Message("note_off", note=60 + k % 5, velocity=64, time=10))
    bass = mido.MidiTrack([mido.MetaMessage("track_name", name="Bass")])
    for k in range(8):
        bass.append(mido.Message("note_on", channel=1, note=36, velocity=90, time=0 if k == 0 else PPQ))
        bass.append(mido.Message("note_on", channel=1, note=36, velocity=0, time=PPQ))  # note-off as velocity 0
    song.tracks += [conductor, lead, bass]
    return song


def note_ons(track):
    ticks = np.cumsum([m.time for m in track])
    return [(int(t), m) for t, m in zip(ticks, track, strict=True) if m.type == "note_on" and m.velocity > 0]


def without_velocities(track):
    return [m.copy(velocity=0) if m.type == "note_on" and m.velocity > 0 else m for m in track]


def test_velocities_follow_the_markings_and_everything_else_is_kept():
    song = song_with_tempo_map()
    out = apply_marks(song, "0:p 2:< 4:ff", tracks="2")
    assert out.type == song.type and out.ticks_per_beat == song.ticks_per_beat
    assert len(out.tracks) == len(song.tracks)
    for a, b in zip(song.tracks, out.tracks, strict=True):
        assert len(a) == len(b)
        assert without_velocities(a) == without_velocities(b)
    assert out.tracks[2] == song.tracks[2]  # bass not selected
    # 120 BPM for the first 8 quarters: tick -> seconds is tick / 960
    for tick, msg in note_ons(out.tracks[1]):
        t = tick / (2 * PPQ) if tick <= 8 * PPQ else 4.0 + (tick - 8 * PPQ) / PPQ
        if t < 2:
            want = VELOCITIES["p"]
        elif t < 4:
            want = VELOCITIES["p"] + (VELOCITIES["ff"] - VELOCITIES["p"]) * (t - 2) / 2
        else:
            want = VELOCITIES["ff"]
        assert msg.velocity == int(np.floor(want + 0.5)), t


@pytest.mark.parametrize(("marks", "sign"), [("0:pp< 6:fff", 1), ("0:fff> 6:ppp", -1)])
def test_hairpins_give_monotone_velocities(marks, sign):
    out = apply_marks(song_with_tempo_map(), marks)
    for track in out.tracks[1:]:
        v = np.array([m.velocity for _, m in note_ons(track)])
        assert np.all(sign * np.diff(v) >= 0)
        assert v.min() >= 1 and v.max() <= 127


def test_bar_beat_times_use_the_files_tempo_map():
    # bar 3 starts at quarter 8 = 4 s (120 BPM); bar 4 at 4 s + 4 quarters at 60 BPM = 8 s
    out = apply_marks(song_with_tempo_map(), "1|1:p 3|1:ff", tracks=[2])
    for tick, msg in note_ons(out.tracks[1]):
        assert msg.velocity == (VELOCITIES["p"] if tick < 8 * PPQ else VELOCITIES["ff"])


def test_fade_out_scales_velocities_but_never_to_zero():
    out = apply_marks(song_with_tempo_map(), "0:ff 1:fadeout")
    v = [m.velocity for _, m in note_ons(out.tracks[1])]
    assert min(v) >= 1 and v[0] == VELOCITIES["ff"]
    assert all(a >= b for a, b in itertools.pairwise(v))


def test_velocity_overrides():
    out = apply_marks(song_with_tempo_map(), "0:p", velocities="p=40")
    assert {m.velocity for _, m in note_ons(out.tracks[1])} == {40}


@pytest.mark.parametrize(("target", "controller"), [("cc11", 11), ("cc7", 7)])
def test_controller_ramps(target, controller):
    song = song_with_tempo_map()
    out = apply_marks(song, "0:p 1:< 3:f", tracks="2,3", target=target)
    for ti, channel in ((1, 0), (2, 1)):
        track = out.tracks[ti]
        ccs = [(t, m.value) for t, m in zip(np.cumsum([m.time for m in track]), track, strict=True)
               if m.type == "control_change" and m.control == controller and m.channel == channel]
        values = [v for _, v in ccs]
        assert values[0] == VELOCITIES["p"] and values[-1] == VELOCITIES["f"]
        assert all(b > a for a, b in itertools.pairwise(values))  # one point per change, rising
        # default density: a point every 1/8 quarter (60 ticks) along the 2 s = 4 quarter ramp
        ramp_ticks = [t for t, _ in ccs[1:]]
        assert max(np.diff(ramp_ticks)) <= PPQ // 8
        rise = VELOCITIES["f"] - VELOCITIES["p"]
        assert max(np.diff(values)) <= int(np.ceil(rise / 32))
        # velocities untouched and every other event kept in order
        notes_before = [m for m in song.tracks[ti] if m.type != "control_change" or m.control != controller]
        notes_after = [m for m in track if m.type != "control_change" or m.control != controller]
        strip = lambda ms: [m.copy(time=0) for m in ms]  # noqa: E731
        assert strip(notes_before) == strip(notes_after)
        assert track[-1].type == "end_of_track" if song.tracks[ti][-1].type == "end_of_track" else True
    # absolute ticks of the kept events are unchanged
    for a, b in zip(song.tracks, out.tracks, strict=True):
        ta = [(int(t), m.copy(time=0)) for t, m in zip(np.cumsum([m.time for m in a]), a, strict=True)
              if not (m.type == "control_change" and m.control == controller)]
        tb = [(int(t), m.copy(time=0)) for t, m in zip(np.cumsum([m.time for m in b]), b, strict=True)
              if not (m.type == "control_change" and m.control == controller)]
        assert ta == tb


def test_a_fadein_past_the_end_keeps_the_velocities():
    # issue 16, case 6: every velocity became 1 with a fadein written after the end.
    song = song_with_tempo_map()
    with pytest.warns(MarksWarning, match="after the end of the MIDI file"):
        out = apply_marks(song, "0:f 500:fadein")
    assert {m.velocity for _, m in note_ons(out.tracks[1])} == {VELOCITIES["f"]}


def test_marks_past_the_end_warn_and_bad_arguments():
    song = song_with_tempo_map()
    with pytest.warns(MarksWarning, match="after the end of the MIDI file"):
        apply_marks(song, "0:p 500:f")
    with pytest.raises(ParameterError, match="track 9 does not exist"):
        apply_marks(song, "0:p", tracks="9")
    with pytest.raises(ParameterError, match="target"):
        apply_marks(song, "0:p", target="cc1")


def reference_curve(x, mode, t, r, w):
    """Giannoulis et al. (2012) eq. 4 (compressor) and the downward expander, in velocity units."""
    if mode == "compress":
        if 2 * (x - t) < -w:
            return x
        if 2 * abs(x - t) <= w and w > 0:
            return x + (1 / r - 1) * (x - t + w / 2) ** 2 / (2 * w)
        return t + (x - t) / r
    if 2 * (x - t) > w:
        return x
    if 2 * abs(x - t) <= w and w > 0:
        return x + (1 - r) * (x - t - w / 2) ** 2 / (2 * w)
    return t + r * (x - t)


@pytest.mark.parametrize("mode", ["compress", "expand"])
@pytest.mark.parametrize(("t", "r", "w"), [(96, 2, 8), (80, 4, 0), (64, 1.5, 20)])
def test_static_curve_matches_the_closed_form(mode, t, r, w):
    v = np.arange(1, 128)
    got = velocity_curve(v, mode=mode, threshold=t, ratio=r, knee=w)
    want = np.array([reference_curve(float(x), mode, t, r, w) for x in v])
    assert got == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize(("fn", "mode"), [(compress_velocities, "compress"), (expand_velocities, "expand")])
def test_compress_expand_files(fn, mode):
    song = song_with_tempo_map()
    # spread the lead's velocities over the whole range first
    song.tracks[1] = mido.MidiTrack(
        m.copy(velocity=1 + (4 * i) % 127) if m.type == "note_on" and m.velocity > 0 else m
        for i, m in enumerate(song.tracks[1])
    )
    out = fn(song, threshold=90, ratio=3, knee=6, makeup=2)
    for a, b in zip(song.tracks, out.tracks, strict=True):
        assert without_velocities(a) == without_velocities(b)
        for (_, ma), (_, mb) in zip(note_ons(a), note_ons(b), strict=True):
            want = reference_curve(float(ma.velocity), mode, 90, 3, 6) + 2
            assert mb.velocity == min(127, max(1, int(np.floor(want + 0.5))))
    assert compress_velocities(song, ratio=1, knee=0).tracks == song.tracks


def test_compressor_parameters_are_checked():
    with pytest.raises(ParameterError, match="ratio"):
        compress_velocities(song_with_tempo_map(), ratio=0.5)
    with pytest.raises(ParameterError, match="threshold"):
        expand_velocities(song_with_tempo_map(), threshold=200)
