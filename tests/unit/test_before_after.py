"""One before/after report: the processors' commands, master/normalize and batch rows read the same object."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import mezzo
from mezzo.batch.jobs import flatten
from mezzo.before_after import BeforeAfter, GainStats, Levels
from mezzo.mastering.master import MasterReport
from mezzo.processing import ProcessReport


def test_every_report_is_a_before_after():
    base = {f.name for f in dataclasses.fields(BeforeAfter)}
    for cls in (MasterReport, ProcessReport):
        assert issubclass(cls, BeforeAfter)
        assert base <= {f.name for f in dataclasses.fields(cls)}
    assert mezzo.BeforeAfter is BeforeAfter and mezzo.ProcessReport is ProcessReport


def test_gain_stats_match_a_direct_computation_over_blocks():
    rng = np.random.default_rng(3)
    rate = 1000
    gain = -np.abs(rng.normal(0.0, 2.0, (2, 5000)))
    gain[:, 100:300] = 0.0
    gain[1, 4000] = -30.0  # the deepest point, on the second channel only
    gain[0, 2000] = 1.5  # upward gain
    stats = GainStats(rate)
    for start in range(0, 5000, 777):
        stats.update(gain[:, start : start + 777])
    worst = (-gain).max(axis=0)
    assert stats.max_reduction_db == pytest.approx(30.0)
    assert stats.max_time_s == pytest.approx(4.0)
    assert stats.mean_reduction_db == pytest.approx(np.maximum(-gain, 0).mean())
    assert stats.reduced_time_s == pytest.approx(np.count_nonzero(worst > 0.1) / rate)
    assert stats.max_gain_db == pytest.approx(1.5)


def _levels(i: float | None) -> Levels:
    return Levels(integrated_lufs=i, loudness_range_lu=5.0, true_peak_dbtp=-1.0, sample_peak_dbfs=-1.2,
                  plr_db=None if i is None else -1.0 - i, momentary_max_lufs=None, short_term_max_lufs=-9.0)


def test_rows_text_and_flat_columns():
    report = BeforeAfter(
        input="a.wav", output="b.wav", before=_levels(-20.0), after=_levels(None),
        max_gain_reduction_db=6.0, mean_gain_reduction_db=0.5, gain_reduced_time_s=12.0,
        max_gain_reduction_time_s=75.5, max_gain_db=0.0, warnings=(),
    )
    rows = dict((label, (b, a)) for label, b, a in report.rows())
    assert rows["Integrated"] == ("-20.00 LUFS", "—")
    assert rows["Momentary max"] == ("—", "—") and rows["True peak"] == ("-1.00 dBTP", "-1.00 dBTP")
    assert report.gain_text() == "Gain reduction: max 6.0 dB, mean 0.50 dB, 12.0 s reduced (deepest at 1:15.5)"
    columns = flatten(report.to_dict())
    assert columns["before_integrated_lufs"] == -20.0 and columns["after_integrated_lufs"] is None
    assert columns["max_gain_reduction_db"] == 6.0


def test_master_report_carries_the_limiter_figures():
    audio, rate = mezzo.demo.track()
    _, report = mezzo.master(audio[:, : rate * 20] * 4.0, rate, target_lufs=-9.0)
    assert report.mode == "limit" and report.max_gain_reduction_db > 1.0
    assert report.gain_reduced_time_s > 0 and 0 <= report.max_gain_reduction_time_s <= 20
    assert report.mean_gain_reduction_db < report.max_gain_reduction_db
    d = report.to_dict()
    assert {"before", "after", "max_gain_reduction_db", "gain_db", "mode"} <= set(d)


def test_gain_stats_energy_figures_match_a_direct_computation():
    """Streamed in uneven blocks with the output, the energy figures equal numpy's over the whole trace."""
    rng = np.random.default_rng(3)
    n = 5000
    gain = np.minimum(rng.normal(-0.5, 2.0, (2, n)), 0.3)
    out = rng.standard_normal((2, n)).astype(np.float32)
    stats = GainStats(1000)
    for a, b in [(0, 1), (1, 1700), (1700, 1700), (1700, 4100), (4100, n)]:
        stats.update(gain[:, a:b], out[:, a:b])
    worst = -gain.min(axis=0)
    reduced = worst > 0.1
    power = (out.astype(np.float64) ** 2).sum(axis=0)
    assert stats.energy == pytest.approx(power.sum())
    assert stats.reduced_energy == pytest.approx(power[reduced].sum())
    mono = GainStats(1000)
    mono.update(gain[0])
    assert mono.max_reduction_db == pytest.approx(-gain[0].min()) and mono.energy == 0.0
