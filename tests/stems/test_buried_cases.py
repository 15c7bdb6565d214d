"""Stems whose buried and clear stretches are known by construction (tests/stems/stem_signals.py).

Each case builds a mix where a stem is under a masker in its own band only in a known
stretch (or nowhere), and checks where mezzo finds it buried and by which stem.
"""

from __future__ import annotations

import numpy as np
import pytest
import stem_signals as sig

import tolerances as tol
from mezzo.meters.audibility import audibility

D = 30.0  # seconds per case


def _result(stems: dict[str, np.ndarray]):
    return audibility(stems, sig.SR)


def _edges(result, name: str) -> list[tuple[float, float]]:
    return [(b.start_s, b.end_s) for b in result.stem(name).buried]


def test_lead_ridden_24_db_under_a_pad_in_its_band_is_buried_only_there() -> None:
    # The lead sits 12 dB under the pad's RMS (the dark pad's energy is mostly below the lead's
    # band: both are heard), then is ridden down 24 dB from 10 to 20 s.
    lead = sig.ride(sig.lead(D, -32.0), [(10.0, 0.0), (10.2, -24.0), (20.0, -24.0), (20.2, 0.0)])
    result = _result({"lead": lead, "pad": sig.pad(D, -20.0)})
    (interval,) = result.stem("lead").buried
    assert interval.start_s == pytest.approx(10.1, abs=tol.BURIED_EDGE_S)
    assert interval.end_s == pytest.approx(20.1, abs=tol.BURIED_EDGE_S)
    assert interval.masked_by == ("pad",)
    lo, hi = interval.band_hz
    assert 300.0 <= lo < hi <= 4500.0  # where both live: the lead's harmonics, 440 Hz-3.5 kHz
    assert interval.needed_db is not None and 10.0 <= interval.needed_db <= 30.0
    assert result.stem("pad").buried == ()
    clear = (result.times_s < 9.5) | (result.times_s > 20.7)
    assert np.nanmin(result.stem("lead").audibility[clear]) >= 0.5


def test_quiet_hats_alone_above_7_khz_under_a_loud_low_mix_are_never_buried() -> None:
    result = _result({"hats": sig.hats(D, -45.0), "bass": sig.bass(D, -6.0), "kick": sig.kick(D, -6.0)})
    hats = result.stem("hats")
    assert hats.loudness_lufs is not None and hats.loudness_lufs < -35.0  # quiet indeed
    assert hats.buried == ()
    assert hats.mean_audibility >= 0.8


def test_lead_20_db_under_a_bass_that_shares_no_band_is_never_buried() -> None:
    result = _result({"lead": sig.lead(D, -30.0), "bass": sig.bass(D, -10.0)})
    assert result.stem("lead").buried == ()
    assert result.stem("bass").buried == ()
    assert result.stem("lead").mean_audibility >= 0.9


def test_a_masker_entering_mid_track_buries_the_lead_from_its_entry() -> None:
    keys = sig.ride(sig.keys(D, -10.0), [(14.8, -120.0), (15.0, 0.0)])
    result = _result({"lead": sig.lead(D, -20.0), "keys": keys})
    (interval,) = result.stem("lead").buried
    assert interval.start_s == pytest.approx(15.0, abs=tol.BURIED_EDGE_S)
    assert interval.end_s == pytest.approx(D, abs=tol.BURIED_EDGE_S)
    assert interval.masked_by == ("keys",)


def test_a_masker_swelling_from_minus_30_to_plus_30_db_buries_the_lead_once_it_passes_it() -> None:
    # A second voice with the lead's spectrum (the melody a minor third up) swells 2 dB/s:
    # -30 dB relative at 0 s, 0 dB at 15 s, +30 dB at 30 s. With a masker of the same
    # spectrum, audibility is 0.5 at equal level (definition: 3 dB over a masked threshold
    # K = -3 dB under the masker), so the lead is buried from about 15 s on.
    voice = sig.ride(sig.lead(D, -20.0, transpose=3.0), [(0.0, -30.0), (D, 30.0)])
    result = _result({"lead": sig.lead(D, -20.0), "voice": voice})
    (interval,) = result.stem("lead").buried
    relative_at_start = -30.0 + 2.0 * interval.start_s
    assert abs(relative_at_start) <= 3.0
    assert interval.end_s == pytest.approx(D, abs=tol.BURIED_EDGE_S)
    assert interval.masked_by == ("voice",)
    audible = result.stem("lead").audibility
    assert np.nanmin(audible[result.times_s < 9.0]) >= 0.8  # masker 12 dB or more below
    assert np.nanmax(audible[result.times_s > 21.0]) <= 0.2  # masker 12 dB or more above


def test_two_maskers_in_turn_are_each_named_for_their_own_stretch() -> None:
    # The dark pad needs more level than the bright keys to cover the lead.
    pad = sig.ride(sig.pad(D, -4.0), [(4.9, -120.0), (5.0, 0.0), (12.0, 0.0), (12.1, -120.0)])
    keys = sig.ride(sig.keys(D, -14.0), [(17.9, -120.0), (18.0, 0.0), (25.0, 0.0), (25.1, -120.0)])
    result = _result({"lead": sig.lead(D, -24.0), "pad": pad, "keys": keys})
    first, second = result.stem("lead").buried
    assert (first.start_s, first.end_s) == pytest.approx((5.0, 12.0), abs=tol.BURIED_EDGE_S)
    assert (second.start_s, second.end_s) == pytest.approx((18.0, 25.0), abs=tol.BURIED_EDGE_S)
    assert first.masked_by[0] == "pad" and "keys" not in first.masked_by
    assert second.masked_by[0] == "keys" and "pad" not in second.masked_by


def test_five_stems_in_five_bands_bury_nothing() -> None:
    # One band each, an octave or more apart; levels in the proportions of a mix (more
    # level at the bottom, where the ear is less sensitive).
    stems = {
        "sub": sig.band_noise(D, -12.0, 40.0, 80.0, seed=1),
        "bass": sig.band_noise(D, -18.0, 160.0, 300.0, seed=2),
        "mid": sig.band_noise(D, -22.0, 700.0, 1200.0, seed=3),
        "presence": sig.band_noise(D, -24.0, 2500.0, 4000.0, seed=4),
        "air": sig.band_noise(D, -26.0, 8000.0, 12000.0, seed=5),
    }
    result = _result(stems)
    for stem in result.stems:
        assert stem.buried == (), stem.name
        assert stem.mean_audibility >= 0.55, stem.name


def test_a_silent_stem_is_not_buried_and_its_audibility_is_undefined() -> None:
    result = _result({"lead": sig.silence(5.0), "pad": sig.pad(5.0, -10.0)})
    lead = result.stem("lead")
    assert lead.buried == () and lead.loudness_lufs is None and lead.mean_audibility is None
    assert np.isnan(lead.audibility).all()
    assert lead.to_dict()["audibility"][0] is None  # null in JSON


def test_a_lower_buried_threshold_flags_only_the_deeper_part_of_a_swell() -> None:
    voice = sig.ride(sig.lead(D, -20.0, transpose=3.0), [(0.0, -30.0), (D, 30.0)])
    stems = {"lead": sig.lead(D, -20.0), "voice": voice}
    default = audibility(stems, sig.SR).stem("lead").buried[0]
    strict = audibility(stems, sig.SR, buried_below=0.2).stem("lead").buried[0]
    # Audibility only falls as the masker rises: the stricter threshold is crossed later.
    assert strict.start_s >= default.start_s + 0.5
    assert strict.end_s == default.end_s == pytest.approx(D, abs=tol.BURIED_EDGE_S)
