"""The public surface keeps its promises: units in names, one table behind API and CLI."""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest

import mezzo
from mezzo.cli.app import app
from mezzo.meters.loudness import LoudnessResult
from mezzo.processors import Compressor, Ducker, Expander, GainAutomation, Gate, Leveler, Limiter

UNIT_SUFFIX = re.compile(r"_(db|dbfs|dbtp|lufs|lu|ms|s|hz|bpm|samples)$")
#: dimensionless or non-numeric names, each documented with its range or choices
NO_UNIT = {
    "ratio", "mix", "link", "detector", "mode", "true_peak", "sample_rate", "channels", "path",
    "marks", "meter", "bpm",  # a markings string; a time signature like "4/4"; the name is the unit
}

PROCESSORS = [Compressor, Expander, Gate, Ducker, Leveler, Limiter, GainAutomation]
CLI_COMMANDS = {"compress": Compressor, "expand": Expander, "gate": Gate, "duck": Ducker, "level": Leveler}


def _has_unit(name: str) -> bool:
    return bool(UNIT_SUFFIX.search(name)) or name in NO_UNIT


@pytest.mark.parametrize("cls", PROCESSORS, ids=lambda c: c.__name__)
def test_processor_parameters_carry_units(cls) -> None:
    missing = [p.name for p in cls.PARAMS if not _has_unit(p.name)]
    assert missing == []


@pytest.mark.parametrize("cls", PROCESSORS, ids=lambda c: c.__name__)
def test_processor_defaults_validate_and_repr_lists_every_parameter(cls) -> None:
    processor = cls()
    text = repr(processor)
    for spec in cls.PARAMS:
        spec.validate(spec.default)  # every default passes its own validation
        assert spec.name in text


def test_result_fields_carry_units() -> None:
    fields = [f.name for f in dataclasses.fields(LoudnessResult)]
    series = {"momentary_lufs", "momentary_times_s", "short_term_lufs", "short_term_times_s"}
    missing = [name for name in fields if not _has_unit(name) and name not in series]
    assert missing == []


def _command_flags(name: str) -> set[str]:
    import typer.main

    group = typer.main.get_command(app)
    command = group.commands[name]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("--")}


@pytest.mark.parametrize("command", sorted(CLI_COMMANDS))
def test_cli_flags_mirror_api_names(command: str) -> None:
    flags = _command_flags(command)
    expected = {"--" + spec.name.replace("_", "-") for spec in CLI_COMMANDS[command].PARAMS}
    assert expected <= flags, sorted(expected - flags)


def test_one_call_functions_share_defaults_with_their_classes() -> None:
    from mezzo.meters.loudness import LoudnessMeter, loudness

    fn = inspect.signature(loudness).parameters
    cls = inspect.signature(LoudnessMeter).parameters
    for name in ("layout", "hop_s", "true_peak"):
        assert fn[name].default == cls[name].default
        assert fn[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_lazy_public_names_resolve() -> None:
    for name in mezzo.__all__:
        assert getattr(mezzo, name) is not None
