"""Reconciliation with Meta's own pricing, message by message, both verdicts listed."""

from __future__ import annotations

from datetime import UTC, datetime

from rows import at, inbound, outbound, template
from test_pricing_fixtures import in_window, price

PER_MESSAGE_ERA = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
CONVERSATION_ERA = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def meta(billable, category, pricing_type=None, model="PMP") -> dict:
    return {
        "meta_billable": billable,
        "meta_category": category,
        "meta_pricing_type": pricing_type,
        "meta_pricing_model": model,
    }


def reconciliation(con) -> dict:
    rows = con.execute(
        "select message_id, regime, estimated_billable, meta_billable, estimated_category,"
        " meta_category, agrees, disagreement from pricing_reconciliation order by message_id"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_each_message_with_meta_pricing_is_compared_part_by_part(con, settings):
    price(
        con,
        settings,
        [
            template(
                "agreed-marketing",
                at(0, base=PER_MESSAGE_ERA),
                **meta(True, "marketing", "regular"),
            ),
            # inside a window of its own thread, which the messages below are not
            in_window(
                template(
                    "agreed-free-utility",
                    at(1, base=PER_MESSAGE_ERA),
                    category="utility",
                    contact="31622222222",
                    **meta(False, "utility", "free_customer_service"),
                )
            ),
            template(
                "meta-saw-a-window",
                at(2, base=PER_MESSAGE_ERA),
                category="utility",
                **meta(False, "utility", "free_customer_service"),
            ),
            template(
                "recategorised",
                at(3, base=PER_MESSAGE_ERA),
                category="utility",
                **meta(True, "marketing", "regular"),
            ),
            template("no-meta-pricing", at(4, base=PER_MESSAGE_ERA)),
        ],
    )
    assert reconciliation(con) == {
        "agreed-marketing": ("per_message_2025", True, True, "marketing", "marketing", True, None),
        "agreed-free-utility": ("per_message_2025", False, False, "utility", "utility", True, None),
        "meta-saw-a-window": (
            "per_message_2025",
            True,
            False,
            "utility",
            "utility",
            False,
            "billable, pricing type",
        ),
        "recategorised": (
            "per_message_2025",
            True,
            True,
            "utility",
            "marketing",
            False,
            "category",
        ),
    }


def test_conversation_messages_follow_metas_billable_convention(con, settings):
    # Meta marks every message of a paid conversation billable, not only the one that opened it
    price(
        con,
        settings,
        [
            template("opens", at(0, base=CONVERSATION_ERA), **meta(True, "marketing", model="CBP")),
            template(
                "inside", at(1, base=CONVERSATION_ERA), **meta(True, "marketing", model="CBP")
            ),
        ],
    )
    assert reconciliation(con) == {
        "opens": ("conversation_2023", True, True, "marketing", "marketing", True, None),
        "inside": ("conversation_2023", True, True, "marketing", "marketing", True, None),
    }
    charged = con.execute("select message_id, billable from message_facts order by message_id")
    assert charged.fetchall() == [("inside", False), ("opens", True)]


def test_free_tier_conversations_are_still_billable_in_metas_webhooks(con, settings):
    june_2022 = datetime(2022, 6, 6, 9, 0, tzinfo=UTC)
    price(
        con,
        settings,
        [
            template(
                "in-free-tier",
                at(0, base=june_2022),
                **meta(True, "business_initiated", model="CBP"),
            ),
        ],
    )
    assert reconciliation(con) == {
        "in-free-tier": (
            "conversation_2022",
            True,
            True,
            "business_initiated",
            "business_initiated",
            True,
            None,
        ),
    }
    charged = con.execute("select billable from message_facts").fetchall()
    assert charged == [(False,)]


def test_a_wrong_business_time_zone_shows_as_a_pricing_model_disagreement(con, settings):
    # 23:30 UTC on 30 June is 1 July in Amsterdam, where Meta already priced per message
    price(
        con,
        settings,
        [
            template(
                "switch-night",
                datetime(2025, 6, 30, 23, 30, tzinfo=UTC),
                **meta(True, "marketing", "regular", model="PMP"),
            ),
        ],
    )
    assert reconciliation(con) == {
        "switch-night": (
            "conversation_2023",
            True,
            True,
            "marketing",
            "marketing",
            False,
            "pricing model",
        ),
    }


def test_metas_newer_pricing_words_are_understood(con, settings):
    price(
        con,
        settings,
        [
            template(
                "auth-international",
                at(0, base=PER_MESSAGE_ERA),
                category="authentication",
                **meta(True, "authentication-international", "regular"),
            ),
            template(
                "marketing-lite",
                at(1, base=PER_MESSAGE_ERA),
                **meta(True, "marketing_lite", "regular"),
            ),
            in_window(
                outbound(
                    "group-reply",
                    at(2, base=PER_MESSAGE_ERA),
                    **meta(False, "group_service", "free_group_customer_service"),
                )
            ),
            inbound(
                "ad-click", at(3, base=PER_MESSAGE_ERA), contact="31622222222", referral_source="ad"
            ),
            in_window(
                outbound(
                    "entry-reply",
                    at(3.5, base=PER_MESSAGE_ERA),
                    contact="31622222222",
                    **meta(False, "referral_conversion", "free_entry_point"),
                )
            ),
        ],
    )
    assert {m: (row[5], row[6]) for m, row in reconciliation(con).items()} == {
        "auth-international": (True, None),
        "marketing-lite": (True, None),
        "group-reply": (True, None),
        "entry-reply": (True, None),
    }


def test_metas_pricing_subtype_stands_beside_its_verdict(con, settings):
    # given a service message Meta charged as paid_exempt (October 2026), and one without
    october = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    price(
        con,
        settings,
        [
            in_window(
                outbound(
                    "exempt",
                    at(0, base=october),
                    **meta(True, "service", "regular"),
                    meta_pricing_subtype="paid_exempt",
                )
            ),
            in_window(outbound("plain", at(1, base=october), **meta(False, "service"))),
        ],
    )
    assert con.execute(
        "select message_id, meta_pricing_type, meta_pricing_subtype from pricing_reconciliation "
        "order by message_id"
    ).fetchall() == [("exempt", "regular", "paid_exempt"), ("plain", None, None)]
