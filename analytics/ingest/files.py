"""Input files: which files to take, their content read once (hashed, measured, its head kept),
and how their columns map."""

from __future__ import annotations

import codecs
import csv
import functools
import gzip
import hashlib
import itertools
import json
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import duckdb
import numpy

from analytics.ingest.errors import IngestError
from analytics.ingest.hashing import hashed_beside
from analytics.ingest.workbooks import is_zip

# The formats carewindow reads, by the name's last suffix (before .gz or .zst).
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson")
COMPRESSED_SUFFIXES = (".gz", ".zst")
# Inside a folder these are taken; every other file there is named with the reason it is not
# loaded, except documentation beside the data (a README or other Markdown file), which is no
# input at all. A file named on its own is always tried.
DATA_SUFFIXES = (*TEXT_SUFFIXES, ".parquet", ".xlsx", *COMPRESSED_SUFFIXES)
DOCUMENTATION_SUFFIXES = (".md", ".markdown")
# What a file is (its kind, its format, a CSV header) is told from this much of its content.
HEAD_BYTES = 65536
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# DuckDB's CSV reader drops a line longer than its max_line_size without a word, so every read
# sets it above the file's longest line, measured while the file is hashed (see open_input).
DEFAULT_MAX_LINE_SIZE = 2 * 1024 * 1024
_SCAN_CHUNK = 1024 * 1024  # lines inside one chunk are shorter than DEFAULT_MAX_LINE_SIZE
# A .zst file cannot be scanned here (no zstd decoder in Python's standard library): its lines
# may be up to this long.
ZSTD_MAX_LINE_SIZE = 64 * 1024 * 1024


# DuckDB reads a CSV file in buffers, and a read in file order (the staging that numbers the
# rows by their lines, Staging.in_file_order) is collected buffer by buffer: bigger buffers,
# fewer batches to put back in order. A 10-million-message log (1.5 GB) was staged in 3.6-4.1 s
# with 128 MiB buffers, 4.9-5.2 s with DuckDB's 32 MiB (2026-12-07; the same rows in the same
# order). A smaller file takes no more memory for it: DuckDB sizes a buffer to the file.
LARGE_BUFFER = 128 * 1024 * 1024


def buffer_size(max_line_size: int, memory_limit: int | None = None) -> int:
    """DuckDB's CSV buffer for a max_line_size: for ordinary lines LARGE_BUFFER when the memory
    limit (bytes) allows it (a 32nd of it at most), else DuckDB's default (16 times the line);
    twice the longest line past that, so that a 50 MB line does not take 800 MB."""
    if max_line_size > DEFAULT_MAX_LINE_SIZE:
        return 2 * max_line_size
    default = 16 * max_line_size
    if memory_limit is None:
        return default
    return max(default, min(LARGE_BUFFER, memory_limit // 32))


def find_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to load (named, or inside the folders named, recursively, not hidden), and the
    files inside those folders that will not be loaded, each with the reason."""
    found: list[Path] = []
    refused: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    not child.is_file()
                    or any(part.startswith(".") for part in child.relative_to(path).parts)
                    or child.suffix.lower() in DOCUMENTATION_SUFFIXES
                ):
                    continue
                reason = unloadable_reason(child)
                if reason:
                    refused.append((child, reason))
                else:
                    found.append(child)
        elif path.is_file():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return found, refused


def unloadable_reason(path: Path) -> str | None:
    """Why a file found in a folder is not loaded, or None when its name says a data format."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        inner = suffixes[-2] if len(suffixes) > 1 else ""
        if inner in TEXT_SUFFIXES:
            return None
        return (
            f"not loaded: a compressed {inner or 'file'} is not a format carewindow reads "
            "(compress CSV, TSV, JSON or JSON Lines files; Parquet compresses itself)"
        )
    if suffixes and suffixes[-1] in DATA_SUFFIXES:
        return None
    return (
        f"not loaded: {'a ' + suffixes[-1] + ' file' if suffixes else 'a file without a suffix'}"
        " is not a format carewindow reads (CSV, TSV, Parquet, JSON, JSON Lines, also .gz or "
        ".zst, and Meta's rate-card workbook); export it as one of these, or name the file to "
        "try it anyway"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def compression_of(path: Path) -> str:
    """'gzip', 'zstd' or 'none', from the file's first bytes."""
    with path.open("rb") as handle:
        return _compression(handle.read(4))


def _compression(stored: bytes) -> str:
    """'gzip', 'zstd' or 'none', from the first bytes as stored."""
    if stored.startswith(_GZIP_MAGIC):
        return "gzip"
    if stored.startswith(_ZSTD_MAGIC):
        return "zstd"
    return "none"


def _zstd_head(path: Path, size: int) -> bytes:
    """The first lines of a .zst file, decompressed by DuckDB."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "select text from read_csv(?, columns = {'text': 'VARCHAR'}, header = false, "
            "delim = chr(1), quote = '', escape = '', auto_detect = false, "
            "compression = 'zstd', max_line_size = ?, buffer_size = ?, ignore_errors = true) "
            "limit 200",
            [str(path), ZSTD_MAX_LINE_SIZE, buffer_size(ZSTD_MAX_LINE_SIZE)],
        ).fetchall()
    except duckdb.Error as error:
        raise IngestError(
            f"{path}: not a readable zstd file ({str(error).splitlines()[0]}); check that it is "
            "complete"
        ) from error
    finally:
        con.close()
    return "\n".join(row[0] or "" for row in rows).encode("utf-8")[:size]


def head_bytes(path: Path, size: int = HEAD_BYTES, compression: str | None = None) -> bytes:
    """The first `size` bytes of the file's content, decompressed when it is compressed."""
    kind = compression or compression_of(path)
    if kind == "gzip":
        try:
            with gzip.open(path, "rb") as handle:
                return handle.read(size)
        except (OSError, EOFError, zlib.error) as error:
            raise IngestError(
                f"{path}: not a readable gzip file ({error}); check that it is complete"
            ) from error
    if kind == "zstd":
        return _zstd_head(path, size)
    with path.open("rb") as handle:
        return handle.read(size)


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


@dataclass
class FileHead:
    """The first HEAD_BYTES of a file's content (decompressed), read once and handed on: what
    the file is (its kind, its format, a CSV file's header) is told from them alone."""

    path: Path  # the file DuckDB reads
    content: bytes
    compression: str  # none | gzip | zstd (of `path`)
    name: Path | None = None  # the file as named, in messages (default: path)

    @classmethod
    def read(cls, path: Path) -> FileHead:
        """The head of a file not opened for loading (open_input keeps it as it hashes)."""
        compression = compression_of(path)
        return cls(path, head_bytes(path, compression=compression), compression)

    @property
    def shown(self) -> Path:
        return self.name or self.path

    @property
    def is_empty(self) -> bool:
        return not self.content.strip()

    @property
    def is_parquet(self) -> bool:
        return self.content.startswith(b"PAR1")

    @property
    def is_zip(self) -> bool:
        return is_zip(self.content)

    @functools.cached_property
    def text(self) -> str:
        """The head as text, without a byte-order mark or leading white space."""
        return self.content.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()

    @functools.cached_property
    def compact(self) -> str:
        """The head as text without any white space: JSON keys and values as `"key":"value"`."""
        return re.sub(r"\s", "", self.text)

    @property
    def format(self) -> str:
        """parquet, json (a JSON document or JSON Lines) or csv."""
        if self.is_parquet:
            return "parquet"
        return "json" if self.text[:1] in "{[" else "csv"

    @property
    def is_json(self) -> bool:
        return self.format == "json"

    @property
    def is_csv(self) -> bool:
        """Text read as a table: not JSON, not Parquet, not a zip archive (a workbook)."""
        return self.format == "csv" and not self.is_zip

    @functools.cached_property
    def csv_header(self) -> tuple[str, list[str]]:
        """The delimiter (the most frequent of , ; tab |) and column names of a CSV header."""
        first_line = self.content.split(b"\n", 1)[0]
        text = first_line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
        counts = {delimiter: text.count(delimiter) for delimiter in (",", ";", "\t", "|")}
        delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
        try:
            names = next(csv.reader([text], delimiter=delimiter), [])
        except csv.Error:  # not a CSV header at all (a Parquet or JSON file, or garbage)
            names = text.split(delimiter)
        return delimiter, [name.strip() for name in names]

    @functools.cached_property
    def header_names(self) -> set[str]:
        """The CSV header's column names as compared (see normalized)."""
        return {normalized(name) for name in self.csv_header[1]}

    @functools.cached_property
    def is_json_lines(self) -> bool:
        """JSON Lines when the first non-blank line is a whole JSON value and more follows.

        The one question read beyond the head (a first line may be longer), once per file."""
        if self.compression == "zstd":
            lines = iter(head_bytes(self.path, 1 << 24, "zstd").splitlines(keepends=True))
            return _json_lines_from(lines)
        opener = gzip.open if self.compression == "gzip" else open
        with opener(self.path, "rb") as handle:
            return _json_lines_from(handle)


@dataclass
class InputFile:
    """A file to load: its name, what DuckDB reads, and what was measured while hashing it."""

    path: Path  # the file as named: load_log, quarantine and messages name it
    readable: Path  # what DuckDB reads: the file, or a UTF-8 copy of a file in another encoding
    compression: str  # none | gzip | zstd (of `readable`)
    digest: str
    max_line_size: int
    head: FileHead  # of `readable`
    transcoded: bool = False
    # the lines longer than LONG_LINE (not noted in a .zst file, which is not scanned here)
    long_lines: list[LongLine] = dataclass_field(default_factory=list)
    # a copy of `readable` whose lines of too many fields were set aside (Staging), and those
    # lines as (line, raw text, reason); made once per file, removed by close()
    set_aside: tuple[Path, list[tuple[int, str, str]]] | None = None
    temp_directory: str | None = None  # where copies are written

    def close(self) -> None:
        if self.transcoded:
            self.readable.unlink(missing_ok=True)
        if self.set_aside is not None:
            self.set_aside[0].unlink(missing_ok=True)


# A line longer than this is noted while the file is scanned (its number, where it starts, its
# length): DuckDB's CSV reader records one error per field beyond the header's, each with the
# line's text, so a corrupt line of many delimiters costs the square of its length there. Such
# lines are set aside before DuckDB reads the file (Staging.set_aside_overlong_lines).
LONG_LINE = 4096


@dataclass
class LongLine:
    number: int  # 1-based, the header being line 1
    offset: int  # where it starts in the (decompressed) text
    length: int  # in bytes, without its newline


def _scan(chunks: Iterable[bytes]) -> tuple[int, int, list[LongLine]]:
    """(the longest line; the number of lines, counting a last line without a newline; the
    lines longer than LONG_LINE) of a stream of chunks, in one linear pass."""
    longest = lines = offset = 0
    line_start = 0  # where the line under way started
    long_lines: list[LongLine] = []

    def ended(number: int, start: int, end: int) -> None:
        nonlocal longest
        longest = max(longest, end - start)
        if end - start > LONG_LINE:
            long_lines.append(LongLine(number, start, end - start))

    for chunk in chunks:
        if not chunk:
            continue
        newlines = numpy.flatnonzero(numpy.frombuffer(chunk, dtype=numpy.uint8) == 10)
        if len(newlines):
            ends = newlines + offset
            starts = numpy.concatenate(([line_start], ends[:-1] + 1))
            lengths = ends - starts
            ended(lines + 1, line_start, int(ends[0]))  # the line carried from earlier chunks
            for index in numpy.flatnonzero(lengths > LONG_LINE):
                if index:
                    ended(lines + 1 + int(index), int(starts[index]), int(ends[index]))
            longest = max(longest, int(lengths.max()))
            lines += len(newlines)
            line_start = int(ends[-1]) + 1
        offset += len(chunk)
    if offset > line_start:  # a last line without a newline
        lines += 1
        ended(lines, line_start, offset)
    return longest, lines, long_lines


def _chunks(handle) -> Iterable[bytes]:
    while chunk := handle.read(_SCAN_CHUNK):
        yield chunk


def _keeping_head(chunks: Iterable[bytes], kept: bytearray) -> Iterator[bytes]:
    """The chunks, passed on; their first HEAD_BYTES also added to `kept`."""
    for chunk in chunks:
        if len(kept) < HEAD_BYTES:
            kept += chunk[: HEAD_BYTES - len(kept)]
        yield chunk


def open_input(path: Path, encoding: str, temp_directory: str) -> InputFile:
    """Hash the file and measure its lines, keeping its head (FileHead) from the same pass; a
    file in another encoding than UTF-8 is read through a UTF-8 copy (in temp_directory),
    removed by InputFile.close()."""
    digest = hashlib.sha256()
    long_lines: list[LongLine] = []
    kept = bytearray()
    # the hash on a thread of its own, beside the scan of the lines (analytics/ingest/hashing.py)
    with hashed_beside(digest) as hash_chunk, path.open("rb") as handle:

        def hashed(chunks: Iterable[bytes]) -> Iterator[bytes]:
            for chunk in chunks:
                hash_chunk(chunk)
                yield chunk

        first = handle.read(_SCAN_CHUNK)
        compression = _compression(first)
        stored = hashed(itertools.chain([first], _chunks(handle)))
        if compression == "none":
            longest, _, long_lines = _scan(_keeping_head(stored, kept))
        else:
            for _ in stored:
                pass
            longest = 0
    if compression == "gzip":
        try:
            with gzip.open(path, "rb") as handle:
                longest, _, long_lines = _scan(_keeping_head(_chunks(handle), kept))
        except (OSError, EOFError, zlib.error) as error:
            raise IngestError(
                f"{path}: not a readable gzip file ({error}); check that it is complete; "
                "nothing from it was loaded"
            ) from error
    if compression == "zstd":
        kept += _zstd_head(path, HEAD_BYTES)
    head = FileHead(path, bytes(kept), compression)
    readable, transcoded = path, False
    if not _is_utf8(encoding) and not (head.is_parquet or head.is_zip):
        readable = _utf8_copy(path, compression, encoding, temp_directory)
        transcoded, compression = True, "none"
        kept = bytearray()
        with readable.open("rb") as handle:
            longest, _, long_lines = _scan(_keeping_head(_chunks(handle), kept))
        head = FileHead(readable, bytes(kept), compression, name=path)
    if compression == "zstd":
        max_line_size = ZSTD_MAX_LINE_SIZE
    else:
        max_line_size = max(DEFAULT_MAX_LINE_SIZE, longest + _SCAN_CHUNK)
    return InputFile(
        path,
        readable,
        compression,
        digest.hexdigest(),
        max_line_size,
        head,
        transcoded,
        long_lines,
        temp_directory=temp_directory,
    )


def _utf8_copy(path: Path, compression: str, encoding: str, temp_directory: str) -> Path:
    """A UTF-8 copy of a text file in `encoding` (bytes it cannot decode become U+FFFD)."""
    if compression == "zstd":
        raise IngestError(
            f"{path}: a .zst file in {encoding} cannot be read; decompress it (zstd -d) or save "
            "it as UTF-8, then load it again"
        )
    Path(temp_directory).mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="carewindow-utf8-", suffix=".txt", dir=temp_directory)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rb") as source, os.fdopen(handle, "wb") as target:
            for chunk in _chunks(source):
                target.write(decoder.decode(chunk).encode("utf-8"))
            target.write(decoder.decode(b"", final=True).encode("utf-8"))
    except (OSError, EOFError, zlib.error) as error:
        Path(name).unlink(missing_ok=True)
        raise IngestError(
            f"{path}: cannot be read ({error}); nothing from it was loaded"
        ) from error
    return Path(name)


def normalized(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower().lstrip("\ufeff"))


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _json_lines_from(lines: Iterable[bytes]) -> bool:
    lines = iter(lines)
    for raw_line in lines:
        if raw_line.strip():
            try:
                json.loads(raw_line)
            except ValueError:
                return False
            return any(rest.strip() for rest in lines)
    return False


def column_mapping(
    file_columns: list[str],
    wanted: Iterable[str],
    aliases: dict[str, list[str]],
    path: Path,
) -> dict[str, str]:
    """canonical column -> the file's column that holds it."""
    lookup: dict[str, str] = {}
    for canonical in wanted:
        for name in [canonical, *aliases.get(canonical, [])]:
            lookup.setdefault(normalized(name), canonical)
    mapping: dict[str, str] = {}
    for column in file_columns:
        canonical = lookup.get(normalized(column))
        if canonical is None:
            continue
        if canonical in mapping:
            raise IngestError(
                f"{path}: columns {mapping[canonical]!r} and {column!r} both map to "
                f"{canonical!r}; rename one"
                + (" or change inputs.column_aliases" if aliases else "")
            )
        mapping[canonical] = column
    return mapping


def require(
    mapping: dict[str, str], required: Iterable[str], path: Path, kind: str, file_columns: list[str]
) -> None:
    """An IngestError naming the required columns the file lacks, if any."""
    missing = [column for column in required if column not in mapping]
    if not missing:
        return
    header = ", ".join(file_columns)
    if any(not character.isprintable() or character == "\ufffd" for character in header):
        # the bytes of a binary file (or another encoding) are no help in a message
        raise IngestError(
            f"{path}: not a {kind.replace('_', ' ')}: its first line is not text (a binary file, "
            "or text in another encoding). Check the file, or set inputs.encoding"
        )
    if len(header) > 200:
        header = header[:199] + "…"
    # only a message log's headers map through inputs.column_aliases
    advice = (
        "Map other header names in inputs.column_aliases of carewindow.toml"
        if kind == "message_log"
        else "Rename the columns as the README's Inputs section lists them"
    )
    raise IngestError(
        f"{path}: not a {kind.replace('_', ' ')}: required column(s) {', '.join(missing)} "
        f"not found among {header or 'no columns'}. {advice}, or pass --kind if the kind was "
        "guessed wrong"
    )
