"""Cost in money: rate effective dates, unknown rates, volume tiers, given / expect."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from rows import at, template
from test_pricing_fixtures import NL, add_rates, in_window, price

from analytics import regimes
from analytics.db import fetch_all
from analytics.ingest import ingest_paths
from analytics.plan import declared_steps
from analytics.rebuild import materialize

INDIA = "919812345678"
ANOTHER_INDIAN_CUSTOMER = "919887654321"
JULY_2025 = datetime(2025, 7, 14, 9, 0, tzinfo=UTC)
# India's utility rate, and a second tier from the third charged message of a month
TWO_UTILITY_TIERS = [
    ("2025-07-01", "India", "utility", 0.0100, 0),
    ("2025-07-01", "India", "utility", 0.0080, 2),
]


def test_the_rate_in_force_on_the_send_date_applies(con, settings):
    add_rates(
        con,
        [
            ("2024-01-01", "Netherlands", "marketing", 0.10),
            ("2025-07-01", "Netherlands", "marketing", 0.20),
        ],
    )
    billing = price(
        con,
        settings,
        [
            template("before-cards", datetime(2023, 12, 31, 12, 0, tzinfo=UTC), contact=NL),
            template("old-card", datetime(2025, 6, 30, 12, 0, tzinfo=UTC), contact=NL),
            template("new-card", datetime(2025, 7, 1, 0, 0, tzinfo=UTC), contact=NL),
        ],
    )
    assert {
        m: (r["estimated_cost_per_message_2025"], r["cost_known"]) for m, r in billing.items()
    } == {
        "before-cards": (None, False),  # billable, but no card was in force yet
        "old-card": (Decimal("0.100000"), True),
        "new-card": (Decimal("0.200000"), True),
    }
    assert billing["new-card"]["currency"] == "USD"
    assert billing["new-card"]["estimated_cost"] == Decimal("0.200000")


def test_a_market_or_category_without_a_rate_has_an_unknown_cost_never_zero(con, settings):
    add_rates(con, [("2024-01-01", "Netherlands", "marketing", 0.10)])
    billing = price(
        con,
        settings,
        [
            template("nl-marketing", at(0, base=JULY_2025), contact=NL),
            template("nl-utility", at(1, base=JULY_2025), contact=NL, category="utility"),
            template("brazil", at(2, base=JULY_2025), contact="5511912345678"),
            template("no-such-code", at(3, base=JULY_2025), contact="999123"),
            in_window(
                template("free-utility", at(4, base=JULY_2025), contact=NL, category="utility")
            ),
        ],
    )
    assert {
        m: (r["market"], r["billable"], r["estimated_cost"], r["cost_known"])
        for m, r in billing.items()
    } == {
        "nl-marketing": ("Netherlands", True, Decimal("0.100000"), True),
        "nl-utility": ("Netherlands", True, None, False),
        "brazil": ("Brazil", True, None, False),
        "no-such-code": (None, True, None, False),
        "free-utility": ("Netherlands", False, Decimal("0"), True),
    }
    unknown = con.execute(
        "select count(*) from message_facts where billable and not cost_known"
    ).fetchall()
    assert unknown == [(3,)]


def test_volume_tiers_count_the_whole_portfolio_per_market_category_and_month(con, settings):
    # Meta counts a market's charged messages of a category across every business account
    add_rates(con, [*TWO_UTILITY_TIERS, ("2025-07-01", "India", "marketing", 0.0500, 0)])
    august = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)
    billing = price(
        con,
        settings,
        [
            template("u1", at(0, base=JULY_2025), contact=INDIA, category="utility"),
            # free inside its window (another customer's thread: the window is theirs alone)
            in_window(
                template(
                    "free-u",
                    at(1, base=JULY_2025),
                    contact=ANOTHER_INDIAN_CUSTOMER,
                    category="utility",
                )
            ),
            template("u2", at(2, base=JULY_2025), contact=INDIA, category="utility"),
            template("u3", at(3, base=JULY_2025), contact=INDIA, category="utility"),
            template("m1", at(4, base=JULY_2025), contact=INDIA, category="marketing"),
            template("u4", at(5, base=JULY_2025), contact=INDIA, category="utility"),
            template(
                "other-account",
                at(6, base=JULY_2025),
                contact=INDIA,
                category="utility",
                waba_id="waba2",
            ),
            template("august", at(0, base=august), contact=INDIA, category="utility"),
        ],
    )
    assert {m: r["estimated_cost"] for m, r in billing.items()} == {
        "u1": Decimal("0.010000"),
        "free-u": Decimal("0"),  # free messages do not count towards the tier
        "u2": Decimal("0.010000"),
        "u3": Decimal("0.008000"),
        "m1": Decimal("0.050000"),
        "u4": Decimal("0.008000"),
        "other-account": Decimal("0.008000"),  # the portfolio's fifth charged utility message
        "august": Decimal("0.010000"),
    }


def test_a_month_below_the_first_tier_boundary_keeps_the_first_tiers_rate(con, settings):
    # only months whose charged messages reach a tier boundary are numbered: at the boundary
    # exactly (2 charged, the second tier from the third) every message has the first rate
    add_rates(con, TWO_UTILITY_TIERS)
    august = datetime(2025, 8, 1, 9, 0, tzinfo=UTC)
    billing = price(
        con,
        settings,
        [
            template("july-1", at(0, base=JULY_2025), contact=INDIA, category="utility"),
            template("july-2", at(1, base=JULY_2025), contact=INDIA, category="utility"),
            template("august-1", at(0, base=august), contact=INDIA, category="utility"),
            template("august-2", at(1, base=august), contact=INDIA, category="utility"),
            template("august-3", at(2, base=august), contact=INDIA, category="utility"),
        ],
    )
    assert {m: r["estimated_cost"] for m, r in billing.items()} == {
        "july-1": Decimal("0.010000"),
        "july-2": Decimal("0.010000"),
        "august-1": Decimal("0.010000"),
        "august-2": Decimal("0.010000"),
        "august-3": Decimal("0.008000"),  # the month crossed the boundary: numbered
    }
    # and only August's charged messages were numbered, under each regime with volume tiers
    # (int_volume_tier_rates, which message_billing_by_regime joins by key)
    assert con.execute(
        "select regime, send_month, count(*), min(rate), max(rate) from int_volume_tier_rates"
        " group by all order by regime"
    ).fetchall() == [
        (regime, date(2025, 8, 1), 3, Decimal("0.008000"), Decimal("0.010000"))
        for regime in ("per_message_2025", "per_message_2026_10")
    ]


def test_conversations_are_charged_once_at_their_category_rate(con, settings):
    add_rates(
        con,
        [
            ("2024-01-01", "Netherlands", "marketing", 0.15),
            ("2024-01-01", "Netherlands", "utility", 0.06),
        ],
    )
    base = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    billing = price(
        con,
        settings.with_overrides(free_conversations_per_month=0),
        [
            template("marketing", at(0, base=base), contact=NL),
            template("marketing-again", at(1, base=base), contact=NL),
            template("utility", at(2, base=base), contact=NL, category="utility"),
        ],
    )
    assert {m: r["estimated_cost"] for m, r in billing.items()} == {
        "marketing": Decimal("0.150000"),
        "marketing-again": Decimal("0"),
        "utility": Decimal("0.060000"),
    }


# --- Meta's card as shipped, the illustrative card before it, and dated markets -------------

SHIPPED_CARDS = Path(__file__).resolve().parent.parent / "data" / "rate_cards"
GERMANY = "4915112345678"
ARGENTINA = "5491112345678"
SINGAPORE = "6591234567"
ZIMBABWE = "263771234567"


def noon(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def test_costs_are_exact_to_the_card_in_force_and_the_market_on_the_send_date(con, settings):
    result = ingest_paths(con, [SHIPPED_CARDS], settings)
    assert not result.errors
    billing = price(
        con,
        settings,
        [
            # the illustrative card's 2025-07-01 rate until Meta's card of 2026-04-01
            template(
                "de-auth-march", noon(2026, 3, 31), contact=GERMANY, category="authentication"
            ),
            template("de-auth-april", noon(2026, 4, 1), contact=GERMANY, category="authentication"),
            # Argentina is on no illustrative card: unknown before Meta's, Meta's rate after
            template("ar-march", noon(2026, 3, 31), contact=ARGENTINA),
            template("ar-may", noon(2026, 5, 4), contact=ARGENTINA),
            template("ar-utility-may", noon(2026, 5, 4), contact=ARGENTINA, category="utility"),
            # Zimbabwe is in Rest of Africa since 2025-10-01
            template("zw-may", noon(2026, 5, 4), contact=ZIMBABWE),
            # Singapore is Rest of Asia Pacific until 2026-06-30, its own market from 2026-07-01,
            # which Meta's card of 2026-04-01 does not name yet: unknown, never zero
            template("sg-june", noon(2026, 6, 30), contact=SINGAPORE),
            template("sg-july", noon(2026, 7, 1), contact=SINGAPORE),
        ],
    )
    assert {m: (r["market"], r["estimated_cost"], r["cost_known"]) for m, r in billing.items()} == {
        "ar-march": ("Argentina", None, False),
        "ar-may": ("Argentina", Decimal("0.061800"), True),
        "ar-utility-may": ("Argentina", Decimal("0.026000"), True),
        "de-auth-april": ("Germany", Decimal("0.055000"), True),
        "de-auth-march": ("Germany", Decimal("0.063600"), True),
        "sg-july": ("Singapore", None, False),
        "sg-june": ("Rest of Asia Pacific", Decimal("0.073200"), True),
        "zw-may": ("Rest of Africa", Decimal("0.022500"), True),
    }


def test_a_registry_without_volume_tiers_prices_every_message_at_the_first_tier(
    con, settings, tmp_path, monkeypatch
):
    # given: the shipped registry with no regime counting volume tiers, and a month of three
    # charged utility messages in India whose card has a second tier from the third
    folder = tmp_path / "registry"
    shutil.copytree(regimes.REGISTRY_FILE.parent / regimes.RULES_FOLDER, folder / "sql/regimes")
    registry = folder / "pricing_regimes.toml"
    shipped = regimes.REGISTRY_FILE.read_text()
    assert "volume_tiers = true" in shipped
    registry.write_text(shipped.replace("volume_tiers = true", "volume_tiers = false"))
    monkeypatch.setattr(regimes, "REGISTRY_FILE", registry)
    add_rates(con, TWO_UTILITY_TIERS)
    billing = price(
        con,
        settings,
        [
            template(f"u{n}", at(n, base=JULY_2025), contact=INDIA, category="utility")
            for n in range(3)
        ],
    )

    # expect: every message at the first tier's rate, and the numbering step, when run, empty
    materialize(con, declared_steps()["int_volume_tier_rates"])
    assert fetch_all(con, "select count(*) from int_volume_tier_rates") == [(0,)]
    assert {m: r["estimated_cost"] for m, r in billing.items()} == {
        f"u{n}": Decimal("0.010000") for n in range(3)
    }
