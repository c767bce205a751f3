"""Hand-written rows for given / expect tests, inserted straight into the loaded tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from analytics.config import CANONICAL_COLUMNS

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday in the per-conversation era


def at(hours: float = 0, *, seconds: float = 0, base: datetime = T0) -> datetime:
    """A timestamp `hours` (and `seconds`) after the base instant."""
    return base + timedelta(hours=hours, seconds=seconds)


# A message log's header as exported before business-scoped user IDs: every canonical column
# but contact_user_id, which a log may leave out.
LOG_COLUMNS_WITHOUT_BSUID = tuple(
    column for column in CANONICAL_COLUMNS if column != "contact_user_id"
)

MESSAGE_COLUMNS = (
    "message_id",
    "direction",
    "sent_at",
    "business_number",
    "contact",
    "type",
    "template_name",
    "template_category",
    "status",
    "referral_source",
    "waba_id",
    "meta_billable",
    "meta_pricing_type",
    "meta_category",
    "meta_pricing_model",
    "meta_pricing_subtype",
)


def message(
    message_id: str,
    direction: str,
    sent_at: datetime,
    *,
    business_number="31201234567",
    contact="31612345678",
    type="text",
    template_name=None,
    template_category=None,
    status=None,
    referral_source=None,
    waba_id="waba1",
    meta_billable=None,
    meta_pricing_type=None,
    meta_category=None,
    meta_pricing_model=None,
    meta_pricing_subtype=None,
) -> dict:
    """One message row; templates pass type='template' and a category."""
    return dict(locals())


def inbound(message_id, sent_at, **kwargs) -> dict:
    return message(message_id, "inbound", sent_at, **kwargs)


def outbound(message_id, sent_at, **kwargs) -> dict:
    return message(message_id, "outbound", sent_at, **kwargs)


def template(message_id, sent_at, category="marketing", name="promo", **kwargs) -> dict:
    return message(
        message_id,
        "outbound",
        sent_at,
        type="template",
        template_name=name,
        template_category=category,
        **kwargs,
    )


def insert_messages(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Insert message rows into `messages` with bound values."""
    placeholders = ", ".join("?" for _ in MESSAGE_COLUMNS)
    con.executemany(
        f"insert into messages ({', '.join(MESSAGE_COLUMNS)}, source_file, source_line, loaded_at)"
        f" values ({placeholders}, 'test', 0, now())",
        [[row[column] for column in MESSAGE_COLUMNS] for row in rows],
    )


def opt_in(
    contact: str, event_at: datetime, event="opt_in", scope="all", business_number=None
) -> dict:
    return dict(locals())


def insert_opt_ins(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Insert opt-in ledger rows into `opt_in_events` with bound values."""
    con.executemany(
        "insert into opt_in_events (contact, event_at, event, scope, business_number, source,"
        " source_file, source_line, loaded_at) values (?, ?, ?, ?, ?, 'test', 'test', 0, now())",
        [[r["contact"], r["event_at"], r["event"], r["scope"], r["business_number"]] for r in rows],
    )
