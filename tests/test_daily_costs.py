"""daily_costs: the per-day cost table that reports read instead of every message."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

from rows import at, inbound, insert_messages, outbound, template
from test_pricing_fixtures import add_rates

from analytics.checks import run_check
from analytics.rebuild import rebuild_warehouse

# 23:30 UTC on 1 September 2025 is already 2 September in Amsterdam (per_message_2025 era).
LATE_EVENING = datetime(2025, 9, 1, 23, 30, tzinfo=UTC)
OTHER_NUMBER = "31209999999"
MORNING = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)  # per_message_2025 era


def test_daily_costs_add_up_the_facts_per_local_day_market_and_category(con, settings):
    settings = dataclasses.replace(
        settings, business_time_zone="Europe/Amsterdam", free_conversations_per_month=0
    )
    insert_messages(
        con,
        [
            template("m1", at(0, base=LATE_EVENING)),  # marketing, no window: chargeable
            template("m2", at(0.1, base=LATE_EVENING)),  # the same day in Amsterdam
            inbound("q1", at(2, base=LATE_EVENING)),
            outbound("a1", at(2.5, base=LATE_EVENING)),  # service reply: free
            template("u1", at(3, base=LATE_EVENING), category="utility"),  # in a window: free
            template("m3", at(0, base=LATE_EVENING), business_number=OTHER_NUMBER),
            # no rate; 24h after q1 exactly, so outside its window
            template("t1", at(26, base=LATE_EVENING), category="authentication"),
        ],
    )
    add_rates(
        con,
        [
            ("2025-07-01", "Netherlands", "marketing", 0.1),
            ("2025-07-01", "Netherlands", "utility", 0.02),
        ],
    )
    rebuild_warehouse(con, settings)

    rows = con.execute(
        """
        select day, business_number, market, priced_category, currency, outbound_messages,
            chargeable_messages, estimated_cost, cost_unknown_messages, rate_card
        from daily_costs
        where in_force
        order by day, business_number, priced_category
        """
    ).fetchall()
    sep2, sep3 = date(2025, 9, 2), date(2025, 9, 3)
    card = "rate card effective 2025-07-01"
    assert rows == [
        (sep2, "31201234567", "Netherlands", "marketing", "USD", 2, 2, Decimal("0.2"), 0, card),
        (sep2, "31201234567", "Netherlands", "service", None, 1, 0, Decimal("0"), 0, None),
        (sep2, "31201234567", "Netherlands", "utility", None, 1, 0, Decimal("0"), 0, None),
        (sep2, OTHER_NUMBER, "Netherlands", "marketing", "USD", 1, 1, Decimal("0.1"), 0, card),
        (sep3, "31201234567", "Netherlands", "authentication", None, 1, 1, None, 1, None),
    ]
    # every regime prices the same messages: one set of rows each, the in-force one marked
    per_regime = con.execute(
        """
        select regime, bool_or(in_force), sum(outbound_messages), sum(chargeable_messages)
        from daily_costs
        group by regime
        order by regime
        """
    ).fetchall()
    assert per_regime == [
        ("conversation_2022", False, 6, 3),
        # utility opens its own conversation beside the open marketing one
        ("conversation_2023", False, 6, 4),
        ("per_message_2025", True, 6, 4),
        ("per_message_2026_10", False, 6, 5),
        ("session_2019", False, 6, 4),
    ]
    assert run_check(con, "daily_costs_add_up_to_message_facts") is None


def test_a_cost_that_is_unknown_is_null_not_the_zero_of_free_messages_beside_it(con, settings):
    # given one day of two utility templates and no utility rate: one in a care window (free
    # under per_message_2025), one outside any window (chargeable, no rate)
    insert_messages(
        con,
        [
            inbound("q1", at(0, base=MORNING)),
            template("u1", at(1, base=MORNING), category="utility"),
            template("u2", at(0, base=MORNING), category="utility", contact="31611112222"),
        ],
    )
    add_rates(con, [("2025-07-01", "Netherlands", "marketing", 0.1)])
    rebuild_warehouse(con, settings)

    # expect the cost unknown (null) in both tables, with the unknown message counted
    assert con.execute(
        "select outbound_messages, chargeable_messages, estimated_cost, cost_unknown_messages "
        "from daily_costs where in_force"
    ).fetchall() == [(2, 1, None, 1)]
    assert con.execute(
        "select chargeable_messages, estimated_cost, cost_unknown_messages from daily_summary"
    ).fetchall() == [(1, None, 1)]
