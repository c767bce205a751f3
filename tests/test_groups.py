"""WhatsApp groups (Groups API): the group's thread and window, its participants' opt-in, and
pricing per delivery (docs/rules.md, "Groups"). Given / expect, with hand-written rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rows import (
    at,
    delivery,
    inbound,
    insert_deliveries,
    insert_messages,
    insert_opt_ins,
    opt_in,
    outbound,
    template,
)
from test_pricing_fixtures import add_rates

from analytics.checks import assert_data_checks
from analytics.db import connect_memory, fetch_all
from analytics.partitions import rebuild_in_sequence
from analytics.rebuild import rebuild_warehouse

GROUP = "GROUPID0001"
BUSINESS = "31201234567"
ANNA = "31612345678"  # Netherlands
BOB = "16505551234"  # North America
CHITRA = "919876543210"  # India
NOVEMBER_2025 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)  # per_message_2025
NOVEMBER_2026 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # per_message_2026_10
MARCH_2024 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # conversation_2023, before groups


def from_group(message_id, hours, participant, base=NOVEMBER_2025, **kwargs):
    """A participant's message in the group."""
    return inbound(message_id, at(hours, base=base), contact=participant, group_id=GROUP, **kwargs)


def to_group(message_id, hours, base=NOVEMBER_2025, kind=outbound, **kwargs):
    """A business message to the group (outbound, or template with kind=template)."""
    return kind(message_id, at(hours, base=base), contact=GROUP, group_id=GROUP, **kwargs)


def facts(con, columns):
    return {
        row[0]: row[1:]
        for row in fetch_all(con, f"select message_id, {columns} from message_facts")
    }


def test_any_participants_message_opens_or_refreshes_the_window_of_the_whole_group(con, settings):
    insert_messages(
        con,
        [
            from_group("anna_writes", 0, ANNA),
            from_group("bob_writes", 20, BOB),  # refreshes the group's window to 44h
            to_group("reply", 30),  # inside: Bob's message refreshed it
            to_group("late", 44),  # [t, t + 24h): outside at exactly 24h after Bob
            # the group is not Anna's thread: a one-to-one message to her is outside
            outbound("to_anna", at(1, base=NOVEMBER_2025), contact=ANNA),
            # and her own message opens no window for the group
            inbound("anna_alone", at(100, base=NOVEMBER_2025), contact=ANNA),
            to_group("after_anna_alone", 101),
        ],
    )
    rebuild_warehouse(con, settings)
    assert facts(con, "contact, group_id, in_window, violation") == {
        "reply": (GROUP, GROUP, True, None),
        "late": (GROUP, GROUP, False, "session_outside_window"),
        "to_anna": (ANNA, None, False, "session_outside_window"),
        "after_anna_alone": (GROUP, GROUP, False, "session_outside_window"),
    }
    opened = int(NOVEMBER_2025.timestamp())
    assert fetch_all(
        con,
        "select contact, window_id, inbound_messages, outbound_messages, opened_by "
        "from care_windows order by opened_at",
    ) == [
        (GROUP, f"{BUSINESS}:{GROUP}:{opened}", 2, 1, "text"),
        (ANNA, f"{BUSINESS}:{ANNA}:{opened + 100 * 3600}", 1, 0, "text"),
    ]
    assert_data_checks(con)


def test_a_group_template_outside_the_window_needs_every_participants_opt_in(con, settings):
    insert_messages(
        con,
        [
            to_group("both_opted_in", 0, kind=template, category="utility"),
            to_group("bob_not_yet", 2, kind=template, category="utility"),
            to_group("participants_unknown", 3, kind=template, category="utility"),
            from_group("anna_writes", 4, ANNA),
            to_group("inside_the_window", 5, kind=template, category="utility"),
            to_group("marketing", 40, kind=template, category="marketing"),
        ],
    )
    insert_deliveries(
        con,
        [
            delivery("both_opted_in", ANNA),
            delivery("both_opted_in", BOB),
            delivery("bob_not_yet", ANNA),
            delivery("bob_not_yet", BOB, "failed"),  # an attempt: Bob's opt-in counts too
            delivery("inside_the_window", ANNA),
            delivery("inside_the_window", BOB),
            delivery("marketing", ANNA),
            delivery("marketing", BOB),
        ],
    )
    insert_opt_ins(
        con,
        [
            opt_in(ANNA, at(-10, base=NOVEMBER_2025)),  # every number of the business
            opt_in(BOB, at(-10, base=NOVEMBER_2025), business_number=BUSINESS),
            opt_in(BOB, at(1, base=NOVEMBER_2025), event="opt_out", business_number=BUSINESS),
            opt_in(BOB, at(30, base=NOVEMBER_2025), scope="marketing", event="opt_out"),
        ],
    )
    rebuild_warehouse(con, settings)
    assert facts(con, "in_window, opt_in_active, violation, marketing_opt_out_warning") == {
        "both_opted_in": (False, True, None, False),
        "bob_not_yet": (False, False, "template_without_opt_in", False),
        # no participant known to have opted in: no opt-in
        "participants_unknown": (False, False, "template_without_opt_in", False),
        "inside_the_window": (True, False, None, False),
        # Bob stopped marketing: a warning, and no opt-in for marketing
        "marketing": (False, False, "template_without_opt_in", True),
    }


def test_a_group_message_costs_the_sum_of_its_deliveries_at_each_participants_market(con, settings):
    insert_messages(con, [to_group("promo", 0, kind=template, category="marketing")])
    insert_deliveries(
        con,
        [
            delivery("promo", ANNA),
            delivery("promo", BOB, "read"),
            delivery("promo", CHITRA, "failed"),
        ],
    )
    add_rates(
        con,
        [
            ("2025-07-01", "Netherlands", "marketing", 0.16),
            ("2025-07-01", "North America", "marketing", 0.025),
            ("2025-07-01", "India", "marketing", 0.011),
        ],
    )
    rebuild_warehouse(con, settings)
    assert facts(
        con,
        "regime, billable, billing_reason, market, estimated_cost, deliveries, "
        "chargeable_deliveries",
    ) == {
        "promo": ("per_message_2025", True, "chargeable", None, Decimal("0.185"), 3, 2),
    }
    assert fetch_all(
        con,
        "select participant, market, delivered, billable, billing_reason, estimated_cost "
        "from group_delivery_billing order by participant",
    ) == [
        (BOB, "North America", True, True, "chargeable", Decimal("0.025")),
        (ANNA, "Netherlands", True, True, "chargeable", Decimal("0.16")),
        (CHITRA, "India", False, False, "not_delivered", 0),
    ]
    assert fetch_all(
        con,
        "select regime, chargeable_deliveries from message_billing "
        "where regime in ('per_message_2025', 'session_2019') order by regime",
    ) == [("per_message_2025", 2), ("session_2019", 2)]
    assert fetch_all(
        con,
        "select sum(chargeable_messages), sum(chargeable_deliveries), sum(estimated_cost) "
        "from daily_costs where in_force",
    ) == [(1, 2, Decimal("0.185"))]
    # cost by market: each delivery in its participant's market, the message counted once
    assert fetch_all(
        con,
        "select market, outbound_messages, chargeable_messages, chargeable_deliveries, "
        "estimated_cost from daily_costs where in_force order by market",
    ) == [
        ("India", 0, 0, 0, 0),
        ("Netherlands", 0, 0, 1, Decimal("0.16")),
        ("North America", 1, 1, 1, Decimal("0.025")),
    ]
    assert_data_checks(con)


def test_in_the_groups_window_templates_are_free_until_october_2026_then_charged_per_delivery(
    con, settings
):
    insert_messages(
        con,
        [
            from_group("ask_2025", 0, ANNA),
            to_group("utility_2025", 1, kind=template, category="utility"),
            to_group("marketing_2025", 2, kind=template, category="marketing"),
            to_group("reply_2025", 3),
            from_group("ask_2026", 0, ANNA, base=NOVEMBER_2026),
            to_group("utility_2026", 1, base=NOVEMBER_2026, kind=template, category="utility"),
        ],
    )
    insert_deliveries(
        con,
        [
            delivery(message, participant)
            for message in ("utility_2025", "marketing_2025", "reply_2025", "utility_2026")
            for participant in (ANNA, BOB)
        ],
    )
    add_rates(
        con,
        [
            ("2025-07-01", "Netherlands", "utility", 0.05),
            ("2025-07-01", "North America", "utility", 0.004),
        ],
    )
    rebuild_warehouse(con, settings)
    assert facts(con, "regime, billing_reason, estimated_cost, chargeable_deliveries") == {
        "utility_2025": ("per_message_2025", "inside_customer_service_window", 0, 0),
        "marketing_2025": ("per_message_2025", "inside_customer_service_window", 0, 0),
        "reply_2025": ("per_message_2025", "service_free", 0, 0),
        "utility_2026": ("per_message_2026_10", "chargeable", Decimal("0.054"), 2),
    }


def test_group_service_deliveries_share_the_numbers_monthly_free_tier_with_one_to_one_ones(
    con, settings
):
    settings = settings.with_overrides(free_service_messages_per_month=3)
    insert_messages(
        con,
        [
            outbound("one", at(0, base=NOVEMBER_2026), contact=CHITRA),
            outbound("two", at(1, base=NOVEMBER_2026), contact=CHITRA),
            # the third and fourth service deliveries of the month: Bob's, then Anna's
            # (a message's deliveries count in the participants' order)
            to_group("group_reply", 2, base=NOVEMBER_2026),
            outbound("three", at(3, base=NOVEMBER_2026), contact=CHITRA),
        ],
    )
    insert_deliveries(con, [delivery("group_reply", ANNA), delivery("group_reply", BOB)])
    add_rates(
        con,
        [
            ("2025-07-01", "Netherlands", "utility", 0.05),
            ("2025-07-01", "North America", "utility", 0.004),
            ("2025-07-01", "India", "utility", 0.0014),
        ],
    )
    rebuild_warehouse(con, settings)
    assert facts(con, "billing_reason, estimated_cost, chargeable_deliveries") == {
        "one": ("free_tier", 0, 0),
        "two": ("free_tier", 0, 0),
        "group_reply": ("beyond_free_tier", Decimal("0.05"), 1),
        "three": ("beyond_free_tier", Decimal("0.0014"), 1),
    }
    assert fetch_all(
        con,
        "select participant, billing_reason, estimated_cost from group_delivery_billing "
        "order by participant",
    ) == [(BOB, "free_tier", 0), (ANNA, "beyond_free_tier", Decimal("0.05"))]
    assert fetch_all(
        con, "select free_tier_messages, beyond_free_tier_messages from daily_summary"
    ) == [(2, 2)]


def test_a_regime_older_than_groups_prices_a_group_message_by_its_rule_per_delivery(con, settings):
    # a group message dated while conversation pricing was in force (before the Groups API):
    # the regime in force judges the group's thread and charges each delivery
    insert_messages(
        con,
        [
            to_group("old_promo", 0, base=MARCH_2024, kind=template, category="marketing"),
            to_group("same_conversation", 1, base=MARCH_2024, kind=template, category="marketing"),
        ],
    )
    insert_deliveries(
        con,
        [
            delivery(message, participant)
            for message in ("old_promo", "same_conversation")
            for participant in (ANNA, BOB)
        ],
    )
    add_rates(
        con,
        [
            ("2024-01-01", "Netherlands", "marketing", 0.14),
            ("2024-01-01", "North America", "marketing", 0.025),
        ],
    )
    rebuild_warehouse(con, settings)
    assert facts(
        con, "regime, billing_reason, conversation_id, estimated_cost, chargeable_deliveries"
    ) == {
        "old_promo": ("conversation_2023", "chargeable", "old_promo", Decimal("0.165"), 2),
        "same_conversation": ("conversation_2023", "in_open_conversation", "old_promo", 0, 0),
    }
    assert fetch_all(
        con,
        "select message_id, billing_reason, estimated_cost, chargeable_deliveries "
        "from message_billing where regime = 'session_2019' order by message_id",
    ) == [
        ("old_promo", "chargeable", Decimal("0.165"), 2),
        ("same_conversation", "chargeable", Decimal("0.165"), 2),
    ]


def test_metas_verdict_on_each_delivery_is_reconciled_like_a_one_to_one_message(con, settings):
    insert_messages(con, [to_group("promo", 0, kind=template, category="marketing")])
    regular = {"meta_pricing_type": "regular", "meta_pricing_model": "PMP"}
    insert_deliveries(
        con,
        [
            delivery("promo", ANNA, meta_billable=True, meta_category="group_marketing", **regular),
            delivery("promo", BOB, meta_billable=False, meta_category="group_marketing", **regular),
            delivery("promo", CHITRA, "failed"),
        ],
    )
    rebuild_warehouse(con, settings)
    assert fetch_all(
        con,
        "select message_id, participant, estimated_billable, meta_billable, agrees, disagreement "
        "from pricing_reconciliation order by participant",
    ) == [
        ("promo", BOB, True, False, False, "billable"),
        ("promo", ANNA, True, True, True, None),
    ]


def _group_history(con) -> None:
    insert_messages(
        con,
        [
            from_group("anna_writes", 0, ANNA),
            to_group("reply", 1),
            to_group("promo", 30, kind=template, category="marketing"),
            outbound("to_bob", at(2, base=NOVEMBER_2025), contact=BOB),
            inbound("bob_writes", at(3, base=NOVEMBER_2025), contact=BOB),
            template("to_chitra", at(4, base=NOVEMBER_2025), contact=CHITRA),
        ],
    )
    insert_deliveries(
        con,
        [delivery(m, p) for m in ("reply", "promo") for p in (ANNA, BOB, CHITRA)],
    )
    insert_opt_ins(
        con,
        [
            opt_in(ANNA, at(-1, base=NOVEMBER_2025)),
            opt_in(BOB, at(-1, base=NOVEMBER_2025), business_number=BUSINESS),
            opt_in(CHITRA, at(-1, base=NOVEMBER_2025)),
        ],
    )
    add_rates(
        con,
        [
            ("2025-07-01", "Netherlands", "marketing", 0.16),
            ("2025-07-01", "North America", "marketing", 0.025),
            ("2025-07-01", "India", "marketing", 0.011),
        ],
    )


def test_a_partitioned_rebuild_keeps_a_group_and_its_participants_opt_ins_together(con, settings):
    settings = settings.with_overrides(rebuild_partitions=4, rebuild_cluster="in-process")
    single = connect_memory(settings)
    _group_history(single)
    rebuild_warehouse(single, settings)
    _group_history(con)

    rebuild_in_sequence(con, settings)

    # every participant opted in (Bob for this number), in whichever partition their own
    # threads are: the group's template has its opt-in
    assert facts(con, "opt_in_active, violation, chargeable_deliveries")["promo"] == (
        True,
        None,
        3,
    )
    for table in ("care_windows", "message_facts", "message_billing", "group_delivery_billing"):
        for first, second in ((con, single), (single, con)):
            expected = second.sql(f"select * from {table}").to_arrow_table()
            first.register("expected", expected)
            assert fetch_all(
                first, f"select count(*) from (from {table} except all from expected)"
            ) == [(0,)], table
            first.unregister("expected")
    single.close()
