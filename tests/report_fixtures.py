"""A small warehouse for report tests: hand-written messages, run through the real rebuild.

Nothing here re-implements a derived table: the rows below are what a message log, an opt-in
ledger and a rate card would load, and rebuild_warehouse() turns them into message_facts,
daily_summary, daily_costs and the rest, as in production. The days are 25 February to 4 March
2025 (conversation_2023 in force, days in UTC), so February starts late and March is partial.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb
from rows import inbound, insert_messages, insert_opt_ins, opt_in, outbound, template

from analytics.config import Settings
from analytics.rebuild import rebuild_warehouse

NL_LINE = "31201234567"  # business numbers are the company's own and stay whole
UK_LINE = "442071234567"

ANNA = "31612345678"  # shown as +31 6 ****5678
BEN = "447911123456"
CARLA = "5511987654321"  # Brazil: the rate card below has no rate, so cost unknown
DEV = "919876543210"
EVE = "14155552671"
CUSTOMERS = (ANNA, BEN, CARLA, DEV, EVE)

MARKUP_TEMPLATE = "<script>alert(1)</script>"
QUARANTINED_NUMBER = "31699999999"  # in a quarantine reason; must be masked in reports

# USD per chargeable conversation, by market and category (made up for tests); no Brazil.
RATES = {
    ("Netherlands", "marketing"): Decimal("0.1100"),
    ("Netherlands", "utility"): Decimal("0.0200"),
    ("Netherlands", "service"): Decimal("0.0300"),
    ("United Kingdom", "marketing"): Decimal("0.0529"),
    ("United Kingdom", "utility"): Decimal("0.0220"),
    ("United Kingdom", "service"): Decimal("0.0300"),
    ("India", "authentication"): Decimal("0.0014"),
    ("North America", "utility"): Decimal("0.0040"),
    ("North America", "marketing"): Decimal("0.0250"),
}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def meta(billable: bool, pricing_type: str, category: str) -> dict:
    """Meta's verdict as a status webhook carries it (conversation-based pricing)."""
    return {
        "meta_billable": billable,
        "meta_pricing_type": pricing_type,
        "meta_category": category,
        "meta_pricing_model": "CBP",
    }


NL = {"business_number": NL_LINE}
UK = {"business_number": UK_LINE}

MESSAGES = [
    # Tuesday 25 February: the first day of data
    inbound("b1", at(25, 9, month=2), contact=BEN, **NL),
    # Wednesday 26 February
    inbound("a1", at(26, 8, month=2), contact=ANNA, **NL),
    inbound("a2", at(26, 8, 30, month=2), contact=ANNA, **NL),
    template("f01", at(26, 9, month=2), "utility", "order_update", contact=ANNA, **NL),
    outbound("f02", at(26, 9, 5, month=2), contact=ANNA, **NL),
    template(
        "f03",
        at(26, 10, month=2),
        "marketing",
        "spring_sale",
        contact=BEN,
        **NL,
        **meta(True, "regular", "marketing"),
    ),
    # Thursday 27 February
    template("f04", at(27, 11, month=2), "marketing", "spring_sale", contact=CARLA, **NL),
    outbound("f05", at(27, 12, month=2), contact=BEN, status="failed", **UK),
    inbound("d1", at(27, 20, month=2), contact=DEV, **UK),
    # Friday 28 February
    template(
        "f06",
        at(28, 8, month=2),
        "authentication",
        "login_code",
        contact=DEV,
        **UK,
        **meta(True, "regular", "authentication"),
    ),
    template("f07", at(28, 13, month=2), None, "legacy_notice", contact=ANNA, **NL),
    # Saturday 1 March
    inbound("e1", at(1, 8, 50), contact=EVE, referral_source="ad", **NL),
    template("f08", at(1, 9), "marketing", MARKUP_TEMPLATE, contact=ANNA, **NL),
    outbound("f09", at(1, 10), contact=EVE, **NL),
    # Sunday 2 March: customers wrote, nobody answered (inbound only)
    inbound("a3", at(2, 10), contact=ANNA, **NL),
    inbound("b2", at(2, 8), contact=BEN, type="call", **UK),
    inbound("b3", at(2, 8, 30), contact=BEN, **UK),
    # Monday 3 March
    inbound("a4", at(3, 9), contact=ANNA, **NL),
    inbound("a5", at(3, 9, 10), contact=ANNA, **NL),
    outbound("f10", at(3, 9, 30), contact=ANNA, status="sent", **NL),
    inbound("b4", at(3, 9, 45), contact=BEN, type="button", **NL),
    template(
        "f11",
        at(3, 10),
        "utility",
        "order_update",
        contact=BEN,
        **NL,
        **meta(False, "free_customer_service", "service"),
    ),
    outbound("f12", at(3, 14), contact=BEN, **UK),
    inbound("c1", at(3, 14, 30), contact=CARLA, **NL),
    template("f13", at(3, 15), "marketing", "spring_sale", contact=CARLA, **NL),
    inbound("d2", at(3, 15, 50), contact=DEV, **UK),
    template(
        "f14",
        at(3, 16),
        "authentication",
        "login_code",
        contact=DEV,
        **UK,
        **meta(True, "regular", "authentication"),
    ),
    # Tuesday 4 March: the last day of data
    template(
        "f15",
        at(4, 9, 30),
        "marketing",
        MARKUP_TEMPLATE,
        contact=ANNA,
        **NL,
        **meta(True, "regular", "marketing"),
    ),
    inbound("e2", at(4, 10), contact=EVE, **NL),
    outbound("f16", at(4, 11), contact=EVE, **NL),
    template(
        "f17",
        at(4, 12),
        "utility",
        "order_update",
        contact=BEN,
        status="read",
        **UK,
        **meta(True, "regular", "marketing"),
    ),
    outbound("f18", at(4, 18), contact=ANNA, status="failed", **NL),
]

OPT_INS = [
    opt_in(ANNA, at(1, 0, month=2)),
    opt_in(BEN, at(1, 0, month=2)),
    opt_in(DEV, at(1, 0, month=2)),
    # Anna stops marketing on the evening of 28 February, Carla on 1 March
    opt_in(ANNA, at(28, 20, month=2), event="opt_out", scope="marketing"),
    opt_in(CARLA, at(1, 12), event="opt_out", scope="marketing"),
]

QUARANTINE = [
    (
        1,
        "/data/inbox/log-2025-03-03.csv",
        17,
        "message_log",
        '{"timestamp": "yesterday"}',
        "timestamp is not a date or Unix seconds: 'yesterday'",
    ),
    (
        1,
        "/data/inbox/log-2025-03-03.csv",
        31,
        "message_log",
        '{"timestamp": "soon"}',
        "timestamp is not a date or Unix seconds: 'soon'",
    ),
    (
        2,
        "/data/inbox/webhooks.jsonl",
        4,
        "webhook",
        f'{{"from": "{QUARANTINED_NUMBER}x"}}',
        f"contact {QUARANTINED_NUMBER}x is not a phone number",
    ),
]


def insert_rate_card(con: duckdb.DuckDBPyConnection) -> None:
    con.executemany(
        "insert into rate_cards (effective_from, market, category, currency, rate, tier_from,"
        " source_file, loaded_at, card, illustrative) values (date '2024-01-01', ?, ?, 'USD', ?,"
        " 0, 'test', now(), 'test card of 1 January 2024', true)",
        [[market, category, rate] for (market, category), rate in RATES.items()],
    )


def insert_loading_record(con: duckdb.DuckDBPyConnection) -> None:
    con.executemany(
        "insert into quarantine (load_id, file, line, kind, raw, reason, quarantined_at) "
        "values (?, ?, ?, ?, ?, ?, timestamptz '2025-03-05 02:00:00+00')",
        [list(row) for row in QUARANTINE],
    )
    con.executemany(
        "insert into load_log (load_id, file, file_sha256, kind, outcome, rows_read, loaded, "
        "duplicates, quarantined, skipped, detail, started_at, finished_at) "
        "values (?, ?, 'sha', ?, 'loaded', ?, ?, 0, ?, 0, null,"
        " timestamptz '2025-03-05 02:00:00+00', timestamptz '2025-03-05 02:00:05+00')",
        [
            [1, "/data/inbox/log-2025-03-03.csv", "message_log", 40, 38, 2],
            [2, "/data/inbox/webhooks.jsonl", "webhook", 12, 11, 1],
        ],
    )


def build_report_warehouse(
    con: duckdb.DuckDBPyConnection,
    settings: Settings | None = None,
    rate_card: bool = True,
    messages: list[dict] | None = None,
) -> None:
    """Load the hand-written rows above into a migrated warehouse and rebuild it for real."""
    insert_messages(con, MESSAGES if messages is None else messages)
    insert_opt_ins(con, OPT_INS)
    if rate_card:
        insert_rate_card(con)
    insert_loading_record(con)
    rebuild_warehouse(con, settings or Settings())


def create_derived_tables(con: duckdb.DuckDBPyConnection, settings: Settings | None = None) -> None:
    """Every derived table and view, rebuilt from an empty history."""
    rebuild_warehouse(con, settings or Settings())
