"""``mezzo midi …`` on real files, through the real CLI entry point."""

from __future__ import annotations

import json

import mido
import pytest

from cli_runner import run_main


@pytest.fixture
def run(capsys):
    """The real CLI entry point, in-process."""
    return lambda *args: run_main(capsys, *args)


@pytest.fixture
def song(tmp_path):
    s = mido.MidiFile(type=1, ticks_per_beat=480)
    s.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="Conductor"),
                                    mido.MetaMessage("set_tempo", tempo=500000)]))
    lead = mido.MidiTrack([mido.MetaMessage("track_name", name="Lead")])
    for k in range(312):
        lead += [mido.Message("note_on", note=60, velocity=100, time=0 if k == 0 else 240),
                 mido.Message("note_off", note=60, velocity=0, time=240)]
    s.tracks.append(lead)
    path = tmp_path / "song.mid"
    s.save(path)
    return path


def velocities(path, track=1):
    return [m.velocity for m in mido.MidiFile(path).tracks[track] if m.type == "note_on" and m.velocity > 0]


def test_analyze_plain_words_and_json(run, song):
    code, out, _ = run("midi", "analyze", str(song))
    assert code == 0
    assert "track 2 'Lead': 312 notes, all at velocity 100 — flat" in out
    assert "track 1 'Conductor': no notes" in out
    code, out, _ = run("midi", "analyze", str(song), "--json")
    data = json.loads(out)
    assert data["tracks"][1]["flat"] is True and data["tracks"][1]["notes"] == 312


def test_apply_compress_expand_humanize(run, song, tmp_path):
    out = tmp_path / "o.mid"
    code, _, _ = run("midi", "apply", str(song), "-o", str(out), "--marks", "1|1:p 9|1:< 17|1:ff", "--tracks", "2")
    assert code == 0
    v = velocities(out)
    assert v[0] == 49 and max(v) == 112 and v == sorted(v)
    code, _, _ = run("midi", "apply", str(song), "-o", str(tmp_path / "cc.mid"), "-m", "0:p< 8:f", "--target", "cc11")
    assert code == 0
    assert velocities(tmp_path / "cc.mid") == velocities(song)
    assert any(m.type == "control_change" and m.control == 11 for m in mido.MidiFile(tmp_path / "cc.mid").tracks[1])
    code, stdout, _ = run("midi", "compress", str(out), "-o", str(tmp_path / "c.mid"), "--threshold", "96",
                          "--ratio", "2", "--knee", "0", "--json")
    assert code == 0 and json.loads(stdout)["command"] == "midi compress"
    assert max(velocities(tmp_path / "c.mid")) == 104  # 96 + (112 - 96) / 2
    code, _, _ = run("midi", "expand", str(out), "-o", str(tmp_path / "e.mid"), "--threshold", "80", "--ratio", "2",
                     "--knee", "0")
    assert code == 0 and min(velocities(tmp_path / "e.mid")) == 18  # 80 + 2 (49 - 80)
    for name in ("h1.mid", "h2.mid"):
        code, _, _ = run("midi", "humanize", str(song), "-o", str(tmp_path / name), "--velocity-amount", "6",
                         "--seed", "1", "--accent", "downbeats")
        assert code == 0
    assert velocities(tmp_path / "h1.mid") == velocities(tmp_path / "h2.mid")
    assert all(94 <= v <= 114 for v in velocities(tmp_path / "h1.mid"))


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["apply", "{song}", "-o", "{out}", "-m", "0:p 8:x"], 2, "marks: position 7"),
        (["apply", "{song}", "-o", "{out}", "-m", "0:p", "--tracks", "5"], 2, "track 5 does not exist"),
        (["apply", "{song}", "-o", "{out}", "-m", "0:p", "--target", "cc99"], 2, "target"),
        (["apply", "{song}", "-o", "{song}", "-m", "0:p", "--overwrite"], 1, "is one of the input files"),
        (["analyze", "{bad}"], 1, "not a valid MIDI file"),
        (["compress", "{song}", "-o", "{out}", "--ratio", "0"], 2, "ratio"),
    ],
)
def test_errors_are_one_line(run, song, tmp_path, args, code, fragment):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi")
    fill = {"song": str(song), "out": str(tmp_path / "x.mid"), "bad": str(bad)}
    rc, _, err = run("midi", *[a.format(**fill) for a in args])
    assert rc == code
    assert err.startswith("mezzo: error: ") and fragment in err and err.count("\n") == 1
    assert not (tmp_path / "x.mid").exists()


def test_marks_past_the_end_warn(run, song, tmp_path):
    rc, _, err = run("midi", "apply", str(song), "-o", str(tmp_path / "o.mid"), "-m", "0:p 9999:f")
    assert rc == 0 and "mezzo: warning: marks: 1 item(s) after the end of the MIDI file" in err
