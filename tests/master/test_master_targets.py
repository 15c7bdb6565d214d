"""Targets: one frozen, keyword-only, validated value shared by master, normalize, batch and the studio."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import mezzo
from mezzo.errors import ParameterError
from mezzo.mastering import engine
from mezzo.mastering.targets import Targets


def test_targets_are_keyword_only_and_frozen():
    with pytest.raises(TypeError):
        Targets(-14.0, -1.0)  # type: ignore[misc]
    aim = Targets(target_lufs=-14, ceiling_dbtp=-1)
    assert (aim.target_lufs, aim.ceiling_dbtp, aim.preset) == (-14.0, -1.0, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        aim.target_lufs = -10.0  # type: ignore[misc]
    assert mezzo.Targets is Targets


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"target_lufs": -14, "ceiling_dbtp": 0.5}, "ceiling_dbtp=0.5 is out of range: expected -60 to 0 dBTP"),
    ({"target_lufs": -14, "ceiling_dbtp": -61}, "ceiling_dbtp=-61 is out of range"),
    ({"target_lufs": -71, "ceiling_dbtp": -1}, "target_lufs=-71 is out of range"),
    ({"target_lufs": -0.5, "ceiling_dbtp": -1}, "target_lufs=-0.5 is above ceiling_dbtp=-1"),
    ({"target_lufs": "loud", "ceiling_dbtp": -1}, "target_lufs='loud' is not a number"),
])
def test_targets_refuse_bad_figures(kwargs, needle):
    with pytest.raises(ParameterError, match=needle.replace("(", r"\(")):
        Targets(**kwargs)


def test_resolve_takes_the_preset_table_and_overrides():
    # the figures of docs/platforms.md (the platforms' published targets)
    assert Targets.resolve(preset="amazon") == Targets(target_lufs=-14, ceiling_dbtp=-2, preset="amazon")
    assert Targets.resolve(preset="ebu", target_lufs=-24) == Targets(target_lufs=-24, ceiling_dbtp=-1, preset="ebu")
    assert Targets.resolve() == Targets(target_lufs=-14, ceiling_dbtp=-1, preset="spotify")
    assert Targets.resolve(default_preset=None) == Targets(target_lufs=-14, ceiling_dbtp=-1)
    assert Targets.resolve(target_lufs=-16) == Targets(target_lufs=-16, ceiling_dbtp=-1)
    assert Targets.resolve(preset="apple").from_preset and not Targets.resolve("apple", -15).from_preset
    with pytest.raises(ParameterError, match="preset"):
        Targets.resolve(preset="loud")


def test_one_check_for_every_caller():
    """master, normalize, batch and the studio give the same message for the same bad ceiling."""
    from mezzo.batch.jobs import get_job
    from mezzo.studio.service import master_request

    x = np.zeros((1, 4800), dtype=np.float32)
    expected = "ceiling_dbtp=0.5 is out of range: expected -60 to 0 dBTP"
    calls = [
        lambda: mezzo.master(x, 48000, ceiling_dbtp=0.5),
        lambda: mezzo.normalize(x, 48000, ceiling_dbtp=0.5),
        lambda: get_job("master").check_options({"ceiling_dbtp": 0.5}, album=False),
        lambda: get_job("normalize").check_options({"ceiling_dbtp": 0.5}, album=False),
        lambda: master_request({"ceiling_dbtp": 0.5}),
    ]
    for call in calls:
        with pytest.raises(ParameterError) as info:
            call()
        assert str(info.value) == expected


def test_targets_or_figures_not_both():
    x = np.zeros((1, 4800), dtype=np.float32)
    with pytest.raises(ParameterError, match="give one or the other"):
        mezzo.master(x, 48000, targets=Targets.resolve(), preset="apple")
    with pytest.raises(ParameterError, match="is not a Targets"):
        mezzo.normalize(x, 48000, targets={"target_lufs": -14})  # type: ignore[arg-type]


def test_master_with_targets_reports_them():
    t = np.arange(48000 * 5) / 48000
    x = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    _, report = mezzo.master(x, 48000, targets=Targets.resolve(preset="amazon", target_lufs=-20))
    assert (report.preset, report.target_lufs, report.ceiling_dbtp) == ("amazon", -20.0, -2.0)
    # pure gain: a mono 0.1-amplitude sine is -0.691 + 10 log10(0.1**2 / 2) = -23.70 LUFS (BS.1770-4
    # closed form; K-weighting is within 0.1 dB of 0 at 440 Hz), so the gain is +3.70 dB
    assert report.mode == "gain" and abs(report.gain_db - 3.70) < 0.1


def test_engine_dataclasses_are_keyword_only():
    for cls in (engine.Item, engine.Settings, engine.Step, engine.Rendered, engine.Outcome,
                mezzo.MasterReport, mezzo.mastering.master.Levels, mezzo.mastering.AlbumLoudness):
        fields = dataclasses.fields(cls)
        assert fields and all(f.kw_only for f in fields), cls.__name__
