"""The monthly report's section "Meta's figures beside the estimate" (docs/rules.md, section 7).

Reads cost_reconciliation (Meta's pricing_analytics and conversation_analytics against the
estimate, per UTC day or month) and template_category_differences, in small aggregates: the
month's totals, its differing cells by country, category and type, and what each difference
likely means. Warehouses built before these tables existed get an empty section.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from reports.formatting import money, number, plural

SQL_DIR = Path(__file__).parent / "sql"
TABLES = ("cost_reconciliation", "template_category_differences")
# The largest differences a report lists.
LISTED_DIFFERENCES = 10
# Meta's categories carewindow does not price apart, and what it prices them as.
META_ONLY_CATEGORIES = {
    "authentication_international": "authentication",
    "marketing_lite": "marketing",
}
UNIT_LABELS = {"message": "Messages (per-message pricing)", "conversation": "Conversations"}
TYPE_LABELS = {
    "regular": "charged",
    "free_customer_service": "free (customer service window)",
    "free_entry_point": "free (entry point)",
    "free_tier": "free (monthly free tier)",
}


def _rows(
    con: duckdb.DuckDBPyConnection, name: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    query = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    used = {key: value for key, value in values.items() if f"${key}" in query}
    result = con.execute(query, used)
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def _grouped(found: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in found:
        grouped[row["period"]].append(row)
    return dict(grouped)


def aggregates(con: duckdb.DuckDBPyConnection, time_zone: str, first_day: date) -> dict[str, Any]:
    """What the section shows, keyed by period ('2026-05'); nothing when the tables are missing."""
    present = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_name in ?",
            [list(TABLES)],
        ).fetchall()
    }
    values = {"time_zone": time_zone, "first_day": first_day}
    found: dict[str, Any] = {"totals": {}, "differences": {}, "template_categories": {}}
    if "cost_reconciliation" in present:
        found["totals"] = _grouped(_rows(con, "meta_figures", values))
        found["differences"] = _grouped(_rows(con, "meta_figures_differences", values))
    if "template_category_differences" in present:
        found["template_categories"] = _grouped(
            _rows(con, "meta_figures_template_categories", values)
        )
    return found


def _category(category: str) -> str:
    return category.replace("_", " ")


def _country(country: str) -> str:
    return country or "unknown country"


def _likely(cell: dict[str, Any], cells: list[dict[str, Any]], unit: str) -> str:
    """What one differing cell most likely means, from the cells beside it."""
    units = unit + "s"
    category, kind = cell["pricing_category"], cell["pricing_type"]
    if category in META_ONLY_CATEGORIES and not cell["estimated_volume"]:
        return (
            f"Meta prices these as {_category(category)}; carewindow counts them as "
            f"{META_ONLY_CATEGORIES[category]} (its row for {_country(cell['country'])} shows "
            "the other side)"
        )
    difference = cell["volume_difference"]
    # the same messages put under another pricing type (or category) by Meta
    siblings = [
        other
        for other in cells
        if other is not cell
        and other["charge_unit"] == cell["charge_unit"]
        and other["country"] == cell["country"]
        and (other["pricing_category"] == category or other["pricing_type"] == kind)
        and other["volume_difference"] * difference < 0
    ]
    if siblings:
        other = max(siblings, key=lambda row: abs(row["volume_difference"]))
        what = (
            TYPE_LABELS.get(other["pricing_type"], _category(other["pricing_type"]))
            if other["pricing_category"] == category
            else _category(other["pricing_category"])
        )
        if difference > 0:
            return f"Meta counted {plural(difference, unit)} here that carewindow put under {what}"
        return f"carewindow counted {plural(-difference, unit)} here that Meta put under {what}"
    if difference > 0 and not cell["estimated_volume"]:
        return f"Meta counted {units} no loaded log has (a missing log, or a number not in it)"
    if difference > 0:
        return f"Meta counted {plural(difference, unit)} more than the logs have"
    if difference < 0 and not cell["meta_volume"]:
        return (
            f"carewindow estimated {units} Meta did not count (not delivered by Meta's reckoning,"
            " or outside the exported numbers)"
        )
    if difference < 0:
        return f"Meta counted {plural(-difference, unit)} fewer than carewindow estimated"
    return "the same count at another cost: a rate or volume tier unlike the loaded rate card"


def _money_difference(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "unknown"
    sign = "+" if amount > 0 else "−" if amount < 0 else ""
    return sign + money(abs(amount), currency)


def section(period_key: str, period_kind: str, found: dict[str, Any]) -> dict[str, Any]:
    """The section of one report: empty unless it is a month with Meta's figures."""
    categories = found.get("template_categories", {}).get(period_key, [])
    template_categories = {
        "rows": categories,
        "messages": sum(row["messages"] for row in categories),
    }
    if period_kind != "month":
        return {"shown": False, "template_categories": template_categories}
    totals = found.get("totals", {}).get(period_key, [])
    cells = found.get("differences", {}).get(period_key, [])
    listed = []
    for cell in cells[:LISTED_DIFFERENCES]:
        unit = cell["charge_unit"]
        currency = next((t["currency"] for t in totals if t["charge_unit"] == unit), None)
        listed.append(
            {
                **cell,
                "country_label": _country(cell["country"]),
                "category_label": _category(cell["pricing_category"]),
                "type_label": TYPE_LABELS.get(
                    cell["pricing_type"], _category(cell["pricing_type"])
                ),
                "unit_label": "conversations" if unit == "conversation" else "messages",
                "estimated_cost_text": money(cell["estimated_cost"], currency),
                "meta_cost_text": money(cell["meta_cost"], currency),
                "cost_difference_text": _money_difference(cell["cost_difference"], currency),
                "likely": _likely(cell, cells, unit),
            }
        )
    summaries = [
        {
            **total,
            "label": UNIT_LABELS.get(total["charge_unit"], total["charge_unit"]),
            "estimated_cost_text": money(total["estimated_cost"], total["currency"]),
            "meta_cost_text": money(total["meta_cost"], total["currency"]),
            "cost_difference_text": _money_difference(total["cost_difference"], total["currency"]),
            "volume_difference_text": (
                ("+" if total["volume_difference"] > 0 else "") + number(total["volume_difference"])
            ),
        }
        for total in totals
    ]
    return {
        "shown": True,
        "totals": summaries,
        "differences": listed,
        "differing_cells": len(cells),
        "template_categories": template_categories,
    }


def index_difference(period_key: str, period_kind: str, found: dict[str, Any]) -> str:
    """The month's cost difference (Meta minus estimate) for the index; '' when not known."""
    if period_kind != "month":
        return ""
    totals = found.get("totals", {}).get(period_key, [])
    return "; ".join(
        _money_difference(total["meta_cost"] - total["estimated_cost"], total["currency"])
        if total["meta_cost"] is not None and total["estimated_cost"] is not None
        else "unknown"
        for total in totals
    )
