"""The sections of a report below its key figures, from the aggregate DataFrames of one period:
violations, cost by market, the regime comparison, Meta's pricing, data quality."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from reports import figures
from reports.formatting import CATEGORY_LABELS, category_label, share
from reports.masking import business_number_label
from reports.periods import card_label
from reports.queries import ReportAggregates, records

DISAGREEMENT_LABELS = {
    "billable": "Chargeable or free",
    "category": "Category",
    "unspecified": "Not specified",
}
# Charts list at most this many templates or markets; tables list them all.
CHART_ROWS = 10


@dataclass(frozen=True)
class Chart:
    """A chart to draw: its element id and figure."""

    element_id: str
    figure: go.Figure


def of_period(found: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of one period ('2025-03' or '2025-03-04')."""
    return found[found["period"] == key]


def disagreement_label(disagreement: str | None) -> str:
    """'billable, category' -> 'Chargeable or free and category'."""
    parts = [DISAGREEMENT_LABELS.get(part, part) for part in (disagreement or "").split(", ")]
    text = " and ".join(part for part in parts if part) or ""
    return text[:1].upper() + text[1:].lower() if text else ""


def template_label(kind: str, template_name: str | None, one_message: bool = False) -> str:
    if kind == "session":
        return "Free-form message" if one_message else "Free-form (non-template) messages"
    name = template_name or "(no name)"
    return f"Template {name}" if one_message else name


def violations(key: str, aggregates: ReportAggregates, warnings: int) -> dict[str, Any]:
    templates = [
        {
            **row,
            "label": template_label(row["kind"], row["template_name"]),
            "category_label": category_label(
                "service" if row["kind"] == "session" else row["template_category"]
            ),
        }
        for row in records(of_period(aggregates.violations_by_template, key))
    ]
    by_business_number = [
        {**row, "business_number_label": business_number_label(row["business_number"])}
        for row in records(of_period(aggregates.violations_by_business_number, key))
    ]
    by_category = [
        {**row, "category_label": category_label(row["category"])}
        for row in records(of_period(aggregates.violations_by_category, key))
    ]
    latest = [
        {
            **row,
            "business_number_label": business_number_label(row["business_number"]),
            "what": template_label(row["kind"], row["template_name"], one_message=True),
        }
        for row in records(of_period(aggregates.latest_violations, key))
    ]
    chart = None
    if templates:
        top = templates[:CHART_ROWS]
        chart = Chart(
            "violations-by-template",
            figures.violations_by_template_figure(
                [row["label"] for row in top],
                [row["session_outside_window"] for row in top],
                [row["template_without_opt_in"] for row in top],
            ),
        )
    return {
        "total": int(sum(row["violations"] for row in by_category)),
        "warnings": warnings,
        "by_template": templates,
        "by_business_number": by_business_number,
        "by_category": by_category,
        "latest": latest,
        "chart": chart,
    }


def cost_by_market_rows(found: pd.DataFrame) -> pd.DataFrame:
    """One row per market and category: every message sent there, the chargeable ones, the
    cost per currency and the chargeable ones without a rate. Most cost first."""
    if found.empty:
        return pd.DataFrame(
            columns=[
                "market",
                "priced_category",
                "outbound_messages",
                "chargeable_messages",
                "cost_unknown_messages",
                "costs",
                "primary_cost",
                "rate_cards",
            ]
        )
    counts = found.groupby(["market", "priced_category"], dropna=False, as_index=False)[
        ["outbound_messages", "chargeable_messages", "cost_unknown_messages"]
    ].sum()
    priced = found[found["currency"].notna() & found["estimated_cost"].notna()]
    costs = (
        priced.groupby(["market", "priced_category", "currency"], dropna=False)["estimated_cost"]
        .sum()
        .reset_index()
    )
    # a few hundred (market, category, currency) sums: one pass in Python, not a pandas
    # group per market (which cost most of a report's rendering)
    cost_lists: dict[tuple, list[dict[str, Any]]] = {}
    for row in costs.sort_values("estimated_cost", ascending=False, kind="stable").itertuples():
        cost_lists.setdefault((row.market, row.priced_category), []).append(
            {"currency": row.currency, "amount": row.estimated_cost}
        )
    counts["costs"] = [
        cost_lists.get((row.market, row.priced_category), []) for row in counts.itertuples()
    ]
    counts["primary_cost"] = [sum(c["amount"] for c in costs) for costs in counts["costs"]]
    cards: dict[tuple, set[str]] = {}
    named = priced.loc[priced["rate_card"].notna(), ["market", "priced_category", "rate_card"]]
    for row in named.drop_duplicates().itertuples():
        cards.setdefault((row.market, row.priced_category), set()).add(card_label(row.rate_card))
    counts["rate_cards"] = [
        sorted(cards.get((row.market, row.priced_category), set())) for row in counts.itertuples()
    ]
    return counts.sort_values(
        ["primary_cost", "chargeable_messages", "market", "priced_category"],
        ascending=[False, False, True, True],
        na_position="last",
    )


def primary_currency(found: pd.DataFrame) -> str | None:
    """The currency most of the cost is in."""
    priced = found[found["currency"].notna()]
    if priced.empty:
        return None
    by_currency = priced.groupby("currency")["estimated_cost"].sum()
    return str(by_currency.idxmax())


def cost(key: str, aggregates: ReportAggregates) -> dict[str, Any]:
    found = of_period(aggregates.cost_by_market, key)
    currency = primary_currency(found)
    table = cost_by_market_rows(found)
    chargeable = table[table["chargeable_messages"] > 0]
    rows = [
        {**row, "category_label": category_label(row["priced_category"])}
        for row in records(chargeable)
    ]
    chart = None
    priced = found[(found["currency"] == currency) & (found["estimated_cost"] > 0)]
    if not priced.empty:
        by_market = priced.groupby("market")["estimated_cost"].sum().sort_values(ascending=False)
        markets = list(by_market.index[:CHART_ROWS])
        pivot = priced.pivot_table(
            index="market", columns="priced_category", values="estimated_cost", aggfunc="sum"
        ).reindex(markets)
        categories = [c for c in CATEGORY_LABELS if c and c in pivot.columns]
        chart = Chart(
            "cost-by-market",
            figures.cost_by_market_figure(
                markets,
                {category: pivot[category].fillna(0).tolist() for category in categories},
                currency,
                CATEGORY_LABELS,
            ),
        )
    free = table[table["chargeable_messages"] == 0]
    return {
        "rows": rows,
        "free_markets": int(free["outbound_messages"].sum()),
        "currency": currency,
        "other_currencies": sorted(set(found["currency"].dropna()) - {currency}),
        "chart": chart,
    }


def regimes(key: str, aggregates: ReportAggregates) -> dict[str, Any]:
    found = of_period(aggregates.regime_comparison, key)
    currency = primary_currency(found)
    table = []
    # the registry's regimes in its order (the query sorts by pricing_regimes.position)
    labels = dict(zip(found["regime"], found["label"], strict=True))
    for regime, label in labels.items():
        chosen = found[found["regime"] == regime]
        priced = chosen[chosen["currency"].notna() & chosen["estimated_cost"].notna()]
        by_currency = priced.groupby("currency")["estimated_cost"].sum()
        costs = [
            {"currency": name, "amount": float(amount)}
            for name, amount in by_currency.sort_values(ascending=False).items()
        ]
        table.append(
            {
                "regime": regime,
                "label": label,
                "in_force": bool(chosen["messages_in_force"].sum() > 0),
                "chargeable_messages": int(chosen["chargeable_messages"].sum()),
                "costs": costs,
                "primary_cost": float(by_currency.get(currency, 0.0)) if currency else 0.0,
                "cost_unknown_messages": int(chosen["cost_unknown_messages"].sum()),
            }
        )
    chart = None
    if not found.empty:
        chart = Chart(
            "regime-comparison",
            figures.regime_comparison_figure(
                [row["label"] for row in table],
                [row["chargeable_messages"] for row in table],
                [row["primary_cost"] for row in table],
                [row["in_force"] for row in table],
                currency,
            ),
        )
    return {
        "rows": table if not found.empty else [],
        "currency": currency,
        "chart": chart,
        "in_force": [row["label"] for row in table if row["in_force"]],
    }


def reconciliation(key: str, aggregates: ReportAggregates, outbound: int) -> dict[str, Any]:
    summary = records(of_period(aggregates.reconciliation, key))
    found = summary[0] if summary else None
    compared = int(found["compared_messages"]) if found else 0
    return {
        "compared": compared,
        "outbound": outbound,
        "coverage": share(compared, outbound),
        "agreeing": int(found["agreeing_messages"]) if found else 0,
        "disagreeing": int(found["disagreeing_messages"]) if found else 0,
        "agreement_rate": share(found["agreeing_messages"], compared) if found else None,
        "by_kind": [
            {**row, "label": disagreement_label(row["disagreement"])}
            for row in records(of_period(aggregates.disagreements_by_kind, key))
        ],
        "latest": [
            {
                **row,
                "business_number_label": business_number_label(row["business_number"]),
                "what": disagreement_label(row["disagreement"]),
                "meta_pricing_type": (row["meta_pricing_type"] or "").replace("_", " "),
            }
            for row in records(of_period(aggregates.latest_disagreements, key))
        ],
    }


def data_quality(key: str, aggregates: ReportAggregates, unknown: int) -> dict[str, Any]:
    table = cost_by_market_rows(of_period(aggregates.cost_by_market, key))
    unknown_rates = [
        {**row, "category_label": category_label(row["priced_category"])}
        for row in records(table[table["cost_unknown_messages"] > 0])
    ]
    return {
        "cost_unknown_messages": unknown,
        "unknown_rates": unknown_rates,
        "missing_categories": records(of_period(aggregates.missing_categories, key)),
        "user_id_only_markets": records(of_period(aggregates.user_id_only_markets, key)),
        "unknown_kind_messages": int(
            sum(row["messages"] for row in records(of_period(aggregates.unknown_kinds, key)))
        ),
        "quarantine": aggregates.quarantine,
        "quarantined_rows": sum(row["quarantined_rows"] for row in aggregates.quarantine),
        "load_status": aggregates.load_status,
    }
