"""Opt-in ledgers (CSV), and the user preferences of webhooks, merged into `opt_in_events`."""

from __future__ import annotations

from analytics.db import fetch_value, sql_text
from analytics.ingest.context import LoadContext, quarantine, quarantine_rejects
from analytics.ingest.files import FileHead
from analytics.ingest.phones import build_phone_lookup
from analytics.ingest.staging import parsing_parameters

LEDGER_COLUMNS = ("contact", "timestamp", "event", "scope", "business_number", "source")
# The bad rows of a CSV ledger as quarantine rows (see merge_ledger).
_CSV_BAD_ROWS = (
    "select i.line, to_json(i)::varchar as raw, p.reason, to_json(i)::varchar as staged "
    "from parsed_ledger as p join incoming_ledger as i using (line) where p.reason is not null"
)


def merge_ledger(ctx: LoadContext, bad_rows_sql: str) -> None:
    """Check temp table `incoming_ledger`, quarantine its bad rows (`bad_rows_sql`: line, raw,
    reason, from `parsed_ledger`), and store the new events."""
    parse_ledger(ctx)
    quarantine(ctx, bad_rows_sql)
    store_ledger(ctx)


def parse_ledger(ctx: LoadContext) -> None:
    """Temp table `parsed_ledger`: the rows of `incoming_ledger`, typed and checked."""
    ctx.con.execute(
        "create or replace temp table parsed_ledger as " + sql_text("ingest/opt_in_rows"),
        parsing_parameters(ctx.settings),
    )


def store_ledger(ctx: LoadContext) -> None:
    """Store the good events of `parsed_ledger` not stored yet; count new ones and duplicates."""
    con, load = ctx.con, ctx.load
    good_rows = fetch_value(con, "select count(*) from parsed_ledger where reason is null")
    inserted = (
        fetch_value(
            con,
            sql_text("ingest/merge_opt_in_events"),
            {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
        )
        or 0
    )
    load.loaded += inserted
    load.duplicates += good_rows - inserted


def recognises_ledger(head: FileHead) -> bool:
    """A CSV file of events (opt-ins and opt-outs), which messages (a direction) are not."""
    return head.is_csv and "event" in head.header_names and "direction" not in head.header_names


def load_ledger(ctx: LoadContext) -> None:
    """An opt-in ledger (CSV): its events checked and merged into opt_in_events."""
    ctx.stage.stage_csv_kind(
        "incoming_ledger", LEDGER_COLUMNS, ("contact", "timestamp", "event"), "opt-in ledger"
    )
    quarantine_rejects(ctx)
    ctx.load.rows_read = (
        fetch_value(ctx.con, "select count(*) from incoming_ledger") + ctx.load.quarantined
    )
    build_phone_lookup(
        ctx.con,
        [("incoming_ledger", "contact"), ("incoming_ledger", "business_number")],
        ctx.settings,
    )
    merge_ledger(ctx, _CSV_BAD_ROWS)
