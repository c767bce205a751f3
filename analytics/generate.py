"""Synthetic WhatsApp Business data: message log, opt-in ledger and status webhooks, in DuckDB."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from analytics.db import fetch_value, sql_text

# Meta's pricing model changed from conversations (CBP) to per-message (PMP) on this date, and
# service conversations became free on the other one; the webhooks' verdicts follow them.
PER_MESSAGE_PRICING_FROM = datetime(2025, 7, 1, tzinfo=UTC)
SERVICE_CONVERSATIONS_FREE_FROM = datetime(2024, 11, 1, tzinfo=UTC)
# From this date Meta charges utility templates inside the customer service window too.
UTILITY_IN_WINDOW_CHARGED_FROM = datetime(2026, 10, 1, tzinfo=UTC)
WEBHOOK_SHARE = 0.10
# The share of Meta's verdicts in the webhooks that disagree with Meta's rules on purpose, as
# real data now and then does: the only disagreements with Meta the demo shows.
META_DISAGREEMENT_SHARE = 0.01

# The default period, and the demo's: a fixed end date, so the same seed gives the same data
# on any day, recent enough to show today's pricing (per_message_2026_10 from 2026-10-01). It
# starts mid-January 2025, so the first month is partial, and covers conversation_2023 (to
# 2025-06-30) and both per-message regimes.
DEFAULT_START = date(2025, 1, 16)
# The period's last day. Traffic thins out over its last days: each customer's last episode
# keeps clear of the end (the demo's data runs through 27 November 2026).
DEFAULT_END = date(2026, 11, 30)
DEFAULT_DAYS = (DEFAULT_END - DEFAULT_START).days + 1

# A customer has about 23 messages (4-9 episodes of 1-7 messages); the first guess at the
# number of customers aims a little high, and the rare short guess is doubled.
MESSAGES_PER_CUSTOMER_GUESS = 23.4

COPY_OPTIONS = {
    "csv": "format csv, header true",
    # JSON Lines: the query returns each line's JSON text, written as is (no header, no quotes).
    "json_lines": "format csv, header false, quote '', escape ''",
}

# Built in this order; each is a temporary table or view of the generator's own connection.
STEPS = (
    ("business_numbers", "table"),
    ("customers", "table"),
    ("episodes", "table"),
    ("generated_messages", "view"),
)


@dataclass(frozen=True)
class GeneratedDataset:
    """The files written and how many rows (or webhook bodies) each holds."""

    messages_path: Path
    opt_in_ledger_path: Path
    status_webhooks_path: Path | None
    messages: int
    customers: int
    opt_in_events: int
    webhook_bodies: int


def generate_dataset(
    out_dir: Path,
    messages: int,
    seed: int = 42,
    start: date = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    webhooks: bool = True,
    business_time_zone: str = "UTC",
    free_service_messages_per_month: int = 1000,
    meta_disagreement_share: float = META_DISAGREEMENT_SHARE,
) -> GeneratedDataset:
    """Write messages.csv, opt_in_ledger.csv, status_webhooks.jsonl; same seed, same bytes.

    The webhooks carry Meta's verdicts as Meta's rules of each era give them, the monthly free
    tier of service messages (per_message_2026_10) counted per business number in
    `business_time_zone`; a share of them (`meta_disagreement_share`) disagrees on purpose."""
    if messages < 0:
        raise ValueError(f"messages = {messages} must be 0 or more")
    if days < 1:
        raise ValueError(f"days = {days} must be 1 or more")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    messages_path = out_dir / "messages.csv"
    ledger_path = out_dir / "opt_in_ledger.csv"
    webhooks_path = out_dir / "status_webhooks.jsonl" if webhooks else None

    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        # Files come out in query order, so the bytes do not depend on the thread count.
        con.execute("set preserve_insertion_order = true")
        # DuckDB's bare bar names no step; the command line prints its own lines
        con.execute("set enable_progress_bar = false")
        con.execute(sql_text("generate/macros"))
        customers = _build_tables(con, messages, seed, start, days)
        for name, value, sql_type in (
            ("generator_business_time_zone", business_time_zone, "varchar"),
            (
                "generator_free_service_messages_per_month",
                free_service_messages_per_month,
                "bigint",
            ),
            ("generator_meta_disagreement_share", meta_disagreement_share, "double"),
        ):
            # names and types are the constants here; the value is bound
            con.execute(f"set variable {name} = cast(? as {sql_type})", [value])
        written_messages = _copy(con, "generate/messages", messages_path, "csv")
        opt_in_events = _copy(con, "generate/opt_in_ledger", ledger_path, "csv")
        webhook_bodies = 0
        if webhooks_path is not None:
            con.execute(
                "set variable generator_last_free_service = ("
                + sql_text("generate/last_free_service")
                + ")"
            )
            webhook_bodies = _copy(con, "generate/status_webhooks", webhooks_path, "json_lines")
        elif (out_dir / "status_webhooks.jsonl").exists():
            # A stale file from an earlier run would be mistaken for this dataset's webhooks.
            (out_dir / "status_webhooks.jsonl").unlink()
    finally:
        con.close()
    return GeneratedDataset(
        messages_path=messages_path,
        opt_in_ledger_path=ledger_path,
        status_webhooks_path=webhooks_path,
        messages=written_messages,
        customers=customers,
        opt_in_events=opt_in_events,
        webhook_bodies=webhook_bodies,
    )


def _build_tables(
    con: duckdb.DuckDBPyConnection, messages: int, seed: int, start: date, days: int
) -> int:
    """Customers and episodes enough for `messages` rows; return the customers in the log."""
    period_start = datetime(start.year, start.month, start.day, tzinfo=UTC)
    customer_count = math.ceil(messages / MESSAGES_PER_CUSTOMER_GUESS * 1.1) + 20
    while True:
        _write_parameters(con, seed, messages, period_start, days, customer_count)
        for name, kind in STEPS:
            body = sql_text(f"generate/{name}")
            con.execute(f"create or replace temp {kind} {name} as {body}")
        # A customer depends only on the seed and its own id, so a larger guess adds customers
        # without changing the ones before: the result is the same whatever the guess.
        rows_planned = fetch_value(con, "select coalesce(sum(size), 0) from episodes")
        if rows_planned >= messages:
            break
        customer_count *= 2
    return fetch_value(
        con, "select count(*) from episodes where slot = 0 and row_offset < ?", [messages]
    )


def _write_parameters(
    con: duckdb.DuckDBPyConnection,
    seed: int,
    messages: int,
    period_start: datetime,
    days: int,
    customer_count: int,
) -> None:
    """The generator's parameters, as session variables the SQL reads with getvariable().

    Variables rather than a one-row table: joining such a table into the queries would cost
    the rows their order, and the order of the rows is the order of the files.
    """
    values = {
        "generator_seed": (seed, "bigint"),
        "generator_messages": (messages, "bigint"),
        "generator_customer_count": (customer_count, "bigint"),
        "generator_period_start": (period_start, "timestamptz"),
        "generator_period_seconds": (int(timedelta(days=days).total_seconds()), "bigint"),
        "generator_webhook_share": (WEBHOOK_SHARE, "double"),
        "generator_per_message_pricing_from": (PER_MESSAGE_PRICING_FROM, "timestamptz"),
        "generator_service_conversations_free_from": (
            SERVICE_CONVERSATIONS_FREE_FROM,
            "timestamptz",
        ),
        "generator_utility_in_window_charged_from": (
            UTILITY_IN_WINDOW_CHARGED_FROM,
            "timestamptz",
        ),
    }
    for name, (value, sql_type) in values.items():
        # names and types are the constants above; the value is bound
        con.execute(f"set variable {name} = cast(? as {sql_type})", [value])


def _copy(con: duckdb.DuckDBPyConnection, name: str, path: Path, file_format: str) -> int:
    """Write one generator query to a file; return the rows written."""
    options = COPY_OPTIONS[file_format]
    rows = con.execute(f"copy ({sql_text(name)}) to ? ({options})", [str(path)]).fetchall()
    return int(rows[0][0])
