"""Rate cards (CSV of effective_from, market, category, currency, rate, tier_from)."""

from __future__ import annotations

from analytics.db import fetch_value, sql_text
from analytics.ingest.context import LoadContext
from analytics.ingest.staging import quarantine

RATE_CARD_COLUMNS = ("effective_from", "market", "category", "currency", "rate", "tier_from")
REQUIRED_RATE_CARD_COLUMNS = ("effective_from", "market", "category", "currency", "rate")


def load_rate_card(ctx: LoadContext) -> None:
    """Stage the file as `incoming_rates`, check it, and store the rates not stored yet."""
    con, load = ctx.con, ctx.load
    ctx.stage.stage_csv_kind(
        "incoming_rates", RATE_CARD_COLUMNS, REQUIRED_RATE_CARD_COLUMNS, "rate card"
    )
    ctx.stage.quarantine_rejects(ctx)
    load.rows_read = fetch_value(con, "select count(*) from incoming_rates") + load.quarantined
    store_rates(ctx)


def store_rates(ctx: LoadContext) -> None:
    """Check temp table `incoming_rates` (line + RATE_CARD_COLUMNS as text), quarantine its bad
    rows and store the good rates not stored yet. Other rate-card formats stage the same table."""
    con, load = ctx.con, ctx.load
    con.execute("create or replace temp table parsed_rates as " + sql_text("ingest/rate_card_rows"))
    quarantine(
        ctx,
        "select i.line, to_json(i)::varchar as raw, p.reason "
        "from parsed_rates as p join incoming_rates as i using (line) where p.reason is not null",
    )
    good_rows = fetch_value(con, "select count(*) from parsed_rates where reason is null")
    inserted = (
        fetch_value(
            con,
            sql_text("ingest/merge_rate_cards"),
            {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
        )
        or 0
    )
    load.loaded += inserted
    load.duplicates += good_rows - inserted
