"""Opt-in ledgers (CSV), and the user preferences of webhooks, merged into `opt_in_events`."""

from __future__ import annotations

from analytics.db import fetch_value, sql_text
from analytics.ingest.context import LoadContext
from analytics.ingest.staging import quarantine

LEDGER_COLUMNS = ("contact", "timestamp", "event", "scope", "business_number", "source")
# The bad rows of a CSV ledger as quarantine rows (see merge_ledger).
_CSV_BAD_ROWS = (
    "select i.line, to_json(i)::varchar as raw, p.reason "
    "from parsed_ledger as p join incoming_ledger as i using (line) where p.reason is not null"
)


def merge_ledger(ctx: LoadContext, bad_rows_sql: str) -> None:
    """Check temp table `incoming_ledger`, quarantine its bad rows (`bad_rows_sql`: line, raw,
    reason, from `parsed_ledger`), and store the new events."""
    con, load = ctx.con, ctx.load
    con.execute(
        "create or replace temp table parsed_ledger as " + sql_text("ingest/opt_in_rows"),
        {"source_time_zone": ctx.settings.source_time_zone},
    )
    quarantine(ctx, bad_rows_sql)
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


def load_ledger(ctx: LoadContext) -> None:
    ctx.stage.stage_csv_kind(
        "incoming_ledger", LEDGER_COLUMNS, ("contact", "timestamp", "event"), "opt-in ledger"
    )
    ctx.stage.quarantine_rejects(ctx)
    ctx.load.rows_read = (
        fetch_value(ctx.con, "select count(*) from incoming_ledger") + ctx.load.quarantined
    )
    merge_ledger(ctx, _CSV_BAD_ROWS)
