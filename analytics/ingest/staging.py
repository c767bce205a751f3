"""Staging and quarantine: a file read into temporary text tables, and bad rows set aside."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from analytics.db import fetch_value
from analytics.ingest.context import IngestError, LoadContext
from analytics.ingest.files import column_mapping, csv_header, quoted, require


def quarantine(ctx: LoadContext, rows_sql: str, parameters: Mapping[str, Any] | None = None) -> int:
    """Set aside the rows of `rows_sql` (columns line, raw, reason) in `quarantine`; count them.

    The one place rows enter the quarantine table. `rows_sql` binds named parameters only.
    """
    count = (
        fetch_value(
            ctx.con,
            "insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at) "
            "select $load_id, $file, $kind, bad.line, bad.raw, bad.reason, now() "
            f"from ({rows_sql}) as bad",
            {**(parameters or {}), "load_id": ctx.load_id, "file": ctx.file, "kind": ctx.kind},
        )
        or 0
    )
    ctx.load.quarantined += count
    return count


class Staging:
    """Reads one file into temporary text tables, inside the load's transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, load_id: int):
        self.con = con
        self.path = path
        self.rejects = f"csv_rejects_{load_id}"
        self.reject_scans = f"csv_reject_scans_{load_id}"
        self.detail: list[str] = []
        delimiter, self.header = csv_header(path)
        self.parameters = {"path": str(path), "delim": delimiter}

    def _csv_source(self, store_rejects: bool = True) -> str:
        # Nothing is sniffed: DuckDB's sniffer gives up on a sample holding a row with too
        # many columns, reads quotes as text when the sample has none, and may take '#' for a
        # comment. The header gives the columns, read by position as c0, c1, ...
        rejects = (
            f", store_rejects = true, rejects_table = '{self.rejects}', "
            f"rejects_scan = '{self.reject_scans}'"
            if store_rejects
            else ""
        )
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(max(len(self.header), 1)))
        return (
            f"read_csv($path, auto_detect = false, header = true, columns = {{{columns}}}, "
            "delim = $delim, quote = '\"', escape = '\"', ignore_errors = true"
            f"{rejects})"
        )

    def _csv_column(self, name: str) -> str:
        return f"c{self.header.index(name)}"

    def source_select(
        self,
        mapping: dict[str, str],
        columns: Iterable[str],
        file_format: str,
        numbered: bool,
        extra_nulls: Iterable[str] = (),
        store_rejects: bool = True,
    ) -> str:
        """A SELECT (parameter $path) giving the file's rows as canonical text columns.

        Numbering lines keeps the scan in file order, which costs about half the read speed,
        so the fast pass leaves it out and only a file with bad rows is read again numbered.
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
            source, first_line = "read_parquet($path)", 1
        else:
            source, first_line = self._csv_source(store_rejects), 2
        line = f"row_number() over () + {first_line - 1}" if numbered else "null::bigint"
        return f"select {line} as line, {select}{nulls} from {source}"

    def csv_columns(self) -> list[str]:
        return list(self.header)

    def renumber(self, table: str) -> None:
        """Shift the lines of `table` past the rows the CSV reader rejected.

        Rows are numbered in file order, but rejected rows are not among them, so every row
        after a rejected one would otherwise be reported one line too early.
        """
        if not self.reject_rows():
            return
        self.con.execute(
            f"""
            create or replace temp table {table} as
            with rejected as (
                select line, row_number() over (order by line) as rejected_before
                from (select distinct line from {self.rejects})
            ),
            shifts as (
                -- numbered rows from this line on come after `rejected_before` rejected rows
                select line - rejected_before + 1 as from_line,
                    max(rejected_before) as rejected_before
                from rejected
                group by all
            )
            select t.* replace (t.line + coalesce(s.rejected_before, 0) as line)
            from {table} as t asof left join shifts as s on t.line >= s.from_line
            """
        )

    def stage_table(
        self, table: str, mapping: dict[str, str], columns: Iterable[str], file_format: str
    ) -> None:
        """Create temp table `table` (line, canonical text columns) from a CSV or Parquet file."""
        self.con.execute("set preserve_insertion_order = true")  # line numbers follow the file
        try:
            self.con.execute(
                f"create or replace temp table {table} as "
                + self.source_select(mapping, columns, file_format, numbered=True),
                self.parameters if file_format == "csv" else {"path": str(self.path)},
            )
        finally:
            self.con.execute("set preserve_insertion_order = false")
        if file_format == "csv":
            self.renumber(table)

    def stage_csv_kind(
        self, table: str, columns: tuple[str, ...], required: tuple[str, ...], kind: str
    ) -> None:
        """Temp table `table` from a CSV file of a fixed set of columns (ledgers, rate cards)."""
        file_columns = self.csv_columns()
        mapping = column_mapping(file_columns, columns, {}, self.path)
        require(mapping, required, self.path, kind, file_columns)
        self.stage_table(table, mapping, columns, "csv")
        ignored = sorted(set(file_columns) - set(mapping.values()) - {""})
        if ignored:
            self.detail.append(f"ignored columns: {', '.join(ignored)}")

    def stage_json_lines(self) -> None:
        """Temp table `json_lines` (line, text, json): one row per non-blank line of the file."""
        self.con.execute("set preserve_insertion_order = true")  # line numbers follow the file
        try:
            self.con.execute(
                "create or replace temp table json_lines as "
                "select line, text, try(text::json) as j from ("
                "  select row_number() over () as line, text from read_csv(?, "
                "    columns = {'text': 'VARCHAR'}, header = false, delim = chr(1), quote = '',"
                "    escape = '', auto_detect = false, ignore_errors = true, store_rejects = true,"
                f"    rejects_table = '{self.rejects}', rejects_scan = '{self.reject_scans}')"
                ") where text is not null and trim(text) <> ''",
                [str(self.path)],
            )
        finally:
            self.con.execute("set preserve_insertion_order = false")
        self.renumber("json_lines")

    def reject_rows(self) -> int:
        exists = fetch_value(
            self.con,
            "select count(*) from duckdb_tables() where table_name = ? and temporary",
            [self.rejects],
        )
        if not exists:
            return 0
        return fetch_value(self.con, f"select count(distinct line) from {self.rejects}")

    def quarantine_rejects(self, ctx: LoadContext) -> int:
        """Quarantine the rows the CSV reader rejected; count them."""
        if not self.reject_rows():
            return 0
        return quarantine(
            ctx,
            "select line, any_value(csv_line) as raw, "
            "'unreadable row: ' || string_agg(distinct error_message, '; ') as reason "
            f"from {self.rejects} group by line",
        )

    def drop(self) -> None:
        for table in (self.rejects, self.reject_scans):
            self.con.execute(f"drop table if exists {table}")


def read_error(path: Path, error: Exception) -> IngestError:
    """The IngestError for a file DuckDB or the OS could not read."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "No space left on device" in str(error) or isinstance(error, duckdb.FatalException):
        # The warehouse's own storage failed, not the input file: say so.
        return IngestError(
            f"{path}: not loaded, the warehouse's disk is full or failing ({message}). Free "
            "space beside the warehouse and its spill folder (warehouse.temp_directory), then "
            "load the file again; nothing from it was loaded"
        )
    return IngestError(
        f"{path}: cannot be read ({message}). Check that it is a complete CSV, Parquet, JSON or "
        "JSON Lines file; nothing from it was loaded"
    )
