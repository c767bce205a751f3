"""Numbers, money, shares and changes written the way people read them (jinja filters too)."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "BRL": "R$", "JPY": "¥"}

VIOLATION_LABELS = {
    "session_outside_window": "Free-form message sent outside the 24-hour window",
    "template_without_opt_in": "Template sent outside the window without an opt-in",
}

CATEGORY_LABELS = {
    "marketing": "Marketing",
    "utility": "Utility",
    "authentication": "Authentication",
    "authentication_international": "Authentication (international)",
    "service": "Service (non-template)",
    None: "Unknown",
}


def missing(value: object) -> bool:
    """None, or a number that is not one (pandas' NaN for a null)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: int | float | Decimal | None) -> str:
    """1234567 -> '1,234,567'; nothing -> '–'."""
    if missing(value):
        return "–"
    return f"{value:,.0f}"


def money(amount: float | Decimal | None, currency: str | None) -> str:
    """An amount in its currency, always with two decimals: '$1,234.50', '€0.25'.

    One format per currency, whatever the size: an amount too small to show in cents reads
    '<$0.01' rather than '$0.00' or a four-decimal figure beside two-decimal ones. Unknown
    (None) reads 'unknown', never zero.
    """
    if missing(amount):
        return "unknown"
    value = Decimal(str(amount))
    symbol = CURRENCY_SYMBOLS.get(currency or "")

    def written(size: Decimal, sign: str = "") -> str:
        text = f"{size:,.2f}"
        if symbol:
            return f"{sign}{symbol}{text}"
        return f"{sign}{text} {currency}" if currency else f"{sign}{text}"

    if 0 < abs(value) < Decimal("0.005"):
        return f"<{written(Decimal('0.01'), '-' if value < 0 else '')}"
    return written(abs(value), "-" if value < 0 and round(value, 2) != 0 else "")


def percent(share: float | None, decimals: int = 1) -> str:
    """0.8734 -> '87.3%'; no share (nothing to divide) -> '–'."""
    if missing(share):
        return "–"
    return f"{share * 100:.{decimals}f}%"


def relative_change(delta: float, previous: float) -> str:
    """A change as a signed percentage that never reads '-0%': '+12%', '-4.6%', '-0.5%',
    'less than 0.1%'."""
    change = delta / previous * 100
    size = abs(change)
    if size < 0.05:
        return "less than 0.1%"
    sign = "+" if change > 0 else "-"
    if size < 10:
        return f"{sign}{size:.1f}%"
    return f"{sign}{size:.0f}%"


def share(part: int | float | None, whole: int | float | None) -> float | None:
    """part / whole, or None when there is no whole."""
    if not whole:
        return None
    return float(part or 0) / float(whole)


def long_day(day: date) -> str:
    """'Monday 3 March 2025'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def long_month(month_start: date) -> str:
    """'March 2025'."""
    return f"{month_start:%B %Y}"


def short_day(day: date) -> str:
    """'3 March 2025'."""
    return f"{day.day} {day:%B %Y}"


def day_range(first: date, last: date) -> str:
    """The days first to last, inclusive: '1–4 February 2025', '28 February – 2 March 2025'."""
    if first == last:
        return short_day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{short_day(first)} – {short_day(last)}"


def violation_label(violation: str | None) -> str:
    return VIOLATION_LABELS.get(violation or "", violation or "")


def category_label(category: str | None) -> str:
    return CATEGORY_LABELS.get(category, category or "Unknown")


def plural(count: int | None, singular: str, plural_form: str | None = None) -> str:
    """'1 message', '2 messages', with thousands separators."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{number(count)} {word}"


FILTERS = {
    "number": number,
    "money": money,
    "percent": percent,
    "long_day": long_day,
    "long_month": long_month,
    "short_day": short_day,
    "violation_label": violation_label,
    "category_label": category_label,
    "plural": plural,
}
