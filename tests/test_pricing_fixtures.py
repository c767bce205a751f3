"""Helpers for the pricing tests (no tests here): price hand-written rows through the pricing steps.

The pricing steps read the care-window step's `int_outbound`; these helpers build it straight
from the rows (with the window verdict written in the test), so pricing is tested on its own.
"""

from __future__ import annotations

from datetime import date

import duckdb
from rows import insert_messages

from analytics.config import Settings
from analytics.db import fetch_all
from analytics.identities import create_identity_macros
from analytics.plan import steps_for
from analytics.pricing import prepare_pricing_inputs
from analytics.rebuild import materialize, write_rebuild_parameters

NL = "31612345678"  # Netherlands


def in_window(row: dict, inside: bool = True) -> dict:
    """The row, sent inside (or outside) an open customer care window of its thread."""
    return {**row, "in_window": inside}


def create_int_outbound(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """int_outbound as the care-window step would write it, for the outbound rows given."""
    outbound = [row for row in rows if row["direction"] == "outbound"]
    con.execute(
        """
        create or replace temp table int_outbound as
        with windows as (
            select unnest($ids) as message_id, unnest($inside) as in_window
        ),
        keyed as (
            select *, row_number() over () as message_key
            from messages
            where direction = 'outbound'
        )
        select
            messages.message_id, message_key,
            -- as int_outbound names a thread: by its smallest message key
            min(message_key) over (partition by business_number, contact) as thread_key,
            business_number, contact, waba_id, sent_at,
            case when type = 'template' then 'template' else 'session' end as kind,
            type, template_name, template_category,
            coalesce(status, 'delivered') as status,
            coalesce(status, 'delivered') in ('delivered', 'read') as delivered,
            windows.in_window,
            null::timestamptz as window_opened_at,
            null::timestamptz as window_closes_at,
            null::timestamptz as last_inbound_at,
            null::boolean as opt_in_active,
            null::varchar as violation,
            false as marketing_opt_out_warning,
            meta_billable, meta_pricing_type, meta_category
        from keyed as messages
        join windows using (message_id)
        """,
        {
            "ids": [row["message_id"] for row in outbound] or [""],
            "inside": [bool(row.get("in_window", False)) for row in outbound] or [False],
        },
    )


def add_rates(con: duckdb.DuckDBPyConnection, rates: list[tuple]) -> None:
    """Rate-card rows: (effective_from, market, category, rate[, tier_from]) in USD."""
    con.executemany(
        "insert into rate_cards (effective_from, market, category, currency, rate, tier_from,"
        " source_file, loaded_at) values (?, ?, ?, 'USD', ?, ?, 'test', now())",
        [[date.fromisoformat(r[0]), r[1], r[2], r[3], r[4] if len(r) > 4 else 0] for r in rates],
    )


def price(con: duckdb.DuckDBPyConnection, settings: Settings, rows: list[dict]) -> dict:
    """Run the pricing steps and message_facts over the rows; message_facts by message_id."""
    insert_messages(con, rows)
    create_int_outbound(con, rows)
    write_rebuild_parameters(con, settings)
    prepare_pricing_inputs(con, settings)
    create_identity_macros(con, settings)
    # every step the priced tables need, from the rebuild plan, but the int_outbound built here
    priced = ("message_facts", "message_billing", "pricing_reconciliation")
    for step in steps_for(priced, given=("int_outbound",)):
        materialize(con, step)
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


def rows_of(con: duckdb.DuckDBPyConnection, query: str, parameters=None) -> list[tuple]:
    return fetch_all(con, query, parameters)
