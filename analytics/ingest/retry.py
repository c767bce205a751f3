"""`carewindow ingest --retry-quarantine`: quarantined rows read again with today's settings.

Every quarantined row that was read into columns (its `staged` JSON) is parsed again: what
now parses is merged as if its file were loaded now (same merge rules, its file and line), and
its quarantine row says which load released it; the rest stays, with today's reason. One
load_log row per file (outcome 'retried') counts what happened. Rows that could not be read
at all (unreadable lines) need their file loaded again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from analytics.config import CANONICAL_COLUMNS, Settings
from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import LoadContext
from analytics.ingest.files import quoted
from analytics.ingest.ledgers import LEDGER_COLUMNS, parse_ledger, store_ledger
from analytics.ingest.load_log import FileLoad, IngestResult, next_load_id, record_load
from analytics.ingest.message_logs import WEBHOOK_ONLY_COLUMNS, merge_messages, parse_messages
from analytics.ingest.phones import build_phone_lookup, empty_phone_lookup

_OPEN = "released_load_id is null and staged is not null and kind <> 'rate_card'"


def retry_quarantine(con: duckdb.DuckDBPyConnection, settings: Settings) -> IngestResult:
    """Parse every open quarantined row again; one transaction and load_log row per file."""
    result = IngestResult()
    for file, kind in fetch_all(
        con, f"select distinct file, kind from quarantine where {_OPEN} order by all"
    ):
        result.loads.append(_retry_file(con, settings, file, kind))
    return result


def _retry_file(
    con: duckdb.DuckDBPyConnection, settings: Settings, file: str, kind: str
) -> FileLoad:
    started = datetime.now(UTC)
    load = FileLoad(file, kind, "retried")
    con.execute("begin transaction")
    try:
        con.execute(sql_text("ingest/macros"))
        empty_phone_lookup(con)
        load_id = next_load_id(con)
        ctx = LoadContext(con, None, load, load_id, file, started, settings)
        con.execute(
            "create or replace temp table retry_rows as "
            "select rowid as qid, staged::json as j, "
            "coalesce(try_cast(staged::json ->> 'line' as bigint), line) as source_line "
            f"from quarantine where file = ? and kind = ? and {_OPEN}",
            [file, kind],
        )
        load.rows_read = fetch_value(con, "select count(*) from retry_rows")
        _stage(con, "incoming", (*CANONICAL_COLUMNS, *WEBHOOK_ONLY_COLUMNS, "origin"), "message_id")
        _stage(con, "incoming_ledger", LEDGER_COLUMNS, "event")
        build_phone_lookup(
            con,
            [
                (t, c)
                for t in ("incoming", "incoming_ledger")
                for c in ("contact", "business_number")
            ],
            settings,
        )
        con.execute("update incoming set origin = coalesce(origin, 'message_log')")
        parse_messages(ctx)
        _settle(ctx, "parsed_messages")
        merge_messages(ctx)
        parse_ledger(ctx)
        _settle(ctx, "parsed_ledger")
        store_ledger(ctx)
        still = load.rows_read - load.loaded - load.duplicates - load.conflicts
        load.quarantined = still
        load.detail = (
            f"retried {load.rows_read:,} quarantined row(s): "
            f"{load.rows_read - still:,} now loaded or stored already, {still:,} still quarantined"
        )
        record_load(con, load_id, load, "", started)
        con.execute("drop table retry_rows")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return load


def _stage(con: duckdb.DuckDBPyConnection, table: str, columns, key: str) -> None:
    """Temp table `table` (line = the quarantine row's id, columns as text) of the retried rows
    whose staged JSON has `key`."""
    select = ", ".join(f"j ->> ? as {quoted(c)}" for c in columns)
    con.execute(
        f"create or replace temp table {table} as select qid as line, {select} "
        "from retry_rows where (j -> ?) is not null",
        [*columns, key],
    )


def _settle(ctx: LoadContext, parsed: str) -> None:
    """Mark the retried rows of `parsed` (line = quarantine row id) released or give them
    today's reason; then give the parsed rows their file's lines back."""
    con = ctx.con
    con.execute(
        f"update quarantine set reason = p.reason from {parsed} as p "
        "where quarantine.rowid = p.line and p.reason is not null"
    )
    con.execute(
        f"update quarantine set released_load_id = ?, released_at = now() from {parsed} as p "
        "where quarantine.rowid = p.line and p.reason is null",
        [ctx.load_id],
    )
    con.execute(
        f"update {parsed} set line = r.source_line from retry_rows as r where {parsed}.line = r.qid"
    )
