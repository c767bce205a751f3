"""Pricing inputs prepared in Python before the SQL steps (placeholder until pricing lands)."""

from __future__ import annotations

import duckdb

from analytics.config import Settings
from analytics.steps import Step

PRICING_STEPS: tuple[Step, ...] = (Step("int_billing", "temp"),)
PRICING_REPORT_STEPS: tuple[Step, ...] = ()


def prepare_pricing_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Write the lookup tables the pricing SQL reads."""
