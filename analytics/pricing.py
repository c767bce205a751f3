"""Pricing inputs prepared in Python before the SQL steps (placeholder until pricing lands)."""

from __future__ import annotations

import duckdb

from analytics.config import Settings


def prepare_pricing_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Write the lookup tables the pricing SQL reads."""
