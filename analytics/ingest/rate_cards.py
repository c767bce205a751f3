"""Rate cards: the canonical CSV (effective_from, market, category, currency, rate[, tier_from,
tier_to, card, illustrative]) and Meta's rate-card files as published (meta_rate_cards)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from analytics.db import fetch_value, sql_text
from analytics.ingest.context import LoadContext, quarantine, quarantine_rejects
from analytics.ingest.files import FileHead
from analytics.ingest.meta_rate_cards import WORKBOOK, meta_card_format, stage_meta_card

RATE_CARD_COLUMNS = (
    "effective_from",
    "market",
    "category",
    "currency",
    "rate",
    "tier_from",
    "tier_to",
    "card",
    "illustrative",
)
REQUIRED_RATE_CARD_COLUMNS = ("effective_from", "market", "category", "currency", "rate")


def recognises_rate_card(head: FileHead) -> bool:
    """One of Meta's rate-card files (its workbook, or its rates or tiers CSV by title or header
    row), or the canonical CSV (which may leave its date to --effective-from)."""
    if head.is_zip:
        return meta_card_format(head) == WORKBOOK
    if not head.is_csv:
        return False
    if meta_card_format(head) is not None:
        return True
    header = head.header_names
    return {"effectivefrom", "rate"} <= header or {
        "market",
        "category",
        "currency",
        "rate",
    } <= header


def load_rate_card(ctx: LoadContext) -> None:
    """Stage the file as `incoming_rates`, check it, and store the rates not stored yet."""
    con, load = ctx.con, ctx.load
    card_format = meta_card_format(ctx.stage.head)
    if card_format is not None:
        card, effective_from = stage_meta_card(ctx, card_format, ctx.effective_from)
    else:
        required = REQUIRED_RATE_CARD_COLUMNS
        if ctx.effective_from is not None:  # --effective-from supplies a missing column
            required = tuple(c for c in required if c != "effective_from")
        ctx.stage.stage_csv_kind("canonical_rates", RATE_CARD_COLUMNS, required, "rate card")
        con.execute(
            "create or replace temp table incoming_rates as select *, "
            "null::varchar as format_problem, to_json(c)::varchar as raw from canonical_rates as c"
        )
        card, effective_from = Path(ctx.file).name, ctx.effective_from
    quarantine_rejects(ctx)
    load.rows_read = (
        fetch_value(con, "select count(*) from incoming_rates") + load.quarantined + load.skipped
    )
    store_rates(ctx, card, effective_from)


def store_rates(ctx: LoadContext, default_card: str, effective_from: date | None) -> None:
    """Check temp table `incoming_rates` (line, RATE_CARD_COLUMNS, format_problem and raw, as
    text), quarantine its bad rows and store the good rates not stored yet. effective_from, when
    given, is every rate's; default_card labels the rates that name no card."""
    con, load = ctx.con, ctx.load
    con.execute(
        "create or replace temp table parsed_rates as " + sql_text("ingest/rate_card_rows"),
        {"effective_from": effective_from, "default_card": default_card},
    )
    quarantine(
        ctx,
        "select line, raw, reason, null as staged from parsed_rates where reason is not null",
    )
    good_rows = fetch_value(con, "select count(*) from parsed_rates where reason is null")
    differing = fetch_value(con, sql_text("ingest/rate_card_differences"))
    if differing:
        ctx.stage.detail.append(
            f"{differing} rate(s) differ from the rate stored for the same date, market, "
            "category, tier and currency: the stored one is kept"
        )
    con.execute(sql_text("ingest/merge_rate_card_tier_ends"))
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
