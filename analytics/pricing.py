"""Pricing: the SQL steps that price every message under every regime of the registry."""

from __future__ import annotations

import duckdb

from analytics import regimes
from analytics.config import Settings
from analytics.db import sql_text
from analytics.markets import write_markets_table
from analytics.steps import Step

# Run after int_outbound and before message_facts, which takes the regime in force from their
# results. First the steps that see one thread at a time, then the account pass (monthly free
# tiers, volume tiers: message_billing_by_regime), kept as late and as small as possible.
PRICING_STEPS: tuple[Step, ...] = (
    Step("int_market_contacts", "temp"),
    Step("int_free_entry_points", "temp"),
    # issue 15: the template catalogue's category of each template send at its send time
    Step("int_template_categories", "temp"),
    Step("int_pricing_messages", "temp"),
    Step("int_conversations_opened", "temp"),
    Step("int_conversations_service", "temp"),
    # every regime's rule (analytics/sql/regimes/), one row per message and regime
    Step("int_regime_verdicts", "temp", per_regime=True),
    # the rate card in force on every (market, send date) that occurs: a lookup over them all
    Step("int_pricing_rates", "temp", scope="account"),
)

# Run after message_facts: they read only public tables.
PRICING_REPORT_STEPS: tuple[Step, ...] = (Step("pricing_reconciliation", "table", scope="account"),)


def prepare_pricing_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Write the lookup tables the pricing SQL reads (the dated markets, the regimes) and
    create the macros it calls (the conversation chain walk)."""
    con.execute(sql_text("macros/conversation_chains"))
    write_markets_table(con)  # the public table `markets`, read by int_market_contacts
    regimes.write_pricing_regimes(con, settings)
