"""Long lines of a CSV file: their text, and the lines of too many fields set aside before reading.

DuckDB's CSV reader records one error per field beyond the header's, each holding the line's
text, so a corrupt line of n delimiters costs n squared there (80,000 commas: 18 s; a 50 MB
line: hours). The lines longer than files.LONG_LINE are known from the scan that hashes the
file; those holding more fields than the header are replaced, in a copy of the file, by a line
DuckDB rejects at once, and quarantined with their own text and one sentence. The cost of a bad
line is then linear in its length.
"""

from __future__ import annotations

import csv
import gzip
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy

from analytics.ingest.files import InputFile, LongLine

# The most of a line's text the quarantine keeps (a 50 MB line keeps its first megabyte).
RAW_LIMIT = 1_000_000
# What a set-aside line becomes in the copy DuckDB reads: one field, rejected as too few.
_PLACEHOLDER = b"carewindow: line set aside before reading (too many fields)"
_COPY_CHUNK = 1 << 20


def _open(source: InputFile):
    return (
        gzip.open(source.readable, "rb")
        if source.compression == "gzip"
        else open(source.readable, "rb")
    )


def _prefixes(source: InputFile, lines: Iterable[LongLine]) -> dict[int, tuple[bytes, int]]:
    """line number -> (its first RAW_LIMIT bytes, its length), read in one forward pass."""
    found: dict[int, tuple[bytes, int]] = {}
    with _open(source) as handle:
        for line in sorted(lines, key=lambda line: line.offset):
            handle.seek(line.offset)
            found[line.number] = (handle.read(min(line.length, RAW_LIMIT)), line.length)
    return found


def _text(prefix: bytes, length: int) -> str:
    """A line's raw text for the quarantine: all of it, or its first megabyte and how much more."""
    text = prefix.decode("utf-8", errors="backslashreplace").rstrip("\r")
    if length <= len(prefix):
        return text
    note = f" ... ({length - len(prefix):,} more bytes)"
    return text[: RAW_LIMIT - len(note)] + note


def field_count(text: str, delimiter: str) -> int:
    """How many fields a line holds, quotes respected (the first megabyte of a longer line)."""
    if '"' not in text:
        return text.count(delimiter) + 1
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        return max((len(row) for row in csv.reader([text], delimiter=delimiter)), default=1)
    except csv.Error:
        return text.count(delimiter) + 1
    finally:
        csv.field_size_limit(limit)


def line_texts(source: InputFile, numbers: set[int]) -> dict[int, str]:
    """The raw text (first megabyte) of the file's long lines numbered `numbers`."""
    wanted = [line for line in source.long_lines if line.number in numbers]
    return {
        number: _text(prefix, length)
        for number, (prefix, length) in _prefixes(source, wanted).items()
    }


def lines_by_number(source: InputFile, numbers: set[int]) -> dict[int, str]:
    """The raw text (first megabyte) of the lines numbered `numbers`, in one linear pass, bytes
    that are not UTF-8 written as \\xNN (DuckDB's own record of such a line drops them with
    the delimiter that follows)."""
    wanted = sorted(numbers)
    found: dict[int, str] = {}
    if not wanted:
        return found
    line = 1  # the number of the line under way
    offset = 0
    parts: list[bytes] = []  # the wanted line under way, when it spans chunks
    with _open(source) as handle:
        while chunk := handle.read(_COPY_CHUNK):
            newlines = numpy.flatnonzero(numpy.frombuffer(chunk, dtype=numpy.uint8) == 10)
            starts = numpy.concatenate(([0], newlines + 1))
            ends = numpy.concatenate((newlines, [len(chunk)]))
            numbers_here = numpy.arange(line, line + len(starts))
            for index in numpy.flatnonzero(numpy.isin(numbers_here, wanted)):
                here = chunk[int(starts[index]) : int(ends[index])]
                whole = b"".join([*parts, here]) if index == 0 and parts else here
                if index == 0:
                    parts = []
                if index == len(starts) - 1:  # goes on in the next chunk
                    parts = [whole[:RAW_LIMIT]]
                    continue
                found[int(numbers_here[index])] = _decoded(whole)
            line += len(newlines)
            offset += len(chunk)
    if parts:
        found[line] = _decoded(b"".join(parts))
    return found


def _decoded(raw: bytes) -> str:
    text = raw[:RAW_LIMIT].decode("utf-8", errors="backslashreplace").rstrip("\r")
    if len(raw) > RAW_LIMIT:
        text += f" ... ({len(raw) - RAW_LIMIT:,} more bytes)"
    return text


def set_aside_overlong_lines(
    source: InputFile, delimiter: str, header_columns: int
) -> tuple[Path, list[tuple[int, str, str]]]:
    """A copy of the file (uncompressed) whose long lines of more fields than the header are
    replaced by a placeholder line, and those lines as (line, raw text, reason). No copy is
    written when there are none (the path is then the file DuckDB reads already)."""
    set_aside: list[tuple[int, str, str]] = []
    bad: list[LongLine] = []
    prefixes = _prefixes(source, source.long_lines)
    for line in source.long_lines:
        prefix, length = prefixes[line.number]
        text = prefix.decode("utf-8", errors="replace")
        fields = field_count(text, delimiter)
        if fields <= header_columns:
            continue
        bad.append(line)
        at_least = "at least " if length > len(prefix) else ""
        set_aside.append(
            (
                line.number,
                _text(prefix, length),
                f"unreadable row: {at_least}{fields:,} fields where the header has "
                f"{header_columns} columns (a corrupt line, or values holding the delimiter "
                "without quotes)",
            )
        )
    if not bad:
        return source.readable, []
    return _copy_without(source, bad), set_aside


def _copy_without(source: InputFile, bad: list[LongLine]) -> Path:
    """The file's text with each of `bad` replaced by the placeholder line, streamed."""
    directory = source.temp_directory
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="carewindow-set-aside-", suffix=".csv", dir=directory)
    position = 0
    with _open(source) as reader, os.fdopen(handle, "wb") as writer:
        for line in sorted(bad, key=lambda line: line.offset):
            _copy_bytes(reader, writer, line.offset - position)
            writer.write(_PLACEHOLDER)
            reader.seek(line.offset + line.length)
            position = line.offset + line.length
        while chunk := reader.read(_COPY_CHUNK):
            writer.write(chunk)
    return Path(name)


def _copy_bytes(reader, writer, count: int) -> None:
    while count > 0:
        chunk = reader.read(min(count, _COPY_CHUNK))
        if not chunk:
            return
        writer.write(chunk)
        count -= len(chunk)
