"""Free or chargeable under every pricing regime, given / expect with exact verdicts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from rows import at, inbound, outbound, template
from test_pricing_fixtures import in_window, price, verdicts

ERA_2022 = datetime(2022, 6, 6, 9, 0, tzinfo=UTC)
ERA_2023 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # before service conversations became free
ERA_2025 = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)


def with_settings(settings, **changes):
    return dataclasses.replace(settings, **changes)


# --- the rows are priced through the rebuild's own care-window step -------------------------------


def test_a_row_sent_in_window_is_in_a_window_the_care_window_step_found(con, settings):
    billing = price(
        con,
        settings,
        [in_window(template("inside", at(0, base=ERA_2025))), template("outside", at(30))],
    )
    # the window comes from int_outbound itself: its customer wrote at the same instant
    assert {m: (r["in_window"], r["window_id"] is not None) for m, r in billing.items()} == {
        "inside": (True, True),
        "outside": (False, False),
    }


# --- conversation_2023: conversations per category --------------------------------------------


def test_a_template_opens_a_conversation_of_its_category_unless_one_is_open(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            template("marketing-1", at(0, base=ERA_2023), category="marketing"),
            template("marketing-2", at(2, base=ERA_2023), category="marketing"),
            template("utility-1", at(3, base=ERA_2023), category="utility"),
            in_window(outbound("reply", at(4, base=ERA_2023))),
            template("utility-2", at(5, base=ERA_2023), category="utility"),
        ],
    )
    assert verdicts(billing, "conversation_2023") == {
        "marketing-1": (True, "marketing-1"),
        "marketing-2": (False, "marketing-1"),
        "utility-1": (True, "utility-1"),
        "reply": (False, "utility-1"),  # covered by the open conversations: no service one
        "utility-2": (False, "utility-1"),
    }
    assert billing["marketing-1"]["regime"] == "conversation_2023"
    assert billing["marketing-1"]["charge_unit"] == "conversation"
    assert billing["marketing-2"]["charge_unit"] is None
    assert billing["reply"]["priced_category"] == "utility"


def test_a_session_message_opens_a_service_conversation_only_when_none_is_open(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            inbound("question", at(0, base=ERA_2023)),
            in_window(outbound("answer", at(1, base=ERA_2023))),
            in_window(template("offer", at(2, base=ERA_2023), category="marketing")),
            in_window(outbound("follow-up", at(3, base=ERA_2023))),
        ],
    )
    assert verdicts(billing, "conversation_2023") == {
        "answer": (True, "answer"),
        "offer": (True, "offer"),  # a marketing conversation opens beside the service one
        "follow-up": (False, "answer"),
    }
    assert billing["answer"]["priced_category"] == "service"


def test_conversations_are_fixed_24_hour_periods_not_gaps(con, settings):
    # gaps of 20h, 10h, 20h, 10h: one burst, but conversations start at 0h, 30h and 60h
    settings = with_settings(settings, free_conversations_per_month=0)
    hours = {"m00": 0, "m20": 20, "m30": 30, "m50": 50, "m60": 60}
    billing = price(
        con, settings, [template(name, at(hour, base=ERA_2023)) for name, hour in hours.items()]
    )
    assert verdicts(billing, "conversation_2023") == {
        "m00": (True, "m00"),
        "m20": (False, "m00"),
        "m30": (True, "m30"),
        "m50": (False, "m30"),
        "m60": (True, "m60"),
    }


def test_a_message_at_exactly_24_hours_opens_the_next_conversation(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            template("first", at(0, base=ERA_2023)),
            template("just-inside", at(24, seconds=-1, base=ERA_2023)),
            template("at-24h", at(24, base=ERA_2023)),
        ],
    )
    assert verdicts(billing, "conversation_2023") == {
        "first": (True, "first"),
        "just-inside": (False, "first"),
        "at-24h": (True, "at-24h"),
    }


def test_threads_have_their_own_conversations(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            template("to-a", at(0, base=ERA_2023), contact="31611111111"),
            template("to-b", at(1, base=ERA_2023), contact="31622222222"),
            template(
                "from-other-number",
                at(2, base=ERA_2023),
                contact="31611111111",
                business_number="31209999999",
            ),
        ],
    )
    assert verdicts(billing, "conversation_2023") == {
        "to-a": (True, "to-a"),
        "to-b": (True, "to-b"),
        "from-other-number": (True, "from-other-number"),
    }


# --- free tiers -----------------------------------------------------------------------------


def test_the_first_conversations_of_a_month_are_free_per_business_account(con, settings):
    settings = with_settings(settings, free_conversations_per_month=2)
    june, july = ERA_2022, datetime(2022, 7, 1, 9, 0, tzinfo=UTC)
    billing = price(
        con,
        settings,
        [
            template("june-1", at(0, base=june), contact="31611111111"),
            template("june-2", at(1, base=june), contact="31622222222"),
            # another number of the same account shares the tier
            template(
                "june-3", at(2, base=june), contact="31633333333", business_number="31209999999"
            ),
            template("other-account", at(3, base=june), contact="31644444444", waba_id="waba2"),
            template("july-1", at(0, base=july), contact="31611111111"),
        ],
    )
    assert {m: row["billable_conversation_2022"] for m, row in billing.items()} == {
        "june-1": False,
        "june-2": False,
        "june-3": True,
        "other-account": False,
        "july-1": False,
    }
    assert billing["june-3"]["regime"] == "conversation_2022"
    assert billing["june-3"]["priced_category"] == "business_initiated"


def test_without_a_business_account_the_tier_is_per_business_number(con, settings):
    settings = with_settings(settings, free_conversations_per_month=1)
    billing = price(
        con,
        settings,
        [
            template("a-1", at(0, base=ERA_2022), contact="31611111111", waba_id=None),
            template("a-2", at(1, base=ERA_2022), contact="31622222222", waba_id=None),
            template(
                "b-1",
                at(2, base=ERA_2022),
                contact="31633333333",
                waba_id=None,
                business_number="31209999999",
            ),
        ],
    )
    assert {m: row["billable_conversation_2022"] for m, row in billing.items()} == {
        "a-1": False,
        "a-2": True,
        "b-1": False,
    }


def test_the_real_free_tier_is_1000_conversations_a_month(con, settings):
    rows = [
        template(f"m{n:04d}", at(n / 100, base=ERA_2022), contact=f"3161{n:07d}")
        for n in range(1001)
    ]
    billing = price(con, settings, rows)
    chargeable = [m for m, row in billing.items() if row["billable_conversation_2022"]]
    assert chargeable == ["m1000"]


def test_service_conversations_follow_the_tier_and_are_free_from_november_2024(con, settings):
    settings = with_settings(settings, free_conversations_per_month=1)
    october = datetime(2024, 10, 30, 9, 0, tzinfo=UTC)
    november = datetime(2024, 11, 1, 0, 30, tzinfo=UTC)
    billing = price(
        con,
        settings,
        [
            in_window(outbound("oct-1", at(0, base=october), contact="31611111111")),
            in_window(outbound("oct-2", at(1, base=october), contact="31622222222")),
            in_window(template("oct-marketing", at(2, base=october), contact="31633333333")),
            in_window(outbound("nov-1", at(0, base=november), contact="31611111111")),
            in_window(outbound("nov-2", at(1, base=november), contact="31622222222")),
        ],
    )
    assert {m: row["billable_conversation_2023"] for m, row in billing.items()} == {
        "oct-1": False,  # within the tier of one
        "oct-2": True,
        "oct-marketing": True,  # the service tier does not cover marketing
        "nov-1": False,
        "nov-2": False,
    }


def test_user_and_business_initiated_conversations_in_2022(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            inbound("question", at(0, base=ERA_2022)),
            in_window(outbound("answer", at(1, base=ERA_2022))),
            in_window(template("offer", at(2, base=ERA_2022))),  # same thread: same conversation
            template("next-day", at(30, base=ERA_2022)),
        ],
    )
    assert verdicts(billing, "conversation_2022") == {
        "answer": (True, "answer"),
        "offer": (False, "answer"),
        "next-day": (True, "next-day"),
    }
    assert billing["answer"]["priced_category"] == "user_initiated"
    assert billing["next-day"]["priced_category"] == "business_initiated"


# --- free entry points --------------------------------------------------------------------------


def test_the_reply_to_an_ad_opens_a_72_hour_free_entry_point(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    rows = [
        inbound("from-ad", at(0, base=ERA_2023), referral_source="ad"),
        in_window(outbound("reply", at(1, base=ERA_2023))),
        template("offer-day-3", at(50, base=ERA_2023), category="marketing"),
        template("offer-after", at(73, base=ERA_2023), category="marketing"),
    ]
    billing = price(con, settings, rows)
    assert verdicts(billing, "conversation_2023") == {
        "reply": (False, "reply"),
        "offer-day-3": (False, "reply"),
        "offer-after": (True, "offer-after"),
    }
    assert billing["offer-day-3"]["priced_category"] == "referral_conversion"
    assert {m: row["billable_per_message_2025"] for m, row in billing.items()} == {
        "reply": False,
        "offer-day-3": False,
        "offer-after": True,
    }


def test_a_page_button_referral_in_2022_makes_the_replys_conversation_free(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            inbound("from-page", at(0, base=ERA_2022), referral_source="page"),
            in_window(outbound("reply", at(1, base=ERA_2022))),
            template("offer-day-2", at(30, base=ERA_2022)),
        ],
    )
    assert verdicts(billing, "conversation_2022") == {
        "reply": (False, "reply"),
        "offer-day-2": (True, "offer-day-2"),  # 24h conversations in 2022, not 72h
    }


def test_a_reply_more_than_24_hours_after_the_ad_opens_no_free_entry_point(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            inbound("from-ad", at(0, base=ERA_2023), referral_source="ad"),
            template("late-reply", at(24, base=ERA_2023), category="marketing"),
        ],
    )
    assert verdicts(billing, "conversation_2023") == {"late-reply": (True, "late-reply")}


# --- per-message pricing ------------------------------------------------------------------------


def test_utility_is_free_inside_a_window_and_chargeable_outside(con, settings):
    billing = price(
        con,
        settings,
        [
            in_window(template("utility-inside", at(0, base=ERA_2025), category="utility")),
            template("utility-outside", at(30, base=ERA_2025), category="utility"),
            in_window(template("marketing-inside", at(1, base=ERA_2025), category="marketing")),
            in_window(template("auth-inside", at(2, base=ERA_2025), category="authentication")),
            in_window(outbound("text-inside", at(3, base=ERA_2025))),
        ],
    )
    assert {m: (r["regime"], r["billable"], r["charge_unit"]) for m, r in billing.items()} == {
        "auth-inside": ("per_message_2025", True, "message"),
        "marketing-inside": ("per_message_2025", True, "message"),
        "text-inside": ("per_message_2025", False, None),
        "utility-inside": ("per_message_2025", False, None),
        "utility-outside": ("per_message_2025", True, "message"),
    }
    # as priced from October 2026 (what-if): utility inside the window is chargeable too
    assert billing["utility-inside"]["billable_per_message_2026_10"] is True


def test_2026_10_charges_service_messages_beyond_the_monthly_allowance(con, settings):
    settings = with_settings(settings, free_service_messages_per_month=2)
    billing = price(
        con, settings, [in_window(outbound(f"text-{n}", at(n, base=ERA_2025))) for n in range(1, 4)]
    )
    assert {m: r["billable_per_message_2026_10"] for m, r in billing.items()} == {
        "text-1": False,
        "text-2": False,
        "text-3": True,
    }
    assert {m: r["billable_per_message_2025"] for m, r in billing.items()} == {
        "text-1": False,
        "text-2": False,
        "text-3": False,
    }


def test_session_2019_charges_templates_outside_a_window_only(con, settings):
    billing = price(
        con,
        settings,
        [
            template("outside", at(0)),
            in_window(template("inside", at(1))),
            in_window(outbound("text", at(2))),
        ],
    )
    assert {m: r["billable_session_2019"] for m, r in billing.items()} == {
        "outside": True,
        "inside": False,
        "text": False,
    }


# --- failed, missing categories -----------------------------------------------------------------


def test_failed_and_undelivered_sends_are_never_billable_and_open_nothing(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            template("failed", at(0, base=ERA_2023), status="failed"),
            template("only-sent", at(0.5, base=ERA_2023), status="sent"),
            template("delivered", at(1, base=ERA_2023)),
            template("read", at(2, base=ERA_2023), status="read"),
        ],
    )
    for regime in (
        "session_2019",
        "conversation_2022",
        "conversation_2023",
        "per_message_2025",
        "per_message_2026_10",
    ):
        assert billing["failed"][f"billable_{regime}"] is False
        assert billing["only-sent"][f"billable_{regime}"] is False
    assert verdicts(billing, "conversation_2023") == {
        "failed": (False, None),
        "only-sent": (False, None),
        "delivered": (True, "delivered"),
        "read": (False, "delivered"),
    }


def test_a_template_without_category_is_priced_as_marketing_and_counted(con, settings):
    billing = price(
        con,
        settings,
        [
            in_window(template("no-category", at(0, base=ERA_2025), category=None)),
            in_window(template("utility", at(1, base=ERA_2025), category="utility")),
        ],
    )
    assert billing["no-category"]["priced_category"] == "marketing"
    assert billing["no-category"]["category_missing"] is True
    assert billing["no-category"]["billable"] is True  # marketing: chargeable in the window
    assert billing["utility"]["category_missing"] is False


# --- regime calendar in the business time zone --------------------------------------------------


def test_the_regime_follows_the_send_date_in_the_business_time_zone(con, settings):
    amsterdam = with_settings(settings, business_time_zone="Europe/Amsterdam")
    billing = price(
        con,
        amsterdam,
        [
            template("late-june-utc", datetime(2025, 6, 30, 23, 30, tzinfo=UTC)),
            template(
                "late-january-utc", datetime(2022, 1, 31, 23, 30, tzinfo=UTC), contact="31622222222"
            ),
            template(
                "late-may-utc", datetime(2023, 5, 31, 22, 30, tzinfo=UTC), contact="31633333333"
            ),
        ],
    )
    assert {m: r["regime"] for m, r in billing.items()} == {
        "late-june-utc": "per_message_2025",  # 01:30 on 1 July in Amsterdam
        "late-january-utc": "conversation_2022",
        "late-may-utc": "conversation_2023",  # 00:30 on 1 June in Amsterdam
    }


def test_the_same_instants_in_utc_fall_in_the_earlier_regimes(con, settings):
    billing = price(
        con,
        settings,
        [
            template("late-june-utc", datetime(2025, 6, 30, 23, 30, tzinfo=UTC)),
            template(
                "late-january-utc", datetime(2022, 1, 31, 23, 30, tzinfo=UTC), contact="31622222222"
            ),
        ],
    )
    assert {m: r["regime"] for m, r in billing.items()} == {
        "late-june-utc": "conversation_2023",
        "late-january-utc": "session_2019",
    }


def test_per_message_2026_10_is_in_force_from_october_2026_by_default(con, settings):
    rows = [
        template("september-2026", datetime(2026, 9, 30, 12, 0, tzinfo=UTC)),
        template("october-2026", datetime(2026, 10, 1, 12, 0, tzinfo=UTC)),
    ]
    billing = price(con, settings, rows)
    assert {m: r["regime"] for m, r in billing.items()} == {
        "september-2026": "per_message_2025",
        "october-2026": "per_message_2026_10",
    }


def test_switching_per_message_2026_10_off_keeps_per_message_2025_in_force(con, settings):
    disabled = with_settings(settings, regimes_switched_off=("per_message_2026_10",))
    rows = [template("october-2026", datetime(2026, 10, 1, 12, 0, tzinfo=UTC))]
    billing = price(con, disabled, rows)
    assert billing["october-2026"]["regime"] == "per_message_2025"
    # still priced under it, for what-if comparison
    assert billing["october-2026"]["billable_per_message_2026_10"] is True


# --- message_billing -----------------------------------------------------------------------------


def test_message_billing_has_one_row_per_message_and_regime(con, settings):
    settings = with_settings(settings, free_conversations_per_month=0)
    price(
        con,
        settings,
        [
            template("offer", at(0, base=ERA_2023)),
            template("again", at(1, base=ERA_2023)),
        ],
    )
    rows = con.execute(
        "select message_id, regime, billable, conversation_id from message_billing "
        "order by message_id, regime"
    ).fetchall()
    assert rows == [
        ("again", "conversation_2022", False, "offer"),
        ("again", "conversation_2023", False, "offer"),
        ("again", "per_message_2025", True, None),
        ("again", "per_message_2026_10", True, None),
        ("again", "session_2019", True, None),
        ("offer", "conversation_2022", True, "offer"),
        ("offer", "conversation_2023", True, "offer"),
        ("offer", "per_message_2025", True, None),
        ("offer", "per_message_2026_10", True, None),
        ("offer", "session_2019", True, None),
    ]
