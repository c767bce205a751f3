"""rate_card_freshness: a month priced with a card Meta may have replaced says so."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rows import insert_messages, template
from test_pricing_fixtures import add_rates

from analytics.db import fetch_all
from analytics.rebuild import rebuild_warehouse


def noon(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def freshness(con) -> list[tuple]:
    return fetch_all(
        con,
        "select month, currency, rate_card, card_effective_from, priced_messages, "
        "newer_card_possible_from from rate_card_freshness order by month, rate_card",
    )


def test_a_card_older_than_the_latest_quarter_start_may_be_replaced(con, settings):
    # given a card of 1 April 2026 only, and marketing templates in May and November 2026
    add_rates(con, [("2026-04-01", "Netherlands", "marketing", 0.10)])
    insert_messages(
        con,
        [
            template("may", noon(2026, 5, 20)),
            template("november-1", noon(2026, 11, 3)),
            template("november-2", noon(2026, 11, 4)),
        ],
    )
    rebuild_warehouse(con, settings)
    card = "rate card effective 2026-04-01"
    # expect May: no quarter has started since the card (null); November: Meta may have
    # published newer cards from 1 July 2026
    assert freshness(con) == [
        (date(2026, 5, 1), "USD", card, date(2026, 4, 1), 1, None),
        (date(2026, 11, 1), "USD", card, date(2026, 4, 1), 2, date(2026, 7, 1)),
    ]


def test_a_card_of_the_latest_quarter_is_current(con, settings):
    # given the card of 1 October 2026 beside April's, and a template in November 2026
    add_rates(
        con,
        [
            ("2026-04-01", "Netherlands", "marketing", 0.10),
            ("2026-10-01", "Netherlands", "marketing", 0.12),
        ],
    )
    insert_messages(con, [template("november", noon(2026, 11, 3))])
    rebuild_warehouse(con, settings)
    # expect the October card: the next quarter starts after November, so none can be newer
    assert freshness(con) == [
        (date(2026, 11, 1), "USD", "rate card effective 2026-10-01", date(2026, 10, 1), 1, None)
    ]


def test_a_month_of_free_or_unpriced_messages_has_no_row(con, settings):
    # given a template to a market without a rate: its cost is unknown, no card priced it
    insert_messages(con, [template("unknown-rate", noon(2026, 11, 3), contact="5511912345678")])
    rebuild_warehouse(con, settings)
    assert freshness(con) == []


def test_the_run_summary_names_a_card_meta_may_have_replaced_once(con, settings):
    from analytics.runs import card_freshness

    add_rates(con, [("2026-04-01", "Netherlands", "marketing", 0.10)])
    insert_messages(con, [template("may", noon(2026, 5, 20)), template("nov", noon(2026, 11, 3))])
    rebuild_warehouse(con, settings)
    # only the latest month is named
    assert card_freshness(con) == (
        "November 2026 is priced with rate card effective 2026-04-01, and Meta may have "
        "published newer cards from 2026-07-01: download the current card from Meta's pricing "
        "page into data/rate_cards/ (inputs.rate_cards)"
    )
    con.execute("delete from messages where message_id = 'nov'")
    rebuild_warehouse(con, settings)
    assert card_freshness(con) == ""  # May's card is the latest possible for May
