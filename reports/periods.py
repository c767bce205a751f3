"""Days and months, how much of each the data covers, and what a period is fairly compared with.

A month whose data ends on the 26th is compared with the 1st to the 26th of the month before,
never with a whole month; a period the data starts inside has nothing like it before.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from reports.formatting import day_range, long_day, long_month, short_day
from reports.queries import Coverage


@dataclass(frozen=True)
class Span:
    """The days from start up to, not including, end."""

    start: date
    end: date

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]

    @property
    def label(self) -> str:
        return day_range(self.start, self.last)


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
    def span(self) -> Span:
        return Span(self.start, self.end)

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
        return self.span.days


@dataclass(frozen=True)
class Comparison:
    """What a period's figures cover and what they are compared with."""

    covered: Span  # the days of the period the data covers
    partial: bool  # the data covers only part of the period
    previous: Span | None  # the same days of the previous period, when the data covers them
    previous_label: str  # how the change text names it: 'previous day', '1–4 February 2025'
    data_note: str  # '' for a fully covered period, else 'Data through 4 March 2025.'
    compared_note: str  # 'Compared with 1–4 February 2025.' for a partial month, else ''

    @property
    def coverage_note(self) -> str:
        return " ".join(note for note in (self.data_note, self.compared_note) if note)


def comparison(period: Period, coverage: Coverage) -> Comparison:
    """The covered part of the period, and the like-for-like part of the one before."""
    data = Span(coverage.first_day, coverage.last_day + timedelta(days=1))
    covered = Span(max(period.start, data.start), min(period.end, data.end))
    if covered.end <= covered.start:  # no data at all in the period: show it as it is
        covered = period.span
    starts_late = covered.start > period.start
    ends_early = covered.end < period.end
    notes = []
    if starts_late:
        notes.append(f"Data from {short_day(covered.start)}.")
    if ends_early:
        notes.append(f"Data through {short_day(covered.last)}.")
    before = period.previous
    previous: Span | None
    if period.kind == "day":
        previous = before.span
        label = "previous day"
    elif starts_late:
        previous, label = None, "previous month"
    else:
        length = (covered.end - period.start).days
        previous = Span(before.start, min(before.start + timedelta(days=length), before.end))
        label = "previous month" if not ends_early else previous.label
    if previous is not None and previous.start < data.start:
        previous = None  # the data does not reach back that far: no fair comparison
    compared_note = ""
    if period.kind == "month" and ends_early and previous is not None:
        compared_note = f"Compared with {previous.label}, the same days of the month before."
    return Comparison(
        covered=covered,
        partial=starts_late or ends_early,
        previous=previous,
        previous_label=label,
        data_note=" ".join(notes),
        compared_note=compared_note,
    )


def totals(days: pd.DataFrame, span: Span | None) -> dict[str, float] | None:
    """The sum of every measure over the days of span (None for no span)."""
    if span is None:
        return None
    chosen = days[(days["day"] >= span.start) & (days["day"] < span.end)]
    return {
        column: float(chosen[column].fillna(0).sum()) for column in days.columns if column != "day"
    }


def cost_totals(cost_days: pd.DataFrame, span: Span | None) -> dict[str, float] | None:
    """Estimated cost per currency over the days of span, largest first."""
    if span is None:
        return None
    chosen = cost_days[(cost_days["day"] >= span.start) & (cost_days["day"] < span.end)]
    summed = chosen.groupby("currency")["estimated_cost"].sum().sort_values(ascending=False)
    return {currency: float(amount) for currency, amount in summed.items()}


def rate_cards(cost_days: pd.DataFrame, span: Span | None) -> dict[str, list[str]]:
    """The rate cards that priced the cost of each currency over the days of span."""
    if span is None or "rate_card" not in cost_days.columns:
        return {}
    chosen = cost_days[(cost_days["day"] >= span.start) & (cost_days["day"] < span.end)]
    return {
        currency: sorted({card_label(name) for name in group["rate_card"].dropna()})
        for currency, group in chosen.groupby("currency")
    }


def card_label(name: str) -> str:
    """A rate card's label, saying 'illustrative' once: 'illustrative example card'."""
    suffix = " (illustrative)"
    if name.endswith(suffix) and "illustrative" in name[: -len(suffix)]:
        return name[: -len(suffix)]
    return name
