"""Load message logs, webhook bodies, opt-in ledgers and rate cards into the warehouse.

Every file is loaded in one transaction, set-based in DuckDB: read as text, checked in SQL
(analytics/sql/ingest/), bad rows to `quarantine` with a reason, good rows merged, and one
`load_log` row whose counts add up (rows read = loaded + duplicates + quarantined + skipped).
A file already loaded (same content) is not read again; a file that cannot be read at all
raises IngestError naming it and leaves the warehouse as it was.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analytics.config import CANONICAL_COLUMNS, Settings
from analytics.db import fetch_all, fetch_value, sql_text

KINDS = ("message_log", "webhook", "opt_in_ledger", "rate_card")
# Inside a folder only these are taken; a file named on its own is always taken.
DATA_SUFFIXES = (".csv", ".parquet", ".json", ".jsonl", ".ndjson")
REQUIRED_MESSAGE_COLUMNS = (
    "message_id",
    "timestamp",
    "direction",
    "business_number",
    "contact",
    "type",
)
LEDGER_COLUMNS = ("contact", "timestamp", "event", "scope", "business_number", "source")
RATE_CARD_COLUMNS = ("effective_from", "market", "category", "currency", "rate", "tier_from")
# Columns a webhook event carries beyond a message log's; a message log has them as nulls.
WEBHOOK_ONLY_COLUMNS = (
    "phone_number_id",
    "status_timestamp",
    "meta_billable",
    "meta_pricing_type",
    "meta_category",
    "meta_pricing_model",
    "meta_conversation_id",
    "meta_conversation_origin",
)
_HEAD_BYTES = 65536


class IngestError(RuntimeError):
    """A file cannot be loaded at all; the message names the file and what to do."""


@dataclass
class FileLoad:
    file: str
    kind: str
    outcome: str  # loaded | already_loaded
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: int = 0
    detail: str = ""


@dataclass
class IngestResult:
    loads: list[FileLoad] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(load, name) for load in self.loads)

    @property
    def files_loaded(self) -> int:
        """Files loaded now, not those already loaded before."""
        return sum(1 for load in self.loads if load.outcome == "loaded")

    def summary(self) -> str:
        new = self.files_loaded
        again = len(self.loads) - new
        text = (
            f"ingested {new} file(s): {self.total('rows_read'):,} rows read, "
            f"{self.total('loaded'):,} loaded, {self.total('duplicates'):,} duplicates, "
            f"{self.total('quarantined'):,} quarantined, {self.total('skipped'):,} skipped"
        )
        if again:
            text += f"; {again} already loaded"
        if self.errors:
            text += f"; {len(self.errors)} file(s) failed"
        return text


def discover_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the data files inside the folders named (recursively, not hidden)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(
                sorted(
                    child
                    for child in path.rglob("*")
                    if child.is_file()
                    and child.suffix.lower() in DATA_SUFFIXES
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _normalized(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower().lstrip("\ufeff"))


def detect_kind(path: Path) -> str:
    """What a file holds, from its content: message_log, webhook, opt_in_ledger or rate_card."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head.strip():
        raise IngestError(f"{path}: the file is empty")
    if head.startswith(b"PAR1"):
        return "message_log"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if text[:1] in "{[":
        compact = re.sub(r"\s", "", text)
        if '"entry":' in compact and ('"changes":' in compact or '"object":' in compact):
            return "webhook"
        return "message_log"
    header = {_normalized(name) for name in _csv_header(path)[1]}
    if {"effectivefrom", "rate"} <= header:
        return "rate_card"
    if "event" in header and "direction" not in header:
        return "opt_in_ledger"
    return "message_log"


def _csv_header(path: Path) -> tuple[str, list[str]]:
    """The delimiter (the most frequent of , ; tab |) and column names of a CSV file's header."""
    with path.open("rb") as handle:
        first_line = handle.readline(_HEAD_BYTES)
    text = first_line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    counts = {delimiter: text.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    try:
        names = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # not a CSV header at all (a Parquet or JSON file, or garbage)
        names = text.split(delimiter)
    return delimiter, [name.strip() for name in names]


def _file_format(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    return "json" if text[:1] in "{[" else "csv"


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _column_mapping(
    file_columns: list[str], wanted: Iterable[str], aliases: dict[str, list[str]], path: Path
) -> dict[str, str]:
    """canonical column -> the file's column that holds it."""
    lookup: dict[str, str] = {}
    for canonical in wanted:
        for name in [canonical, *aliases.get(canonical, [])]:
            lookup.setdefault(_normalized(name), canonical)
    mapping: dict[str, str] = {}
    for column in file_columns:
        canonical = lookup.get(_normalized(column))
        if canonical is None:
            continue
        if canonical in mapping:
            raise IngestError(
                f"{path}: columns {mapping[canonical]!r} and {column!r} both map to "
                f"{canonical!r}; rename one or change inputs.column_aliases"
            )
        mapping[canonical] = column
    return mapping


def _require(
    mapping: dict[str, str], required: Iterable[str], path: Path, kind: str, file_columns: list[str]
) -> None:
    missing = [column for column in required if column not in mapping]
    if missing:
        raise IngestError(
            f"{path}: not a {kind.replace('_', ' ')}: required column(s) {', '.join(missing)} "
            f"not found among {', '.join(file_columns) or 'no columns'}. Map other header names in "
            "inputs.column_aliases of carewindow.toml, or pass --kind if the kind was guessed wrong"
        )


class _Staging:
    """Reads one file into temporary text tables, inside the load's transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, load_id: int):
        self.con = con
        self.path = path
        self.rejects = f"csv_rejects_{load_id}"
        self.reject_scans = f"csv_reject_scans_{load_id}"
        self.detail: list[str] = []
        delimiter, self.header = _csv_header(path)
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
            return self._csv_column(name) if file_format == "csv" else _quoted(name)

        select = ", ".join(
            (
                f"{column(mapping[c])}::varchar as {_quoted(c)}"
                if c in mapping
                else f"null::varchar as {_quoted(c)}"
            )
            for c in columns
        )
        nulls = "".join(f", null::varchar as {_quoted(c)}" for c in extra_nulls)
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

    def quarantine_rejects(self, load_id: int, file: str, kind: str) -> int:
        count = self.reject_rows()
        if count:
            self.con.execute(
                "insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at) "
                "select ?, ?, ?, line, any_value(csv_line), "
                f"'unreadable row: ' || string_agg(distinct error_message, '; '), now() "
                f"from {self.rejects} group by line",
                [load_id, file, kind],
            )
        return count

    def drop(self) -> None:
        for table in (self.rejects, self.reject_scans):
            self.con.execute(f"drop table if exists {table}")


def _read_error(path: Path, error: Exception) -> IngestError:
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


class _MessageLogSource:
    """A CSV or Parquet message log as canonical text rows: the SELECTs that read it."""

    def __init__(self, stage: _Staging, settings: Settings):
        path = stage.path
        self.stage = stage
        self.settings = settings
        self.file_format = _file_format(path)
        file_columns = (
            [
                row[0]
                for row in fetch_all(
                    stage.con, "describe select * from read_parquet(?)", [str(path)]
                )
            ]
            if self.file_format == "parquet"
            else stage.csv_columns()
        )
        self.mapping = _column_mapping(
            file_columns, list(CANONICAL_COLUMNS), settings.column_aliases, path
        )
        _require(self.mapping, REQUIRED_MESSAGE_COLUMNS, path, "message log", file_columns)
        self.ignored = sorted(set(file_columns) - set(self.mapping.values()) - {""})
        self.parameters = stage.parameters if self.file_format == "csv" else {"path": str(path)}
        self.csv_stage = stage if self.file_format == "csv" else None

    def rows(self, numbered: bool, store_rejects: bool = True) -> str:
        """The file's rows (parameters: self.parameters). Only the first, unnumbered read keeps
        the rows the CSV reader rejects; a numbered re-read must not store them twice."""
        select = self.stage.source_select(
            self.mapping,
            CANONICAL_COLUMNS,
            self.file_format,
            numbered,
            WEBHOOK_ONLY_COLUMNS,
            store_rejects=store_rejects and not numbered,
        )
        return f"select *, 'message_log' as origin from ({select})"

    def quarantine_bad_rows(
        self, load: FileLoad, load_id: int, file: str, bad: int | None = None
    ) -> None:
        """Quarantine the file's bad rows, read again numbered (see _quarantine_messages)."""
        _quarantine_messages(
            self.stage.con,
            load,
            load_id,
            file,
            self.rows(numbered=True),
            self.parameters,
            self.settings,
            self.csv_stage,
            bad=bad,
        )


def _stage_message_log(
    stage: _Staging, settings: Settings, load: FileLoad, load_id: int, file: str
) -> None:
    """Temp table `parsed_messages` for a message log; its bad rows already quarantined."""
    con, path = stage.con, stage.path
    file_format = _file_format(path)
    columns = list(CANONICAL_COLUMNS)
    if file_format == "json":
        stage.stage_json_lines()
        keys = [
            row[0]
            for row in fetch_all(
                con,
                "select distinct unnest(json_keys(j)) from json_lines "
                "where json_type(j) = 'OBJECT'",
            )
        ]
        mapping = _column_mapping(keys, columns, settings.column_aliases, path)
        _require(mapping, REQUIRED_MESSAGE_COLUMNS, path, "message log", keys)
        select = ", ".join(
            (
                f"json_extract_string(j, ?) as {_quoted(c)}"
                if c in mapping
                else f"null::varchar as {_quoted(c)}"
            )
            for c in columns
        )
        con.execute(
            f"create or replace temp table incoming as select line, {select}, "
            + ", ".join(f"null::varchar as {c}" for c in WEBHOOK_ONLY_COLUMNS)
            + ", 'message_log' as origin from json_lines where json_type(j) = 'OBJECT'",
            ["$." + json.dumps(mapping[c]) for c in columns if c in mapping],
        )
        load.quarantined += (
            fetch_value(
                con,
                "insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at) "
                "select ?, ?, ?, line, text, case when j is null then 'not valid JSON' "
                "else 'line is not a JSON object' end, now() from json_lines "
                "where j is null or json_type(j) <> 'OBJECT'",
                [load_id, file, load.kind],
            )
            or 0
        )
        load.quarantined += stage.quarantine_rejects(load_id, file, load.kind)
        _parse_messages(con, "select * from incoming", {}, settings)
        _quarantine_messages(con, load, load_id, file, "select * from incoming", {}, settings)
        ignored = sorted(set(keys) - set(mapping.values()))
    else:
        source = _MessageLogSource(stage, settings)
        _parse_messages(con, source.rows(numbered=False), source.parameters, settings)
        load.quarantined += stage.quarantine_rejects(load_id, file, load.kind)
        source.quarantine_bad_rows(load, load_id, file)
        ignored = source.ignored
    load.rows_read = load.quarantined + fetch_value(
        con, "select count(*) from parsed_messages where reason is null"
    )
    if ignored:
        stage.detail.append(f"ignored columns: {', '.join(ignored)}")


def _parse_messages(
    con: duckdb.DuckDBPyConnection,
    source_select: str,
    parameters: dict[str, str],
    settings: Settings,
) -> None:
    """Temp table `parsed_messages`: the rows of source_select, typed and checked in one pass."""
    con.execute(
        f"create or replace temp table parsed_messages as with incoming as ({source_select}) "
        f"select * from ({sql_text('ingest/message_log_rows')})",
        {**parameters, "source_time_zone": settings.source_time_zone},
    )


def _quarantine_messages(
    con: duckdb.DuckDBPyConnection,
    load: FileLoad,
    load_id: int,
    file: str,
    numbered_select: str,
    parameters: dict[str, str],
    settings: Settings,
    csv_stage: _Staging | None = None,
    bad: int | None = None,
) -> None:
    """Quarantine the bad rows of a message log with their lines and raw content.

    The fast pass has no line numbers, so a file with bad rows is read once more, numbered.
    `bad` is how many there are, when known; else `parsed_messages` says.
    """
    if bad is None:
        bad = fetch_value(con, "select count(*) from parsed_messages where reason is not null")
    if not bad:
        return
    con.execute("set preserve_insertion_order = true")  # line numbers follow the file
    try:
        con.execute(f"create or replace temp table numbered_rows as {numbered_select}", parameters)
    finally:
        con.execute("set preserve_insertion_order = false")
    if csv_stage is not None:
        csv_stage.renumber("numbered_rows")
    con.execute(
        "create or replace temp table numbered_checks as with incoming as "
        f"(select * from numbered_rows) select line, reason from "
        f"({sql_text('ingest/message_log_rows')}) where reason is not null",
        {"source_time_zone": settings.source_time_zone},
    )
    load.quarantined += (
        fetch_value(
            con,
            """
        insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at)
        select ?, ?, ?, c.line, to_json(i)::varchar, c.reason, now()
        from numbered_checks as c join numbered_rows as i using (line)
        """,
            [load_id, file, load.kind],
        )
        or 0
    )
    con.execute("drop table numbered_rows")
    con.execute("drop table numbered_checks")


class _RepeatedMessages(Exception):
    """The direct load met a message stored already or repeated in the file."""


def _insert_message_log(
    con: duckdb.DuckDBPyConnection,
    stage: _Staging,
    load: FileLoad,
    load_id: int,
    file: str,
    loaded_at: datetime,
    settings: Settings,
) -> None:
    """Load a CSV or Parquet log of new messages straight into `messages`, in one pass.

    The common case, a file of messages never seen before, needs no staging table: rows are
    read, checked and written in one streaming statement. Raises _RepeatedMessages when a
    message turns out to be stored already or repeated in the file; the caller rolls back and
    loads the file through the merging path instead.
    """
    source = _MessageLogSource(stage, settings)
    parameters = {
        **source.parameters,
        "source_time_zone": settings.source_time_zone,
        "source_file": file,
        "loaded_at": loaded_at,
    }
    inserted = (
        fetch_value(
            con,
            f"with incoming as ({source.rows(numbered=False)}), "
            f"parsed_messages as ({sql_text('ingest/message_log_rows')}) "
            + sql_text("ingest/insert_new_messages"),
            parameters,
        )
        or 0
    )
    rejected = stage.quarantine_rejects(load_id, file, load.kind)
    read = fetch_value(
        con,
        f"select count(*) from ({source.rows(numbered=False, store_rejects=False)})",
        source.parameters,
    )
    load.rows_read = rejected + read
    load.quarantined += rejected
    if read > inserted:
        source.quarantine_bad_rows(load, load_id, file, bad=read - inserted)
    if fetch_value(
        con, sql_text("ingest/repeated_messages"), {"source_file": file, "loaded_at": loaded_at}
    ):
        raise _RepeatedMessages
    load.loaded = inserted
    if source.ignored:
        stage.detail.append(f"ignored columns: {', '.join(source.ignored)}")


def _stage_webhooks(stage: _Staging) -> None:
    """Temp tables `incoming` (messages, statuses, calls) and `incoming_ledger` (preferences)."""
    con, path = stage.con, stage.path
    if _is_json_lines(path):
        stage.stage_json_lines()
        con.execute(
            "create or replace temp table incoming_bodies as "
            "select line, null::varchar as label, text as body_text from json_lines"
        )
    else:
        document = fetch_value(con, "select try(content::json) from read_text(?)", [str(path)])
        if document is None:
            raise IngestError(
                f"{path}: not valid JSON (truncated or damaged?); nothing from it was loaded"
            )
        con.execute(
            """
            create or replace temp table incoming_bodies as
            with document as (select ?::json as j)
            select 1::bigint as line, null::varchar as label, j::varchar as body_text
            from document where json_type(j) = 'OBJECT' and (j -> 'entry') is not null
            union all
            select generate_subscripts(j -> '$[*]', 1)::bigint as line, null as label,
                unnest(j -> '$[*]')::varchar as body_text
            from document where json_type(j) = 'ARRAY'
            union all
            -- a JSON object of named bodies, as in pywa's test data: line = the body's place
            select keys.line, keys.key as label,
                (j -> ('$.' || to_json(keys.key)))::varchar as body_text
            from document, unnest(json_keys(j)) with ordinality as keys(key, line)
            where json_type(j) = 'OBJECT' and (j -> 'entry') is null
            """,
            [document],
        )
    con.execute(
        "create or replace temp table webhook_events as "
        "select row_number() over (order by line, position) as event_id, * from ("
        + sql_text("ingest/webhook_events")
        + ")"
    )
    message_columns = ", ".join(_quoted(c) for c in (*CANONICAL_COLUMNS, *WEBHOOK_ONLY_COLUMNS))
    con.execute(
        f"create or replace temp table incoming as select event_id as line, {message_columns}, "
        "origin from webhook_events where event_kind in ('message', 'status', 'call') "
        "and skip_reason is null and reason is null"
    )
    con.execute(
        """
        create or replace temp table incoming_ledger as
        select
            event_id as line,
            contact,
            "timestamp",
            case lower("type") when 'stop' then 'opt_out' when 'resume' then 'opt_in'
                when 'signup' then 'opt_in' else "type" end as event,
            'marketing' as scope,
            business_number,
            'webhook user_preferences: ' || coalesce("type", '') as source
        from webhook_events
        where event_kind = 'preference' and reason is null
        """
    )


def _is_json_lines(path: Path) -> bool:
    """JSON Lines when the first non-blank line is a whole JSON value and more follows."""
    with path.open("rb") as handle:
        for raw_line in handle:
            if raw_line.strip():
                try:
                    json.loads(raw_line)
                except ValueError:
                    return False
                return any(rest.strip() for rest in handle)
    return False


def _stage_csv_kind(
    stage: _Staging, table: str, columns: tuple[str, ...], required: tuple[str, ...], kind: str
) -> None:
    file_columns = stage.csv_columns()
    mapping = _column_mapping(file_columns, columns, {}, stage.path)
    _require(mapping, required, stage.path, kind, file_columns)
    stage.stage_table(table, mapping, columns, "csv")
    ignored = sorted(set(file_columns) - set(mapping.values()) - {""})
    if ignored:
        stage.detail.append(f"ignored columns: {', '.join(ignored)}")


def _merge_messages(
    con: duckdb.DuckDBPyConnection, load: FileLoad, file: str, loaded_at: datetime
) -> None:
    """Merge the good rows of `parsed_messages` into messages; count new rows and duplicates."""
    good_rows = fetch_value(con, "select count(*) from parsed_messages where reason is null")
    repeated = fetch_value(
        con,
        """
        select
            (select count(*) from (
                select 1 from parsed_messages where reason is null
                group by message_id, direction having count(*) > 1))
            + (select count(*) from parsed_messages as p
                semi join messages as m
                on m.message_id = p.message_id and m.direction = p.direction
                where p.reason is null)
        """,
    )
    parameters = {"source_file": file, "loaded_at": loaded_at}
    if repeated == 0:
        # The common case, a file of new messages: no grouping, no update.
        inserted = fetch_value(con, sql_text("ingest/insert_new_messages"), parameters) or 0
    else:
        con.execute(
            "create or replace temp table message_batch as " + sql_text("ingest/message_batch")
        )
        con.execute(sql_text("ingest/merge_messages_update"))
        inserted = fetch_value(con, sql_text("ingest/merge_messages_insert"), parameters) or 0
        con.execute("drop table message_batch")
    load.loaded += inserted
    load.duplicates += good_rows - inserted


def _merge_ledger(
    con: duckdb.DuckDBPyConnection,
    load: FileLoad,
    load_id: int,
    file: str,
    loaded_at: datetime,
    settings: Settings,
    raw_sql: str,
) -> None:
    con.execute(
        "create or replace temp table parsed_ledger as " + sql_text("ingest/opt_in_rows"),
        {"source_time_zone": settings.source_time_zone},
    )
    load.quarantined += (
        fetch_value(
            con,
            f"""
        insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at)
        select ?, ?, ?, {raw_sql}, p.reason, now()
        from parsed_ledger as p join incoming_ledger as i using (line)
        where p.reason is not null
        """,
            [load_id, file, load.kind],
        )
        or 0
    )
    good_rows = fetch_value(con, "select count(*) from parsed_ledger where reason is null")
    inserted = (
        fetch_value(
            con,
            sql_text("ingest/merge_opt_in_events"),
            {"source_file": file, "loaded_at": loaded_at},
        )
        or 0
    )
    load.loaded += inserted
    load.duplicates += good_rows - inserted


def _load_message_log(con, stage, load, load_id, file, loaded_at, settings) -> None:
    _stage_message_log(stage, settings, load, load_id, file)
    _merge_messages(con, load, file, loaded_at)


def _load_webhooks(con, stage, load, load_id, file, loaded_at, settings) -> None:
    _stage_webhooks(stage)
    rejected = stage.quarantine_rejects(load_id, file, load.kind)
    load.quarantined += rejected
    load.quarantined += (
        fetch_value(
            con,
            "insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at) "
            "select ?, ?, ?, line, coalesce(label || ': ', '') || raw, reason, now() "
            "from webhook_events where reason is not null",
            [load_id, file, load.kind],
        )
        or 0
    )
    skipped = fetch_all(
        con,
        "select skip_reason, count(*) from webhook_events where skip_reason is not null "
        "group by all order by 2 desc, 1",
    )
    load.skipped = sum(count for _, count in skipped)
    if skipped:
        stage.detail.append("skipped: " + "; ".join(f"{n} x {r}" for r, n in skipped))
    load.rows_read = fetch_value(con, "select count(*) from webhook_events") + rejected
    _parse_messages(con, "select * from incoming", {}, settings)
    raw_sql = (
        "(select line from webhook_events w where w.event_id = i.line), "
        "(select coalesce(label || ': ', '') || raw from webhook_events w "
        "where w.event_id = i.line)"
    )
    load.quarantined += (
        fetch_value(
            con,
            f"""
        insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at)
        select ?, ?, ?, {raw_sql}, p.reason, now()
        from parsed_messages as p join incoming as i using (line)
        where p.reason is not null
        """,
            [load_id, file, load.kind],
        )
        or 0
    )
    _merge_messages(con, load, file, loaded_at)
    _merge_ledger(con, load, load_id, file, loaded_at, settings, raw_sql)


def _load_ledger(con, stage, load, load_id, file, loaded_at, settings) -> None:
    _stage_csv_kind(
        stage, "incoming_ledger", LEDGER_COLUMNS, ("contact", "timestamp", "event"), "opt-in ledger"
    )
    load.quarantined += stage.quarantine_rejects(load_id, file, load.kind)
    load.rows_read = fetch_value(con, "select count(*) from incoming_ledger") + load.quarantined
    _merge_ledger(con, load, load_id, file, loaded_at, settings, "i.line, to_json(i)::varchar")


def _load_rate_card(con, stage, load, load_id, file, loaded_at, settings) -> None:
    _stage_csv_kind(
        stage,
        "incoming_rates",
        RATE_CARD_COLUMNS,
        ("effective_from", "market", "category", "currency", "rate"),
        "rate card",
    )
    load.quarantined += stage.quarantine_rejects(load_id, file, load.kind)
    load.rows_read = fetch_value(con, "select count(*) from incoming_rates") + load.quarantined
    con.execute("create or replace temp table parsed_rates as " + sql_text("ingest/rate_card_rows"))
    load.quarantined += (
        fetch_value(
            con,
            """
        insert into quarantine (load_id, file, kind, line, raw, reason, quarantined_at)
        select ?, ?, ?, i.line, to_json(i)::varchar, p.reason, now()
        from parsed_rates as p join incoming_rates as i using (line)
        where p.reason is not null
        """,
            [load_id, file, load.kind],
        )
        or 0
    )
    good_rows = fetch_value(con, "select count(*) from parsed_rates where reason is null")
    inserted = (
        fetch_value(
            con, sql_text("ingest/merge_rate_cards"), {"source_file": file, "loaded_at": loaded_at}
        )
        or 0
    )
    load.loaded += inserted
    load.duplicates += good_rows - inserted


_LOADERS: dict[str, Callable] = {
    "message_log": _load_message_log,
    "webhook": _load_webhooks,
    "opt_in_ledger": _load_ledger,
    "rate_card": _load_rate_card,
}


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, settings: Settings, kind: str | None = None
) -> FileLoad:
    """Load one file in one transaction and return its counts."""
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise IngestError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    kind = kind or detect_kind(path)
    file = str(path)
    digest = file_sha256(path)
    earlier = fetch_value(
        con,
        "select file from load_log where file_sha256 = ? and outcome = 'loaded' limit 1",
        [digest],
    )
    if earlier is not None:
        return FileLoad(file, kind, "already_loaded", detail=f"same content as {earlier}")
    # A message log in CSV or Parquet first tries the one-pass load of new messages; a file
    # that repeats messages is loaded again, merging.
    direct = kind == "message_log" and _file_format(path) != "json"
    try:
        return _load_file(con, path, kind, digest, settings, direct)
    except _RepeatedMessages:
        return _load_file(con, path, kind, digest, settings, direct=False)


def _load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    digest: str,
    settings: Settings,
    direct: bool,
) -> FileLoad:
    """One attempt at loading a file, in one transaction that is rolled back on any error."""
    file = str(path)
    started = datetime.now(UTC)
    load = FileLoad(file, kind, "loaded")
    con.execute("begin transaction")
    con.execute(sql_text("ingest/macros"))
    load_id = fetch_value(con, "select coalesce(max(load_id), 0) + 1 from load_log")
    stage = _Staging(con, path, load_id)
    loader = _insert_message_log if direct else _LOADERS[kind]
    try:
        loader(con, stage, load, load_id, file, started, settings)
        stage.drop()
        load.detail = "; ".join(stage.detail)
        con.execute(
            "insert into load_log values (?, ?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?, ?, now())",
            [
                load_id,
                file,
                digest,
                kind,
                load.rows_read,
                load.loaded,
                load.duplicates,
                load.quarantined,
                load.skipped,
                load.detail or None,
                started,
            ],
        )
        con.execute("commit")
    except (IngestError, _RepeatedMessages):
        con.execute("rollback")
        raise
    except (duckdb.Error, UnicodeDecodeError, OSError) as error:
        con.execute("rollback")
        raise _read_error(path, error) from error
    except BaseException:
        con.execute("rollback")
        raise
    return load


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    settings: Settings,
    kind: str | None = None,
    on_file: Callable[[int, int, Path], None] | None = None,
) -> IngestResult:
    """Load every file named or found in the folders named; a bad file does not stop the others."""
    result = IngestResult()
    files = discover_files(paths)
    for number, path in enumerate(files, start=1):
        if on_file:
            on_file(number, len(files), path)
        try:
            result.loads.append(ingest_file(con, path, settings, kind))
        except IngestError as error:
            result.errors.append(str(error))
    return result
