"""What one daily or monthly report says: key figures, a summary, trends and its sections."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from reports import figures, meta_figures, pricing_notes, sections
from reports.fix_first import fix_first
from reports.formatting import (
    money,
    number,
    percent,
    plural,
    relative_change,
    share,
)
from reports.periods import (
    Comparison,
    Period,
    Span,
    comparison,
    cost_totals,
    rate_cards,
    totals,
)
from reports.queries import ReportAggregates
from reports.sections import Chart

__all__ = ["TREND_DAYS", "Chart", "Period", "ReportContent", "index_row", "report_content"]

# A daily report's trend charts show this many days, ending on the report's day.
TREND_DAYS = 30


@dataclass(frozen=True)
class KeyFigure:
    """One headline number with its change against the previous period."""

    name: str  # stable machine name, written as data-figure for tests and scrapers
    label: str
    value: float | int | None
    display: str
    change: str
    tone: str  # good | bad | neutral: whether the change is welcome
    note: str = ""


@dataclass
class ReportContent:
    """Everything one report shows; the templates only lay it out."""

    period: Period
    comparison: Comparison
    summary: str
    has_outbound: bool
    fix_first: list[dict[str, Any]]
    key_figures: list[KeyFigure]
    trend_charts: list[Chart]
    violations: dict[str, Any]
    cost: dict[str, Any]
    regimes: dict[str, Any]
    reconciliation: dict[str, Any]
    data_quality: dict[str, Any]
    charts: list[Chart] = field(default_factory=list)
    meta_figures: dict[str, Any] = field(default_factory=dict)
    # the pricing behind the numbers: a card Meta may have replaced, free tiers used up, and
    # for the month in progress a projection of its end (reports/pricing_notes.py)
    pricing_notes: list[pricing_notes.PricingNote] = field(default_factory=list)
    free_tier_notes: list[pricing_notes.PricingNote] = field(default_factory=list)
    projection: dict[str, Any] | None = None


def _change(
    current: float | None,
    previous: float | None,
    better: str | None,
    compared: Comparison,
    how: str = "count",
    currency: str | None = None,
) -> tuple[str, str]:
    """The change as words ('▲ 12 (+8.3%) vs previous day') and whether it is good news."""
    label = compared.previous_label
    if current is None:
        return "", "neutral"
    if previous is None:
        return "no earlier data to compare", "neutral"
    delta = float(current) - float(previous)
    if abs(delta) < 1e-9:
        return f"same as {_the(label)}", "neutral"
    arrow = "▲" if delta > 0 else "▼"
    if how == "share" and abs(delta) < 0.0005:
        return f"less than 0.1 point from {_the(label)}", "neutral"
    if how == "share":
        text = f"{arrow} {abs(delta) * 100:.1f} points vs {label}"
    else:
        amount = money(abs(delta), currency) if how == "money" else number(abs(delta))
        if previous:
            text = f"{arrow} {amount} ({relative_change(delta, float(previous))}) vs {label}"
        else:
            text = f"{arrow} {amount}; none {_on(label)}"
    welcome = (delta > 0) == (better == "up")
    return text, "neutral" if better is None else ("good" if welcome else "bad")


def _the(label: str) -> str:
    return f"the {label}" if label.startswith("previous") else label


def _on(label: str) -> str:
    return f"the {label}" if label.startswith("previous") else f"on {label}"


def _key_figures(
    compared: Comparison, now: dict[str, float], before: dict[str, float] | None
) -> list[KeyFigure]:
    def count_figure(name: str, label: str, better: str | None, note: str = "") -> KeyFigure:
        value = int(now.get(name, 0))
        change, tone = _change(value, before and before.get(name, 0), better, compared)
        return KeyFigure(name, label, value, number(value), change, tone, note)

    outbound = now.get("outbound_messages", 0)
    in_window_share = share(now.get("in_window"), outbound)
    previous_share = (
        share(before.get("in_window"), before.get("outbound_messages")) if before else None
    )
    share_change, share_tone = _change(in_window_share, previous_share, "up", compared, "share")
    if before and previous_share is None and in_window_share is not None:
        share_change = f"nothing sent {_on(compared.previous_label)}"
    not_delivered = int(now.get("not_delivered_messages", 0))
    failed = number(now.get("failed_messages", 0))
    return [
        count_figure("inbound_messages", "Messages received", None),
        count_figure(
            "outbound_messages",
            "Messages sent",
            None,
            f"{number(not_delivered)} not delivered ({failed} failed)"
            if not_delivered
            else "all delivered",
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
        count_figure(
            "free_messages",
            "Free messages delivered",
            None,
            "delivered and free under the pricing in force",
        ),
        count_figure("chargeable_messages", "Chargeable messages", None),
        *_group_figures(now, count_figure),
    ]


def _group_figures(now: dict[str, float], count_figure) -> list[KeyFigure]:
    """Group traffic (Groups API), when the period has any: messages sent to groups, what of
    them Meta charges (once per participant reached), and the groups' windows."""
    if not (now.get("group_outbound_messages") or now.get("group_inbound_messages")):
        return []
    deliveries = int(now.get("group_chargeable_deliveries", 0))
    received = int(now.get("group_inbound_messages", 0))
    windows = int(now.get("group_windows_opened", 0))
    return [
        count_figure(
            "group_outbound_messages",
            "Messages sent to groups",
            None,
            f"{plural(deliveries, 'delivery', 'deliveries')} charged (once per participant "
            f"reached); {plural(received, 'message')} received in groups, "
            f"{plural(windows, 'group window')} opened",
        )
    ]


def _cost_figures(
    compared: Comparison,
    now: dict[str, float],
    costs: dict[str, float],
    previous_costs: dict[str, float] | None,
    cards: dict[str, list[str]],
) -> list[KeyFigure]:
    unknown = int(now.get("cost_unknown_messages", 0))
    chargeable = int(now.get("chargeable_messages", 0))
    unknown_note = f"plus {plural(unknown, 'chargeable message')} with no rate: cost unknown"
    if not costs:
        if unknown:
            return [
                KeyFigure(
                    "estimated_cost",
                    "Estimated cost",
                    None,
                    "unknown",
                    "",
                    "neutral",
                    f"no rate for {plural(unknown, 'chargeable message')}",
                )
            ]
        note = "nothing chargeable" if not chargeable else "estimate from the rate cards"
        return [KeyFigure("estimated_cost", "Estimated cost", None, "–", "", "neutral", note)]
    result = []
    for currency, amount in costs.items():
        previous = None if previous_costs is None else previous_costs.get(currency, 0.0)
        change, tone = _change(amount, previous, "down", compared, "money", currency)
        name = "estimated_cost" if len(costs) == 1 else f"estimated_cost_{currency}"
        priced_with = ", ".join(cards.get(currency, [])) or "the rate cards"
        note = f"priced with {priced_with}" + (f"; {unknown_note}" if unknown else "")
        result.append(
            KeyFigure(name, "Estimated cost", amount, money(amount, currency), change, tone, note)
        )
    return result


# The headline figures a change of pricing regime moves by itself.
PRICED_FIGURES = ("free_messages", "chargeable_messages", "estimated_cost")


def _with_rules_changed(item: KeyFigure, rules_changed: str) -> KeyFigure:
    """The figure with the change of rules beside it: whole under the chargeable messages, in
    short under the other priced figures."""
    if not item.name.startswith(PRICED_FIGURES) or not item.change:
        return item
    if item.name == "chargeable_messages":
        note = f"the pricing rules changed: {rules_changed}"
    else:
        note = "the pricing rules changed (see Chargeable messages)"
    return dataclasses.replace(item, note=f"{note}; {item.note}" if item.note else note)


def _trend_span(period: Period, compared: Comparison, first_day: date) -> Span:
    """A month's covered days; for a day, the TREND_DAYS up to it that the data covers."""
    if period.kind == "month":
        return compared.covered
    first = min(max(period.start - timedelta(days=TREND_DAYS - 1), first_day), period.start)
    return Span(first, period.end)


def _trend_charts(period: Period, compared: Comparison, aggregates: ReportAggregates) -> list:
    span = _trend_span(period, compared, aggregates.coverage.first_day)
    days = span.days
    by_day = aggregates.days.set_index("day").reindex(days).fillna(0)

    def series(name: str) -> list[float]:
        return by_day[name].tolist()

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


def _costs_text(costs: dict[str, float], unknown: int) -> str:
    text = " + ".join(money(amount, currency) for currency, amount in costs.items())
    if unknown:
        without = f"{plural(unknown, 'message')} without a rate"
        return f"{text} plus {without}" if text else f"unknown ({without})"
    return text


def _summary(period: Period, compared: Comparison, now: dict, costs: dict[str, float]) -> str:
    """The report in two plain sentences, for the top of the page."""
    opening = "On this day" if period.kind == "day" else "In this month"
    if compared.partial and period.kind == "month":
        opening = f"From {compared.covered.label}"
    inbound = plural(int(now.get("inbound_messages", 0)), "message")
    outbound = int(now.get("outbound_messages", 0))
    if not outbound:
        return f"{opening} customers sent {inbound}; nothing was sent to them."
    violations = int(now.get("session_outside_window", 0) + now.get("template_without_opt_in", 0))
    cost = _costs_text(costs, int(now.get("cost_unknown_messages", 0)))
    return (
        f"{opening} customers sent {inbound} and you sent {plural(outbound, 'message')}, "
        f"{percent(share(now.get('in_window'), outbound))} of them inside a care window. "
        f"{plural(violations, 'violation') if violations else 'No violations'}; "
        + (f"estimated cost {cost}." if cost else "nothing chargeable.")
    )


def report_content(period: Period, aggregates: ReportAggregates) -> ReportContent:
    """The content of the daily or monthly report for one period."""
    compared = comparison(period, aggregates.coverage)
    now = totals(aggregates.days, compared.covered) or {}
    before = totals(aggregates.days, compared.previous)
    costs = cost_totals(aggregates.cost_days, compared.covered) or {}
    previous_costs = cost_totals(aggregates.cost_days, compared.previous)
    violations = sections.violations(
        period.key, aggregates, int(now.get("marketing_opt_out_warnings", 0))
    )
    key_figures = _key_figures(compared, now, before) + _cost_figures(
        compared, now, costs, previous_costs, rate_cards(aggregates.cost_days, compared.covered)
    )
    rules_changed = pricing_notes.regime_change(compared, aggregates.pricing_days)
    if rules_changed:  # a headline that jumps because the rules changed says so right there
        key_figures = [_with_rules_changed(item, rules_changed) for item in key_figures]
    cost = sections.cost(period.key, aggregates)
    regimes = sections.regimes(period.key, aggregates)
    trend_charts = _trend_charts(period, compared, aggregates)
    content = ReportContent(
        period=period,
        comparison=compared,
        summary=_summary(period, compared, now, costs),
        has_outbound=bool(now.get("outbound_messages")),
        fix_first=fix_first(period.key, aggregates, now) if period.kind == "month" else [],
        key_figures=key_figures,
        trend_charts=trend_charts,
        violations=violations,
        cost=cost,
        regimes=regimes,
        reconciliation=sections.reconciliation(
            period.key, aggregates, int(now.get("outbound_messages", 0))
        ),
        data_quality=sections.data_quality(
            period.key, aggregates, int(now.get("cost_unknown_messages", 0))
        ),
        meta_figures=meta_figures.section(period.key, period.kind, aggregates.meta_figures),
        pricing_notes=pricing_notes.card_freshness(period, aggregates.card_freshness),
        free_tier_notes=pricing_notes.free_tier_lines(
            compared, aggregates.free_tiers, aggregates.pricing_days
        ),
        projection=pricing_notes.projection(
            period,
            compared,
            now,
            costs,
            aggregates.free_tiers,
            aggregates.pricing_days,
            aggregates.free_service_messages_per_month,
        ),
    )
    content.charts = [
        chart
        for chart in (*trend_charts, violations["chart"], cost["chart"], regimes["chart"])
        if chart is not None
    ]
    return content


def index_row(period: Period, aggregates: ReportAggregates) -> dict[str, Any]:
    """One line of the index: the period's link and its most telling numbers."""
    compared = comparison(period, aggregates.coverage)
    now = totals(aggregates.days, compared.covered) or {}
    outbound = now.get("outbound_messages", 0)
    return {
        "period": period,
        "coverage_note": compared.data_note if period.kind == "month" else "",
        "inbound_messages": now.get("inbound_messages", 0),
        "outbound_messages": outbound,
        "in_window_share": share(now.get("in_window"), outbound),
        "violations": now.get("session_outside_window", 0) + now.get("template_without_opt_in", 0),
        "chargeable_messages": now.get("chargeable_messages", 0),
        "costs_text": _costs_text(
            cost_totals(aggregates.cost_days, compared.covered) or {},
            int(now.get("cost_unknown_messages", 0)),
        )
        or "–",
        "meta_cost_difference": meta_figures.index_difference(
            period.key, period.kind, aggregates.meta_figures
        ),
    }


def months_of(days: list[date]) -> list[Period]:
    """The calendar months the days fall in, oldest first."""
    return [Period("month", start) for start in sorted({day.replace(day=1) for day in days})]
