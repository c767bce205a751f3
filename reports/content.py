"""What one daily or monthly report says: key figures, tables and charts, from the aggregates."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from reports import figures, meta_figures
from reports.formatting import (
    CATEGORY_LABELS,
    category_label,
    long_day,
    long_month,
    money,
    number,
    percent,
    plural,
    share,
)
from reports.masking import business_number_label
from reports.queries import ReportAggregates

# A daily report's trend charts show this many days, ending on the report's day.
TREND_DAYS = 30
DISAGREEMENT_LABELS = {
    "billable": "Chargeable or free",
    "category": "Category",
    "unspecified": "Not specified",
}
# Charts list at most this many templates or markets; tables list them all.
CHART_ROWS = 10


@dataclass(frozen=True)
class Period:
    """A day or a calendar month in the business time zone."""

    kind: str  # "day" | "month"
    start: date

    @property
    def key(self) -> str:
        return self.start.isoformat() if self.kind == "day" else f"{self.start:%Y-%m}"

    @property
    def end(self) -> date:
        """The first day after the period."""
        if self.kind == "day":
            return self.start + timedelta(days=1)
        days = calendar.monthrange(self.start.year, self.start.month)[1]
        return self.start + timedelta(days=days)

    @property
    def previous(self) -> Period:
        if self.kind == "day":
            return Period("day", self.start - timedelta(days=1))
        return Period("month", (self.start - timedelta(days=1)).replace(day=1))

    @property
    def title(self) -> str:
        return long_day(self.start) if self.kind == "day" else long_month(self.start)

    @property
    def noun(self) -> str:
        return "day" if self.kind == "day" else "month"

    @property
    def this(self) -> str:
        """How the text refers to the period: 'on this day', 'in this month'."""
        return "on this day" if self.kind == "day" else "in this month"

    @property
    def path(self) -> str:
        """Where the report lives, relative to the index."""
        folder = "daily" if self.kind == "day" else "monthly"
        return f"{folder}/{self.key}.html"

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


@dataclass(frozen=True)
class KeyFigure:
    """One headline number with its change against the previous period."""

    name: str  # stable machine name, written as data-figure for tests and scrapers
    label: str
    value: float | int | Decimal | None
    display: str
    change: str
    tone: str  # good | bad | neutral: whether the change is welcome
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart to draw: its element id and figure."""

    element_id: str
    figure: go.Figure


@dataclass
class ReportContent:
    """Everything one report shows; the templates only lay it out."""

    period: Period
    summary: str
    has_outbound: bool
    key_figures: list[KeyFigure]
    trend_charts: list[Chart]
    violations: dict[str, Any]
    cost: dict[str, Any]
    regimes: dict[str, Any]
    reconciliation: dict[str, Any]
    data_quality: dict[str, Any]
    charts: list[Chart] = field(default_factory=list)
    meta_figures: dict[str, Any] = field(default_factory=dict)


def _change(
    current: float | Decimal | None,
    previous: float | Decimal | None,
    better: str | None,
    previous_label: str,
    how: str = "count",
    currency: str | None = None,
) -> tuple[str, str]:
    """The change as words ('▲ 12 (+8.3%) vs previous day') and whether it is good news."""
    if current is None:
        return "", "neutral"
    if previous is None:
        return f"no figure for the {previous_label}", "neutral"
    delta = float(current) - float(previous)
    if abs(delta) < 1e-9:
        return f"same as the {previous_label}", "neutral"
    arrow = "▲" if delta > 0 else "▼"
    if how == "share":
        text = f"{arrow} {abs(delta) * 100:.1f} points vs {previous_label}"
    else:
        amount = money(Decimal(str(abs(delta))), currency) if how == "money" else number(abs(delta))
        if previous:
            text = f"{arrow} {amount} ({delta / float(previous) * 100:+.0f}%) vs {previous_label}"
        else:
            text = f"{arrow} {amount}; none the {previous_label}"
    welcome = (delta > 0) == (better == "up")
    return text, "neutral" if better is None else ("good" if welcome else "bad")


def _key_figures(period: Period, aggregates: ReportAggregates) -> list[KeyFigure]:
    now = aggregates.headline.get(period.key, {})
    before = aggregates.headline.get(period.previous.key)
    previous_label = f"previous {period.noun}"

    def count_figure(name: str, label: str, better: str | None, note: str = "") -> KeyFigure:
        value = now.get(name, 0)
        change, tone = _change(value, before and before.get(name), better, previous_label)
        return KeyFigure(name, label, value, number(value), change, tone, note)

    outbound = now.get("outbound_messages", 0)
    in_window_share = share(now.get("in_window"), outbound)
    previous_share = before and share(before.get("in_window"), before.get("outbound_messages"))
    share_change, share_tone = _change(
        in_window_share, previous_share, "up", previous_label, how="share"
    )
    if before and previous_share is None:
        share_change = f"nothing sent the {previous_label}"
    result = [
        count_figure("inbound_messages", "Messages received", None),
        count_figure(
            "outbound_messages",
            "Messages sent",
            None,
            f"{number(now.get('failed_messages', 0))} failed",
        ),
        count_figure("windows_opened", "Care windows opened", None),
        KeyFigure(
            "in_window_share",
            "Sent inside a care window",
            in_window_share,
            percent(in_window_share),
            share_change,
            share_tone,
            f"{number(now.get('in_window', 0))} of {number(outbound)} messages sent"
            if outbound
            else "no messages sent",
        ),
        count_figure(
            "session_outside_window",
            "Free-form messages outside the window",
            "down",
            "Meta rejects these (error 131047)",
        ),
        count_figure(
            "template_without_opt_in",
            "Templates without opt-in",
            "down",
            "sent outside a window to a customer without opt-in",
        ),
        count_figure(
            "marketing_opt_out_warnings",
            "Marketing to opted-out customers",
            "down",
            "warning: the customer stopped marketing messages",
        ),
        count_figure("free_messages", "Free messages sent", None),
        count_figure("chargeable_messages", "Chargeable messages sent", None),
    ]
    result.extend(_cost_figures(period, aggregates, now, previous_label))
    return result


def _cost_figures(
    period: Period, aggregates: ReportAggregates, now: dict, previous_label: str
) -> list[KeyFigure]:
    costs = aggregates.cost_by_currency.get(period.key, [])
    before = {
        row["currency"]: row["estimated_cost"]
        for row in aggregates.cost_by_currency.get(period.previous.key, [])
    }
    has_previous = period.previous.key in aggregates.headline
    unknown = now.get("cost_unknown_messages", 0)
    note = (
        f"plus {number(unknown)} chargeable message{'s' if unknown != 1 else ''} with no rate"
        if unknown
        else "estimate from the rate cards"
    )
    if not costs:
        display, note = ("unknown", note) if unknown else ("–", "nothing chargeable")
        return [KeyFigure("estimated_cost", "Estimated cost", None, display, "", "neutral", note)]
    result = []
    for row in costs:
        currency = row["currency"]
        previous = before.get(currency, Decimal(0) if has_previous else None)
        change, tone = _change(
            row["estimated_cost"], previous, "down", previous_label, how="money", currency=currency
        )
        name = "estimated_cost" if len(costs) == 1 else f"estimated_cost_{currency}"
        result.append(
            KeyFigure(
                name,
                "Estimated cost",
                row["estimated_cost"],
                money(row["estimated_cost"], currency),
                change,
                tone,
                note,
            )
        )
    return result


def _trend_days(period: Period) -> list[date]:
    if period.kind == "month":
        return period.days()
    return [period.start - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]


def _trend_charts(period: Period, aggregates: ReportAggregates) -> list[Chart]:
    days = _trend_days(period)
    rows = [aggregates.headline.get(day.isoformat(), {}) for day in days]

    def series(name: str) -> list[int]:
        return [row.get(name, 0) for row in rows]

    highlight = period.start if period.kind == "day" else None
    return [
        Chart(
            "traffic-trend",
            figures.traffic_trend_figure(
                days, series("inbound_messages"), series("outbound_messages"), highlight
            ),
        ),
        Chart(
            "violations-trend",
            figures.violations_trend_figure(
                days, series("session_outside_window"), series("template_without_opt_in"), highlight
            ),
        ),
        Chart(
            "billing-trend",
            figures.billing_trend_figure(
                days, series("free_messages"), series("chargeable_messages"), highlight
            ),
        ),
    ]


def _template_label(row: dict, one_message: bool = False) -> str:
    if row["kind"] == "session":
        return "Free-form message" if one_message else "Free-form (non-template) messages"
    name = row["template_name"] or "(no name)"
    return f"Template {name}" if one_message else name


def _violations(period: Period, aggregates: ReportAggregates) -> dict[str, Any]:
    by_template = aggregates.violations_by_template.get(period.key, [])
    templates = [
        {
            **row,
            "label": _template_label(row),
            "category_label": category_label(
                "service" if row["kind"] == "session" else row["template_category"]
            ),
        }
        for row in by_template
    ]
    by_business_number = [
        {**row, "business_number_label": business_number_label(row["business_number"])}
        for row in aggregates.violations_by_business_number.get(period.key, [])
    ]
    by_category = [
        {**row, "category_label": category_label(row["category"])}
        for row in aggregates.violations_by_category.get(period.key, [])
    ]
    latest = [
        {
            **row,
            "business_number_label": business_number_label(row["business_number"]),
            "what": _template_label(row, one_message=True),
        }
        for row in aggregates.latest_violations.get(period.key, [])
    ]
    total = sum(row["violations"] for row in by_category)
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
    warnings = aggregates.headline.get(period.key, {}).get("marketing_opt_out_warnings", 0)
    return {
        "total": total,
        "warnings": warnings,
        "by_template": templates,
        "by_business_number": by_business_number,
        "by_category": by_category,
        "latest": latest,
        "chart": chart,
    }


def _primary_currency(rows: Sequence[dict]) -> str | None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["currency"] is not None:
            totals[row["currency"]] += row["estimated_cost"] or 0
    return max(totals, key=lambda currency: totals[currency]) if totals else None


def _cost(period: Period, aggregates: ReportAggregates) -> dict[str, Any]:
    rows = [
        {**row, "category_label": category_label(row["priced_category"])}
        for row in aggregates.cost_by_market.get(period.key, [])
        if row["chargeable_messages"]
    ]
    free_rows = [
        row
        for row in aggregates.cost_by_market.get(period.key, [])
        if not row["chargeable_messages"]
    ]
    currency = _primary_currency(rows)
    chart = None
    priced = [row for row in rows if row["currency"] == currency and row["estimated_cost"]]
    if priced:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for row in priced:
            totals[row["market"]] += row["estimated_cost"]
        markets = sorted(totals, key=lambda market: -totals[market])[:CHART_ROWS]
        categories = [
            c for c in CATEGORY_LABELS if c and any(row["priced_category"] == c for row in priced)
        ]
        cost_by_category = {
            category: [
                sum(
                    (
                        row["estimated_cost"]
                        for row in priced
                        if row["market"] == market and row["priced_category"] == category
                    ),
                    Decimal(0),
                )
                for market in markets
            ]
            for category in categories
        }
        chart = Chart(
            "cost-by-market",
            figures.cost_by_market_figure(markets, cost_by_category, currency, CATEGORY_LABELS),
        )
    return {
        "rows": rows,
        "free_messages": sum(row["outbound_messages"] for row in free_rows),
        "currency": currency,
        "other_currencies": sorted({row["currency"] for row in rows} - {currency, None}),
        "chart": chart,
    }


def _regimes(period: Period, aggregates: ReportAggregates) -> dict[str, Any]:
    found = aggregates.regime_comparison.get(period.key, [])
    currency = _primary_currency(found)
    table = []
    # the registry's regimes in its order (the query sorts by pricing_regimes.position)
    labels = {row["regime"]: row["label"] for row in found}
    for regime in labels:
        rows = [row for row in found if row["regime"] == regime]
        costs = [
            {"currency": row["currency"], "amount": row["estimated_cost"]}
            for row in rows
            if row["currency"] is not None and row["estimated_cost"] is not None
        ]
        table.append(
            {
                "regime": regime,
                "label": labels[regime],
                "in_force": sum(row["messages_in_force"] for row in rows) > 0,
                "chargeable_messages": sum(row["chargeable_messages"] for row in rows),
                "costs": costs,
                "primary_cost": sum(
                    (cost["amount"] for cost in costs if cost["currency"] == currency), Decimal(0)
                ),
                "cost_unknown_messages": sum(row["cost_unknown_messages"] for row in rows),
            }
        )
    chart = None
    if found:
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
        "rows": table if found else [],
        "currency": currency,
        "chart": chart,
        "in_force": [row["label"] for row in table if row["in_force"]],
    }


def _reconciliation(period: Period, aggregates: ReportAggregates) -> dict[str, Any]:
    summary = aggregates.reconciliation.get(period.key)
    outbound = aggregates.headline.get(period.key, {}).get("outbound_messages", 0)
    compared = summary["compared_messages"] if summary else 0
    return {
        "compared": compared,
        "outbound": outbound,
        "coverage": share(compared, outbound),
        "agreeing": summary["agreeing_messages"] if summary else 0,
        "disagreeing": summary["disagreeing_messages"] if summary else 0,
        "agreement_rate": share(summary["agreeing_messages"], compared) if summary else None,
        "by_kind": [
            {**row, "label": DISAGREEMENT_LABELS.get(row["disagreement"], row["disagreement"])}
            for row in aggregates.disagreements_by_kind.get(period.key, [])
        ],
        "latest": [
            {
                **row,
                "business_number_label": business_number_label(row["business_number"]),
                "what": DISAGREEMENT_LABELS.get(row["disagreement"], row["disagreement"] or ""),
                "meta_pricing_type": (row["meta_pricing_type"] or "").replace("_", " "),
            }
            for row in aggregates.latest_disagreements.get(period.key, [])
        ],
    }


def _data_quality(period: Period, aggregates: ReportAggregates) -> dict[str, Any]:
    unknown_rates = [
        {**row, "category_label": category_label(row["priced_category"])}
        for row in aggregates.cost_by_market.get(period.key, [])
        if row["cost_unknown_messages"]
    ]
    return {
        "cost_unknown_messages": aggregates.headline.get(period.key, {}).get(
            "cost_unknown_messages", 0
        ),
        "unknown_rates": unknown_rates,
        "missing_categories": aggregates.missing_categories.get(period.key, []),
        "quarantine": aggregates.quarantine,
        "quarantined_rows": sum(row["quarantined_rows"] for row in aggregates.quarantine),
        "load_status": aggregates.load_status,
    }


def _summary(period: Period, aggregates: ReportAggregates) -> str:
    """The report in two plain sentences, for the top of the page."""
    headline = aggregates.headline.get(period.key, {})
    opening = "On this day" if period.kind == "day" else "In this month"
    inbound = plural(headline.get("inbound_messages", 0), "message")
    outbound = headline.get("outbound_messages", 0)
    if not outbound:
        return f"{opening} customers sent {inbound}; nothing was sent to them."
    violations = headline.get("session_outside_window", 0) + headline.get(
        "template_without_opt_in", 0
    )
    costs = aggregates.cost_by_currency.get(period.key, [])
    cost = " + ".join(money(row["estimated_cost"], row["currency"]) for row in costs)
    unknown = headline.get("cost_unknown_messages", 0)
    if unknown:
        cost = (
            f"{cost} plus {plural(unknown, 'message')} without a rate"
            if cost
            else (f"unknown for {plural(unknown, 'message')}")
        )
    return (
        f"{opening} customers sent {inbound} and you sent {plural(outbound, 'message')}, "
        f"{percent(share(headline.get('in_window'), outbound))} of them inside a care window. "
        f"{plural(violations, 'violation') if violations else 'No violations'}; "
        + (f"estimated cost {cost}." if cost else "nothing chargeable.")
    )


def report_content(period: Period, aggregates: ReportAggregates) -> ReportContent:
    """The content of the daily or monthly report for one period."""
    violations = _violations(period, aggregates)
    cost = _cost(period, aggregates)
    regimes = _regimes(period, aggregates)
    content = ReportContent(
        period=period,
        summary=_summary(period, aggregates),
        has_outbound=bool(aggregates.headline.get(period.key, {}).get("outbound_messages")),
        key_figures=_key_figures(period, aggregates),
        trend_charts=_trend_charts(period, aggregates),
        violations=violations,
        cost=cost,
        regimes=regimes,
        reconciliation=_reconciliation(period, aggregates),
        data_quality=_data_quality(period, aggregates),
        meta_figures=meta_figures.section(period.key, period.kind, aggregates.meta_figures),
    )
    content.charts = [
        chart
        for chart in (*content.trend_charts, violations["chart"], cost["chart"], regimes["chart"])
        if chart is not None
    ]
    return content


def index_row(period: Period, aggregates: ReportAggregates) -> dict[str, Any]:
    """One line of the index: the period's link and its most telling numbers."""
    headline = aggregates.headline.get(period.key, {})
    outbound = headline.get("outbound_messages", 0)
    return {
        "period": period,
        "inbound_messages": headline.get("inbound_messages", 0),
        "outbound_messages": outbound,
        "in_window_share": share(headline.get("in_window"), outbound),
        "violations": headline.get("session_outside_window", 0)
        + headline.get("template_without_opt_in", 0),
        "chargeable_messages": headline.get("chargeable_messages", 0),
        "costs": aggregates.cost_by_currency.get(period.key, []),
        "cost_unknown_messages": headline.get("cost_unknown_messages", 0),
        "meta_cost_difference": meta_figures.index_difference(
            period.key, period.kind, aggregates.meta_figures
        ),
    }
