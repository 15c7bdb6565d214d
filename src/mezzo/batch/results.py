"""The results table of a batch: one row per file, in CSV, JSON lines or Parquet.

CSV and JSON lines grow by appending one whole line per finished file (one ``write``
call on a file opened for appending, then ``fsync``); a write that fails (full disk,
file-size limit) is cut back, so a row is in the file whole or not at all, and a line
cut short by a crash is dropped when the file is read back. Whenever the set of CSV
columns grows, and at the end of every run, the file is rewritten atomically
(:mod:`mezzo.io.atomic`) with one row per input file, the newest. Parquet cannot be appended to: it is rewritten atomically at
checkpoints (every :data:`PARQUET_CHECKPOINT_S` seconds) and at the end, and needs
``pyarrow``.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import re
import time
from collections.abc import Iterable
from typing import Any

from mezzo.errors import AudioFileError, ParameterError
from mezzo.io.atomic import AtomicFile, check_existing, make_folder, os_error

__all__ = ["FORMATS", "LEADING_COLUMNS", "ResultsFile", "results_format"]

#: File extension -> format.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}

#: Columns every row has, first in every table.
LEADING_COLUMNS = ("path", "status", "error", "job", "output", "input_mtime_s", "seconds", "worker")

#: Columns kept as text when a CSV is read back (the others are parsed as numbers).
TEXT_COLUMNS = frozenset({"path", "status", "error", "job", "output", "album", "worker", "mode", "preset", "warnings"})

#: Seconds between atomic rewrites of a Parquet results file during a run.
PARQUET_CHECKPOINT_S = 30.0

_INT = re.compile(r"^[+-]?\d+$")


def results_format(path: str | os.PathLike[str]) -> str:
    """Return ``'csv'``, ``'jsonl'`` or ``'parquet'`` for a results path.

    Raises
    ------
    ParameterError
        For another extension, or ``.parquet`` without pyarrow installed.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        raise ParameterError(
            f"results={os.fspath(path)!r}: unknown results format {ext or '(no extension)'!r} — "
            "use .csv, .jsonl or .parquet"
        )
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ParameterError(
                f"results={os.fspath(path)!r}: Parquet needs pyarrow, which is not installed — "
                "pip install pyarrow, or use results.csv or results.jsonl"
            ) from None
    return fmt


def clean_value(value: Any) -> Any:
    """A JSON/CSV-ready scalar: NaN and infinities become ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _csv_cell(value: Any) -> str:
    value = clean_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse_cell(column: str, text: str) -> Any:
    if text == "":
        return None
    if column in TEXT_COLUMNS:
        return text
    if text in ("true", "false"):
        return text == "true"
    if _INT.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _complete_lines(text: str) -> str:
    """Drop a last line that was cut short (no final newline)."""
    if not text or text.endswith("\n"):
        return text
    return text[: text.rfind("\n") + 1]


class ResultsFile:
    """A results table on disk that a batch appends to and a rerun continues.

    Parameters
    ----------
    path : str or os.PathLike
        ``.csv``, ``.jsonl`` (or ``.ndjson``) or ``.parquet``.

    Notes
    -----
    Rows are keyed by their ``path``; a newer row for the same path replaces the older
    one (in place) when the file is rewritten.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.format = results_format(self.path)
        self._rows: dict[str, dict[str, Any]] = {}
        self._columns: list[str] = list(LEADING_COLUMNS)
        self._fd: int | None = None
        self._last_checkpoint = time.monotonic()
        self._dirty = False

    # ------------------------------------------------------------------ reading
    def load(self) -> dict[str, dict[str, Any]]:
        """Read the rows already in the file (none if it does not exist), newest per path."""
        check_existing(self.path)  # a FIFO or a device would block or never end
        if not os.path.exists(self.path):
            return {}
        try:
            if self.format == "parquet":
                import pyarrow.parquet as pq

                rows = pq.read_table(self.path).to_pylist()
            else:
                with open(self.path, encoding="utf-8", newline="") as handle:
                    text = _complete_lines(handle.read())
                rows = self._parse_csv(text) if self.format == "csv" else self._parse_jsonl(text)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise AudioFileError(
                f"{self.path!r}: cannot read the results file ({exc}) — move it away or pass force=True"
            ) from None
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            key = row.get("path")
            if isinstance(key, str) and key:
                out.pop(key, None)
                out[key] = row
        return out

    def _parse_csv(self, text: str) -> list[dict[str, Any]]:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header:
            return []
        for name in header:
            if name not in self._columns:
                self._columns.append(name)
        return [
            {name: _parse_cell(name, cell) for name, cell in zip(header, cells, strict=True)}
            for cells in reader
            if len(cells) == len(header)
        ]

    @staticmethod
    def _parse_jsonl(text: str) -> list[dict[str, Any]]:
        rows = []
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                row = json.loads(line)
                if isinstance(row, dict):
                    rows.append(row)
        return rows

    # ------------------------------------------------------------------ writing
    def start(self, rows: dict[str, dict[str, Any]], *, columns: Iterable[str] = ()) -> None:
        """Begin a run with the rows to keep (rewrites the file cleanly) and expected columns."""
        self._rows = dict(rows)
        for row in self._rows.values():
            self._grow(row)
        for name in columns:
            if name not in self._columns:
                self._columns.append(name)
        self._rewrite()

    def add(self, row: dict[str, Any]) -> None:
        """Record one finished file (appended at once; Parquet at the next checkpoint)."""
        key = row["path"]
        self._rows.pop(key, None)
        self._rows[key] = row
        grew = self._grow(row)
        if self.format == "parquet":
            self._dirty = True
            if time.monotonic() - self._last_checkpoint >= PARQUET_CHECKPOINT_S:
                self._rewrite()
        elif grew and self.format == "csv":
            self._rewrite()
        else:
            self._append(row)

    def close(self) -> None:
        """Rewrite the file with one row per path and release it."""
        try:
            self._rewrite()
        finally:
            self._close_fd()

    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        """The rows held (path -> row)."""
        return self._rows

    def _grow(self, row: dict[str, Any]) -> bool:
        grew = False
        for name in row:
            if name not in self._columns:
                self._columns.append(name)
                grew = True
        return grew

    def _line(self, row: dict[str, Any]) -> str:
        if self.format == "jsonl":
            clean = {k: clean_value(v) for k, v in row.items()}
            return json.dumps(clean, allow_nan=False, ensure_ascii=False) + "\n"
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([_csv_cell(row.get(c)) for c in self._columns])
        return buffer.getvalue()

    def _append(self, row: dict[str, Any]) -> None:
        """Append one whole line (one ``write``, then ``fsync``); on failure cut the file back."""
        data = self._line(row).encode("utf-8")
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
            size = os.fstat(self._fd).st_size
            try:
                written = os.write(self._fd, data)
                if written != len(data):  # a short write: the disk filled up mid-line
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                os.fsync(self._fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, size)  # shrinking needs no space: the row is gone whole
                raise
        except OSError as exc:
            raise os_error(self.path, exc) from None

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _rewrite(self) -> None:
        """Write the whole table to a new file and rename it over the old one (atomically)."""
        self._close_fd()  # the old inode is replaced; appends go to the new file
        make_folder(os.path.dirname(self.path))
        with AtomicFile(self.path, overwrite=True) as out:
            try:
                if self.format == "parquet":
                    self._write_parquet(out.file())
                else:
                    lines = []
                    if self.format == "csv":
                        lines.append(self._line(dict(zip(self._columns, self._columns, strict=True))))
                    lines.extend(self._line(row) for row in self._rows.values())
                    out.write("".join(lines).encode("utf-8"))
            except OSError as exc:
                raise out.failure(exc) from None
        self._last_checkpoint = time.monotonic()
        self._dirty = False

    def _write_parquet(self, target: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {c: [clean_value(r.get(c)) for r in self._rows.values()] for c in self._columns}
        pq.write_table(pa.table(columns), target)
