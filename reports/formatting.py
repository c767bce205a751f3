"""Numbers, money, shares and changes written the way people read them (jinja filters too)."""

from __future__ import annotations

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
    "service": "Service (free-form)",
    None: "Unknown",
}


def number(value: int | float | Decimal | None) -> str:
    """1234567 -> '1,234,567'; nothing -> '–'."""
    if value is None:
        return "–"
    return f"{value:,.0f}"


def money(amount: float | Decimal | None, currency: str | None) -> str:
    """An amount in its currency: '$1,234.50'; small amounts keep four decimals ('$0.0125')."""
    if amount is None:
        return "unknown"
    value = Decimal(str(amount))
    decimals = 4 if 0 < abs(value) < 1 else 2
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency or "")
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency}" if currency else f"{sign}{text}"


def percent(share: float | None, decimals: int = 1) -> str:
    """0.8734 -> '87.3%'; no share (nothing to divide) -> '–'."""
    if share is None:
        return "–"
    return f"{share * 100:.{decimals}f}%"


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
    "violation_label": violation_label,
    "category_label": category_label,
    "plural": plural,
}
