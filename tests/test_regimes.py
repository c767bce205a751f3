"""The regime registry: one list of regimes that every table, check and report reads,
and billing_reason, given / expect under each regime's rule."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rows import at, inbound, insert_messages, outbound, template
from test_pricing_fixtures import add_rates, in_window, price

from analytics import regimes
from analytics.checks import run_check
from analytics.config import ConfigError
from analytics.db import fetch_all
from analytics.rebuild import rebuild_warehouse

ERA_2022 = datetime(2022, 6, 6, 9, 0, tzinfo=UTC)
ERA_2023 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
ERA_2024_11 = datetime(2024, 11, 4, 9, 0, tzinfo=UTC)  # service conversations free
ERA_2025 = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
ERA_2026_10 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def reasons(billing: dict, regime: str) -> dict:
    return {message_id: row[f"billing_reason_{regime}"] for message_id, row in billing.items()}


# --- billing_reason under each rule --------------------------------------------------------------


def test_session_2019_reasons(con, settings):
    billing = price(
        con,
        settings,
        [
            template("outside", at(0)),
            in_window(template("inside", at(1))),
            in_window(outbound("text", at(2))),
            template("failed", at(3), status="failed"),
        ],
    )
    assert reasons(billing, "session_2019") == {
        "outside": "chargeable",
        "inside": "inside_customer_service_window",
        "text": "inside_customer_service_window",
        "failed": "not_delivered",
    }


def test_conversation_2022_reasons(con, settings):
    settings = dataclasses.replace(settings, free_conversations_per_month=1)
    billing = price(
        con,
        settings,
        [
            inbound("ad-click", at(0, base=ERA_2022), referral_source="ad"),
            in_window(outbound("ad-reply", at(1, base=ERA_2022))),
            template("first", at(0, base=ERA_2022), contact="31622222222"),
            template("same-conversation", at(2, base=ERA_2022), contact="31622222222"),
            template("second", at(0, base=ERA_2022), contact="31633333333"),
        ],
    )
    assert reasons(billing, "conversation_2022") == {
        "ad-reply": "free_entry_point",
        "first": "free_tier",  # the month's first conversation: inside the free 1
        "same-conversation": "in_open_conversation",
        "second": "beyond_free_tier",  # charged because the free 1 was used up
    }


def test_conversation_2023_reasons(con, settings):
    settings = dataclasses.replace(settings, free_conversations_per_month=0)
    billing = price(
        con,
        settings,
        [
            in_window(outbound("service-before-november", at(0, base=ERA_2023))),
            in_window(outbound("service-later", at(1, base=ERA_2023))),
            in_window(
                outbound("service-after-november", at(0, base=ERA_2024_11), contact="3162222")
            ),
            template("utility", at(0, base=ERA_2023), category="utility", contact="31633333"),
        ],
    )
    assert reasons(billing, "conversation_2023") == {
        "service-before-november": "chargeable",
        "service-later": "in_open_conversation",
        "service-after-november": "service_free",
        "utility": "chargeable",
    }


def test_per_message_2025_reasons(con, settings):
    billing = price(
        con,
        settings,
        [
            inbound("ad-click", at(0, base=ERA_2025), referral_source="page"),
            in_window(outbound("entry-reply", at(1, base=ERA_2025))),
            in_window(template("utility-in", at(0, base=ERA_2025), "utility", contact="316222")),
            template("utility-out", at(30, base=ERA_2025), "utility", contact="316222"),
            in_window(outbound("text", at(1, base=ERA_2025), contact="316222")),
            template("failed", at(2, base=ERA_2025), contact="316222", status="failed"),
        ],
    )
    assert reasons(billing, "per_message_2025") == {
        "entry-reply": "free_entry_point",
        "utility-in": "inside_customer_service_window",
        "utility-out": "chargeable",
        "text": "service_free",
        "failed": "not_delivered",
    }


def test_per_message_2026_10_charges_service_beyond_the_free_tier_per_number(con, settings):
    settings = dataclasses.replace(settings, free_service_messages_per_month=1)
    billing = price(
        con,
        settings,
        [
            in_window(outbound("text-1", at(0, base=ERA_2026_10))),
            in_window(outbound("text-2", at(1, base=ERA_2026_10))),
            # another business number has its own tier
            in_window(outbound("other-number", at(2, base=ERA_2026_10), business_number="3120")),
            in_window(template("utility-in", at(3, base=ERA_2026_10), "utility")),
        ],
    )
    assert {m: (r["regime"], r["billable"], r["billing_reason"]) for m, r in billing.items()} == {
        "text-1": ("per_message_2026_10", False, "free_tier"),
        "text-2": ("per_message_2026_10", True, "beyond_free_tier"),
        "other-number": ("per_message_2026_10", False, "free_tier"),
        "utility-in": ("per_message_2026_10", True, "chargeable"),
    }


def test_service_messages_under_2026_10_are_charged_at_the_cards_service_rate(con, settings):
    # given a card whose Service column gives a rate, and no free tier (size 0: no tier)
    settings = dataclasses.replace(settings, free_service_messages_per_month=0)
    add_rates(
        con,
        [
            ("2026-10-01", "Netherlands", "utility", 0.0500),
            ("2026-10-01", "Netherlands", "service", 0.0400),
        ],
    )
    billing = price(con, settings, [in_window(outbound("text", at(0, base=ERA_2026_10)))])
    # expect the Service rate, and plain chargeable: no tier was used up
    assert billing["text"]["estimated_cost"] == Decimal("0.04")
    assert billing["text"]["billing_reason"] == "chargeable"


def test_a_card_without_a_service_rate_prices_service_at_the_utility_rate(con, settings):
    # given the card in force says n/a for Service (no rate), and an older card that had one
    settings = dataclasses.replace(settings, free_service_messages_per_month=0)
    add_rates(
        con,
        [
            ("2024-01-01", "Netherlands", "utility", 0.0300),
            ("2024-01-01", "Netherlands", "service", 0.0100),
            ("2026-04-01", "Netherlands", "utility", 0.0500),
        ],
    )
    billing = price(con, settings, [in_window(outbound("text", at(0, base=ERA_2026_10)))])
    # expect the utility rate of the card in force, never the replaced card's Service rate
    assert billing["text"]["estimated_cost"] == Decimal("0.05")
    assert billing["text"]["rate_card"] == "rate card effective 2026-04-01"


def test_beyond_free_tier_against_free_tier_and_chargeable(con, settings):
    # given a free tier of 2 service messages a month per number, and a marketing template
    settings = dataclasses.replace(settings, free_service_messages_per_month=2)
    billing = price(
        con,
        settings,
        [
            in_window(outbound("text-1", at(0, base=ERA_2026_10))),
            in_window(outbound("text-2", at(1, base=ERA_2026_10))),
            in_window(outbound("text-3", at(2, base=ERA_2026_10))),
            in_window(outbound("failed", at(3, base=ERA_2026_10), status="failed")),
            template("promo", at(4, base=ERA_2026_10), "marketing"),
        ],
    )
    assert {m: (r["billable"], r["billing_reason"]) for m, r in billing.items()} == {
        "text-1": (False, "free_tier"),
        "text-2": (False, "free_tier"),
        "text-3": (True, "beyond_free_tier"),  # charged only because the tier was used up
        "failed": (False, "not_delivered"),
        "promo": (True, "chargeable"),  # a template has no free tier: plain chargeable
    }


# --- the registry --------------------------------------------------------------------------------


def test_pricing_regimes_publishes_the_calendar(con, settings):
    regimes.write_pricing_regimes(con, settings)
    rows = fetch_all(
        con,
        "select regime, in_force_from, in_force_until, enabled, charge_unit from pricing_regimes "
        "order by position",
    )
    assert rows == [
        ("session_2019", date(1, 1, 1), date(2022, 1, 31), True, "message"),
        ("conversation_2022", date(2022, 2, 1), date(2023, 5, 31), True, "conversation"),
        ("conversation_2023", date(2023, 6, 1), date(2025, 6, 30), True, "conversation"),
        ("per_message_2025", date(2025, 7, 1), date(2026, 9, 30), True, "message"),
        ("per_message_2026_10", date(2026, 10, 1), None, True, "message"),
    ]
    regimes.write_pricing_regimes(
        con, dataclasses.replace(settings, regimes_switched_off=("per_message_2026_10",))
    )
    assert fetch_all(
        con,
        "select regime, in_force_until, enabled from pricing_regimes "
        "where regime like 'per_message%' order by position",
    ) == [("per_message_2025", None, True), ("per_message_2026_10", None, False)]


# The tests' own made-up regime: a name no real regime will have, in force long after every
# real one, so that adding Meta's next regime to the registry never collides with it.
TEST_REGIME = "test_only_per_message"
TEST_REGIME_FROM = date(2099, 1, 1)
NEXT_REGIME = f"""
[[regime]]
name = "{TEST_REGIME}"
label = "Per message (a test's made-up regime)"
in_force_from = {TEST_REGIME_FROM.isoformat()}
confirmed_by_meta = false
charge_unit = "message"
pricing_model = "PMP"
volume_tiers = false
settings = []
source = "a test"
"""

# As per_message_2026_10, but authentication templates are free (a made-up rule).
NEXT_RULE = f"""
with messages as (
    select * from int_pricing_messages
)
select
    messages.*,
    '{TEST_REGIME}' as regime,
    null::bigint as conversation_key,
    null::varchar as conversation_id,
    priced_template_category as priced_category,
    priced_template_category as rate_category,
    delivered and priced_template_category <> 'authentication' as charge_candidate,
    null::varchar as free_tier_owner,
    null::bigint as free_tier_size,
    case when not delivered then 'not_delivered'
        when priced_template_category = 'authentication' then 'service_free'
        else 'chargeable' end as billing_reason,
    null::boolean as expected_meta_billable
from messages
"""
IN_TEST_REGIME = datetime(2099, 1, 5, 9, 0, tzinfo=UTC)
BEFORE_TEST_REGIME = datetime(2098, 12, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def next_regime(tmp_path, monkeypatch) -> Path:
    """The shipped registry and rules, copied, with the test's made-up regime added."""
    folder = tmp_path / "registry"
    shutil.copytree(regimes.REGISTRY_FILE.parent / regimes.RULES_FOLDER, folder / "sql/regimes")
    registry = folder / "pricing_regimes.toml"
    registry.write_text(regimes.REGISTRY_FILE.read_text() + NEXT_REGIME)
    (folder / f"sql/regimes/{TEST_REGIME}.sql").write_text(NEXT_RULE)
    monkeypatch.setattr(regimes, "REGISTRY_FILE", registry)
    return folder


def test_a_regime_added_to_the_registry_is_priced_everywhere(con, settings, next_regime):
    latest_real = regimes.load_registry(regimes.REGISTRY_FILE)[-2].name
    insert_messages(
        con,
        [
            template("code", IN_TEST_REGIME, "authentication"),
            template("offer", IN_TEST_REGIME + timedelta(hours=1), "marketing"),
            template("older", BEFORE_TEST_REGIME, "authentication"),
        ],
    )
    add_rates(con, [("2026-04-01", "Netherlands", "marketing", 0.1597)])
    rebuild_warehouse(con, settings)
    assert fetch_all(
        con, "select message_id, regime, billable, billing_reason from message_facts order by 1"
    ) == [
        ("code", TEST_REGIME, False, "service_free"),
        ("offer", TEST_REGIME, True, "chargeable"),
        ("older", latest_real, True, "chargeable"),
    ]
    in_force = {latest_real: 1, TEST_REGIME: 2}
    assert fetch_all(
        con,
        "select regime, count(*), count_if(in_force) from message_billing group by 1 order by 1",
    ) == sorted((name, 3, in_force.get(name, 0)) for name in regimes.regime_names())
    assert fetch_all(
        con,
        "select regime, sum(outbound_messages), sum(chargeable_messages) from daily_costs "
        "where in_force group by 1 order by 1",
    ) == sorted([(latest_real, 1, 1), (TEST_REGIME, 2, 1)])
    assert fetch_all(
        con, "select in_force_until from pricing_regimes where regime = ?", [latest_real]
    ) == [(TEST_REGIME_FROM - timedelta(days=1),)]
    for check in (
        "pricing_every_regime_prices_every_message",
        "pricing_billing_reason_follows_verdict",
        "daily_costs_add_up_to_message_facts",
        "pricing_cost_matches_verdict",
    ):
        assert run_check(con, check) is None, check


def test_a_rule_that_leaves_messages_unpriced_fails_a_data_check(con, settings, next_regime):
    rule = next_regime / f"sql/regimes/{TEST_REGIME}.sql"
    # a rule that forgot to decide: its messages get no verdict
    rule.write_text(
        NEXT_RULE.replace(
            "delivered and priced_template_category <> 'authentication' as charge_candidate",
            "null::boolean as charge_candidate",
        )
    )
    insert_messages(con, [template("code", IN_TEST_REGIME)])
    rebuild_warehouse(con, settings)
    failure = run_check(con, "pricing_every_regime_prices_every_message")
    assert failure is not None
    assert [row[0] for row in failure.sample] == [TEST_REGIME]


# --- every forgotten piece of a new regime stops the rebuild, naming it --------------------------


def test_a_rule_file_without_a_registry_entry_stops_the_rebuild(con, settings, next_regime):
    # given a rule written for a regime whose registry entry was forgotten
    (next_regime / "sql/regimes/test_only_forgotten.sql").write_text(NEXT_RULE)
    insert_messages(con, [template("code", IN_TEST_REGIME)])
    # expect the rebuild to stop, naming the file (its messages would go to another regime)
    with pytest.raises(
        regimes.RegistryError,
        match=r"test_only_forgotten\.sql: a pricing rule without a registry entry",
    ):
        rebuild_warehouse(con, settings)


def test_a_registry_entry_naming_an_unknown_setting_stops_the_rebuild(con, settings, next_regime):
    # given the made-up regime's entry naming a setting carewindow.toml does not have
    registry = next_regime / "pricing_regimes.toml"
    registry.write_text(
        registry.read_text().replace(
            'settings = []\nsource = "a test"',
            'settings = ["business.free_lunches_per_month"]\nsource = "a test"',
        )
    )
    insert_messages(con, [template("code", IN_TEST_REGIME)])
    # expect the rebuild to stop, naming the setting and the regime
    with pytest.raises(
        regimes.RegistryError,
        match=f"regime {TEST_REGIME}: settings names business.free_lunches_per_month, which "
        "carewindow.toml does not have",
    ):
        rebuild_warehouse(con, settings)


def test_a_registry_entry_without_its_rule_is_refused(tmp_path):
    registry = tmp_path / "pricing_regimes.toml"
    registry.write_text(NEXT_REGIME)
    with pytest.raises(regimes.RegistryError, match=f"{TEST_REGIME}.sql does not exist"):
        regimes.load_registry(registry)


def test_a_registry_entry_with_an_unknown_field_is_refused(tmp_path):
    registry = tmp_path / "pricing_regimes.toml"
    registry.write_text(NEXT_REGIME + 'in_force_to = "2028-01-01"\n')
    with pytest.raises(regimes.RegistryError, match="unknown field"):
        regimes.load_registry(registry)


def test_a_regime_name_that_cannot_name_columns_is_refused_when_the_registry_loads(tmp_path):
    # every regime's verdict is a column <regime>_<field>: the name must make an identifier
    registry = tmp_path / "pricing_regimes.toml"
    registry.write_text(NEXT_REGIME.replace(TEST_REGIME, "test-only per message"))
    with pytest.raises(regimes.RegistryError, match="lower-case letters, digits and _"):
        regimes.load_registry(registry)


def test_a_conversation_regime_whose_conversations_no_chain_step_walks_is_refused(tmp_path):
    # given a conversation regime with its rule, but no chains in the chain steps
    registry = tmp_path / "pricing_regimes.toml"
    registry.write_text(
        NEXT_REGIME.replace(TEST_REGIME, "test_only_per_conversation").replace(
            'charge_unit = "message"', 'charge_unit = "conversation"'
        )
    )
    (tmp_path / "sql/regimes").mkdir(parents=True)
    (tmp_path / "sql/regimes/test_only_per_conversation.sql").write_text(NEXT_RULE)
    with pytest.raises(regimes.RegistryError, match="no chain step"):
        regimes.load_registry(registry)


# --- switching a regime off: one setting for every regime ----------------------------------------


def test_a_switch_for_a_regime_the_registry_does_not_have_stops_the_rebuild(con, settings):
    # given a typo in carewindow.toml's [regimes]
    settings = dataclasses.replace(settings, regimes_switched_off=("per_mesage_2026_10",))
    with pytest.raises(ConfigError, match=r"\[regimes\] per_mesage_2026_10 = false switches off"):
        rebuild_warehouse(con, settings)


def test_the_first_regime_cannot_be_switched_off(con, settings):
    settings = dataclasses.replace(settings, regimes_switched_off=("session_2019",))
    with pytest.raises(ConfigError, match="the first regime cannot be switched off"):
        rebuild_warehouse(con, settings)


def test_any_regime_is_switched_off_the_same_way(con, settings, next_regime):
    # given the made-up regime switched off by name, as every regime is
    settings = dataclasses.replace(settings, regimes_switched_off=(TEST_REGIME,))
    insert_messages(con, [template("code", IN_TEST_REGIME, "authentication")])
    rebuild_warehouse(con, settings)
    latest_real = regimes.load_registry(regimes.REGISTRY_FILE)[-2].name
    # expect the regime before it in force, and the made-up one still priced (what-if)
    assert fetch_all(con, "select regime from message_facts") == [(latest_real,)]
    assert fetch_all(
        con, "select billing_reason from message_billing where regime = ?", [TEST_REGIME]
    ) == [("service_free",)]
