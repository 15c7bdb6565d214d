"""The markings language: a table of good and bad lines, tempo maps, level tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mezzo.errors import ParameterError
from mezzo.marks import (
    LEVELS_DB,
    MARKINGS,
    VELOCITIES,
    TempoMap,
    parse_marks,
    parse_meter,
    parse_table,
)

GOOD = [
    # text, [(time_s, kind, marking or curve)]
    ("0:p", [(0.0, "level", "p")]),
    ("0:p 8:< 16:ff 24:> 32:pp", [(0, "level", "p"), (8, "crescendo", None), (16, "level", "ff"),
                                  (24, "decrescendo", None), (32, "level", "pp")]),
    ("8.5:mf", [(8.5, "level", "mf")]),
    ("8.5s:mf", [(8.5, "level", "mf")]),
    (".5:f", [(0.5, "level", "f")]),
    ("1m20.5:fff", [(80.5, "level", "fff")]),
    ("2m:ppp", [(120.0, "level", "ppp")]),
    ("1m5s:mp", [(65.0, "level", "mp")]),
    ("0:p<  4:f", [(0, "level", "p"), (0, "crescendo", None), (4, "level", "f")]),
    ("0:ff> 4:pp", [(0, "level", "ff"), (0, "decrescendo", None), (4, "level", "pp")]),
    ("0:mf,4:cresc,8:ff", [(0, "level", "mf"), (4, "crescendo", None), (8, "level", "ff")]),
    ("0:f 2:dim 4:p", [(0, "level", "f"), (2, "decrescendo", None), (4, "level", "p")]),
    ("0:fadein 2:mf", [(0, "fadein", "linear"), (2, "level", "mf")]),
    ("0:fadein(exp) 2:mf 9:fadeout(equal-power)", [(0, "fadein", "exponential"), (2, "level", "mf"),
                                                   (9, "fadeout", "equal-power")]),
    ("  0:p   ", [(0, "level", "p")]),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), GOOD, ids=[g[0] or "empty" for g in GOOD])
def test_good_lines(text, expected):
    marks = parse_marks(text)
    got = [(e.time_s, e.kind, e.marking if e.kind == "level" else e.curve) for e in marks.events]
    assert got == [(float(t), k, m) for t, k, m in expected]


BAD = [
    # text, 1-based position, fragment of the message
    ("0:p 8:x", 7, 'expected a marking after "8:", got "x"'),
    ("x:p", 1, "expected a time"),
    ("0:p 8 p", 6, 'expected ":"'),
    ("0:p 8x:p", 6, 'expected ":"'),
    ("0:p 8:", 7, "expected a marking"),
    ("0:pp 8:F", 8, 'got "F"'),
    ("0:p 8:< 16:p", 9, "not louder"),
    ("0:p 8:> 16:f", 9, "not softer"),
    ("0:< 8:ff", 1, "needs a marking before it"),
    ("0:p 8:<", 5, "needs a marking after it"),
    ("0:p 4:< 8:fadeout 9:ff", 9, "expected a marking to end the crescendo"),
    ("4:p 2:f", 5, "time order"),
    ("0:p 0:f", 5, "two items at 0 s"),
    ("0:p 4:fadeout(foo)", 15, "expected a fade curve"),
    ("0:p(exp)", 3, "takes no curve"),
    ("0:fadein 2:p 3:fadein", 14, "two fadeins in a row"),
    ("0|1:p", 1, "counts from 1|1"),
]


@pytest.mark.parametrize(("text", "position", "fragment"), BAD, ids=[b[0] for b in BAD])
def test_bad_lines_name_the_position(text, position, fragment):
    with pytest.raises(ParameterError) as info:
        parse_marks(text)
    message = str(info.value)
    assert message.startswith(f"marks: position {position}: "), message
    assert fragment in message
    assert "\n" not in message


def test_issue_example_message():
    with pytest.raises(ParameterError, match=r'^marks: position 7: expected a marking after "8:", got "x"'):
        parse_marks("0:p 8:x")


def test_bar_beat_needs_a_tempo_then_resolves():
    marks = parse_marks("1|1:p 9|1:< 17|1:ff")
    assert not marks.resolved
    with pytest.raises(ParameterError, match="bars\\|beats"):
        _ = marks.last_time_s
    # 120 quarter notes per minute, 4/4: a bar is 2 s; bar 9 starts at 8 bars = 16 s
    resolved = parse_marks("1|1:p 9|1:< 17|1:ff 17|3.5:f", bpm=120)
    assert [e.time_s for e in resolved.events] == [0.0, 16.0, 32.0, 33.25]


def test_bar_beat_in_six_eight():
    # 6/8 at 90 quarters per minute: a beat is an eighth = 1/3 s, a bar is 6 eighths = 2 s
    marks = parse_marks("2|1:p 2|4:f", bpm=90, meter="6/8")
    assert [e.time_s for e in marks.events] == pytest.approx([2.0, 3.0])


def test_beat_outside_bar_is_an_error():
    with pytest.raises(ParameterError, match="position 1: beat 5 is outside a bar of 4/4"):
        parse_marks("1|5:p", bpm=120)


def test_tempo_map_with_changes_round_trips():
    # 120 BPM for 8 quarters (4 s), then 60 BPM; 4/4 then 3/4 from quarter 8 (bar 3)
    tmap = TempoMap(((0, 120.0), (8, 60.0)), ((0, 4, 4), (8, 3, 4)))
    assert tmap.quarters_to_seconds(8.0) == pytest.approx(4.0)
    assert tmap.quarters_to_seconds(10.0) == pytest.approx(6.0)
    assert tmap.bar_beat_to_quarters(3, 1) == pytest.approx(8.0)
    assert tmap.bar_beat_to_quarters(4, 2) == pytest.approx(12.0)
    q = np.linspace(0, 30, 61)
    assert tmap.seconds_to_quarters(tmap.quarters_to_seconds(q)) == pytest.approx(q)
    assert tmap.quarters_to_bar_beat(12.0) == (4, 2.0)


@pytest.mark.parametrize("text", ["4", "4/3", "x/4", "0/4"])
def test_bad_meter(text):
    with pytest.raises(ParameterError, match="meter"):
        parse_meter(text)


def test_default_tables_rise_and_cover_every_marking():
    for table in (LEVELS_DB, VELOCITIES):
        values = [table[m] for m in MARKINGS]
        assert values == sorted(values) and len(set(values)) == len(values)
    # MuseScore's default dynamics velocities
    assert VELOCITIES == {"ppp": 16, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112, "fff": 126}
    assert all(1 <= v <= 127 for v in VELOCITIES.values())


def test_table_overrides():
    levels = parse_table("p=-12,ff=0", kind="levels")
    assert levels["p"] == -12.0 and levels["ff"] == 0.0 and levels["mf"] == LEVELS_DB["mf"]
    vel = parse_table("p=40, ff=120", kind="velocities")
    assert vel["p"] == 40 and vel["ff"] == 120


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        ("p=-3", "levels", "louder than mp"),
        ("q=3", "levels", "not a marking"),
        ("p", "levels", "not marking=value"),
        ("p=0", "velocities", "out of range"),
        ("p=50.5", "velocities", "not a whole number"),
        ("ff=200", "velocities", "out of range"),
    ],
)
def test_bad_table_overrides(text, kind, fragment):
    with pytest.raises(ParameterError, match=fragment):
        parse_table(text, kind=kind)


def test_level_curve_closed_form():
    marks = parse_marks("0:p 8:< 16:ff 24:> 32:pp")
    curve = marks.level_curve(LEVELS_DB)
    t = np.array([0.0, 4.0, 8.0, 12.0, 16.0, 20.0, 28.0, 32.0, 40.0])
    p, ff, pp = LEVELS_DB["p"], LEVELS_DB["ff"], LEVELS_DB["pp"]
    expected = [p, p, p, p + (ff - p) * 0.5, ff, ff, ff + (pp - ff) * 0.5, pp, pp]
    assert curve.value_at(t) == pytest.approx(expected)


def test_fades_and_silences():
    marks = parse_marks("1:fadein 3:mf 8:fadeout 10:p 12:fadein 14:f")
    fades, silent = marks.fades(end_s=20.0)
    assert [(f.start_s, f.end_s, f.kind) for f in fades] == [(1, 3, "fadein"), (8, 10, "fadeout"), (12, 14, "fadein")]
    assert silent == ((-math.inf, 1.0), (10.0, 12.0))
    with pytest.raises(ParameterError, match="end of the signal"):
        parse_marks("0:p 8:fadeout").fades(end_s=None)
