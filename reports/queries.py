"""The aggregates reports show, read from the warehouse as pandas DataFrames.

Each query in reports/sql/ reads its table once and groups it by day; most hand the day rows to
one shared rollup (the table macro in day_and_month_periods.sql) that adds the months, so one
pass feeds every daily and monthly report, and what Python receives grows with days and
categories, never with messages. The headline and cost-per-currency frames keep one row per day
of the whole history: a report sums them over any range (a month so far, the same days of the
month before) with pandas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from reports import meta_figures
from reports.masking import masked_contact, masked_numbers_in_text

# The tables and views reports read; without them there is nothing to report yet.
REQUIRED_TABLES = (
    "daily_summary",
    "daily_costs",
    "rate_card_freshness",
    "pricing_regimes",
    "message_facts",
    "violations",
    "pricing_reconciliation",
)
# The loading record, part of the schema from the first migration.
LOAD_TABLES = ("load_log", "quarantine")

# Rows listed individually (latest violations, latest disagreements) per report.
LISTED_ROWS = 25

SQL_DIR = Path(__file__).parent / "sql"
# Table macros the report queries call; created on the connection before those queries run.
MACROS = ("day_and_month_periods", "latest_per_period")


@dataclass(frozen=True)
class Coverage:
    """The first and last day the data covers, in the business time zone."""

    first_day: date
    last_day: date


@dataclass(frozen=True)
class ReportAggregates:
    """Everything the reports show. `days` and `cost_days` hold one row per day; the other
    frames one row per period ('2025-03-03' for a day, '2025-03' for a month) and dimension."""

    coverage: Coverage
    days: pd.DataFrame
    cost_days: pd.DataFrame
    violations_by_business_number: pd.DataFrame
    violations_by_template: pd.DataFrame
    violations_by_category: pd.DataFrame
    violations_by_customer: pd.DataFrame
    latest_violations: pd.DataFrame
    cost_by_market: pd.DataFrame
    regime_comparison: pd.DataFrame
    reconciliation: pd.DataFrame
    disagreements_by_kind: pd.DataFrame
    latest_disagreements: pd.DataFrame
    missing_categories: pd.DataFrame
    quarantine: list[dict[str, Any]]
    load_status: dict[str, Any]
    # messages to customers known only by BSUID, per market (docs/rules.md, section 5)
    user_id_only_markets: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["period", "market", "messages"])
    )
    # Meta's own figures beside the estimate (reports/meta_figures.py)
    meta_figures: dict[str, Any] = field(default_factory=dict)
    # the pricing behind the numbers (reports/pricing_notes.py): the regime in force per day,
    # the rate cards Meta may have replaced per month, the free tiers per day and number
    pricing_days: pd.DataFrame = field(default_factory=pd.DataFrame)
    # outbound messages of unknown kind per period (priced as service messages)
    unknown_kinds: pd.DataFrame = field(default_factory=pd.DataFrame)
    card_freshness: pd.DataFrame = field(default_factory=pd.DataFrame)
    free_tiers: pd.DataFrame = field(default_factory=pd.DataFrame)
    free_service_messages_per_month: int = 0


def query_text(name: str) -> str:
    """The text of reports/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _parameters_for(query: str, values: Mapping[str, Any]) -> dict[str, Any]:
    # DuckDB refuses named parameters a statement does not use, so pass only the ones it names.
    return {name: values[name] for name in set(re.findall(r"\$(\w+)", query))}


def frame(
    con: duckdb.DuckDBPyConnection, name: str, values: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The result of the query in reports/sql/<name>.sql as a DataFrame (nulls as None/NaN)."""
    query = query_text(name)
    found = con.execute(query, _parameters_for(query, values or {})).df()
    for column in found.columns:
        if pd.api.types.is_datetime64_any_dtype(found[column]) and column == "day":
            found[column] = found[column].dt.date
    return found


def rows(
    con: duckdb.DuckDBPyConnection, name: str, values: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of a query as dicts (for the few small lists templates show as they are)."""
    return records(frame(con, name, values))


def records(found: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts, with missing values as None (what templates expect).

    The frames are small (a report's rows), so each value is tested in Python: a whole-frame
    `where` cost more than the rest of turning them into rows."""
    rows = found.to_dict("records")
    for row in rows:
        for column, value in row.items():
            if value is not None and _missing(value):
                row[column] = None
    return rows


def _missing(value: Any) -> bool:
    """NaN, NaT or pd.NA; a list or other container in a cell is a value, never missing."""
    if isinstance(value, (str, list, tuple, dict, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # an array-like value
        return False


def _masked(found: pd.DataFrame, visible_digits: int) -> pd.DataFrame:
    # The whole customer number never leaves this module: reports get the masked form only.
    masked = found.drop(columns=["contact"])
    masked["masked_contact"] = [
        masked_contact(contact, visible_digits) for contact in found.contact
    ]
    return masked


def missing_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> list[str]:
    """Those of the named tables or views the warehouse does not have (yet)."""
    return [row["table_name"] for row in rows(con, "missing_tables", {"names": list(names)})]


def data_coverage(con: duckdb.DuckDBPyConnection) -> Coverage | None:
    """The days the data covers, or None when daily_summary holds none."""
    found = rows(con, "data_coverage")[0]
    if found["first_day"] is None:
        return None
    return Coverage(first_day=_as_date(found["first_day"]), last_day=_as_date(found["last_day"]))


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value


def day_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Headline counts per day (every day with traffic), oldest first."""
    return frame(con, "headline")


def dated(found: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The frame with these date columns as datetime.date values (None where missing)."""
    for column in columns:
        found[column] = [None if pd.isna(value) else _as_date(value) for value in found[column]]
    return found


def report_aggregates(
    con: duckdb.DuckDBPyConnection,
    time_zone: str,
    first_day: date,
    visible_digits: int,
    days: pd.DataFrame | None = None,
    free_service_messages_per_month: int = 0,
) -> ReportAggregates:
    """Every aggregate the reports show: months in full, days from first_day on."""
    for macro in MACROS:
        con.execute(query_text(macro)).fetchall()
    values = {"time_zone": time_zone, "first_day": first_day, "row_limit": LISTED_ROWS}
    coverage = data_coverage(con)
    if coverage is None:
        raise ValueError("the warehouse holds no days of traffic: there is nothing to report")
    return ReportAggregates(
        coverage=coverage,
        days=day_totals(con) if days is None else days,
        cost_days=frame(con, "cost_by_currency"),
        violations_by_business_number=frame(con, "violations_by_business_number", values),
        violations_by_template=frame(con, "violations_by_template", values),
        violations_by_category=frame(con, "violations_by_category", values),
        violations_by_customer=_masked(
            frame(con, "violations_by_customer", values), visible_digits
        ),
        latest_violations=_masked(frame(con, "latest_violations", values), visible_digits),
        cost_by_market=frame(con, "cost_by_market", values),
        regime_comparison=frame(con, "regime_comparison", values),
        reconciliation=frame(con, "reconciliation", values),
        disagreements_by_kind=frame(con, "disagreements_by_kind", values),
        latest_disagreements=_masked(frame(con, "latest_disagreements", values), visible_digits),
        missing_categories=frame(con, "missing_categories", values),
        user_id_only_markets=frame(con, "user_id_only_markets", values),
        unknown_kinds=frame(con, "unknown_kinds", values),
        quarantine=quarantine_summary(con, visible_digits),
        load_status=load_status(con, time_zone),
        meta_figures=meta_figures.aggregates(con, time_zone, first_day),
        pricing_days=dated(frame(con, "pricing_days"), "in_force_from"),
        card_freshness=dated(
            frame(con, "card_freshness"), "month", "card_effective_from", "newer_card_possible_from"
        ),
        free_tiers=frame(con, "free_tiers"),
        free_service_messages_per_month=free_service_messages_per_month,
    )


def quarantine_summary(con: duckdb.DuckDBPyConnection, visible_digits: int) -> list[dict[str, Any]]:
    """Quarantined rows by kind and reason over every load; numbers in reasons masked."""
    return [
        {**row, "reason": masked_numbers_in_text(row["reason"], visible_digits)}
        for row in rows(con, "quarantine")
    ]


def load_status(con: duckdb.DuckDBPyConnection, time_zone: str) -> dict[str, Any]:
    """Files loaded and failed, rows read and quarantined, and when the last load finished."""
    return rows(con, "load_status", {"time_zone": time_zone})[0]
