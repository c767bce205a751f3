"""Hand-written rows for given / expect tests, inserted straight into the loaded tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from analytics.config import CANONICAL_COLUMNS, GROUP_COLUMNS

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday in the per-conversation era


def at(hours: float = 0, *, seconds: float = 0, base: datetime = T0) -> datetime:
    """A timestamp `hours` (and `seconds`) after the base instant."""
    return base + timedelta(hours=hours, seconds=seconds)


# A message log's header as exported before business-scoped user IDs and groups: every
# canonical column but contact_user_id and the group columns, which a log may leave out.
LOG_COLUMNS_WITHOUT_BSUID = tuple(
    column
    for column in CANONICAL_COLUMNS
    if column != "contact_user_id" and column not in GROUP_COLUMNS
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
    "group_id",
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
    group_id=None,
) -> dict:
    """One message row; templates pass type='template' and a category. A message to a group
    passes group_id and contact=group_id; one from a group, the participant as contact."""
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


def delivery(
    message_id: str,
    participant: str,
    status="delivered",
    *,
    group_id="GROUPID0001",
    business_number="31201234567",
    meta_billable=None,
    meta_pricing_type=None,
    meta_category=None,
    meta_pricing_model=None,
) -> dict:
    """One delivery of an outbound group message to one participant (group_deliveries)."""
    return dict(locals())


def insert_deliveries(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Insert group deliveries into `group_deliveries` with bound values."""
    columns = list(delivery("m", "p"))
    con.executemany(
        f"insert into group_deliveries ({', '.join(columns)}, origin, source_file, source_line,"
        f" loaded_at) values ({', '.join('?' for _ in columns)}, 'test', 'test', 0, now())",
        [[row[column] for column in columns] for row in rows],
    )
