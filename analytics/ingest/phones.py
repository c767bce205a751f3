"""Phone numbers to E.164 digits: the distinct spellings of a file, normalised with phonenumbers.

Most numbers arrive as E.164 digits already (`31612345678`) and SQL keeps them as they are
(macro is_phone_digits). The few other spellings (`+31 6 1234 5678`, `0031612345678`,
`+31 (0)6 1234 5678`, `whatsapp:+31612345678`, national `06 1234 5678`) are collected once per
file, normalised here, and joined back set-based from temp table `phone_numbers`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb
import phonenumbers
import pyarrow as pa

from analytics.config import Settings
from analytics.db import fetch_all

_SCHEME = re.compile(r"^\s*[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # whatsapp:, tel:, wa:
_WRITTEN = re.compile(r"[0-9\s+().\-/]+")


# Gupshup names the app, not the business number; its name stands for the number, kept as is.
APP_PREFIX = "gupshup-app:"


def normalise(raw: str, default_country: str = "") -> tuple[str | None, str | None]:
    """(E.164 digits, None) for a phone number as people write it, or (None, why not)."""
    if raw.startswith(APP_PREFIX) and raw[len(APP_PREFIX) :].strip():
        return raw, None
    text = _SCHEME.sub("", raw).strip()
    if not text:
        return None, "is missing"
    if not _WRITTEN.fullmatch(text) or not any(c.isdigit() for c in text):
        return None, "is not a phone number (digits)"
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        written = "+" + text[1:]
    elif digits.startswith("00"):
        written = "+" + digits[2:]
    elif digits.startswith("0"):
        if not default_country:
            return None, (
                "is a national number (leading 0); set inputs.default_country to its country"
            )
        written = text
    else:  # digits with a country code, as WhatsApp writes them, spaced or punctuated
        written = "+" + digits
    try:
        number = phonenumbers.parse(written, default_country.upper() or None)
    except phonenumbers.NumberParseException as error:
        return None, f"is not a phone number ({_why(error)})"
    if not phonenumbers.is_possible_number(number):
        return None, "is not a phone number (wrong length for its country)"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:], None


def _why(error: phonenumbers.NumberParseException) -> str:
    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(error.error_type, "not a number")


def build_phone_lookup(
    con: duckdb.DuckDBPyConnection, columns: Iterable[tuple[str, str]], settings: Settings
) -> int:
    """Temp table `phone_numbers` (raw, digits, reason) for the distinct values of the (table,
    column)s that are not E.164 digits already; returns how many there are."""
    union = " union ".join(
        f'select "{column}" as raw from {table} where "{column}" is not null'
        for table, column in columns
    )
    raws = [
        row[0]
        for row in fetch_all(
            con,
            f"select distinct raw from ({union}) where not is_phone_digits(raw)"
            # a business-scoped user ID (BSUID) names a customer as it is, never normalised
            " and not is_bsuid(regexp_replace(trim(raw), '^whatsapp:', ''))",
        )
    ]
    found = [normalise(raw, settings.default_country) for raw in raws]
    lookup = pa.table(
        {
            "raw": pa.array(raws, pa.string()),
            "digits": pa.array([digits for digits, _ in found], pa.string()),
            "reason": pa.array([reason for _, reason in found], pa.string()),
        }
    )
    con.register("phone_numbers_found", lookup)
    try:
        con.execute("create or replace temp table phone_numbers as from phone_numbers_found")
    finally:
        con.unregister("phone_numbers_found")
    return len(raws)


def empty_phone_lookup(con: duckdb.DuckDBPyConnection) -> None:
    """An empty `phone_numbers`: values not written as E.164 digits find nothing in it."""
    con.execute(
        "create or replace temp table phone_numbers (raw varchar, digits varchar, reason varchar)"
    )
