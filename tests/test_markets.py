"""Dated markets: the data file, the public table `markets`, and every message taking
the market of its customer's prefix on its send date, on both sides of each move."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from rows import insert_messages, template
from test_pricing_fixtures import price

from analytics.db import fetch_all
from analytics.markets import (
    ALWAYS,
    MarketsFileError,
    calling_code_prefixes,
    market_periods,
    region_periods,
    write_markets_table,
)
from analytics.rebuild import rebuild_warehouse

META_RATES = Path(__file__).parent / "samples" / "meta_rate_cards" / "meta_usd_rates_2026-04-01.csv"

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
    "48512345678": "Rest of Central & Eastern Europe",  # Poland, before 2026-07-01
    "254712345678": "Rest of Africa",  # Kenya
    "97412345678": "Rest of Middle East",  # Qatar, before 2026-07-01
    "6591234567": "Rest of Asia Pacific",  # Singapore, before 2026-07-01
    "79161234567": "Russia",
    "3541234567": "Other",  # Iceland
    "263771234567": "Other",  # Zimbabwe, before 2025-10-01
}

# (customer, market the day before the move, market from the move on, the move's first day)
MOVES = [
    ("263771234567", "Other", "Rest of Africa", date(2025, 10, 1)),  # Zimbabwe
    ("85291234567", "Rest of Asia Pacific", "Hong Kong", date(2026, 7, 1)),
    ("36201234567", "Rest of Central & Eastern Europe", "Hungary", date(2026, 7, 1)),
    ("48512345678", "Rest of Central & Eastern Europe", "Poland", date(2026, 7, 1)),
    ("97433123456", "Rest of Middle East", "Qatar", date(2026, 7, 1)),
    ("40721234567", "Rest of Central & Eastern Europe", "Romania", date(2026, 7, 1)),
    ("6591234567", "Rest of Asia Pacific", "Singapore", date(2026, 7, 1)),
    # the markets of 2026-10-01
    ("8801712345678", "Rest of Asia Pacific", "Bangladesh", date(2026, 10, 1)),
    ("9647712345678", "Rest of Middle East", "Iraq", date(2026, 10, 1)),
    ("77012345678", "Russia", "Kazakhstan", date(2026, 10, 1)),  # +7 7: shares +7 with Russia
    ("96550012345", "Rest of Middle East", "Kuwait", date(2026, 10, 1)),
    ("212612345678", "Rest of Africa", "Morocco", date(2026, 10, 1)),
    ("9779812345678", "Rest of Asia Pacific", "Nepal", date(2026, 10, 1)),
    ("96891234567", "Rest of Middle East", "Oman", date(2026, 10, 1)),
    ("94771234567", "Rest of Asia Pacific", "Sri Lanka", date(2026, 10, 1)),
    ("380501234567", "Rest of Central & Eastern Europe", "Ukraine", date(2026, 10, 1)),
    ("79161234567", "Russia", "Russia", date(2026, 10, 1)),  # the rest of +7 stays Russia
]


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def meta_card_markets() -> set[str]:
    """The Market column of Meta's rates file, read here with the csv module on its own."""
    with META_RATES.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = next(index for index, row in enumerate(rows) if row[:2] == ["Market", "Currency"])
    return {row[0] for row in rows[header + 1 :] if row and row[0]}


def markets_on(con, day: date) -> dict[str, str]:
    """prefix -> market in force on `day`, read from the public table `markets` as the pricing
    SQL reads it (valid from valid_from, until the day before valid_to)."""
    write_markets_table(con)
    return dict(
        fetch_all(
            con,
            "select prefix, market from markets "
            "where valid_from <= $day and (valid_to is null or $day < valid_to)",
            {"day": day},
        )
    )


def test_the_prefix_table_has_calling_codes_and_area_codes_outside_us_and_canada(con):
    prefixes = markets_on(con, date(2025, 9, 1))
    assert prefixes["1"] == "North America"
    assert prefixes["1787"] == "Rest of Latin America"
    assert prefixes["1939"] == "Rest of Latin America"
    assert "1212" not in prefixes  # New York needs no entry of its own
    assert prefixes["31"] == "Netherlands"
    assert prefixes["44"] == "United Kingdom"


def test_every_prefix_has_one_market_on_every_date_from_always():
    by_prefix: dict[str, list] = {}
    for period in market_periods():
        by_prefix.setdefault(period.prefix, []).append(period)
    for prefix, periods in by_prefix.items():
        assert periods[0].valid_from == ALWAYS, prefix
        assert periods[-1].valid_to is None, prefix
        for before, after in zip(periods, periods[1:], strict=False):
            assert before.valid_to == after.valid_from, prefix  # no gap, no overlap
            assert before.market != after.market, prefix
    # only the recorded moves split a prefix
    assert {p: len(v) for p, v in by_prefix.items() if len(v) > 1} == {
        "263": 2,
        "852": 2,
        "36": 2,
        "48": 2,
        "974": 2,
        "40": 2,
        "65": 2,
        "880": 2,
        "964": 2,
        "77": 2,
        "965": 2,
        "212": 2,
        "977": 2,
        "968": 2,
        "94": 2,
        "380": 2,
    }


def test_a_shared_calling_code_is_split_for_every_code_and_the_split_moves_no_number(con):
    # given every calling code several regions share (not only +1), split by leading digits
    split = {
        prefix: region
        for prefix, region in calling_code_prefixes()
        if region != COUNTRY_CODE_TO_REGION_CODE[int(_calling_code(prefix))][0]
    }
    assert {"77", "441624", "4779", "35818", "5993", "2908", "1787"} <= set(split)
    assert split["77"] == "KZ" and "76" not in split  # phonenumbers knows +7 7 only
    # expect: outside +1 (whose countries Meta's lists name), every split prefix is priced as
    # its calling code's main region until a move names it: 2026-09-30 as on every day before
    on = markets_on(con, date(2026, 9, 30))
    for prefix in split:
        if not prefix.startswith("1"):
            assert on[prefix] == on[_calling_code(prefix)], prefix


def _calling_code(prefix: str) -> str:
    """The calling code a split prefix starts with (the longest that is a calling code)."""
    codes = {str(code) for code in COUNTRY_CODE_TO_REGION_CODE}
    return next(prefix[:n] for n in (3, 2, 1) if prefix[:n] in codes)


def test_each_move_is_in_the_mapping_with_its_date_and_source():
    periods = region_periods()
    assert [(p.market, p.valid_from, p.valid_to) for p in periods["ZW"]] == [
        ("Other", ALWAYS, date(2025, 10, 1)),
        ("Rest of Africa", date(2025, 10, 1), None),
    ]
    for region, market in [("HK", "Hong Kong"), ("SG", "Singapore"), ("QA", "Qatar")]:
        assert periods[region][-1].market == market
        assert periods[region][-1].valid_from == date(2026, 7, 1)
        assert "Meta" in periods[region][-1].source


def test_every_market_on_metas_card_is_the_market_of_some_prefix_on_its_date(con):
    card = meta_card_markets()
    assert len(card) == 32
    in_force = set(markets_on(con, date(2026, 4, 1)).values())
    # both ways: no market on the card without a number, no number in a market without a rate
    assert card == in_force
    assert card <= {period.market for period in market_periods()}


def test_the_markets_table_is_written_with_descriptions(con):
    write_markets_table(con)
    assert fetch_all(
        con,
        "select prefix, market, valid_from, valid_to from markets "
        "where prefix in ('263', '1787') order by prefix, valid_from",
    ) == [
        ("1787", "Rest of Latin America", ALWAYS, None),
        ("263", "Other", ALWAYS, date(2025, 10, 1)),
        ("263", "Rest of Africa", date(2025, 10, 1), None),
    ]
    described = fetch_all(
        con,
        "select column_name from duckdb_columns() where table_name = 'markets' "
        "and comment is not null order by column_index",
    )
    assert [name for (name,) in described] == [
        "prefix",
        "market",
        "valid_from",
        "valid_to",
        "region",
        "source",
    ]


def test_the_rebuild_finds_the_longest_matching_prefix(con, settings):
    sent_at = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
    rows = [template(f"to-{digits}", sent_at, contact=digits) for digits in [*CASES, "999123", "x"]]
    billing = price(con, settings, rows)
    assert {m.removeprefix("to-"): r["market"] for m, r in billing.items()} == {
        **CASES,
        "999123": None,
        "x": None,
    }


@pytest.mark.parametrize(("contact", "before", "after", "moved_on"), MOVES)
def test_a_message_takes_the_market_in_force_on_its_send_date(
    con, settings, contact, before, after, moved_on
):
    day_before = date.fromordinal(moved_on.toordinal() - 1)
    insert_messages(
        con,
        [
            template("before", noon(day_before), contact=contact),
            template(
                "on-the-day", datetime.combine(moved_on, datetime.min.time(), UTC), contact=contact
            ),
            template("after", noon(date(2026, 11, 2)), contact=contact),
        ],
    )
    rebuild_warehouse(con, settings)
    assert fetch_all(con, "select message_id, market from message_facts order by sent_at") == [
        ("before", before),
        ("on-the-day", after),
        ("after", after),
    ]


def test_the_send_date_is_taken_in_the_business_time_zone(con, settings):
    # 2026-06-30 17:00 UTC is already 2026-07-01 in Singapore, still 2026-06-30 in UTC
    late = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
    rows = [template("late", late, contact="6591234567")]
    in_utc = price(con, settings, rows)
    assert in_utc["late"]["market"] == "Rest of Asia Pacific"
    con.execute("delete from messages")
    in_singapore = price(con, settings.with_overrides(business_time_zone="Asia/Singapore"), rows)
    assert in_singapore["late"]["market"] == "Singapore"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[base.markets]\n"A" = ["XX"]\n', "XX is not a region"),
        ('[base.markets]\n"A" = ["NL"]\n"B" = ["NL"]\n', "NL is in both 'A' and 'B'"),
        (
            '[[moves]]\nregions = ["NL"]\nmarket = "B"\nfrom = 2026-07-01\nsource = "s"\n'
            '[[moves]]\nregions = ["DE"]\nmarket = "C"\nfrom = 2025-07-01\nsource = "s"\n',
            "in date order",
        ),
        ('[[moves]]\nregions = ["NL"]\nmarket = "B"\nfrom = 2026-07-01\n', "needs regions"),
        (
            '[[moves]]\nregions = ["NL"]\nmarket = "Other"\nfrom = 2026-07-01\nsource = "s"\n',
            "already in 'Other'",
        ),
        ("not toml = = 1", "cannot be read"),
    ],
)
def test_a_wrong_markets_file_is_named_with_the_problem(tmp_path, text, problem):
    path = tmp_path / "markets.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MarketsFileError, match=problem) as raised:
        region_periods(path)
    assert str(path) in str(raised.value)
