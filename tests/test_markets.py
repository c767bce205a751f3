"""Markets from calling codes (SPEC 1.5): the prefix table and the longest-prefix join in SQL."""

from __future__ import annotations

from datetime import UTC, datetime

from rows import template
from test_pricing_fixtures import price

from analytics.markets import market_prefixes

CASES = {
    "31612345678": "Netherlands",
    "4915112345678": "Germany",
    "919812345678": "India",
    "5511912345678": "Brazil",
    "447400123456": "United Kingdom",
    "447911123456": "United Kingdom",  # Guernsey to phonenumbers; +44 to Meta
    "6281234567890": "Indonesia",
    "5215512345678": "Mexico",
    "12125551234": "North America",  # New York
    "14165551234": "North America",  # Toronto
    "17875551234": "Rest of Latin America",  # Puerto Rico
    "18095551234": "Rest of Latin America",  # Dominican Republic
    "18765551234": "Rest of Latin America",  # Jamaica
    "12425551234": "Other",  # Bahamas
    "2348031234567": "Nigeria",
    "34612345678": "Spain",
    "5491112345678": "Argentina",
    "3212345678": "Rest of Western Europe",  # Belgium
    "48512345678": "Rest of Central & Eastern Europe",  # Poland
    "254712345678": "Rest of Africa",  # Kenya
    "97412345678": "Rest of Middle East",  # Qatar
    "6591234567": "Rest of Asia Pacific",  # Singapore
    "79161234567": "Russia",
    "3541234567": "Other",  # Iceland
}


def test_the_prefix_table_has_calling_codes_and_area_codes_outside_us_and_canada():
    prefixes = dict(market_prefixes())
    assert prefixes["1"] == "North America"
    assert prefixes["1787"] == "Rest of Latin America"
    assert prefixes["1939"] == "Rest of Latin America"
    assert "1212" not in prefixes  # New York needs no entry of its own
    assert prefixes["31"] == "Netherlands"
    assert prefixes["44"] == "United Kingdom"


def test_the_rebuild_finds_the_longest_matching_prefix(con, settings):
    sent_at = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
    rows = [template(f"to-{digits}", sent_at, contact=digits) for digits in [*CASES, "999123", "x"]]
    billing = price(con, settings, rows)
    assert {m.removeprefix("to-"): r["market"] for m, r in billing.items()} == {
        **CASES,
        "999123": None,
        "x": None,
    }
