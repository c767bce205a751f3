"""What a report says about the pricing behind its numbers: a change of regime that makes a
headline jump, a rate card Meta may have replaced, the monthly free tiers, and where the month
in progress is heading. Each reads small frames (a row per day, month or business number)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from reports.formatting import money, number, plural, short_day
from reports.masking import business_number_label
from reports.periods import Comparison, Period, Span, card_label

METAS_PRICING_PAGE = "developers.facebook.com/docs/whatsapp/pricing"
_META_CARD = re.compile(r"^Meta ([A-Z]{3}) card effective (\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class PricingNote:
    kind: str  # regime_change | card_freshness | projection | free_tier
    text: str


def _in(frame: pd.DataFrame, span: Span | None) -> pd.DataFrame:
    if span is None or frame.empty:
        return frame.iloc[0:0]
    return frame[(frame["day"] >= span.start) & (frame["day"] < span.end)]


def _day_month(day: date) -> str:
    """'12 November'."""
    return f"{day.day} {day:%B}"


def regime_change(compared: Comparison, pricing_days: pd.DataFrame) -> str:
    """What changed in the pricing rules between the previous span and this one ('from 1
    October 2026, service messages are charged per message ...'), or '' when nothing did."""
    if compared.previous is None:
        return ""
    now = _in(pricing_days, compared.covered)
    before = set(_in(pricing_days, compared.previous)["regime"])
    if not before:
        return ""
    changes = (
        now[~now["regime"].isin(before)].drop_duplicates("regime").sort_values("in_force_from")
    )
    return "; ".join(
        f"from {short_day(row.in_force_from)}, {row.change or row.label}"
        for row in changes.itertuples()
        if row.in_force_from is not None and not pd.isna(row.in_force_from)
    )


def card_name(rate_card: str) -> str:
    """'Meta USD card effective 2026-04-01' -> "Meta's USD card of 1 April 2026"."""
    found = _META_CARD.match(rate_card)
    if not found:
        return card_label(rate_card)
    return f"Meta's {found.group(1)} card of {short_day(date.fromisoformat(found.group(2)))}"


def card_freshness(period: Period, freshness: pd.DataFrame) -> list[PricingNote]:
    """For each card that priced the period's month and that Meta may have replaced since."""
    month = period.start.replace(day=1)
    found = freshness[(freshness["month"] == month) & freshness["newer_card_possible_from"].notna()]
    return [
        PricingNote(
            "card_freshness",
            f"Priced with {card_name(row.rate_card)}; Meta may have published newer cards from "
            f"{short_day(row.newer_card_possible_from)}: download the current one from Meta's "
            f"pricing page ({METAS_PRICING_PAGE}) into data/rate_cards/ (inputs.rate_cards) and "
            "run carewindow again.",
        )
        for row in found.itertuples()
    ]


def free_tier_lines(
    compared: Comparison, free_tiers: pd.DataFrame, pricing_days: pd.DataFrame
) -> list[PricingNote]:
    """Per business number: the messages charged only because its monthly free tier was used
    up ('412 service messages beyond the free tier of +31 20 808 1234, from 12 November')."""
    chosen = _in(free_tiers, compared.covered)
    chosen = chosen[chosen["beyond_free_tier_messages"] > 0]
    units = dict(zip(pricing_days["day"], pricing_days["charge_unit"], strict=True))
    notes = []
    for business_number, rows in chosen.groupby("business_number", sort=True):
        first = rows["day"].min()
        beyond = int(rows["beyond_free_tier_messages"].sum())
        label = business_number_label(business_number)
        if units.get(first) == "conversation":
            text = (
                f"{plural(beyond, 'conversation')} on {label} charged beyond the business "
                f"account's monthly free tier, from {_day_month(first)}"
            )
        else:
            text = (
                f"{plural(beyond, 'service message')} beyond the free tier of {label}, "
                f"from {_day_month(first)}"
            )
        notes.append(PricingNote("free_tier", text))
    return notes


def in_progress(period: Period, compared: Comparison) -> bool:
    """A month the data starts before and ends inside: the month in progress."""
    return (
        period.kind == "month"
        and compared.covered.start == period.start
        and compared.covered.end < period.end
    )


def projection(
    period: Period,
    compared: Comparison,
    now: dict[str, float],
    costs: dict[str, float],
    free_tiers: pd.DataFrame,
    pricing_days: pd.DataFrame,
    free_service_messages_per_month: int,
) -> dict[str, Any] | None:
    """The month's end at the month-to-date pace, and where each number's free service
    messages stand; None for a month that is not in progress."""
    if not in_progress(period, compared):
        return None
    covered_days = (compared.covered.end - compared.covered.start).days
    factor = (period.end - period.start).days / covered_days
    chargeable = int(now.get("chargeable_messages", 0))
    unknown = int(now.get("cost_unknown_messages", 0))
    cost_text = " + ".join(money(amount * factor, currency) for currency, amount in costs.items())
    text = (
        f"Projection for {period.title}, at the pace of its first {plural(covered_days, 'day')}: "
        f"about {number(round(chargeable * factor))} chargeable messages"
        + (f" and {cost_text}" if cost_text else "")
        + (
            f", plus about {number(round(unknown * factor))} whose cost is unknown (no rate)"
            if unknown
            else ""
        )
        + ". A projection, not a bill: the month is not over."
    )
    numbers = []
    last = pricing_days[pricing_days["day"] < compared.covered.end].tail(1)
    if not last.empty and bool(last["free_tier_per_number"].iloc[0]):
        month = _in(free_tiers, compared.covered)
        for business_number, rows in month.groupby("business_number", sort=True):
            label = business_number_label(business_number)
            ran_out = rows[rows["beyond_free_tier_messages"] > 0]["day"]
            if not ran_out.empty:
                numbers.append(
                    f"{label}: its {number(free_service_messages_per_month)} free service "
                    f"messages ran out on {_day_month(ran_out.min())}"
                )
            else:
                left = free_service_messages_per_month - int(rows["free_tier_messages"].sum())
                numbers.append(
                    f"{label}: {number(left)} of its {number(free_service_messages_per_month)} "
                    "free service messages left this month"
                )
    return {"text": text, "free_tiers": numbers}
