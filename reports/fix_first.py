"""What to fix first: the few templates, numbers and customers behind most violations and most
cost in a month, in plain words, each with its count."""

from __future__ import annotations

from typing import Any

from reports.formatting import category_label, money, plural
from reports.masking import business_number_label
from reports.queries import ReportAggregates, records
from reports.sections import cost_by_market_rows, of_period, template_label

# At most this many items: a manager reads the list, then the sections below.
ITEMS = 6


def _of(count: int, total: int) -> str:
    """'3 of the 187 violations', 'all 4 violations', 'the one violation'."""
    if total == 1:
        return "the one violation"
    return (
        f"{count:,} of the {total:,} violations" if count != total else f"all {total:,} violations"
    )


def fix_first(
    key: str, aggregates: ReportAggregates, figures: dict[str, float]
) -> list[dict[str, Any]]:
    """The list for one month, most urgent first: violations, then cost, then missing data."""
    items: list[dict[str, Any]] = []
    total = int(
        figures.get("session_outside_window", 0) + figures.get("template_without_opt_in", 0)
    )
    templates = records(of_period(aggregates.violations_by_template, key))
    if total and templates:
        top = templates[0]
        count = int(top["violations"])
        if top["kind"] == "session":
            what = (
                f"Free-form messages sent outside the 24-hour window: {_of(count, total)}. "
                "Answer within 24 hours of the customer's last message, or send a "
                "template."
            )
        else:
            what = (
                f"Template {template_label('template', top['template_name'])} "
                f"({category_label(top['template_category']).lower()}): {_of(count, total)}, "
                "sent outside a window to customers without an opt-in. Ask for the "
                "opt-in first, or send it only while a window is open."
            )
        items.append({"kind": "violations", "count": count, "text": what})
    numbers = records(of_period(aggregates.violations_by_business_number, key))
    numbers = [row for row in numbers if row["violations"]]
    if total and len(numbers) > 1:
        top = numbers[0]
        count = int(top["violations"])
        kinds = [
            plural(int(top["session_outside_window"]), "free-form message") + " outside the window",
            plural(int(top["template_without_opt_in"]), "template") + " without opt-in",
        ]
        kinds = [text for text in kinds if not text.startswith("0 ")]
        items.append(
            {
                "kind": "violations",
                "count": count,
                "text": f"Business number {business_number_label(top['business_number'])}: "
                f"{_of(count, total)} ({', '.join(kinds)}).",
            }
        )
    customers = records(of_period(aggregates.violations_by_customer, key))
    if total and customers and int(customers[0]["violations"]) > 1:
        top = customers[0]
        count = int(top["violations"])
        items.append(
            {
                "kind": "violations",
                "count": count,
                "text": f"Customer {top['masked_contact']}: {_of(count, total)}. "
                "Check this customer's opt-in and the sends to them.",
            }
        )
    warnings = int(figures.get("marketing_opt_out_warnings", 0))
    if warnings:
        items.append(
            {
                "kind": "warnings",
                "count": warnings,
                "text": f"{plural(warnings, 'marketing template')} went to customers who had "
                "stopped marketing messages: Meta rejects them (error 131050). Leave those "
                "customers out of marketing sends.",
            }
        )
    table = cost_by_market_rows(of_period(aggregates.cost_by_market, key))
    priced = table[table["primary_cost"] > 0]
    if not priced.empty:
        top = records(priced.head(1))[0]
        cost = top["costs"][0]
        currency_total = sum(
            c["amount"]
            for costs in priced["costs"]
            for c in costs
            if c["currency"] == cost["currency"]
        )
        share = cost["amount"] / currency_total if currency_total else 0
        items.append(
            {
                "kind": "cost",
                "count": int(top["chargeable_messages"]),
                "text": f"Most cost: {category_label(top['priced_category'])} messages to "
                f"{top['market']}, {money(cost['amount'], cost['currency'])} of "
                f"{money(currency_total, cost['currency'])} ({share:.0%}) for "
                f"{plural(int(top['chargeable_messages']), 'chargeable message')}.",
            }
        )
    unknown = table[table["cost_unknown_messages"] > 0]
    if not unknown.empty:
        count = int(unknown["cost_unknown_messages"].sum())
        markets = ", ".join(sorted(set(unknown["market"])))
        items.append(
            {
                "kind": "data",
                "count": count,
                "text": f"{plural(count, 'chargeable message')} to {markets} had no rate, so "
                f"{'its' if count == 1 else 'their'} cost is unknown: add the rates for "
                f"{markets} to the rate card.",
            }
        )
    missing = records(of_period(aggregates.missing_categories, key))
    if missing:
        count = int(sum(row["messages"] for row in missing))
        names = ", ".join(row["template_name"] or "(no name)" for row in missing[:3])
        items.append(
            {
                "kind": "data",
                "count": count,
                "text": f"{plural(count, 'template message')} had no category ({names}): priced "
                "as marketing, the most expensive. Add the category to the message log.",
            }
        )
    return items[:ITEMS]
