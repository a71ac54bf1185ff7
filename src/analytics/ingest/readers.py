"""Stream the rows of a CSV or JSON-lines file, optionally gzip-compressed.

The format comes from the file name: ``.csv``, ``.jsonl`` or ``.ndjson``,
each optionally followed by ``.gz``. Text is UTF-8, and a leading byte-order
mark is dropped. CSV files have a header row and RFC 4180 quoting. JSON-lines
files hold one object per line; blank lines are skipped and numbers are
parsed as ``Decimal``, never as ``float``. Rows are read one at a time, so
memory does not grow with the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

from analytics.ingest.errors import IngestUsageError, UnreadableFile

FormatName = Literal["csv", "jsonl"]

_FORMATS: dict[str, FormatName] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_COMPRESSED = ".gz"
_READ_ERRORS = (UnicodeDecodeError, csv.Error, EOFError, zlib.error, OSError)


@dataclass(frozen=True)
class SourceFormat:
    """Format of a source file as given by its extensions."""

    name: FormatName
    compressed: bool


@dataclass(frozen=True)
class SourceRow:
    """One data row of the file.

    ``number`` is the row's position among the data rows, from 1 (CSV: the
    header is not counted; JSON lines: the line number). ``fingerprint`` is
    the row's text as read, used to hash a row that has no key. A row that
    cannot be read (invalid JSON, a wrong number of CSV fields) has a
    ``problem`` and no values.
    """

    number: int
    values: Mapping[str, object]
    fingerprint: str
    problem: str | None = None

    def source(self) -> object:
        """Return the row as written to the rejects file: its values, or its text."""
        return self.fingerprint if self.problem is not None else dict(self.values)


def source_format(path: Path) -> SourceFormat:
    """Return the format of ``path`` from its extensions, or raise IngestUsageError."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == _COMPRESSED
    if compressed:
        suffixes = suffixes[:-1]
    name = _FORMATS.get(suffixes[-1]) if suffixes else None
    if name is None:
        raise IngestUsageError(
            f"{path.name}: unknown file type; the name must end in .csv, .jsonl or .ndjson, "
            "optionally followed by .gz"
        )
    return SourceFormat(name, compressed)


def name_without_extensions(path: Path) -> str:
    """Return the file name without its format and compression extensions."""
    name = path.name
    lowered = name.lower()
    if lowered.endswith(_COMPRESSED):
        name, lowered = name[: -len(_COMPRESSED)], lowered[: -len(_COMPRESSED)]
    for extension in _FORMATS:
        if lowered.endswith(extension):
            return name[: -len(extension)]
    return name


class SourceFile:
    """An open source file: its columns and a stream of its rows.

    Use it as a context manager, or call ``close``. Reading errors raise
    UnreadableFile naming the file and the line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = source_format(path)
        self._raw = _open_binary(path)
        self._size = os.fstat(self._raw.fileno()).st_size
        self._text = _text_stream(self._raw, self.format.compressed)
        self._csv = csv.reader(self._text, strict=True) if self.format.name == "csv" else None
        try:
            self.columns: tuple[str, ...] | None = self._read_header()
        except Exception:
            self.close()
            raise

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._text.close()
        self._raw.close()

    def fraction_read(self) -> float:
        """Return the share of the file's bytes read so far, from 0 to 1."""
        if self._size == 0 or self._raw.closed:
            return 1.0
        return min(self._raw.tell() / self._size, 1.0)

    def rows(self) -> Iterator[SourceRow]:
        """Yield the data rows in file order."""
        if self._csv is not None:
            return self._csv_rows(self._csv)
        return self._json_rows()

    def _read_header(self) -> tuple[str, ...] | None:
        if self._csv is None:
            return None
        header = self._next_record(self._csv)
        columns = tuple(header or ())
        duplicates = sorted({column for column in columns if columns.count(column) > 1})
        if duplicates:
            raise IngestUsageError(
                f"{self.path.name}: the header names the column(s) {', '.join(duplicates)} "
                "more than once; give every column a distinct name"
            )
        return columns

    def _next_record(self, reader: Iterator[list[str]]) -> list[str] | None:
        try:
            return next(reader, None)
        except _READ_ERRORS as error:
            raise self._unreadable(error) from error

    def _csv_rows(self, reader: Iterator[list[str]]) -> Iterator[SourceRow]:
        columns = self.columns or ()
        number = 0
        while (cells := self._next_record(reader)) is not None:
            if not cells:
                continue
            number += 1
            yield _csv_row(number, columns, cells)

    def _json_rows(self) -> Iterator[SourceRow]:
        for line_number, line in enumerate(self._lines(), start=1):
            text = line.strip()
            if text:
                yield _json_row(line_number, text)

    def _lines(self) -> Iterator[str]:
        while True:
            try:
                line = self._text.readline()
            except _READ_ERRORS as error:
                raise self._unreadable(error) from error
            if not line:
                return
            yield line

    def _unreadable(self, error: BaseException) -> UnreadableFile:
        where = f" near line {self._csv.line_num}" if self._csv is not None else ""
        if isinstance(error, UnicodeDecodeError):
            reason = "the file is not UTF-8 text"
        elif isinstance(error, csv.Error):
            reason = f"malformed CSV ({error})"
        else:
            reason = f"{type(error).__name__}: {error}"
        return UnreadableFile(f"cannot read {self.path}{where}: {reason}")


def open_source(path: Path) -> SourceFile:
    """Open ``path`` for reading and read its CSV header, if it has one.

    Raises IngestUsageError for an unknown extension and UnreadableFile (an
    ``OSError``) when the file cannot be opened or read.
    """
    return SourceFile(path)


def _open_binary(path: Path) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UnreadableFile(f"cannot read {path}: {reason}") from error


def _text_stream(raw: IO[bytes], compressed: bool) -> io.TextIOWrapper:
    binary: IO[bytes] | gzip.GzipFile = raw
    if compressed:
        binary = gzip.GzipFile(fileobj=raw, mode="rb")
    # utf-8-sig drops a leading byte-order mark; newline="" keeps CSV quoting intact.
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def _csv_row(number: int, columns: tuple[str, ...], cells: list[str]) -> SourceRow:
    fingerprint = "\x1f".join(cells)
    if len(cells) != len(columns):
        problem = f"has {len(cells)} fields, but the header has {len(columns)}"
        return SourceRow(number, {}, fingerprint, problem)
    return SourceRow(number, dict(zip(columns, cells, strict=True)), fingerprint)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _json_row(number: int, text: str) -> SourceRow:
    try:
        value = json.loads(
            text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant
        )
    except ValueError as error:
        return SourceRow(number, {}, text, f"is not valid JSON ({error})")
    if not isinstance(value, dict):
        return SourceRow(number, {}, text, "is not a JSON object")
    return SourceRow(number, value, text)
