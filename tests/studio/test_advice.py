"""Plain words from measurements (mezzo.studio.advice): each figure in the words is the one
the constructed measurement implies (closed form)."""

from __future__ import annotations

import pytest

from mezzo.mastering.presets import PRESETS
from mezzo.studio.advice import master_words, track_advice

M = "\u2212"


def analysis(**kw):
    base = {"integrated_lufs": -14.0, "true_peak_dbtp": -3.0, "loudness_range_lu": 8.0, "psr_median_db": 10.0,
            "flat_sections": [], "variation": {"flat_fraction": 0.0}, "buildups": [], "drops": []}  # fmt: skip
    return {**base, **kw}


def texts(items, kind=None):
    return [i["text"] for i in items if kind is None or i["kind"] == kind]


def test_a_loud_track_is_turned_down_by_the_difference():
    (text,) = texts(track_advice(analysis(integrated_lufs=-10.0), None, PRESETS["spotify"]), "platform")
    assert f"turn this track down by 4.0 dB: it measures {M}10.0 LUFS" in text


def test_a_quiet_track_needs_limiting_when_its_peaks_have_no_room():
    (text,) = texts(track_advice(analysis(integrated_lufs=-18.0, true_peak_dbtp=-2.0), None, PRESETS["spotify"]), "platform")
    assert "4.0 dB quieter" in text and "+2.0 dBTP, 3.0 dB over the " + M + "1 dBTP ceiling" in text


def test_a_quiet_track_with_room_needs_gain_only():
    (text,) = texts(track_advice(analysis(integrated_lufs=-16.0, true_peak_dbtp=-6.0), None, PRESETS["apple"]), "platform")
    assert "Apple Music will play it as it is" in text
    (text,) = texts(track_advice(analysis(integrated_lufs=-20.0, true_peak_dbtp=-9.0), None, PRESETS["spotify"]), "platform")
    assert "6.0 dB quieter" in text and "gain alone" in text


def test_peaks_over_the_ceiling_are_called_out():
    items = track_advice(analysis(true_peak_dbtp=0.5), None, PRESETS["amazon"])
    (text,) = texts(items, "peaks")
    assert f"+0.50 dBTP, is above Amazon Music's {M}2 dBTP ceiling" in text


def test_silence():
    assert texts(track_advice(analysis(integrated_lufs=None, true_peak_dbtp=None), None, PRESETS["spotify"]),
                 "platform") == ["The track is silent: there is no loudness to measure."]  # fmt: skip


def timeline(levels):
    """Short-term loudness every 0.1 s from a list of (start_s, end_s, lufs)."""
    times, lufs = [], []
    for start, end, level in levels:
        for k in range(round(start * 10), round(end * 10)):
            times.append(k / 10)
            lufs.append(level)
    return {"short_term": {"times_s": times, "lufs": lufs}}


@pytest.mark.parametrize(("drop_lufs", "contrast", "level"), [(-14.0, "6.0 LU louder", "good"),
                                                             (-19.0, "1.0 LU louder", "warn")])  # fmt: skip
def test_the_drop_against_its_build_up(drop_lufs, contrast, level):
    a = analysis(buildups=[{"start_s": 10.0, "end_s": 20.0}], drops=[{"time_s": 20.0}])
    tl = timeline([(0, 10, -30.0), (10, 23, -20.0), (23, 40, drop_lufs)])
    (item,) = [i for i in track_advice(a, tl, PRESETS["spotify"]) if i["kind"] == "drop"]
    assert item["level"] == level and contrast in item["text"] and "0:20" in item["text"]
    assert (item["start_s"], item["end_s"]) == (10.0, 20.0)


def test_flat_sections_and_share():
    a = analysis(flat_sections=[{"start_s": 60.0, "end_s": 95.0, "spread_lu": 0.8}],
                 variation={"flat_fraction": 0.6})  # fmt: skip
    flat = texts(track_advice(a, None, PRESETS["spotify"]), "flat")
    assert flat[0].startswith("From 1:00 to 1:35 the loudness hardly moves (within 0.8 LU for 35 s)")
    assert flat[1] == "60 % of the track is flat: its dynamics barely change."


@pytest.mark.parametrize(("lra", "words"), [(2.0, "very even"), (20.0, "wide"), (8.0, "breathes")])
def test_loudness_range(lra, words):
    (text,) = texts(track_advice(analysis(loudness_range_lu=lra), None, PRESETS["spotify"]), "range")
    assert words in text


def report(**kw):
    base = {
        "mode": "limit", "gain_db": 3.0, "target_lufs": -14.0, "ceiling_dbtp": -1.0,
        "max_gain_reduction_db": 2.5, "gain_reduced_time_s": 1.2, "warnings": [],
        "before": {"integrated_lufs": -17.0, "loudness_range_lu": 9.0, "true_peak_dbtp": 0.5},
        "after": {"integrated_lufs": -14.0, "loudness_range_lu": 8.8, "true_peak_dbtp": -1.0},
    }  # fmt: skip
    return {**base, **kw}


def test_master_words_say_gain_limiting_range_and_platforms():
    words = master_words(report())
    assert words[0] == f"Raised by 3.0 dB, from {M}17.0 to {M}14.0 LUFS (target {M}14.0 LUFS)."
    assert words[1].startswith("The true-peak limiter took off up to 2.5 dB on the loudest peaks (1.2 s")
    assert words[2] == "Loudness range kept: 9.0 LU before, 8.8 LU after."
    assert "Plays as it is on Spotify, YouTube, Tidal." in words
    assert ("Apple Music turns it down 2.0 dB; Deezer turns it down 1.0 dB; EBU R 128 (broadcast) turns it down "
            "9.0 dB; ATSC A/85 (US broadcast) turns it down 10.0 dB; Podcasts / spoken word turns it down 2.0 dB."
            ) in words  # fmt: skip
    assert words[-1] == (f"Its true peak is over the ceiling of Amazon Music ({M}2 dBTP), ATSC A/85 (US broadcast) "
                         f"({M}2 dBTP): master with that platform's preset for it.")


def test_master_words_for_pure_gain_and_a_narrowed_range():
    words = master_words(report(mode="gain", gain_db=-2.0, max_gain_reduction_db=0.0,
                                before={"integrated_lufs": -12.0, "loudness_range_lu": 9.0, "true_peak_dbtp": -4.0},
                                after={"integrated_lufs": -14.0, "loudness_range_lu": 7.0, "true_peak_dbtp": -6.0},
                                warnings=["careful"]))  # fmt: skip
    assert words[0].startswith("Turned down by 2.0 dB")
    assert words[1] == f"No limiting needed: gain alone, the true peak is {M}6.00 dBTP, under the {M}1.0 dBTP ceiling."
    assert words[2] == "Loudness range narrowed from 9.0 to 7.0 LU."
    assert words[-1] == "careful"
