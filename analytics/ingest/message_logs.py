"""Message logs (CSV, Parquet, JSON Lines): read, checked, and merged into `messages`.

A CSV or Parquet log of new messages takes the fast path: read, checked and inserted in one
streaming statement (insert_message_log). Rows that pass need nothing else; the few that do not
(bad rows, phone numbers to normalise) are read again and staged. A file that repeats messages,
a JSON Lines log and the messages of webhooks are staged (`incoming`) and merged
(stage_and_merge), which also finds conflicting copies of a message.
"""

from __future__ import annotations

import json

from analytics.config import CANONICAL_COLUMNS, Settings
from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import LoadContext, quarantine, quarantine_rejects
from analytics.ingest.files import FileHead, column_mapping, quoted, require
from analytics.ingest.groups import merge_group_deliveries
from analytics.ingest.phones import build_phone_lookup
from analytics.ingest.staging import Staging, parsing_parameters

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
    "meta_pricing_subtype",
    "meta_conversation_id",
    "meta_conversation_origin",
    "contact_parent_user_id",  # the parent BSUID and username Meta sends
    "contact_username",
    # groups: the participant's BSUID and parent BSUID (recipient_participant_user_id, ...)
    "participant_user_id",
    "participant_parent_user_id",
)


def recognises_message_log(head: FileHead) -> bool:
    """A Parquet file, the one binary format carewindow reads. A message log in CSV or JSON
    Lines is what a file no other kind recognises is read as (analytics.ingest.loading)."""
    return head.is_parquet


class RepeatedMessages(Exception):
    """The direct load met a message stored already or repeated in the file."""


class MessageLogSource:
    """A CSV or Parquet message log as canonical text rows: the SELECTs that read it."""

    def __init__(self, stage: Staging, settings: Settings):
        path = stage.path
        self.stage = stage
        self.settings = settings
        self.file_format = stage.format
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
            file_columns, list(CANONICAL_COLUMNS), settings.column_aliases, stage.name
        )
        require(self.mapping, REQUIRED_MESSAGE_COLUMNS, stage.name, "message log", file_columns)
        self.ignored = sorted(set(file_columns) - set(self.mapping.values()) - {""})
        # a CSV file is read once, into a temp table (Staging.csv_rows_table)
        self.parameters = {} if self.file_format == "csv" else {"path": str(path)}

    def rows(self, numbered: bool) -> str:
        """The file's rows (parameters: self.parameters)."""
        select = self.stage.source_select(
            self.mapping, CANONICAL_COLUMNS, self.file_format, numbered, WEBHOOK_ONLY_COLUMNS
        )
        return f"select *, 'message_log' as origin from ({select})"

    def ignored_detail(self) -> None:
        if self.ignored:
            self.stage.detail.append(f"ignored columns: {', '.join(self.ignored)}")


def parse_messages(ctx: LoadContext, source_select: str = "select * from incoming") -> None:
    """Temp table `parsed_messages`: the rows of source_select, typed and checked in one pass."""
    ctx.con.execute(
        f"create or replace temp table parsed_messages as with incoming as ({source_select}) "
        f"select * from ({sql_text('ingest/message_log_rows')})",
        parsing_parameters(ctx.settings),
    )


# The bad rows of `parsed_messages` as quarantine rows, the raw content being the row as read.
_BAD_ROWS = (
    "select i.line, to_json(i)::varchar as raw, p.reason, to_json(i)::varchar as staged "
    "from parsed_messages as p join incoming as i using (line) where p.reason is not null"
)


def stage_and_merge(ctx: LoadContext, bad_rows_sql: str = _BAD_ROWS) -> None:
    """Check temp table `incoming` (line, canonical text columns, origin): normalise its phone
    numbers, quarantine its bad rows (`bad_rows_sql`: line, raw, reason, staged) and merge the
    good ones into messages."""
    build_phone_lookup(
        ctx.con,
        [("incoming", "business_number"), ("incoming", "contact"), ("incoming", "participant")],
        ctx.settings,
    )
    parse_messages(ctx)
    quarantine(ctx, bad_rows_sql)
    merge_messages(ctx)


def load_message_log(ctx: LoadContext) -> None:
    """The merging path: the whole file staged (`incoming`), checked, merged with what is stored."""
    stage_message_log(ctx)
    stage_and_merge(ctx)


def stage_message_log(ctx: LoadContext) -> None:
    """Temp table `incoming` (numbered rows) of a message log; unreadable lines quarantined
    and rows_read counted."""
    con, stage, load, settings = ctx.con, ctx.stage, ctx.load, ctx.settings
    if stage.format == "json":
        stage.stage_json_lines()
        keys = [
            row[0]
            for row in fetch_all(
                con,
                "select distinct unnest(json_keys(j)) from json_lines "
                "where json_type(j) = 'OBJECT'",
            )
        ]
        columns = list(CANONICAL_COLUMNS)
        mapping = column_mapping(keys, columns, settings.column_aliases, stage.name)
        require(mapping, REQUIRED_MESSAGE_COLUMNS, stage.name, "message log", keys)
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
            "else 'line is not a JSON object' end as reason, null as staged from json_lines "
            "where j is null or json_type(j) <> 'OBJECT'",
        )
        rejected = quarantine_rejects(ctx)
        load.rows_read = fetch_value(con, "select count(*) from json_lines") + rejected
        ignored = sorted(set(keys) - set(mapping.values()))
        if ignored:
            stage.detail.append(f"ignored columns: {', '.join(ignored)}")
        return
    source = MessageLogSource(stage, settings)
    con.execute(
        f"create or replace temp table incoming as {source.rows(numbered=True)}",
        source.parameters,
    )
    rejected = quarantine_rejects(ctx)
    load.rows_read = fetch_value(con, "select count(*) from incoming") + rejected
    source.ignored_detail()


def merge_messages(ctx: LoadContext) -> None:
    """Merge the good rows of `parsed_messages` into messages; count new rows, duplicates and
    conflicting copies (listed in message_conflicts)."""
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
    conflicts = 0
    if repeated == 0:
        # The common case, a file of new messages: no grouping, no update.
        inserted = fetch_value(con, sql_text("ingest/insert_new_messages"), parameters) or 0
    else:
        con.execute(
            "create or replace temp table message_batch as " + sql_text("ingest/message_batch")
        )
        con.execute(
            "create or replace temp table conflicting_copies as "
            + sql_text("ingest/conflicting_copies"),
            {"source_file": ctx.file},
        )
        updated, newer_status, new_pricing = con.execute(
            sql_text("ingest/stored_message_updates")
        ).fetchone()
        if updated:
            # a status webhook's rows count as duplicates: say what they changed
            ctx.stage_detail(
                f"{updated:,} stored message(s) updated: {newer_status:,} with a newer status, "
                f"{new_pricing:,} with Meta's pricing"
            )
        con.execute(sql_text("ingest/merge_messages_update"), {"source_file": ctx.file})
        inserted = fetch_value(con, sql_text("ingest/merge_messages_insert"), parameters) or 0
        conflicts = (
            fetch_value(
                con,
                sql_text("ingest/record_conflicts"),
                {"load_id": ctx.load_id, "source_file": ctx.file},
            )
            or 0
        )
        con.execute("drop table message_batch")
        con.execute("drop table conflicting_copies")
    load.loaded += inserted
    load.conflicts += conflicts
    load.duplicates += good_rows - inserted - conflicts
    merge_group_deliveries(ctx)


def insert_message_log(ctx: LoadContext) -> None:
    """Load a CSV or Parquet log of new messages straight into `messages`, in one pass.

    The common case, a file of messages never seen before, needs no staging table: rows are
    read, checked and written in one streaming statement. Raises RepeatedMessages when a
    message turns out to be stored already or repeated in the file; the caller rolls back and
    loads the file through the merging path instead. Rows the pass leaves (bad rows, phone
    numbers not written as E.164 digits) are read again, staged and merged.
    """
    con, stage, load = ctx.con, ctx.stage, ctx.load
    source = MessageLogSource(stage, ctx.settings)
    if "participant" in source.mapping:
        # a log of group deliveries stores them in group_deliveries too: the merging path
        raise RepeatedMessages
    parameters = {
        **source.parameters,
        **parsing_parameters(ctx.settings),
        "source_file": ctx.file,
        "loaded_at": ctx.loaded_at,
    }
    inserted = (
        fetch_value(
            con,
            f"with incoming as ({source.rows(numbered=True)}), "
            f"parsed_messages as ({sql_text('ingest/message_log_rows')}) "
            + sql_text("ingest/insert_new_messages"),
            parameters,
        )
        or 0
    )
    if fetch_value(
        con,
        sql_text("ingest/repeated_messages"),
        {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
    ):
        raise RepeatedMessages
    rejected = quarantine_rejects(ctx)
    read = _rows_read(ctx, source)
    load.rows_read = read + rejected
    load.loaded = inserted
    if read > inserted:
        _stage_leftovers(ctx, source)
    source.ignored_detail()


def _rows_read(ctx: LoadContext, source: MessageLogSource) -> int:
    """How many rows the reader gave (the CSV reader's rejected rows not among them)."""
    if source.file_format == "csv":
        return ctx.stage.csv_row_count()
    # count(*) alone would read no column, so DuckDB would not check their text (UTF-8):
    # hash the columns the load read
    columns = ", ".join(quoted(c) for c in source.mapping)
    return fetch_value(
        ctx.con,
        f"select count(hash({columns})) from ({source.rows(numbered=False)})",
        source.parameters,
    )


def _stage_leftovers(ctx: LoadContext, source: MessageLogSource) -> None:
    """Stage the rows the one pass did not insert as `incoming`, and merge them: the file's
    rows are checked again to find them (a few bad rows of a big file are not worth a copy of
    the whole file)."""
    ctx.con.execute(
        "create or replace temp table incoming as "
        f"with incoming as ({source.rows(numbered=True)}), "
        f"left_rows as (select line from ({sql_text('ingest/message_log_rows')}) "
        "where reason is not null) "
        "select incoming.* from incoming semi join left_rows using (line)",
        {**source.parameters, **parsing_parameters(ctx.settings)},
    )
    stage_and_merge(ctx)
