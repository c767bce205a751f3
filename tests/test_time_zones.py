"""Days and months follow the business time zone, across daylight-saving changes.

The summary's day, and the pricing regime of a message, come from the local date in
business.time_zone. On the days the clocks change, a fixed offset would put messages near
midnight on the wrong day; these rows sit on both sides of those midnights.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rows import inbound, insert_messages, template

from analytics.rebuild import rebuild_warehouse

BUSINESS = "31201234567"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def inbound_per_day(con) -> list[tuple[str, int]]:
    rows = con.execute(
        "select day, inbound_messages from daily_summary where business_number = ? order by day",
        [BUSINESS],
    ).fetchall()
    return [(day.isoformat(), messages) for day, messages in rows]


def rebuilt(con, settings, time_zone: str, sent_at: list[str]):
    """Rebuild with one inbound message (each from its own customer) at every UTC instant."""
    insert_messages(
        con,
        [
            inbound(f"in-{n}", utc(at), contact=f"316{n:08d}", business_number=BUSINESS)
            for n, at in enumerate(sent_at)
        ],
    )
    rebuild_warehouse(con, settings.with_overrides(business_time_zone=time_zone))
    return inbound_per_day(con)


def test_amsterdam_spring_forward_day_is_23_hours_long(con, settings):
    # 2025-03-30: 02:00 CET becomes 03:00 CEST. Local midnights: 23:00Z before, 22:00Z after.
    assert rebuilt(
        con,
        settings,
        "Europe/Amsterdam",
        [
            "2025-03-29T22:59:59",  # 23:59:59 on the 29th (CET)
            "2025-03-29T23:00:00",  # 00:00:00 on the 30th (CET)
            "2025-03-30T21:59:59",  # 23:59:59 on the 30th (CEST)
            "2025-03-30T22:00:00",  # 00:00:00 on the 31st (CEST); a fixed +01:00 says the 30th
        ],
    ) == [("2025-03-29", 1), ("2025-03-30", 2), ("2025-03-31", 1)]


def test_amsterdam_fall_back_day_is_25_hours_long(con, settings):
    # 2025-10-26: 03:00 CEST becomes 02:00 CET. Local midnights: 22:00Z before, 23:00Z after.
    assert rebuilt(
        con,
        settings,
        "Europe/Amsterdam",
        [
            "2025-10-25T21:59:59",  # 23:59:59 on the 25th (CEST)
            "2025-10-25T22:00:00",  # 00:00:00 on the 26th (CEST)
            "2025-10-26T22:30:00",  # 23:30:00 on the 26th (CET); a fixed +02:00 says the 27th
            "2025-10-26T23:00:00",  # 00:00:00 on the 27th (CET)
        ],
    ) == [("2025-10-25", 1), ("2025-10-26", 2), ("2025-10-27", 1)]


def test_sao_paulo_clocks_changing_at_midnight(con, settings):
    # Brazil changed its clocks at local midnight: on 2018-11-04 00:00 did not exist (-03 to
    # -02), and on 2019-02-17 the hour before midnight happened twice (-02 back to -03).
    assert rebuilt(
        con,
        settings,
        "America/Sao_Paulo",
        [
            "2018-11-04T02:59:59",  # 23:59:59 on 3 November (-03)
            "2018-11-04T03:00:00",  # 01:00:00 on 4 November (-02), the day's first instant
            "2019-02-17T01:59:59",  # 23:59:59 on 16 February (-02)
            "2019-02-17T02:30:00",  # 23:30:00 on 16 February again (-03); fixed -02 says the 17th
            "2019-02-17T03:00:00",  # 00:00:00 on 17 February (-03)
        ],
    ) == [("2018-11-03", 1), ("2018-11-04", 1), ("2019-02-16", 2), ("2019-02-17", 1)]


def test_the_same_instants_in_utc_fall_on_utc_days(con, settings):
    assert rebuilt(
        con,
        settings,
        "UTC",
        [
            "2025-03-29T23:00:00",
            "2025-03-30T22:00:00",
            "2025-03-30T23:59:59",
            "2025-03-31T00:00:00",
        ],
    ) == [("2025-03-29", 1), ("2025-03-30", 2), ("2025-03-31", 1)]


@pytest.mark.parametrize(
    ("time_zone", "regime", "day"),
    [
        # 00:30 on 1 July in Amsterdam: per-message pricing is in force there.
        ("Europe/Amsterdam", "per_message_2025", "2025-07-01"),
        # Still 30 June in UTC, and in Sao Paulo (19:30): per-conversation pricing.
        ("UTC", "conversation_2023", "2025-06-30"),
        ("America/Sao_Paulo", "conversation_2023", "2025-06-30"),
    ],
)
def test_the_pricing_regime_follows_the_local_date(con, settings, time_zone, regime, day):
    insert_messages(
        con,
        [
            template(
                "promo", utc("2025-06-30T22:30:00"), category="marketing", business_number=BUSINESS
            ),
        ],
    )

    rebuild_warehouse(con, settings.with_overrides(business_time_zone=time_zone))

    facts = con.execute("select regime from message_facts where message_id = 'promo'").fetchall()
    summary = con.execute("select day, outbound_messages from daily_summary").fetchall()
    assert facts == [(regime,)]
    assert [(when.isoformat(), messages) for when, messages in summary] == [(day, 1)]
