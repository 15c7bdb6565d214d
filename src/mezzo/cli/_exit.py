"""From an exception to one line on stderr and an exit code, in the words of the command line.

mezzo's library messages name Python parameters (``target_lufs=3.0 is out of
range``, ``pass overwrite=True``); on the command line the same message names
the flags (``--target-lufs 3.0 is out of range``, ``pass --overwrite``).
:func:`cli_words` does that translation with the options of the command that
ran. Ordinary environment faults (full disk, read-only mount, permissions,
closed stdout) get their own message, never "unexpected … report it".

Exit codes: 0 success, 1 input or processing error (files, audio, the
environment), 2 usage error (a bad flag or parameter value), 130 after Ctrl-C,
143 after SIGTERM, 129 after SIGHUP.
"""

from __future__ import annotations

import re
from typing import Any

#: API parameter names whose command-line flag has another name, per command.
ALIASES = {
    "output_sample_rate": "--sample-rate",
    "ceiling_db": "--ceiling-dbtp",  # mezzo limit: the Limiter's ceiling_db
}

_VALUE = r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s,;:)]+)"""


def _command(app: Any, args: list[str]) -> Any:
    """The click command of the typer ``app`` that ``args`` run (the app itself if none can be found)."""
    import typer.main

    command: Any = typer.main.get_command(app)
    ctx = command.context_class(command)  # typer vendors click: use its own classes
    for arg in args:
        if not hasattr(command, "get_command"):
            break
        if arg.startswith("-"):
            continue
        sub = command.get_command(ctx, arg)
        if sub is None:
            break
        command = sub
    return command


def flags_of(app: Any, args: list[str]) -> dict[str, tuple[str, bool]]:
    """Parameter name -> (long flag, is a boolean flag) for the command of ``app`` that ``args`` run."""
    try:
        command = _command(app, args)
    except Exception:  # the message is then left in the API's words
        return {}
    out: dict[str, tuple[str, bool]] = {}
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", None) != "option" or param.name is None:
            continue
        longs = [o for o in param.opts if o.startswith("--")] or list(param.opts)
        out[param.name] = (longs[0], bool(getattr(param, "is_flag", False)))
    for name, flag in ALIASES.items():
        if flag.lstrip("-").replace("-", "_") in out:
            out.setdefault(name, (flag, False))
    return out


def cli_words(message: str, flags: dict[str, tuple[str, bool]]) -> str:
    """``message`` with the API's ``name=value`` written as the command line's ``--flag value``.

    >>> flags = {"target_lufs": ("--target-lufs", False), "overwrite": ("--overwrite", True),
    ...          "no_limit": ("--no-limit", True), "out_dir": ("--out-dir", False)}
    >>> cli_words("target_lufs=3.0 is out of range: expected -70 to 0 LUFS", flags)
    '--target-lufs 3.0 is out of range: expected -70 to 0 LUFS'
    >>> cli_words("'x.wav': already exists — pass overwrite=True to replace it", flags)
    "'x.wav': already exists — pass --overwrite to replace it"
    >>> cli_words("limit=False needs a lower target; out_dir is required", flags)
    '--no-limit needs a lower target; --out-dir is required'
    """
    if not flags:
        return message

    def assignment(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if name in flags:
            flag, is_flag = flags[name]
            if is_flag and value in ("True", "False"):
                if value == "True":
                    return flag
                return match.group(0)
            return f"{flag} {value}"
        negated = flags.get(f"no_{name}")
        if negated is not None and negated[1] and value == "False":
            return negated[0]
        return match.group(0)

    text = re.sub(rf"(?<![\w.'\"/-])([a-z][a-z0-9_]*)={_VALUE}", assignment, message)

    def bare(match: re.Match[str]) -> str:
        name = match.group(1)
        return flags[name][0] if name in flags and "_" in name else name

    return re.sub(r"(?<![\w.'\"/=-])([a-z][a-z0-9]*_[a-z0-9_]+)(?![\w=(])", bare, text)


def one_line(text: str) -> str:
    """``text`` on one line (newlines and runs of spaces become single spaces)."""
    return " ".join(str(text).split())
