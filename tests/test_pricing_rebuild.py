"""Pricing end to end through rebuild_warehouse(), and the pricing data checks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rows import at, inbound, insert_messages, outbound, template
from test_pricing_fixtures import NL, add_rates, in_window, price

from analytics.checks import check_names, run_check
from analytics.db import SQL_DIR
from analytics.rebuild import rebuild_warehouse

CARE_WINDOW_STEPS_EXIST = (Path(SQL_DIR) / "int_outbound.sql").exists()
needs_care_windows = pytest.mark.skipif(
    not CARE_WINDOW_STEPS_EXIST, reason="int_outbound.sql (care-window steps) not written yet"
)
PRICING_CHECKS = [name for name in check_names() if name.startswith("pricing_")]
SEPTEMBER_2025 = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
MARCH_2024 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def busy_history() -> list[dict]:
    """A little of everything: windows, referrals, failures, both eras, several threads."""
    return [
        inbound("q1", at(0, base=MARCH_2024), referral_source="ad"),
        outbound("a1", at(1, base=MARCH_2024)),
        template("t1", at(30, base=MARCH_2024), category="utility"),
        template("t2", at(80, base=MARCH_2024), category=None),
        template("t3", at(81, base=MARCH_2024), status="failed"),
        inbound("q2", at(0, base=SEPTEMBER_2025), contact="17875551234"),
        outbound("a2", at(1, base=SEPTEMBER_2025), contact="17875551234"),
        template("t4", at(2, base=SEPTEMBER_2025), contact="17875551234", category="utility"),
        template("t5", at(30, base=SEPTEMBER_2025), contact="17875551234", category="utility"),
        template("t6", at(31, base=SEPTEMBER_2025), contact="17875551234"),
    ]


@needs_care_windows
def test_the_rebuild_prices_every_outbound_message(con, settings):
    insert_messages(con, busy_history())
    add_rates(
        con,
        [
            ("2024-01-01", "Netherlands", "marketing", 0.15),
            ("2024-01-01", "Netherlands", "utility", 0.06),
            ("2025-07-01", "Rest of Latin America", "utility", 0.01),
        ],
    )
    rebuild_warehouse(con, settings)
    facts = con.execute(
        "select message_id, market, regime, billable, charge_unit, conversation_id,"
        " estimated_cost, category_missing from message_facts order by message_id"
    ).fetchall()
    assert facts == [
        ("a1", "Netherlands", "conversation_2023", False, None, "a1", 0, False),
        ("a2", "Rest of Latin America", "per_message_2025", False, None, None, 0, False),
        # in the 72h free entry point opened by the reply a1
        ("t1", "Netherlands", "conversation_2023", False, None, "a1", 0, False),
        (
            "t2",
            "Netherlands",
            "conversation_2023",
            True,
            "conversation",
            "t2",
            Decimal("0.15"),
            True,
        ),
        ("t3", "Netherlands", "conversation_2023", False, None, None, 0, False),
        ("t4", "Rest of Latin America", "per_message_2025", False, None, None, 0, False),
        (
            "t5",
            "Rest of Latin America",
            "per_message_2025",
            True,
            "message",
            None,
            Decimal("0.01"),
            False,
        ),
        # marketing in Rest of Latin America has no rate: unknown, not zero
        ("t6", "Rest of Latin America", "per_message_2025", True, "message", None, None, False),
    ]
    per_message = con.execute(
        "select regime, count(*), count(*) filter (where billable) from message_billing"
        " group by regime order by regime"
    ).fetchall()
    assert per_message == [
        ("conversation_2022", 8, 0),  # all within the 1,000 free conversations a month
        ("conversation_2023", 8, 4),  # t2, t4 (utility in the window), t5, t6
        ("per_message_2025", 8, 3),  # t2, t5, t6
        ("per_message_2026_10", 8, 4),  # and t4: utility inside the window too
        ("session_2019", 8, 4),  # t1 (no free entry points in 2019), t2, t5, t6
    ]


@needs_care_windows
def test_the_rebuild_reconciles_with_meta(con, settings):
    insert_messages(
        con,
        [
            inbound("q", at(0, base=SEPTEMBER_2025)),
            template(
                "utility",
                at(1, base=SEPTEMBER_2025),
                category="utility",
                meta_billable=False,
                meta_category="utility",
                meta_pricing_type="free_customer_service",
                meta_pricing_model="PMP",
            ),
            template(
                "marketing",
                at(2, base=SEPTEMBER_2025),
                meta_billable=False,
                meta_category="marketing",
                meta_pricing_type="free_customer_service",
                meta_pricing_model="PMP",
            ),
        ],
    )
    rebuild_warehouse(con, settings)
    rows = con.execute(
        "select message_id, agrees, disagreement from pricing_reconciliation order by message_id"
    ).fetchall()
    assert rows == [("marketing", False, "billable, pricing type"), ("utility", True, None)]


@pytest.mark.parametrize("check", PRICING_CHECKS)
def test_pricing_checks_pass_on_a_busy_history(con, settings, check):
    history = [
        in_window(row) if row["message_id"] in {"a1", "a2", "t4"} else row for row in busy_history()
    ]
    add_rates(con, [("2024-01-01", "Netherlands", "marketing", 0.15)])
    price(con, settings.with_overrides(free_conversations_per_month=1), history)
    assert run_check(con, check) is None


def test_pricing_checks_catch_a_charge_on_a_failed_message(con, settings):
    price(
        con, settings, [template("failed", at(0, base=SEPTEMBER_2025), status="failed", contact=NL)]
    )
    con.execute("update storage.message_billing_by_regime set per_message_2025_billable = true")
    failure = run_check(con, "pricing_billable_only_when_delivered")
    assert failure is not None and failure.failing_rows == 1


# Each pricing check, shown to fail on a deliberately broken table.
BREAKAGES = {
    "pricing_cost_matches_verdict": (
        "update storage.message_billing_by_regime set session_2019_estimated_cost = 1"
        " where not session_2019_billable"
    ),
    "pricing_every_regime_prices_every_message": (
        "update storage.message_billing_by_regime set conversation_2022_billable = null"
        " where message_id = 't1'"
    ),
    "pricing_billing_reason_follows_verdict": (
        # stored as a code: an unknown reason cannot be written, a contradicting one can
        "update storage.message_billing_by_regime set session_2019_billing_reason = 'chargeable'"
        " where not session_2019_billable"
    ),
    "pricing_one_charge_per_conversation": (
        "update storage.message_billing_by_regime"
        " set conversation_2023_billable = true, conversation_2023_conversation_id = 'a1'"
    ),
    "pricing_rate_cards_unambiguous": (
        "insert into rate_cards (effective_from, market, category, currency, rate, tier_from,"
        " source_file, loaded_at) values ('2024-01-01', 'Netherlands', 'marketing', 'USD', 0.99,"
        " 0, 'second', now())"
    ),
}


def test_every_pricing_check_is_shown_to_fail():
    # pricing_billable_only_when_delivered: test_pricing_checks_catch_a_charge_on_a_failed_message
    assert set(BREAKAGES) | {"pricing_billable_only_when_delivered"} == set(PRICING_CHECKS)


@pytest.mark.parametrize("check", sorted(BREAKAGES))
def test_a_pricing_check_fails_on_a_broken_table(con, settings, check):
    history = [
        in_window(row) if row["message_id"] in {"a1", "a2", "t4"} else row for row in busy_history()
    ]
    add_rates(con, [("2024-01-01", "Netherlands", "marketing", 0.15)])
    price(con, settings.with_overrides(free_conversations_per_month=1), history)
    assert run_check(con, check) is None
    con.execute(BREAKAGES[check])
    assert run_check(con, check) is not None
