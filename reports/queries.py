"""The aggregates reports show, read from the warehouse by the queries in reports/sql/.

Each query reads its table once, groups it by day, and hands the day rows to one shared rollup
(the table macro in day_and_month_periods.sql) that adds the months; so one pass feeds every
daily and monthly report, and what Python receives grows with days and categories, never with
messages. Day rows older than `first_day` are dropped: only recent days get a report.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from reports import meta_figures
from reports.masking import masked_contact, masked_numbers_in_text

# The tables and views reports read; without them there is nothing to report yet.
REQUIRED_TABLES = (
    "daily_summary",
    "daily_costs",
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
class ReportAggregates:
    """Everything the reports show, keyed by period ('2025-03-03' for a day, '2025-03' a month)."""

    headline: dict[str, dict[str, Any]]
    cost_by_currency: dict[str, list[dict[str, Any]]]
    violations_by_business_number: dict[str, list[dict[str, Any]]]
    violations_by_template: dict[str, list[dict[str, Any]]]
    violations_by_category: dict[str, list[dict[str, Any]]]
    latest_violations: dict[str, list[dict[str, Any]]]
    cost_by_market: dict[str, list[dict[str, Any]]]
    regime_comparison: dict[str, list[dict[str, Any]]]
    reconciliation: dict[str, dict[str, Any]]
    disagreements_by_kind: dict[str, list[dict[str, Any]]]
    latest_disagreements: dict[str, list[dict[str, Any]]]
    missing_categories: dict[str, list[dict[str, Any]]]
    quarantine: list[dict[str, Any]]
    load_status: dict[str, Any]
    # Meta's own figures beside the estimate (reports/meta_figures.py)
    meta_figures: dict[str, Any] = field(default_factory=dict)


def query_text(name: str) -> str:
    """The text of reports/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _parameters_for(query: str, values: Mapping[str, Any]) -> dict[str, Any]:
    # DuckDB refuses named parameters a statement does not use, so pass only the ones it names.
    return {name: values[name] for name in set(re.findall(r"\$(\w+)", query))}


def rows(
    con: duckdb.DuckDBPyConnection, name: str, values: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of the query in reports/sql/<name>.sql as dicts, fully drained."""
    query = query_text(name)
    result = con.execute(query, _parameters_for(query, values or {}))
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def _by_period(found: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in found:
        grouped[row["period"]].append(row)
    return dict(grouped)


def _masked(found: list[dict[str, Any]], visible_digits: int) -> list[dict[str, Any]]:
    # The whole customer number never leaves this module: reports get the masked form only.
    masked = []
    for row in found:
        contact = row.pop("contact")
        masked.append({**row, "masked_contact": masked_contact(contact, visible_digits)})
    return masked


def missing_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> list[str]:
    """Those of the named tables or views the warehouse does not have (yet)."""
    return [row["table_name"] for row in rows(con, "missing_tables", {"names": list(names)})]


def report_days(con: duckdb.DuckDBPyConnection, day_count: int) -> list[date]:
    """The latest `day_count` days that have any traffic, newest first."""
    return [row["day"] for row in rows(con, "report_days", {"day_count": day_count})]


def report_aggregates(
    con: duckdb.DuckDBPyConnection, time_zone: str, first_day: date, visible_digits: int
) -> ReportAggregates:
    """Every aggregate the reports show: months in full, days from first_day on.

    The headline and cost-by-currency rows come from daily_summary, one row per day and business
    number already, so they keep every day: monthly reports draw a day-by-day trend from them.
    """
    for macro in MACROS:
        con.execute(query_text(macro)).fetchall()
    values = {"time_zone": time_zone, "first_day": first_day, "row_limit": LISTED_ROWS}
    return ReportAggregates(
        headline={row["period"]: row for row in rows(con, "headline", values)},
        cost_by_currency=_by_period(rows(con, "cost_by_currency", values)),
        violations_by_business_number=_by_period(
            rows(con, "violations_by_business_number", values)
        ),
        violations_by_template=_by_period(rows(con, "violations_by_template", values)),
        violations_by_category=_by_period(rows(con, "violations_by_category", values)),
        latest_violations=_by_period(
            _masked(rows(con, "latest_violations", values), visible_digits)
        ),
        cost_by_market=_by_period(rows(con, "cost_by_market", values)),
        regime_comparison=_by_period(rows(con, "regime_comparison", values)),
        reconciliation={row["period"]: row for row in rows(con, "reconciliation", values)},
        disagreements_by_kind=_by_period(rows(con, "disagreements_by_kind", values)),
        latest_disagreements=_by_period(
            _masked(rows(con, "latest_disagreements", values), visible_digits)
        ),
        missing_categories=_by_period(rows(con, "missing_categories", values)),
        quarantine=quarantine_summary(con, visible_digits),
        load_status=load_status(con, time_zone),
        meta_figures=meta_figures.aggregates(con, time_zone, first_day),
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
