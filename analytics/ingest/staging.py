"""Staging: a file read into temporary text tables (CSV and Parquet rows, JSON Lines, JSON
documents), with the rows the CSV reader rejected described for the quarantine."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb
import pandas

from analytics.config import Settings
from analytics.db import fetch_all, fetch_value, memory_limit_bytes
from analytics.ingest.errors import IngestError
from analytics.ingest.files import InputFile, buffer_size, column_mapping, quoted, require
from analytics.ingest.long_lines import line_texts, lines_by_number, set_aside_overlong_lines


def parsing_parameters(settings: Settings) -> dict[str, str]:
    """The settings message_log_rows.sql and opt_in_rows.sql read."""
    return {
        "source_time_zone": settings.source_time_zone,
        # an empty format cannot be bound; ISO-8601 is read before the format anyway
        "timestamp_format": settings.timestamp_format or "%Y-%m-%d %H:%M:%S",
    }


class Staging:
    """Reads one file into temporary text tables, inside the load's transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: InputFile, load_id: int):
        self.con = con
        self.source = source
        self.path = source.readable  # what DuckDB reads
        self.name = source.path  # what messages name
        self.load_id = load_id
        self.rejects = f"csv_rejects_{load_id}"
        self.reject_scans = f"{self.rejects}_scan"
        self.long_lines = f"long_lines_{load_id}"
        self.csv_rows = f"csv_rows_{load_id}"
        self.csv_rows_staged = False
        self.first_rowid = 0
        self._csv_row_count = 0
        self.scratch_tables: list[str] = []
        self.detail: list[str] = []
        self.head = source.head
        self.format = source.head.format  # parquet, json or csv
        delimiter, self.header = source.head.csv_header
        compression = source.compression
        if source.long_lines and self.format == "csv":
            if source.set_aside is None:
                source.set_aside = set_aside_overlong_lines(source, delimiter, len(self.header))
            self._store_long_lines()
            if source.set_aside[1]:
                self.path, compression = source.set_aside[0], "none"
        self.parameters = {
            "path": str(self.path),
            "delim": delimiter,
            "compression": compression,
            "max_line_size": source.max_line_size,
            "buffer_size": buffer_size(source.max_line_size, memory_limit_bytes(con)),
        }

    def _store_long_lines(self) -> None:
        """Temp table long_lines_<load>: (line, raw, reason) of the lines set aside for their
        fields; the raw text of other long lines that DuckDB rejects is added when needed."""
        self._create_lines_table(
            self.long_lines, ("line", "raw", "reason"), self.source.set_aside[1]
        )

    def _create_lines_table(self, table: str, columns: tuple[str, ...], rows: list) -> None:
        """Temp table `table` of text lines, written in one statement (not row by row)."""
        frame = pandas.DataFrame(rows, columns=list(columns)).astype(
            {"line": "int64", **{column: "object" for column in columns[1:]}}
        )
        self.con.register("lines_frame", frame)
        try:
            self.con.execute(
                f"create or replace temp table {table} as select line::bigint as line, "
                + ", ".join(f"{quoted(name)}::varchar as {quoted(name)}" for name in columns[1:])
                + " from lines_frame"
            )
        finally:
            self.con.unregister("lines_frame")

    def _csv_source(self) -> str:
        # Nothing is sniffed: DuckDB's sniffer gives up on a sample holding a row with too
        # many columns, reads quotes as text when the sample has none, and may take '#' for a
        # comment. The header gives the columns, read by position as c0, c1, ... Rejected rows
        # are always stored: without that DuckDB passes rows of invalid UTF-8 on as if good.
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(max(len(self.header), 1)))
        return (
            f"read_csv($path, auto_detect = false, header = true, columns = {{{columns}}}, "
            "delim = $delim, quote = '\"', escape = '\"', ignore_errors = true, "
            "compression = $compression, max_line_size = $max_line_size, "
            "buffer_size = $buffer_size, "
            f"store_rejects = true, rejects_table = '{self.rejects}', "
            f"rejects_scan = '{self.reject_scans}')"
        )

    def csv_rows_table(self) -> str:
        """Temp table csv_rows_<load>: the CSV file's fields (c0, c1, ...) as text, read once,
        in file order, the rows it rejects stored once (`rejects`).

        Its rowid numbers the rows in file order, from first_rowid. Numbering the rows while reading
        the file (row_number() over ()) put the whole statement that reads, checks and inserts
        them on one thread: loading a log of two million messages took 7.4 s so, 5.1 s this
        way. Every later read of the file is a read of this table."""
        if not self.csv_rows_staged:
            with self.in_file_order():
                self.con.execute(
                    f"create or replace temp table {self.csv_rows} as "
                    f"select * from {self._csv_source()}",
                    self.parameters,
                )
            self.scratch_tables.append(self.csv_rows)
            self.csv_rows_staged = True
            self.first_rowid = self._first_rowid(self.csv_rows)
            self._csv_row_count = fetch_value(self.con, f"select count(*) from {self.csv_rows}")
        return self.csv_rows

    def csv_row_count(self) -> int:
        """The rows the CSV reader gave (not those it rejected), counted once when staged."""
        self.csv_rows_table()
        return self._csv_row_count

    def _first_rowid(self, table: str) -> int:
        """The row ID of a new table's first row: inside a transaction, DuckDB numbers the rows
        of a table made in it from far above 0 until it commits."""
        return int(fetch_value(self.con, f"select coalesce(min(rowid), 0) from {table}"))

    def _csv_column(self, name: str) -> str:
        return f"c{self.header.index(name)}"

    def source_select(
        self,
        mapping: dict[str, str],
        columns: Iterable[str],
        file_format: str,
        numbered: bool,
        extra_nulls: Iterable[str] = (),
    ) -> str:
        """A SELECT giving the file's rows as canonical text columns, `line` their lines in the
        file when `numbered` (past the rows the CSV reader rejected: lines_of).

        A CSV file is read once into a temp table (csv_rows_table) that every SELECT reads; a
        Parquet one (parameter $path) numbers its rows itself.
        """

        def column(name: str) -> str:
            return self._csv_column(name) if file_format == "csv" else quoted(name)

        select = ", ".join(
            (
                f"{column(mapping[c])}::varchar as {quoted(c)}"
                if c in mapping
                else f"null::varchar as {quoted(c)}"
            )
            for c in columns
        )
        nulls = "".join(f", null::varchar as {quoted(c)}" for c in extra_nulls)
        if file_format == "parquet":
            source = "read_parquet($path, file_row_number = true)"
            line = "file_row_number + 1" if numbered else "null::bigint"
        else:
            # the header is line 1
            source = self.csv_rows_table()
            line, join = "null::bigint", ""
            if numbered:
                line, join = self.lines_of(
                    f"{source}.rowid - {self.first_rowid - 2}", self.csv_row_count() + 1
                )
            source += join
        return f"select {line} as line, {select}{nulls} from {source}"

    @contextlib.contextmanager
    def in_file_order(self) -> Iterator[None]:
        """Scan in file order, so that rows numbered as read carry their lines."""
        self.con.execute("set preserve_insertion_order = true")
        try:
            yield
        finally:
            self.con.execute("set preserve_insertion_order = false")

    def csv_columns(self) -> list[str]:
        return list(self.header)

    def lines_of(self, numbered: str, last_line: int) -> tuple[str, str]:
        """(an expression, a join clause): the line in the file of each row numbered
        `numbered` (an expression: rows counted in file order, up to last_line).

        The rows the CSV reader rejected are not among the numbered ones, so every row after a
        rejected one would be reported a line too early: the join brings each row's shift
        (rejected_line_buckets in analytics/sql/ingest/macros.sql), an equi-join on a small
        table of buckets, about one rejected row a bucket. No join when none was rejected.
        """
        rejected = self.reject_rows()
        if not rejected:
            return numbered, ""
        bucket_rows = max(16, min(65536, last_line // rejected))
        table = f"line_buckets_{self.load_id}_{bucket_rows}_{last_line}"
        if table not in self.scratch_tables:
            self.con.execute(
                f"create or replace temp table {table} as select * from "
                f"rejected_line_buckets('{self.rejects}', {bucket_rows}, {last_line})"
            )
            self.scratch_tables.append(table)
        return (
            f"shifted_line({numbered}, line_bucket.base, line_bucket.starts, line_bucket.shifts)",
            f" join {table} as line_bucket on line_bucket.bucket = ({numbered}) // {bucket_rows}",
        )

    def renumber(self, table: str) -> None:
        """Put the rows of `table`, numbered in file order (`line`), back on their lines of the
        file, past the rows the CSV reader rejected (lines_of)."""
        if not self.reject_rows():
            return
        last_line = fetch_value(self.con, f"select coalesce(max(line), 0) from {table}")
        line, join = self.lines_of(f"{table}.line", last_line)
        self.con.execute(
            f"create or replace temp table {table} as "
            f"select {table}.* replace ({line} as line) from {table}{join}"
        )

    def stage_table(
        self, table: str, mapping: dict[str, str], columns: Iterable[str], file_format: str
    ) -> None:
        """Create temp table `table` (line, canonical text columns) from a CSV or Parquet file."""
        self.con.execute(
            f"create or replace temp table {table} as "
            + self.source_select(mapping, columns, file_format, numbered=True),
            {} if file_format == "csv" else {"path": str(self.path)},
        )

    def stage_csv_kind(
        self, table: str, columns: tuple[str, ...], required: tuple[str, ...], kind: str
    ) -> None:
        """Temp table `table` from a CSV file of a fixed set of columns (ledgers, rate cards)."""
        file_columns = self.csv_columns()
        mapping = column_mapping(file_columns, columns, {}, self.name)
        require(mapping, required, self.name, kind, file_columns)
        self.stage_table(table, mapping, columns, "csv")
        ignored = sorted(set(file_columns) - set(mapping.values()) - {""})
        if ignored:
            self.detail.append(f"ignored columns: {', '.join(ignored)}")

    def stage_json_lines(self) -> None:
        """Temp table `json_lines` (line, text, json): one row per non-blank line of the file.

        The lines are read in file order into a table whose rowid numbers them (see
        csv_rows_table), then parsed on every thread."""
        lines = f"json_text_{self.load_id}"
        with self.in_file_order():
            self.con.execute(
                f"create or replace temp table {lines} as "
                "select text from read_csv($path, "
                "  columns = {'text': 'VARCHAR'}, header = false, delim = chr(1), quote = '',"
                "  escape = '', auto_detect = false, ignore_errors = true, store_rejects = true,"
                "  compression = $compression, max_line_size = $max_line_size,"
                "  buffer_size = $buffer_size,"
                f"  rejects_table = '{self.rejects}', rejects_scan = '{self.reject_scans}')",
                {
                    "path": str(self.path),
                    "compression": self.source.compression,
                    "max_line_size": self.source.max_line_size,
                    "buffer_size": self.parameters["buffer_size"],
                },
            )
        first_rowid = self._first_rowid(lines)
        self.con.execute(
            "create or replace temp table json_lines as "
            f"select rowid - {first_rowid - 1} as line, text, try(text::json) as j "
            f"from {lines} where text is not null and trim(text) <> ''"
        )
        self.con.execute(f"drop table {lines}")
        self.renumber("json_lines")

    def read_document(self) -> str:
        """The JSON document the (possibly compressed) file holds; several values become an
        array."""
        if self.source.compression == "none":
            document = fetch_value(
                self.con, "select try(content::json) from read_text(?)", [str(self.path)]
            )
            if document is None:
                raise IngestError(
                    f"{self.name}: not valid JSON (truncated or damaged?); nothing from it was "
                    "loaded"
                )
            return document
        try:
            values = [
                row[0]
                for row in fetch_all(
                    self.con,
                    "select json from read_json_objects($path, format = 'unstructured', "
                    "compression = $compression, maximum_object_size = $size)",
                    {
                        "path": str(self.path),
                        "compression": self.source.compression,
                        # a compressed document is rarely 50 times its size
                        "size": min(max(16 << 20, 50 * self.path.stat().st_size), 1 << 30),
                    },
                )
            ]
        except duckdb.Error as error:
            raise IngestError(
                f"{self.name}: not valid JSON (truncated or damaged?); nothing from it was loaded"
            ) from error
        if not values:
            raise IngestError(f"{self.name}: the file holds no JSON value; nothing was loaded")
        return values[0] if len(values) == 1 else "[" + ",".join(values) + "]"

    def stage_bodies(self, body_key: str | tuple[str, ...] | None = "entry") -> None:
        """Temp table `incoming_bodies` (line, label, body_text): one row per body in the file.

        JSON Lines: one body per line. A JSON document: a list of bodies when it is an array;
        an object is one body (with a body_key given: when it has `body_key`, or one of them;
        else it is an object of named bodies, as in pywa's test data, each labelled with its
        name); line = the body's place."""
        keys = [] if body_key is None else [body_key] if isinstance(body_key, str) else [*body_key]
        if self.head.is_json_lines:
            self.stage_json_lines()
            self.con.execute(
                "create or replace temp table incoming_bodies as "
                "select line, null::varchar as label, text as body_text from json_lines"
            )
            return
        self.con.execute(
            """
            create or replace temp table incoming_bodies as
            with document as (select $document::json as j),
            objects as (
                select j, $whole or list_has_any(json_keys(j), $keys::varchar[]) as one_body
                from document where json_type(j) = 'OBJECT'
            )
            select 1::bigint as line, null::varchar as label, j::varchar as body_text
            from objects where one_body
            union all
            select generate_subscripts(j -> '$[*]', 1)::bigint as line, null as label,
                unnest(j -> '$[*]')::varchar as body_text
            from document where json_type(j) = 'ARRAY'
            union all
            select keys.line, keys.key as label,
                (j -> ('$.' || to_json(keys.key)))::varchar as body_text
            from objects, unnest(json_keys(j)) with ordinality as keys(key, line)
            where not one_body
            """,
            {"document": self.read_document(), "keys": keys, "whole": body_key is None},
        )

    def stage_pages(self) -> None:
        """Temp table `incoming_pages` (line, page, raw): one row per Graph API response body in
        the file (stage_bodies, every object one body). `page` is null for a line (JSON Lines)
        that is not valid JSON; `raw` keeps its text."""
        self.stage_bodies(body_key=None)
        self.con.execute(
            "create or replace temp table incoming_pages as "
            "select line, try(body_text::json) as page, left(body_text, 10000) as raw "
            "from incoming_bodies"
        )

    def reject_rows(self) -> int:
        exists = fetch_value(
            self.con,
            "select count(*) from duckdb_tables() where table_name = ? and temporary",
            [self.rejects],
        )
        if not exists:
            return 0
        return fetch_value(self.con, f"select count(distinct line) from {self.rejects}")

    def rejected_rows(self) -> tuple[str, dict[str, Any]] | None:
        """The rows the CSV reader rejected as quarantine rows (line, raw, reason, staged), each
        with one sentence saying why: a query and its parameters; None when there are none."""
        if not self.reject_rows():
            return None
        long_lines = self._long_line_texts()
        # DuckDB gives one error per field short of (or beyond) the header, each with its own
        # count: the row's own count is the fewest (most) found
        return (
            f"""
            with errors as (
                select line, csv_line, error_type, error_message,
                    try_cast(regexp_extract(error_message, 'Found: (\\d+)', 1) as bigint)
                        as found
                from {self.rejects}
            ),
            rows as (
                select line, any_value(csv_line) as csv_line,
                    bool_or(error_type in ('INVALID ENCODING', 'INVALID_ENCODING'))
                        as bad_encoding,
                    min(found) filter (where error_type = 'MISSING COLUMNS') as fewer,
                    max(found) filter (where error_type = 'TOO MANY COLUMNS') as more,
                    min(error_message) as first_error
                from errors group by line
            )
            select r.line, coalesce(l.raw, t.text, r.csv_line) as raw,
                coalesce(l.reason, 'unreadable row: ' || case
                    when r.bad_encoding then 'not valid UTF-8 text; set inputs.encoding to '
                        || 'the file''s encoding (e.g. windows-1252)'
                    when r.fewer is not null then format('{{:,}} field(s) where the header '
                        || 'has {{}} columns', r.fewer, $header_columns)
                    when r.more is not null then format('{{:,}} fields where the header has '
                        || '{{}} columns (a corrupt line, or values holding the delimiter '
                        || 'without quotes)', r.more, $header_columns)
                    else r.first_error
                end) as reason,
                null as staged
            from rows as r left join {long_lines} as l using (line)
            left join {self._undecodable_line_texts()} as t using (line)
            """,
            {"header_columns": len(self.header)},
        )

    def _undecodable_line_texts(self) -> str:
        """A table (line, text) of the lines rejected as not UTF-8, read from the file with
        their bad bytes written as \\xNN: DuckDB's record of such a line loses the delimiter
        after a bad byte."""
        numbers = {
            row[0]
            for row in self.con.execute(
                f"select distinct line from {self.rejects} "
                "where error_type in ('INVALID ENCODING', 'INVALID_ENCODING')"
            ).fetchall()
        }
        if not numbers:
            return "(select null::bigint as line, null as text)"
        table = f"{self.rejects}_text"
        self._create_lines_table(
            table, ("line", "text"), list(lines_by_number(self.source, numbers).items())
        )
        self.scratch_tables.append(table)
        return table

    def _long_line_texts(self) -> str:
        """The table of long lines' raw text (line, raw, reason) for the rejected rows; the
        text of a rejected long line not set aside is read from the file now."""
        if not self.source.long_lines or not fetch_value(
            self.con,
            "select count(*) from duckdb_tables() where table_name = ? and temporary",
            [self.long_lines],
        ):
            return "(select null::bigint as line, null as raw, null as reason)"
        long_numbers = {line.number for line in self.source.long_lines}
        set_aside = {line for line, _, _ in self.source.set_aside[1]}
        rejected = {
            row[0]
            for row in self.con.execute(f"select distinct line from {self.rejects}").fetchall()
        }
        stored = {
            row[0] for row in self.con.execute(f"select line from {self.long_lines}").fetchall()
        }
        wanted = (rejected & long_numbers) - set_aside - stored
        if wanted:
            # DuckDB's record of a rejected line keeps 10,000 characters: its first megabyte
            texts = f"{self.long_lines}_texts"
            self._create_lines_table(
                texts, ("line", "raw"), list(line_texts(self.source, wanted).items())
            )
            self.con.execute(f"insert into {self.long_lines} select line, raw, null from {texts}")
            self.con.execute(f"drop table {texts}")
        return self.long_lines

    def drop(self) -> None:
        tables = [self.rejects, self.reject_scans, self.long_lines, *self.scratch_tables]
        for table in tables:
            self.con.execute(f"drop table if exists {table}")
