"""What reports say about the pricing behind their numbers: a change of regime beside the
headline it moves, a rate card Meta may have replaced, service messages beyond each number's
free tier, and the month in progress projected to its end."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pandas as pd
from rows import inbound, insert_messages, outbound, template
from test_pricing_fixtures import add_rates
from test_reports import page

from analytics.rebuild import rebuild_warehouse
from reports import pricing_notes
from reports.periods import Period, comparison
from reports.queries import Coverage
from reports.render import render_reports

BUSINESS = "31201234567"  # +31 20 123 4567


def noon(year: int, month: int, day: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, 12, minute, tzinfo=UTC)


def replies(prefix: str, day: datetime, count: int) -> list[dict]:
    """A customer's question and `count` delivered service replies inside its window."""
    return [inbound(f"{prefix}-question", day)] + [
        outbound(f"{prefix}-{n}", day.replace(minute=n + 1), status="delivered")
        for n in range(count)
    ]


# --- the functions, on hand-written frames -------------------------------------------------------


def test_projection_of_a_partial_month_at_its_pace():
    # given November 2026 covered through the 10th: 30 chargeable messages, $3.00
    period = Period("month", date(2026, 11, 1))
    compared = comparison(period, Coverage(date(2026, 10, 1), date(2026, 11, 10)))
    free_tiers = pd.DataFrame(
        {
            "day": [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)],
            "business_number": [BUSINESS, BUSINESS, "551130423377"],
            "free_tier_messages": [800, 200, 300],
            "beyond_free_tier_messages": [0, 5, 0],
        }
    )
    pricing_days = pd.DataFrame(
        {
            "day": [date(2026, 11, 10)],
            "regime": ["per_message_2026_10"],
            "free_tier_per_number": [True],
            "charge_unit": ["message"],
        }
    )

    found = pricing_notes.projection(
        period, compared, {"chargeable_messages": 30}, {"USD": 3.0}, free_tiers, pricing_days, 1000
    )

    # expect the month's 30 days at the pace of its first 10: three times as much
    assert found["text"] == (
        "Projection for November 2026, at the pace of its first 10 days: about 90 chargeable "
        "messages and $9.00. A projection, not a bill: the month is not over."
    )
    assert found["free_tiers"] == [
        "+31 20 123 4567: its 1,000 free service messages ran out on 3 November",
        "+55 11 3042-3377: 700 of its 1,000 free service messages left this month",
    ]


def test_no_projection_for_a_whole_month_or_a_day():
    whole = Period("month", date(2026, 10, 1))
    covered = Coverage(date(2026, 10, 1), date(2026, 11, 10))
    empty = pd.DataFrame(
        columns=["day", "business_number", "free_tier_messages", "beyond_free_tier_messages"]
    )
    days = pd.DataFrame(columns=["day", "regime", "free_tier_per_number", "charge_unit"])
    assert (
        pricing_notes.projection(whole, comparison(whole, covered), {}, {}, empty, days, 1000)
        is None
    )
    day = Period("day", date(2026, 11, 10))
    assert (
        pricing_notes.projection(day, comparison(day, covered), {}, {}, empty, days, 1000) is None
    )


def test_a_card_name_reads_as_a_manager_would_say_it():
    assert pricing_notes.card_name("Meta USD card effective 2026-04-01") == (
        "Meta's USD card of 1 April 2026"
    )
    assert pricing_notes.card_name("my own card") == "my own card"


# --- rendered reports ---------------------------------------------------------------------------


def test_the_october_headline_names_the_change_of_rules(con, settings, tmp_path):
    # given the same traffic in September and October 2026: a reply inside the window, free
    # under per_message_2025, charged under per_message_2026_10 (no free tier)
    settings = dataclasses.replace(settings, free_service_messages_per_month=0)
    add_rates(con, [("2026-04-01", "Netherlands", "utility", 0.02)])
    insert_messages(con, replies("sep", noon(2026, 9, 1), 2) + replies("oct", noon(2026, 10, 1), 2))
    rebuild_warehouse(con, settings)

    reports = render_reports(con, tmp_path / "reports", settings)
    october = page(next(p for p in reports.monthly_paths if p.name == "2026-10.html"))
    september = page(next(p for p in reports.monthly_paths if p.name == "2026-09.html"))

    change = (
        "the pricing rules changed: from 1 October 2026, service messages are charged per "
        "message beyond each number's free tier, and utility templates inside the window too"
    )
    assert change in october.text
    assert "the pricing rules changed" not in september.text


def test_a_month_priced_with_a_card_meta_may_have_replaced_says_so(con, settings, tmp_path):
    add_rates(con, [("2026-04-01", "Netherlands", "marketing", 0.10)])
    insert_messages(con, [template("may", noon(2026, 5, 4)), template("nov", noon(2026, 11, 3))])
    rebuild_warehouse(con, settings)

    reports = render_reports(con, tmp_path / "reports", settings)
    months = {path.name: page(path) for path in reports.monthly_paths}

    warning = "Meta may have published newer cards from 1 July 2026"
    assert warning in months["2026-11.html"].text
    assert "data/rate_cards/" in months["2026-11.html"].text
    assert "card_freshness" not in str(months["2026-05.html"].marked)
    assert warning not in months["2026-05.html"].text


def test_service_messages_beyond_the_free_tier_are_counted_per_number(con, settings, tmp_path):
    # given a free tier of 2 service messages a month and 5 delivered replies on 12 November
    settings = dataclasses.replace(settings, free_service_messages_per_month=2)
    add_rates(con, [("2026-10-01", "Netherlands", "utility", 0.02)])
    insert_messages(con, replies("nov", noon(2026, 11, 12), 5))
    rebuild_warehouse(con, settings)

    reports = render_reports(con, tmp_path / "reports", settings)
    november = page(next(p for p in reports.monthly_paths if p.name == "2026-11.html"))

    assert (
        "3 service messages beyond the free tier of +31 20 123 4567, from 12 November"
        in november.text
    )
