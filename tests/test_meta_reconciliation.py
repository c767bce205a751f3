"""cost_reconciliation: Meta's figures against the estimate, in Meta's buckets.

Given message_facts rows as the pricing steps publish them (a few of their columns) and
Meta's figures as loaded, the planted differences, and only those, are found.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.db import fetch_all
from analytics.meta_figures import write_calling_codes
from analytics.rebuild import materialize
from analytics.steps import Step

BUSINESS = "31201234567"
NL, BE, DE = "31612345678", "32470000001", "4915112345678"
ID_CONTACT = "6281211112222"
FACT_COLUMNS = (
    "message_id, business_number, contact, sent_at, regime, conversation_id, billing_reason, "
    "billable, priced_category, estimated_cost, currency, cost_known, delivered, "
    "template_name, meta_category, meta_pricing_type"
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def fact(
    message_id,
    contact,
    sent_at,
    category,
    cost,
    *,
    reason="chargeable",
    regime="per_message_2025",
    conversation_id=None,
    delivered=True,
    meta=(None, None),
):
    billable = reason == "chargeable"
    return (
        message_id,
        BUSINESS,
        contact,
        sent_at,
        regime,
        conversation_id,
        reason,
        billable,
        category,
        Decimal(str(cost)) if cost is not None else None,
        "USD" if billable else None,
        cost is not None,
        delivered,
        None,
        *meta,
    )


def meta_point(
    day: date,
    country,
    category,
    kind,
    volume,
    cost,
    *,
    hours=24,
    at_hour=0,
    table="meta_pricing_analytics",
    file="meta.json",
):
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=at_hour)
    end = start + timedelta(hours=hours)
    granularity = {24: "daily", 0.5: "half_hour"}.get(hours, "monthly")
    return (table, start, end, granularity, country, category, kind, volume, cost, file)


@pytest.fixture
def warehouse(con, settings):
    con.execute(
        "create table message_facts (message_id varchar, business_number varchar, "
        "contact varchar, sent_at timestamptz, regime varchar, conversation_id varchar, "
        "billing_reason varchar, billable boolean, priced_category varchar, "
        "estimated_cost decimal(18, 6), currency varchar, cost_known boolean, delivered boolean, "
        "template_name varchar, meta_category varchar, meta_pricing_type varchar, "
        "deliveries bigint)"
    )
    # no group traffic here: the deliveries of group messages, as group_delivery_billing has them
    con.execute(
        "create table group_delivery_billing (message_id varchar, participant varchar, "
        "priced_category varchar, billing_reason varchar, billable boolean, "
        "estimated_cost decimal(18, 6), currency varchar, cost_known boolean, delivered boolean)"
    )
    con.execute(
        "create table pricing_regimes as select * from (values "
        "('conversation_2023', 'conversation'), ('per_message_2025', 'message')) "
        "as t(regime, charge_unit)"
    )
    write_calling_codes(con, settings)
    return con


def given(con, facts, points):
    con.executemany(
        f"insert into message_facts ({FACT_COLUMNS}) values "
        f"({', '.join('?' for _ in FACT_COLUMNS.split(','))})",
        facts,
    )
    for table, start, end, granularity, country, category, kind, volume, cost, file in points:
        category_column, type_column = (
            ("pricing_category", "pricing_type")
            if table == "meta_pricing_analytics"
            else ("conversation_category", "conversation_type")
        )
        con.execute(
            f"insert into {table} (waba_id, period_start, period_end, granularity, "
            f"business_number, country, {category_column}, {type_column}, volume, cost, "
            "source_file, source_line, loaded_at) "
            "values ('W1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, now())",
            [
                start,
                end,
                granularity,
                BUSINESS,
                country,
                category,
                kind,
                volume,
                Decimal(str(cost)),
                file,
            ],
        )
    materialize(con, Step("cost_reconciliation", "table", scope="account"))


def cells(con, where="true"):
    return fetch_all(
        con,
        "select day, granularity, charge_unit, country, pricing_category, pricing_type, "
        "estimated_volume, meta_volume, estimated_cost, meta_cost, volume_difference, "
        f"cost_difference from cost_reconciliation where {where} "
        "order by day, charge_unit, country, pricing_category, pricing_type",
    )


def differing(con):
    return cells(con, "volume_difference <> 0 or cost_difference <> 0 or cost_difference is null")


MAY_4 = date(2026, 5, 4)


def test_the_planted_differences_are_found_exactly(warehouse):
    t = utc(2026, 5, 4, 9)
    given(
        warehouse,
        [
            *[fact(f"nl-mkt-{n}", NL, t, "marketing", 0.15) for n in range(3)],
            fact("nl-utl-1", NL, t, "utility", 0, reason="inside_customer_service_window"),
            fact("nl-utl-2", NL, t, "utility", 0, reason="inside_customer_service_window"),
            fact("nl-failed", NL, t, "marketing", 0, reason="not_delivered", delivered=False),
            fact("be-mkt", BE, t, "marketing", 0.0592),
            fact("de-auth", DE, t, "authentication", 0.055),
        ],
        [
            meta_point(MAY_4, "NL", "marketing", "regular", 3, 0.45),  # agrees
            meta_point(MAY_4, "NL", "utility", "free_customer_service", 1, 0),
            meta_point(MAY_4, "NL", "utility", "regular", 1, 0.02),  # Meta charged one
            meta_point(MAY_4, "BE", "marketing", "regular", 1, 0.07),  # another rate
            meta_point(MAY_4, "IN", "authentication_international", "regular", 5, 0.15),
        ],
    )
    d, m = "daily", "message"
    assert differing(warehouse) == [
        (
            MAY_4,
            d,
            m,
            "BE",
            "marketing",
            "regular",
            1,
            1,
            Decimal("0.0592"),
            Decimal("0.07"),
            0,
            Decimal("0.0108"),
        ),
        # Meta reported nothing for DE: the estimate's message shows against zero
        (
            MAY_4,
            d,
            m,
            "DE",
            "authentication",
            "regular",
            1,
            0,
            Decimal("0.055"),
            Decimal("0"),
            -1,
            Decimal("-0.055"),
        ),
        (
            MAY_4,
            d,
            m,
            "IN",
            "authentication_international",
            "regular",
            0,
            5,
            Decimal("0"),
            Decimal("0.15"),
            5,
            Decimal("0.15"),
        ),
        (
            MAY_4,
            d,
            m,
            "NL",
            "utility",
            "free_customer_service",
            2,
            1,
            Decimal("0"),
            Decimal("0"),
            -1,
            Decimal("0"),
        ),
        (
            MAY_4,
            d,
            m,
            "NL",
            "utility",
            "regular",
            0,
            1,
            Decimal("0"),
            Decimal("0.02"),
            1,
            Decimal("0.02"),
        ),
    ]
    assert cells(warehouse, "country = 'NL' and pricing_category = 'marketing'") == [
        (
            MAY_4,
            d,
            m,
            "NL",
            "marketing",
            "regular",
            3,
            3,
            Decimal("0.45"),
            Decimal("0.45"),
            0,
            Decimal("0"),
        ),
    ]


def test_half_hour_buckets_are_summed_to_their_day(warehouse):
    given(
        warehouse,
        [fact(f"m{n}", NL, utc(2026, 5, 4, 10 + n), "marketing", 0.15) for n in range(3)],
        [
            meta_point(MAY_4, "NL", "marketing", "regular", 2, 0.30, hours=0.5, at_hour=10),
            meta_point(MAY_4, "NL", "marketing", "regular", 1, 0.15, hours=0.5, at_hour=12),
        ],
    )
    assert cells(warehouse) == [
        (
            MAY_4,
            "daily",
            "message",
            "NL",
            "marketing",
            "regular",
            3,
            3,
            Decimal("0.45"),
            Decimal("0.45"),
            0,
            Decimal("0"),
        ),
    ]


def test_a_day_with_daily_and_half_hourly_figures_counts_the_daily_ones_once(warehouse):
    given(
        warehouse,
        [fact("m1", NL, utc(2026, 5, 4, 10), "marketing", 0.15)],
        [
            meta_point(MAY_4, "NL", "marketing", "regular", 1, 0.15, file="daily.json"),
            meta_point(
                MAY_4,
                "NL",
                "marketing",
                "regular",
                1,
                0.15,
                hours=0.5,
                at_hour=10,
                file="half.json",
            ),
        ],
    )
    assert [row[6:8] for row in cells(warehouse)] == [(1, 1)]


def test_days_between_a_files_first_and_last_points_are_covered_days_outside_are_not(warehouse):
    given(
        warehouse,
        [
            fact("covered", NL, utc(2026, 5, 5, 10), "marketing", 0.15),
            fact("outside", NL, utc(2026, 5, 9, 10), "marketing", 0.15),
        ],
        [
            meta_point(MAY_4, "NL", "marketing", "regular", 1, 0.15),
            meta_point(date(2026, 5, 6), "NL", "marketing", "regular", 1, 0.15),
        ],
    )
    assert [(row[0], row[6], row[7]) for row in cells(warehouse)] == [
        (MAY_4, 0, 1),
        (date(2026, 5, 5), 1, 0),
        (date(2026, 5, 6), 0, 1),
    ]


def test_conversations_are_compared_per_month_category_and_type(warehouse):
    sept = date(2024, 9, 1)
    given(
        warehouse,
        [
            fact(
                "c1-open",
                ID_CONTACT,
                utc(2024, 9, 3, 8),
                "marketing",
                0.0411,
                regime="conversation_2023",
                conversation_id="c1",
            ),
            fact(
                "c1-later",
                ID_CONTACT,
                utc(2024, 9, 3, 9),
                "marketing",
                0,
                reason="in_open_conversation",
                regime="conversation_2023",
                conversation_id="c1",
            ),
            fact(
                "c2-open",
                ID_CONTACT,
                utc(2024, 9, 10, 8),
                "service",
                0,
                reason="free_tier",
                regime="conversation_2023",
                conversation_id="c2",
            ),
        ],
        [
            meta_point(
                sept,
                "ID",
                "marketing",
                "regular",
                1,
                0.0411,
                hours=24 * 30,
                table="meta_conversation_analytics",
            ),
            meta_point(
                sept,
                "ID",
                "service",
                "free_tier",
                1,
                0,
                hours=24 * 30,
                table="meta_conversation_analytics",
            ),
            meta_point(
                sept,
                "ID",
                "service",
                "regular",
                1,
                0.019,
                hours=24 * 30,
                table="meta_conversation_analytics",
            ),
        ],
    )
    assert cells(warehouse) == [
        (
            sept,
            "monthly",
            "conversation",
            "ID",
            "marketing",
            "regular",
            1,
            1,
            Decimal("0.0411"),
            Decimal("0.0411"),
            0,
            Decimal("0"),
        ),
        (
            sept,
            "monthly",
            "conversation",
            "ID",
            "service",
            "free_tier",
            1,
            1,
            Decimal("0"),
            Decimal("0"),
            0,
            Decimal("0"),
        ),
        (
            sept,
            "monthly",
            "conversation",
            "ID",
            "service",
            "regular",
            0,
            1,
            Decimal("0"),
            Decimal("0.019"),
            1,
            Decimal("0.019"),
        ),
    ]


def test_an_unknown_rate_leaves_the_cells_estimated_cost_unknown(warehouse):
    given(
        warehouse,
        [fact("m1", NL, utc(2026, 5, 4, 10), "marketing", None)],
        [meta_point(MAY_4, "NL", "marketing", "regular", 1, 0.15)],
    )
    assert [row[8:] for row in cells(warehouse)] == [(None, Decimal("0.15"), 0, None)]


def test_the_monthly_section_totals_the_month_and_says_what_each_difference_likely_means(
    warehouse,
):
    from reports import meta_figures

    test_the_planted_differences_are_found_exactly(warehouse)
    found = meta_figures.aggregates(warehouse, "UTC", date(2026, 5, 1))
    section = meta_figures.section("2026-05", "month", found)
    (total,) = section["totals"]
    assert (total["estimated_volume"], total["meta_volume"], total["volume_difference"]) == (
        7,
        11,
        4,
    )
    assert total["cost_difference_text"] == "+$0.13"
    likely = {
        (row["country"], row["pricing_category"], row["pricing_type"]): row["likely"]
        for row in section["differences"]
    }
    assert likely == {
        (
            "IN",
            "authentication_international",
            "regular",
        ): "Meta prices these as authentication international; carewindow counts them as "
        "authentication (its row for IN shows the other side)",
        (
            "DE",
            "authentication",
            "regular",
        ): "carewindow estimated messages Meta did not count (not delivered by Meta's "
        "reckoning, or outside the exported numbers)",
        (
            "NL",
            "utility",
            "regular",
        ): "Meta counted 1 message here that carewindow put under free (customer service window)",
        (
            "NL",
            "utility",
            "free_customer_service",
        ): "carewindow counted 1 message here that Meta put under charged",
        (
            "BE",
            "marketing",
            "regular",
        ): "the same count at another cost: a rate or volume tier unlike the loaded rate card",
    }
    # the largest cost difference first
    assert section["differences"][0]["country"] == "IN"
    assert meta_figures.index_difference("2026-05", "month", found) == "+$0.13"
    assert meta_figures.section("2026-05-04", "day", found)["shown"] is False


def test_the_messages_behind_a_differing_cell_can_be_listed_with_metas_verdict(warehouse):
    t = utc(2026, 5, 4, 9)
    given(
        warehouse,
        [
            fact(
                "in-window",
                NL,
                t,
                "utility",
                0,
                reason="inside_customer_service_window",
                meta=("utility", "regular"),
            ),
            fact(
                "agreed",
                NL,
                t,
                "utility",
                0,
                reason="inside_customer_service_window",
                meta=("utility", "free_customer_service"),
            ),
            fact("no-webhook", NL, t, "utility", 0, reason="inside_customer_service_window"),
        ],
        [
            meta_point(MAY_4, "NL", "utility", "regular", 1, 0.02),
            meta_point(MAY_4, "NL", "utility", "free_customer_service", 2, 0),
        ],
    )
    materialize(warehouse, Step("cost_reconciliation_messages", "view", scope="account"))
    assert fetch_all(
        warehouse,
        "select message_id, estimated_category, estimated_type, meta_category, meta_type, "
        "meta_pricing_known, same_cell from cost_reconciliation_messages "
        "where day = '2026-05-04' and business_number = ? and country = 'NL' "
        "and 'utility' in (estimated_category, meta_category) order by message_id",
        [BUSINESS],
    ) == [
        (
            "agreed",
            "utility",
            "free_customer_service",
            "utility",
            "free_customer_service",
            True,
            True,
        ),
        ("in-window", "utility", "free_customer_service", "utility", "regular", True, False),
        ("no-webhook", "utility", "free_customer_service", None, None, False, None),
    ]
