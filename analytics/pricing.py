"""Pricing: the regime calendar, market prefixes, and the SQL steps that price every message."""

from __future__ import annotations

from datetime import date

import duckdb

from analytics.config import Settings
from analytics.markets import write_markets_table
from analytics.steps import Step

REGIMES = (
    "session_2019",
    "conversation_2022",
    "conversation_2023",
    "per_message_2025",
    "per_message_2026_10",
)

# The first day (in the business time zone) each regime is in force; each lasts until the next.
REGIME_STARTS = {
    "session_2019": date(1, 1, 1),
    "conversation_2022": date(2022, 2, 1),
    "conversation_2023": date(2023, 6, 1),
    "per_message_2025": date(2025, 7, 1),
    "per_message_2026_10": date(2026, 10, 1),  # only when enabled: not confirmed by Meta
}

# Run after int_outbound and before message_facts, which prices every message from their
# results. First the steps that see one thread at a time, then the account pass (monthly free
# tiers, volume tiers), kept as late and as small as possible.
PRICING_STEPS: tuple[Step, ...] = (
    Step("int_market_contacts", "temp"),
    Step("int_free_entry_points", "temp"),
    Step("int_pricing_messages", "temp"),
    Step("int_conversations_opened", "temp"),
    Step("int_conversations_service", "temp"),
    # the rate card in force on every (market, send date) that occurs: a lookup over them all
    Step("int_pricing_rates", "temp", scope="account"),
    # numbers conversations and service messages within the account's month (free tiers)
    Step("int_pricing_verdicts", "temp", scope="account"),
    Step("int_pricing_volume_tiers", "temp", scope="account"),
)

# Run after message_facts: they read only public tables.
PRICING_REPORT_STEPS: tuple[Step, ...] = (
    Step("message_billing", "view", scope="account"),
    Step("pricing_reconciliation", "table", scope="account"),
)


def regime_calendar(per_message_2026_10_enabled: bool) -> list[tuple[str, date]]:
    """(regime, in force from) for the regimes that actually take effect."""
    return [
        (regime, starts)
        for regime, starts in REGIME_STARTS.items()
        if regime != "per_message_2026_10" or per_message_2026_10_enabled
    ]


def prepare_pricing_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Write the lookup tables the pricing SQL reads: market prefixes and the regime calendar."""
    write_markets_table(con)  # the public table `markets`, read by int_market_contacts
    con.execute(
        "create or replace temp table pricing_regime_calendar "
        "(regime varchar primary key, in_force_from date not null)"
    )
    con.executemany(
        "insert into pricing_regime_calendar values (?, ?)",
        regime_calendar(settings.per_message_2026_10_enabled),
    )
