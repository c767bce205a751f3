"""Pricing: what the pricing steps (analytics/sql/int_pricing_*.sql, int_regime_verdicts,
message_billing_by_regime, ...) need written before they run: the dated markets, the regimes."""

from __future__ import annotations

import duckdb

from analytics import regimes
from analytics.config import Settings
from analytics.db import sql_text
from analytics.markets import write_markets_table


def prepare_pricing_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Write the lookup tables the pricing SQL reads (the dated markets, the regimes) and
    create the macros it calls (the conversation chain walk)."""
    con.execute(sql_text("macros/conversation_chains"))
    write_markets_table(con)  # the public table `markets`, read by int_market_contacts
    regimes.write_pricing_regimes(con, settings)
