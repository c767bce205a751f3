"""`carewindow ingest --retry-quarantine`: quarantined rows read again with today's settings.

Every quarantined row that was read into columns (its `staged` JSON) is parsed again: what
now parses is merged as if its file were loaded now (same merge rules, its file and line), and
its quarantine row says which load released it; the rest stays, with today's reason. One
load_log row per file (outcome 'retried') counts what happened. Rows that could not be read
at all (an unreadable line: not valid text in the file's encoding, or of the wrong number of
fields) are read again from their file, when it is still there as it was loaded; if it is not,
the retry says so and they stay quarantined.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from analytics.config import CANONICAL_COLUMNS, Settings
from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import LoadContext, quarantine_rejects
from analytics.ingest.errors import IngestError
from analytics.ingest.files import file_sha256, open_input, quoted
from analytics.ingest.ledgers import LEDGER_COLUMNS, parse_ledger, store_ledger
from analytics.ingest.load_log import FileLoad, IngestResult, next_load_id, record_load
from analytics.ingest.message_logs import (
    WEBHOOK_ONLY_COLUMNS,
    merge_messages,
    parse_messages,
    stage_message_log,
)
from analytics.ingest.phones import build_phone_lookup, empty_phone_lookup
from analytics.ingest.staging import Staging

_OPEN = "released_load_id is null and staged is not null and kind <> 'rate_card'"
# Rows that could not be read at all (staged null), of the kinds read again from their file.
_UNREADABLE = (
    "released_load_id is null and staged is null and kind in ('message_log', 'opt_in_ledger')"
)


def retry_quarantine(con: duckdb.DuckDBPyConnection, settings: Settings) -> IngestResult:
    """Parse every open quarantined row again; one transaction and load_log row per file."""
    result = IngestResult()
    for file, kind in fetch_all(
        con,
        f"select distinct file, kind from quarantine where ({_OPEN}) or ({_UNREADABLE}) "
        "order by all",
    ):
        result.loads.append(_retry_file(con, settings, file, kind))
    return result


def _reread_unreadable_rows(ctx: LoadContext, kind: str) -> str:
    """Read the file of the rows that could not be read at all again, with today's settings,
    and give each row that now reads its `staged` text; the rest get today's reason. Returns
    what happened, for the load's detail ("" when there were no such rows)."""
    con, file = ctx.con, ctx.file
    unreadable, digests = con.execute(
        "select count(*), list(distinct l.file_sha256) from quarantine as q "
        "join load_log as l using (load_id) where q.file = ? and q.kind = ? "
        "and q.released_load_id is null and q.staged is null",
        [file, kind],
    ).fetchone()
    if not unreadable:
        return ""
    path = Path(file)
    gone = not path.is_file()
    if not gone and file_sha256(path) not in digests:
        gone = True
    if gone:
        return (
            f"{unreadable:,} row(s) that could not be read at all stay quarantined: {file} is "
            f"{'no longer there' if not path.is_file() else 'not the file loaded then (changed)'}"
            "; load a corrected copy of the file to load them"
        )
    source = open_input(path, ctx.settings.encoding, ctx.settings.temp_directory)
    try:
        stage = Staging(con, source, ctx.load_id)
        reread = LoadContext(
            con,
            stage,
            FileLoad(file, kind, "retried"),
            ctx.load_id,
            file,
            ctx.loaded_at,
            ctx.settings,
        )
        if kind == "message_log":
            stage_message_log(reread)
            table = "incoming"
        else:
            stage.stage_csv_kind(
                "incoming_ledger", LEDGER_COLUMNS, ("contact", "timestamp", "event"), "ledger"
            )
            quarantine_rejects(reread)
            table = "incoming_ledger"
        stage.drop()
    except IngestError as error:
        return (
            f"{unreadable:,} row(s) that could not be read at all stay quarantined: {file} "
            f"cannot be read ({error})"
        )
    finally:
        source.close()
    # the rows read now get their staged text; those still unreadable today's reason (the
    # staging quarantined them again under this load: those copies go)
    now_read = (
        fetch_value(
            con,
            f"update quarantine set staged = to_json(i)::varchar from {table} as i "
            "where quarantine.file = $file and quarantine.kind = $kind "
            "and quarantine.line = i.line and quarantine.staged is null "
            "and quarantine.released_load_id is null and quarantine.load_id <> $load_id",
            {"file": file, "kind": kind, "load_id": ctx.load_id},
        )
        or 0
    )
    con.execute(
        "update quarantine set reason = n.reason from quarantine as n "
        "where n.load_id = $load_id and n.file = quarantine.file and n.line = quarantine.line "
        "and quarantine.load_id <> $load_id and quarantine.staged is null "
        "and quarantine.released_load_id is null",
        {"load_id": ctx.load_id},
    )
    con.execute("delete from quarantine where load_id = ?", [ctx.load_id])
    con.execute(f"drop table {table}")
    return (
        f"{unreadable:,} row(s) that could not be read at all read again from {file}: "
        f"{now_read:,} now read, {unreadable - now_read:,} still unreadable"
    )


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
        reread = _reread_unreadable_rows(ctx, kind)
        still_unreadable = fetch_value(
            con,
            "select count(*) from quarantine where file = ? and kind = ? and " + _UNREADABLE,
            [file, kind],
        )
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
            ]
            + [("incoming", "participant")],
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
        load.detail = "; ".join(
            part
            for part in (
                reread,
                f"retried {load.rows_read:,} quarantined row(s): {load.rows_read - still:,} now "
                f"loaded or stored already, {still:,} still quarantined",
                f"{still_unreadable:,} row(s) still unreadable" if still_unreadable else "",
                load.detail,  # what the merge said (stored messages updated)
            )
            if part
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
    # the JSON keys are bound: one parameter per column, then the key that must be present
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
