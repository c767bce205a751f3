"""Message logs (CSV, Parquet, JSON Lines): read, checked, and merged into `messages`.

A CSV or Parquet log of new messages takes the fast path: read, checked and inserted in one
streaming statement (insert_message_log). A file that repeats messages, a JSON Lines log and
the messages taken out of webhooks are staged (`parsed_messages`) and merged (merge_messages).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import duckdb

from analytics.config import CANONICAL_COLUMNS, Settings
from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import LoadContext
from analytics.ingest.files import column_mapping, file_format, quoted, require
from analytics.ingest.staging import Staging, quarantine

REQUIRED_MESSAGE_COLUMNS = (
    "message_id",
    "timestamp",
    "direction",
    "business_number",
    "contact",
    "type",
)
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


class RepeatedMessages(Exception):
    """The direct load met a message stored already or repeated in the file."""


class MessageLogSource:
    """A CSV or Parquet message log as canonical text rows: the SELECTs that read it."""

    def __init__(self, stage: Staging, settings: Settings):
        path = stage.path
        self.stage = stage
        self.settings = settings
        self.file_format = file_format(path)
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
        self.mapping = column_mapping(
            file_columns, list(CANONICAL_COLUMNS), settings.column_aliases, path
        )
        require(self.mapping, REQUIRED_MESSAGE_COLUMNS, path, "message log", file_columns)
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

    def quarantine_bad_rows(self, ctx: LoadContext, bad: int | None = None) -> None:
        """Quarantine the file's bad rows, read again numbered (see quarantine_messages)."""
        quarantine_messages(ctx, self.rows(numbered=True), self.parameters, self.csv_stage, bad=bad)


def parse_messages(
    con: duckdb.DuckDBPyConnection,
    source_select: str,
    parameters: Mapping[str, Any],
    settings: Settings,
) -> None:
    """Temp table `parsed_messages`: the rows of source_select, typed and checked in one pass."""
    con.execute(
        f"create or replace temp table parsed_messages as with incoming as ({source_select}) "
        f"select * from ({sql_text('ingest/message_log_rows')})",
        {**parameters, "source_time_zone": settings.source_time_zone},
    )


def quarantine_messages(
    ctx: LoadContext,
    numbered_select: str,
    parameters: Mapping[str, Any],
    csv_stage: Staging | None = None,
    bad: int | None = None,
) -> None:
    """Quarantine the bad rows of a message log with their lines and raw content.

    The fast pass has no line numbers, so a file with bad rows is read once more, numbered.
    `bad` is how many there are, when known; else `parsed_messages` says.
    """
    con = ctx.con
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
        {"source_time_zone": ctx.settings.source_time_zone},
    )
    quarantine(
        ctx,
        "select c.line, to_json(i)::varchar as raw, c.reason "
        "from numbered_checks as c join numbered_rows as i using (line)",
    )
    con.execute("drop table numbered_rows")
    con.execute("drop table numbered_checks")


def stage_message_log(ctx: LoadContext) -> None:
    """Temp table `parsed_messages` for a message log; its bad rows already quarantined."""
    con, stage, load, settings = ctx.con, ctx.stage, ctx.load, ctx.settings
    path = stage.path
    columns = list(CANONICAL_COLUMNS)
    if file_format(path) == "json":
        stage.stage_json_lines()
        keys = [
            row[0]
            for row in fetch_all(
                con,
                "select distinct unnest(json_keys(j)) from json_lines "
                "where json_type(j) = 'OBJECT'",
            )
        ]
        mapping = column_mapping(keys, columns, settings.column_aliases, path)
        require(mapping, REQUIRED_MESSAGE_COLUMNS, path, "message log", keys)
        select = ", ".join(
            (
                f"json_extract_string(j, ?) as {quoted(c)}"
                if c in mapping
                else f"null::varchar as {quoted(c)}"
            )
            for c in columns
        )
        con.execute(
            f"create or replace temp table incoming as select line, {select}, "
            + ", ".join(f"null::varchar as {c}" for c in WEBHOOK_ONLY_COLUMNS)
            + ", 'message_log' as origin from json_lines where json_type(j) = 'OBJECT'",
            ["$." + json.dumps(mapping[c]) for c in columns if c in mapping],
        )
        quarantine(
            ctx,
            "select line, text as raw, case when j is null then 'not valid JSON' "
            "else 'line is not a JSON object' end as reason from json_lines "
            "where j is null or json_type(j) <> 'OBJECT'",
        )
        stage.quarantine_rejects(ctx)
        parse_messages(con, "select * from incoming", {}, settings)
        quarantine_messages(ctx, "select * from incoming", {})
        ignored = sorted(set(keys) - set(mapping.values()))
    else:
        source = MessageLogSource(stage, settings)
        parse_messages(con, source.rows(numbered=False), source.parameters, settings)
        stage.quarantine_rejects(ctx)
        source.quarantine_bad_rows(ctx)
        ignored = source.ignored
    load.rows_read = load.quarantined + fetch_value(
        con, "select count(*) from parsed_messages where reason is null"
    )
    if ignored:
        stage.detail.append(f"ignored columns: {', '.join(ignored)}")


def merge_messages(ctx: LoadContext) -> None:
    """Merge the good rows of `parsed_messages` into messages; count new rows and duplicates."""
    con, load = ctx.con, ctx.load
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
    parameters = {"source_file": ctx.file, "loaded_at": ctx.loaded_at}
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


def load_message_log(ctx: LoadContext) -> None:
    """The merging path: staged, checked, then merged with what is stored."""
    stage_message_log(ctx)
    merge_messages(ctx)


def insert_message_log(ctx: LoadContext) -> None:
    """Load a CSV or Parquet log of new messages straight into `messages`, in one pass.

    The common case, a file of messages never seen before, needs no staging table: rows are
    read, checked and written in one streaming statement. Raises RepeatedMessages when a
    message turns out to be stored already or repeated in the file; the caller rolls back and
    loads the file through the merging path instead.
    """
    con, stage, load = ctx.con, ctx.stage, ctx.load
    source = MessageLogSource(stage, ctx.settings)
    parameters = {
        **source.parameters,
        "source_time_zone": ctx.settings.source_time_zone,
        "source_file": ctx.file,
        "loaded_at": ctx.loaded_at,
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
    rejected = stage.quarantine_rejects(ctx)
    read = fetch_value(
        con,
        f"select count(*) from ({source.rows(numbered=False, store_rejects=False)})",
        source.parameters,
    )
    load.rows_read = rejected + read
    if read > inserted:
        source.quarantine_bad_rows(ctx, bad=read - inserted)
    if fetch_value(
        con,
        sql_text("ingest/repeated_messages"),
        {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
    ):
        raise RepeatedMessages
    load.loaded = inserted
    if source.ignored:
        stage.detail.append(f"ignored columns: {', '.join(source.ignored)}")
