"""Helpers for the pricing tests (no tests here): price hand-written rows through the rebuild.

The rows are written in the test; every step the priced tables need runs as the rebuild runs
it (the plan's steps_for, the rebuild's preparations and step runner), int_outbound (threads,
care windows, delivery) included, so the pricing tests follow what int_outbound means. A row
sent inside a customer care window says so with in_window(): its customer writes at the same
instant, and an inbound message counts first.
"""

from __future__ import annotations

from datetime import date

import duckdb
from rows import inbound, insert_messages

from analytics.config import Settings
from analytics.db import fetch_all
from analytics.plan import steps_for
from analytics.rebuild import RebuildResult, run_preparations, run_steps, write_rebuild_parameters

NL = "31612345678"  # Netherlands
# The tables a pricing test reads; price() runs every step they need, and only those.
PRICED = ("message_facts", "message_billing", "pricing_reconciliation")


def in_window(row: dict, inside: bool = True) -> dict:
    """The row, sent inside a customer care window (opened by its customer's message at the
    same instant, see window_openers), or, with inside=False, with none opened for it."""
    return {**row, "in_window": inside}


def window_openers(rows: list[dict]) -> list[dict]:
    """The customer's message opening the window of each row sent in_window: an inbound message
    of its thread at the same instant (`<message_id>-window`)."""
    return [
        inbound(
            f"{row['message_id']}-window",
            row["sent_at"],
            business_number=row["business_number"],
            contact=row["contact"],
            waba_id=row["waba_id"],
        )
        for row in rows
        if row.get("in_window")
    ]


def add_rates(con: duckdb.DuckDBPyConnection, rates: list[tuple]) -> None:
    """Rate-card rows: (effective_from, market, category, rate[, tier_from]) in USD."""
    con.executemany(
        "insert into rate_cards (effective_from, market, category, currency, rate, tier_from,"
        " source_file, loaded_at) values (?, ?, ?, 'USD', ?, ?, 'test', now())",
        [[date.fromisoformat(r[0]), r[1], r[2], r[3], r[4] if len(r) > 4 else 0] for r in rates],
    )


def price(con: duckdb.DuckDBPyConnection, settings: Settings, rows: list[dict]) -> dict:
    """Load the rows (and the messages opening their windows), run every step the priced tables
    need as the rebuild does, and return message_facts by message_id."""
    insert_messages(con, [*rows, *window_openers(rows)])
    write_rebuild_parameters(con, settings)
    run_preparations(con, settings, RebuildResult())
    run_steps(con, steps_for(PRICED), RebuildResult())
    return billing_by_message(con)


def billing_by_message(con: duckdb.DuckDBPyConnection) -> dict:
    """message_facts by message_id, each row with its message_billing verdicts beside it:
    billable_<regime>, conversation_id_<regime>, estimated_cost_<regime>,
    billing_reason_<regime>."""
    result = con.execute("select * from message_facts order by message_id")
    names = [column[0] for column in result.description]
    facts = {row[0]: dict(zip(names, row, strict=True)) for row in result.fetchall()}
    for message_id, regime, billable, conversation_id, cost, reason in fetch_all(
        con,
        "select message_id, regime, billable, conversation_id, estimated_cost, billing_reason "
        "from message_billing",
    ):
        facts[message_id].update(
            {
                f"billable_{regime}": billable,
                f"conversation_id_{regime}": conversation_id,
                f"estimated_cost_{regime}": cost,
                f"billing_reason_{regime}": reason,
            }
        )
    return facts


def verdicts(billing: dict, regime: str) -> dict:
    """message_id -> (billable, conversation_id) under one regime."""
    return {
        message_id: (row[f"billable_{regime}"], row[f"conversation_id_{regime}"])
        for message_id, row in billing.items()
    }
