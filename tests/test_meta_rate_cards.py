"""Meta's rate-card files loaded as Meta publishes them, the canonical CSV beside
them, the card labels, illustrative cards, volume-tier ends, and the migration that adds them."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rows import insert_messages, template
from test_pricing_fixtures import price

from analytics.checks import check_names, run_check
from analytics.db import connect_memory, fetch_all, fetch_value, migrate
from analytics.ingest import IngestError, detect_kind, ingest_file, ingest_paths
from analytics.rebuild import rebuild_warehouse
from flows.cli import main

SAMPLES = Path(__file__).parent / "samples" / "meta_rate_cards"
RATES = SAMPLES / "meta_usd_rates_2026-04-01.csv"
TIERS = SAMPLES / "meta_usd_volume_tiers_2026-04-01.csv"
SHIPPED = Path(__file__).resolve().parent.parent / "data" / "rate_cards"
CARD = "Meta USD card effective 2026-04-01"
APRIL_2026 = date(2026, 4, 1)


def rates_of(con, market: str, category: str) -> list[tuple]:
    return fetch_all(
        con,
        "select tier_from, tier_to, rate from rate_cards "
        "where market = ? and category = ? order by tier_from",
        [market, category],
    )


def stored(con) -> list[tuple]:
    """Everything of rate_cards but when and from which file it was loaded."""
    return fetch_all(
        con,
        "select effective_from, market, category, currency, rate, tier_from, tier_to, card, "
        "illustrative from rate_cards order by all",
    )


def quarantined(con) -> list[tuple]:
    return fetch_all(con, "select line, reason from quarantine order by line, reason")


def assert_counts_add_up(load) -> None:
    assert load.rows_read == load.loaded + load.duplicates + load.quarantined + load.skipped


def edited(tmp_path: Path, source: Path, name: str, replacements: list[tuple[str, str]]) -> Path:
    """A copy of one of Meta's files with some text replaced (each replacement must apply)."""
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- Meta's two files, unchanged ------------------------------------------------------------


def test_metas_files_are_recognised_by_their_content(tmp_path):
    assert detect_kind(RATES) == "rate_card"
    assert detect_kind(TIERS) == "rate_card"
    # a file name says nothing; without its title line the header still gives it away
    untitled = tmp_path / "export.txt"
    untitled.write_text(RATES.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
    assert detect_kind(untitled) == "rate_card"


def test_metas_rates_file_compressed_is_recognised_and_loads_the_same(con, settings, tmp_path):
    # what a file is comes from its decompressed content, as for every other kind
    compressed = tmp_path / "meta_usd_rates.csv.gz"
    compressed.write_bytes(gzip.compress(RATES.read_bytes()))
    assert detect_kind(compressed) == "rate_card"
    load = ingest_file(con, compressed, settings)
    assert (load.kind, load.rows_read, load.loaded, load.skipped) == ("rate_card", 160, 105, 55)


def test_metas_rates_file_loads_unchanged_with_exact_rates(con, settings):
    load = ingest_file(con, RATES, settings)

    # 32 markets x 5 categories: service is n/a everywhere, authentication-international
    # is n/a in all but 9 markets
    assert (load.kind, load.rows_read, load.loaded, load.duplicates) == ("rate_card", 160, 105, 0)
    assert (load.quarantined, load.skipped) == (0, 55)
    assert_counts_add_up(load)
    assert "55 x no rate in this market (n/a)" in load.detail
    assert fetch_all(
        con,
        "select distinct effective_from, currency, card, illustrative from rate_cards",
    ) == [(APRIL_2026, "USD", CARD, False)]
    assert fetch_all(
        con,
        "select category, rate, tier_from, tier_to from rate_cards "
        "where market = 'Argentina' order by category",
    ) == [
        ("authentication", Decimal("0.026000"), 0, None),
        ("marketing", Decimal("0.061800"), 0, None),
        ("utility", Decimal("0.026000"), 0, None),
    ]
    assert rates_of(con, "Indonesia", "authentication_international") == [
        (0, None, Decimal("0.136000"))
    ]
    assert rates_of(con, "Rest of Central & Eastern Europe", "marketing") == [
        (0, None, Decimal("0.086000"))
    ]
    assert fetch_value(con, "select count(*) from rate_cards where category = 'service'") == 0
    assert fetch_value(con, "select count(distinct market) from rate_cards") == 32


def test_metas_volume_tiers_load_unchanged_with_exact_tiers(con, settings):
    load = ingest_file(con, TIERS, settings)

    # 32 markets x 6 tiers x 3 categories; authentication-international is n/a in 23 markets
    assert (load.rows_read, load.loaded, load.duplicates, load.quarantined, load.skipped) == (
        576,
        438,
        0,
        0,
        138,
    )
    assert_counts_add_up(load)
    # Meta's From 100,001 is tier_from 100,000 (already charged); To is where the tier ends
    assert rates_of(con, "Argentina", "utility") == [
        (0, 100_000, Decimal("0.026000")),
        (100_000, 1_000_000, Decimal("0.024700")),
        (1_000_000, 4_500_000, Decimal("0.023400")),
        (4_500_000, 15_000_000, Decimal("0.022100")),
        (15_000_000, 30_000_000, Decimal("0.020800")),
        (30_000_000, None, Decimal("0.019500")),
    ]
    assert rates_of(con, "Argentina", "authentication") == [
        (0, 120_000, Decimal("0.026000")),
        (120_000, 400_000, Decimal("0.024700")),
        (400_000, 1_000_000, Decimal("0.023400")),
        (1_000_000, 5_000_000, Decimal("0.022100")),
        (5_000_000, 10_000_000, Decimal("0.020800")),
        (10_000_000, None, Decimal("0.019500")),
    ]
    assert rates_of(con, "Egypt", "authentication_international")[-1] == (
        40_000_000,
        None,
        Decimal("0.048800"),
    )
    assert rates_of(con, "Argentina", "authentication_international") == []
    # every tier ends where the next begins
    assert (
        fetch_value(
            con,
            """
            select count(*) from (
                select tier_to, lead(tier_from) over (
                    partition by market, category order by tier_from) as next_from
                from rate_cards
            ) where tier_to is distinct from next_from
            """,
        )
        == 0
    )


@pytest.mark.parametrize("order", [(RATES, TIERS), (TIERS, RATES)])
def test_both_files_give_one_card_whichever_comes_first(con, settings, order):
    first, second = (ingest_file(con, path, settings) for path in order)

    # the list rates are in both files: the second file's copies are duplicates
    assert first.loaded + second.loaded == 32 + 438
    assert first.duplicates + second.duplicates == 73
    assert rates_of(con, "Argentina", "utility")[0] == (0, 100_000, Decimal("0.026000"))
    assert rates_of(con, "Argentina", "marketing") == [(0, None, Decimal("0.061800"))]
    assert fetch_value(con, "select count(*) from rate_cards") == 470


def test_loading_metas_files_twice_changes_nothing(con, settings):
    ingest_paths(con, [RATES, TIERS], settings)
    before = stored(con)
    again = ingest_paths(con, [RATES, TIERS], settings)
    assert [load.outcome for load in again.loads] == ["already_loaded", "already_loaded"]
    assert stored(con) == before
    assert fetch_value(con, "select count(*) from load_log") == 2


def test_the_shipped_card_is_metas_files_unchanged():
    for sample in (RATES, TIERS):
        assert (SHIPPED / sample.name).read_bytes() == sample.read_bytes()
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    assert "effective 2026-04-01" in readme
    assert "developers.facebook.com/docs/whatsapp/pricing" in readme


def test_the_shipped_folder_loads_with_the_example_card_marked_illustrative(con, settings):
    result = ingest_paths(con, [SHIPPED], settings)

    assert not result.errors
    assert result.total("quarantined") == 0
    cards = fetch_all(
        con,
        "select card, illustrative, min(effective_from), max(effective_from), count(*) "
        "from rate_cards group by all order by all",
    )
    assert cards == [
        ("Meta USD card effective 2026-04-01", False, APRIL_2026, APRIL_2026, 470),
        ("illustrative example card", True, date(2024, 1, 1), date(2025, 7, 1), 96),
    ]
    # the illustrative card covers only the eras before Meta's card
    assert fetch_value(
        con, "select max(effective_from) from rate_cards where illustrative"
    ) < fetch_value(con, "select min(effective_from) from rate_cards where not illustrative")


# --- the effective date -----------------------------------------------------------------------


def test_effective_from_overrides_the_title_through_the_command_line(tmp_path):
    db = str(tmp_path / "w.duckdb")
    result = CliRunner().invoke(
        main, ["ingest", str(RATES), "--effective-from", "2026-07-01", "--db", db]
    )
    assert result.exit_code == 0, result.output
    assert "given, title says 2026-04-01" in result.output
    with duckdb.connect(db, read_only=True) as con:
        assert fetch_all(con, "select distinct effective_from, card from rate_cards") == [
            (date(2026, 7, 1), "Meta USD card effective 2026-07-01")
        ]


def test_a_title_without_a_date_needs_effective_from(con, settings, tmp_path):
    undated = edited(tmp_path, RATES, "rates.csv", [(", effective April 1, 2026", "")])
    with pytest.raises(IngestError, match=r"rates\.csv: .*pass --effective-from"):
        ingest_file(con, undated, settings)
    assert fetch_value(con, "select count(*) from rate_cards") == 0  # nothing from it

    load = ingest_file(con, undated, settings, effective_from=date(2026, 4, 1))

    assert load.loaded == 105
    assert fetch_all(con, "select distinct effective_from, card from rate_cards") == [
        (APRIL_2026, CARD)
    ]


def test_effective_from_supplies_the_canonical_csvs_date_too(con, settings, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("market,category,currency,rate\nNetherlands,marketing,USD,0.15\n")
    with pytest.raises(IngestError, match="effective_from"):
        ingest_file(con, path, settings)
    load = ingest_file(con, path, settings, effective_from=date(2026, 1, 1))
    assert load.loaded == 1
    assert fetch_all(con, "select effective_from, card from rate_cards") == [
        (date(2026, 1, 1), "rates.csv")
    ]


# --- several currencies -----------------------------------------------------------------------


def eur_card(tmp_path: Path) -> Path:
    """Meta's rates file as a EUR card would come (title and Currency column in EUR)."""
    text = RATES.read_text(encoding="utf-8").replace(",USD,", ",EUR,")
    text = text.replace("Cost per message in USD", "Cost per message in EUR")
    path = tmp_path / "meta_eur_rates_2026-04-01.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_card_in_another_currency_is_stored_beside_the_usd_card(con, settings, tmp_path):
    ingest_paths(con, [RATES, eur_card(tmp_path)], settings)

    assert fetch_all(
        con,
        "select currency, card, count(*) from rate_cards group by all order by all",
    ) == [
        ("EUR", "Meta EUR card effective 2026-04-01", 105),
        ("USD", "Meta USD card effective 2026-04-01", 105),
    ]


def test_only_cards_in_the_business_currency_price_messages(con, settings, tmp_path):
    ingest_paths(con, [RATES, eur_card(tmp_path)], settings)  # EUR loaded last
    argentina = "5491112345678"
    billing = price(
        con, settings, [template("m", datetime(2026, 5, 4, 9, tzinfo=UTC), contact=argentina)]
    )
    assert (billing["m"]["estimated_cost"], billing["m"]["currency"]) == (
        Decimal("0.061800"),
        "USD",
    )


def test_cards_in_two_currencies_pass_the_data_checks(con, settings, tmp_path):
    ingest_paths(con, [RATES, eur_card(tmp_path)], settings)
    insert_messages(
        con, [template("m", datetime(2026, 5, 4, 9, tzinfo=UTC), contact="5491112345678")]
    )
    rebuild_warehouse(con, settings)
    assert [name for name in check_names() if run_check(con, name)] == []


def test_a_rates_line_in_another_currency_than_the_title_is_quarantined(con, settings, tmp_path):
    path = edited(tmp_path, RATES, "rates.csv", [("Brazil,USD,", "Brazil,EUR,")])
    load = ingest_file(con, path, settings)
    assert load.quarantined == 3  # Brazil's marketing, utility and authentication rates
    assert set(quarantined(con)) == {(9, "currency EUR is not the USD of the title line")}
    assert_counts_add_up(load)


# --- bad lines --------------------------------------------------------------------------------


def test_bad_rates_are_quarantined_with_their_line_and_reason(con, settings, tmp_path):
    path = edited(
        tmp_path,
        RATES,
        "rates.csv",
        [
            ("Argentina,USD,0.0618,", "Argentina,USD,cheap,"),  # line 8: one bad rate
            ("Chile,USD,0.0889,0.0200,", "Chile,USD,,0.0200,"),  # line 10: a missing one
            (
                "Other,USD,0.0604,0.0077,0.0077,n/a,n/a\n",
                "Other,USD,0.0604,0.0077,0.0077,n/a,n/a\n* rates exclude taxes,,,,,,\n",
            ),  # line 40: a footnote
        ],
    )
    load = ingest_file(con, path, settings)

    # the header's quoted line break makes every data line one further down than its record
    assert (
        quarantined(con)
        == [
            (8, "rate is not a number >= 0"),
            (10, "rate is missing"),
        ]
        + [(40, "no currency and no rates on this line (a note?)")] * 5
    )
    assert (load.rows_read, load.loaded, load.quarantined, load.skipped) == (165, 103, 7, 55)
    assert_counts_add_up(load)
    raw = fetch_value(con, "select raw from quarantine where line = 8")
    assert "Argentina" in raw and "cheap" in raw


def test_bad_tiers_are_quarantined_with_their_line_and_reason(con, settings, tmp_path):
    path = edited(
        tmp_path,
        TIERS,
        "tiers.csv",
        [
            (
                ',USD,"100,001","1,000,000",Tier rate,0.0247',
                ',USD,"lots","1,000,000",Tier rate,0.0247',
            ),
            (
                ',USD,"1,000,001","4,500,000",Tier rate,0.0234',
                ',USD,"1,000,001","900",Tier rate,0.0234',
            ),
            (
                ',USD,"4,500,001","15,000,000",Tier rate,0.0221',
                ',USD,"4,500,001","15,000,000",Discount,0.0221',
            ),
        ],
    )
    load = ingest_file(con, path, settings)

    assert quarantined(con) == [
        (8, "From is not a whole number >= 0"),
        (9, "To is below From"),
        (10, "Rate type must be List rate or Tier rate"),
    ]
    assert (load.loaded, load.quarantined) == (435, 3)
    assert_counts_add_up(load)


def test_a_tier_line_before_any_market_is_quarantined(con, settings, tmp_path):
    path = edited(tmp_path, TIERS, "tiers.csv", [("\nArgentina,USD,0,", "\n,USD,0,")])
    load = ingest_file(con, path, settings)
    # Argentina's six lines (utility and authentication; its authentication-international is n/a)
    reason = "market is missing (no market named on this line or above)"
    assert quarantined(con) == [(line, reason) for line in range(7, 13) for _ in range(2)]
    assert fetch_value(con, "select count(distinct market) from rate_cards") == 31
    assert_counts_add_up(load)


def test_a_meta_file_without_its_table_is_refused_whole(con, settings, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(RATES.read_text(encoding="utf-8").split("Market,Currency")[0])
    with pytest.raises(IngestError, match="no header row"):
        ingest_file(con, path, settings)
    assert fetch_value(con, "select count(*) from rate_cards") == 0
    assert fetch_value(con, "select count(*) from load_log") == 0


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.integers(0, 31), min_size=1, max_size=32, unique=True))
def test_any_choice_of_markets_loads_every_rate_once(tmp_path, settings, lines):
    """Meta's rates file cut to some of its market lines, in any order: every rate not n/a is
    stored once, with the value on its line, and the counts add up."""
    text = RATES.read_text(encoding="utf-8")
    head, body = text.split('International",Service\n')
    markets = body.splitlines()
    chosen = [markets[i] for i in lines]
    path = tmp_path / f"rates-{'-'.join(map(str, lines))}.csv"
    path.write_text(head + 'International",Service\n' + "\n".join(chosen) + "\n")
    categories = ["marketing", "utility", "authentication", "authentication_international"]
    expected = {
        (row[0], category, Decimal(value).quantize(Decimal("0.000001")))
        for row in csv.reader(io.StringIO("\n".join(chosen)))
        for category, value in zip(categories, row[2:6], strict=True)
        if value != "n/a"
    }
    con = connect_memory(settings)
    try:
        load = ingest_file(con, path, settings)
        assert_counts_add_up(load)
        assert load.rows_read == 5 * len(chosen)
        assert set(fetch_all(con, "select market, category, rate from rate_cards")) == expected
        assert load.loaded == len(expected)
    finally:
        con.close()


# --- the canonical CSV ----------------------------------------------------------------------


def test_the_canonical_csv_takes_card_illustrative_and_tier_ends(con, settings, tmp_path):
    path = tmp_path / "my_card.csv"
    path.write_text(
        "effective_from,market,category,currency,rate,tier_from,tier_to,card,illustrative\n"
        "2025-07-01,India,utility,USD,0.0014,0,,,\n"
        "2025-07-01,India,utility,USD,0.0013,100000,,,\n"
        "2025-07-01,India,marketing,USD,0.0118,0,,Our own,true\n"
        "2025-07-01,India,authentication,USD,0.0014,0,50,,maybe\n"
        "2025-07-01,Brazil,utility,USD,0.0068,0,0,,\n"
    )
    load = ingest_file(con, path, settings)

    assert quarantined(con) == [
        (5, "illustrative must be true or false"),
        (6, "tier_to is not a whole number above tier_from"),
    ]
    assert fetch_all(
        con,
        "select category, tier_from, tier_to, card, illustrative from rate_cards order by all",
    ) == [
        ("marketing", 0, None, "Our own", True),
        ("utility", 0, 100_000, "my_card.csv", False),  # ends where the next tier begins
        ("utility", 100_000, None, "my_card.csv", False),
    ]
    assert_counts_add_up(load)


# --- the migration ----------------------------------------------------------------------------


def test_the_migration_labels_rates_loaded_before_it(settings):
    con = connect_memory(settings)
    try:
        con.execute("drop table rate_cards")
        con.execute("delete from schema_version where version >= 3")
        con.execute(
            "create table rate_cards (effective_from date not null, market varchar not null, "
            "category varchar not null, currency varchar not null, rate decimal(18, 6) not null, "
            "tier_from bigint not null default 0, source_file varchar not null, "
            "loaded_at timestamptz not null)"
        )
        con.execute(
            "insert into rate_cards values "
            "('2025-07-01', 'India', 'utility', 'USD', 0.0014, 0, $example, now()), "
            "('2025-07-01', 'India', 'utility', 'USD', 0.0013, 100000, $example, now()), "
            "('2025-07-01', 'India', 'marketing', 'USD', 0.0118, 0, '/cards/mine.csv', now())",
            {"example": "data/rate_cards/example_rate_card.csv"},
        )
        assert migrate(con) >= 3
        assert fetch_all(
            con,
            "select category, tier_from, tier_to, card, illustrative from rate_cards order by all",
        ) == [
            ("marketing", 0, None, "mine.csv", False),
            ("utility", 0, 100_000, "illustrative example card", True),
            ("utility", 100_000, None, "illustrative example card", True),
        ]
    finally:
        con.close()


def test_effective_from_for_a_card_already_loaded_says_so_and_loads_it_under_the_new_day(
    con, settings
):
    # given Meta's USD card, loaded with the day in its title (2026-04-01)
    from analytics.ingest import ingest_file

    card = Path(__file__).resolve().parent.parent / "data" / "rate_cards"
    card = card / "meta_usd_rates_2026-04-01.csv"
    ingest_file(con, card, settings)

    # the same file again: already loaded, saying its day and how to give another
    again = ingest_file(con, card, settings)
    assert again.outcome == "already_loaded"
    assert again.detail == (
        f"same content as {card}, a rate card loaded effective from 2026-04-01; to load it with "
        "another first day, name it with --effective-from YYYY-MM-DD"
    )
    # with the day it has: already loaded, without advice
    same_day = ingest_file(con, card, settings, effective_from=date(2026, 4, 1))
    assert same_day.outcome == "already_loaded"
    assert same_day.detail.endswith("effective from 2026-04-01")

    # with another day: loaded again under that day, and said
    later = ingest_file(con, card, settings, effective_from=date(2026, 7, 1))
    assert later.outcome == "loaded" and later.loaded > 0
    assert later.detail.startswith(
        f"the same content as {card} is loaded effective from 2026-04-01; loaded again "
        "effective from 2026-07-01 as --effective-from asks"
    )
    assert fetch_all(con, "select distinct effective_from from rate_cards order by 1") == [
        (date(2026, 4, 1),),
        (date(2026, 7, 1),),
    ]
