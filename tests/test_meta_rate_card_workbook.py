"""Meta's rate card as the workbook Meta publishes since the card effective 2026-10-01: sheet
"List rates" and sheet "Volume tiers", recognised by content whatever the file's name."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from workbooks import write_workbook

from analytics.db import fetch_all, fetch_value
from analytics.ingest import IngestError, detect_kind, ingest_file, ingest_paths

LAYOUT_SAMPLE = (
    Path(__file__).parent / "samples" / "meta_rate_cards" / "meta_rate_card_layout_2026-10.xlsx"
)
TITLE = "Cost per message in USD on the WhatsApp Business Platform, effective October 1, 2026"
CARD = "Meta USD card effective 2026-10-01"
HEADER = [
    "Market",
    "Currency",
    "Marketing",
    "Utility",
    "Authentication",
    "Authentication-\nInternational",
    "Service",
    "Meta Business Agent",
]
AGENT = "$2.00 USD / 1 M (million) tokens"
MARKETS = [
    ["Brazil", "USD", 0.0625, 0.0068, 0.0068, None, 0.0068, AGENT],
    ["India", "USD", 0.0118, 0.0014, 0.0014, 0.0304, 0.0014, AGENT],
    ["Kazakhstan", "USD", 0.0604, 0.018, 0.018, "n/a", 0.018, AGENT],
]
EXPECTED_RATES = {
    ("Brazil", "marketing", Decimal("0.0625")),
    ("Brazil", "utility", Decimal("0.0068")),
    ("Brazil", "authentication", Decimal("0.0068")),
    ("Brazil", "service", Decimal("0.0068")),
    ("India", "marketing", Decimal("0.0118")),
    ("India", "utility", Decimal("0.0014")),
    ("India", "authentication", Decimal("0.0014")),
    ("India", "authentication_international", Decimal("0.0304")),
    ("India", "service", Decimal("0.0014")),
    ("Kazakhstan", "marketing", Decimal("0.0604")),
    ("Kazakhstan", "utility", Decimal("0.018")),
    ("Kazakhstan", "authentication", Decimal("0.018")),
    ("Kazakhstan", "service", Decimal("0.018")),
}
TIER_ROWS = [
    [TITLE + " - Reflecting volume tiers for utility and authentication messages"],
    ["Only utility and authentication messages have volume tiers."],
    [None, None, "Utility", None, None, None, None, "Authentication"],
    [None, None, "Messages (per month)", None, "What we charge"],
    [
        "Market\n(per rate card)",
        "Currency",
        "From",
        "To",
        "Rate type",
        "Rate",
        "vs. List rate",
        "From",
        "To",
        "Rate type",
        "Rate",
        "vs. List rate",
    ],
    [
        "Brazil",
        "USD",
        "0",
        "250,000",
        "List rate",
        0.0068,
        "0%",
        0,
        "500,000",
        "List rate",
        0.0068,
        "0%",
    ],
    [
        None,
        "USD",
        "250,001",
        "--",
        "Tier rate",
        0.0065,
        "-5%",
        500001,
        "--",
        "Tier rate",
        0.0065,
        "-5%",
    ],
]


def list_rates(preamble: int = 4, header: list[str] = HEADER, numbers_as_text: bool = False):
    rows = [[TITLE]] + [[f"Preamble line {n}. Learn more here:"] for n in range(preamble)]
    rows.append(header)
    for market in MARKETS:
        rows.append([str(c) if numbers_as_text and isinstance(c, float) else c for c in market])
    return rows


def rates_of(con) -> set[tuple]:
    return set(
        fetch_all(
            con,
            "select market, category, rate from rate_cards where tier_from = 0 "
            "and card = ? and effective_from = ?",
            [CARD, date(2026, 10, 1)],
        )
    )


def tiers_of(con) -> list[tuple]:
    return fetch_all(
        con,
        "select category, tier_from, tier_to, rate from rate_cards "
        "where market = 'Brazil' and category in ('utility', 'authentication') order by all",
    )


def assert_counts_add_up(load) -> None:
    assert load.rows_read == load.loaded + load.duplicates + load.quarantined + load.skipped


@pytest.mark.parametrize(
    "style",
    [
        dict(strings="shared"),
        dict(strings="inline"),
        dict(strings="shared", numbers_as_text=True),
        dict(strings="inline", preamble=9),
        dict(strings="shared", preamble=0),
    ],
    ids=["shared-strings", "inline-strings", "numbers-as-text", "long-preamble", "no-preamble"],
)
def test_a_workbook_loads_its_rates_and_tiers_in_every_style(con, settings, tmp_path, style):
    # given Meta's workbook written in one of the styles spreadsheet programs use, named .csv
    strings = style.pop("strings")
    path = write_workbook(
        tmp_path / "whatsapp-rate-card.csv",
        {"List rates": list_rates(**style), "Volume tiers": TIER_ROWS},
        strings=strings,
    )
    assert detect_kind(path) == "rate_card"

    load = ingest_file(con, path, settings)

    # expect every rate (the Service column's too), the tiers, and no Meta Business Agent rate
    assert load.outcome == "loaded" and load.quarantined == 0
    assert rates_of(con) == EXPECTED_RATES
    assert tiers_of(con) == [
        ("authentication", 0, 500000, Decimal("0.0068")),
        ("authentication", 500000, None, Decimal("0.0065")),
        ("utility", 0, 250000, Decimal("0.0068")),
        ("utility", 250000, None, Decimal("0.0065")),
    ]
    assert "column 'Meta Business Agent'" in load.detail
    assert "sheet 'List rates': rates; sheet 'Volume tiers': volume tiers" in load.detail
    # one n/a and one empty cell: no rate in that market, counted as skipped
    assert "1 x no rate in this market (n/a)" in load.detail
    assert "1 x no rate in this market (empty cell)" in load.detail
    assert_counts_add_up(load)


def test_column_names_are_matched_whatever_their_spelling(con, settings, tmp_path):
    # given a header in capitals, with spaces and underscores instead of Meta's spelling
    header = [
        "MARKET",
        "currency",
        "Marketing ",
        "utility",
        "AUTHENTICATION",
        "authentication_international",
        "Service",
        "Meta Business Agent",
    ]
    path = write_workbook(tmp_path / "card.xlsx", {"List rates": list_rates(header=header)})

    load = ingest_file(con, path, settings)

    assert rates_of(con) == EXPECTED_RATES
    assert "no volume-tiers sheet" in load.detail


def test_other_sheets_are_skipped_with_a_note(con, settings, tmp_path):
    # given a notes sheet before the rates, and no tiers sheet
    path = write_workbook(
        tmp_path / "card.xlsx",
        {
            "Read me": [["How to read this card"], ["Rates are per message."]],
            "List rates": list_rates(),
        },
    )

    load = ingest_file(con, path, settings)

    assert rates_of(con) == EXPECTED_RATES
    assert "sheet 'Read me' skipped (no rate-card table)" in load.detail
    assert "no volume-tiers sheet" in load.detail


def test_effective_from_overrides_the_title(con, settings, tmp_path):
    path = write_workbook(tmp_path / "card.xlsx", {"List rates": list_rates()})

    ingest_file(con, path, settings, effective_from=date(2026, 11, 1))

    assert fetch_all(con, "select distinct effective_from, card from rate_cards") == [
        (date(2026, 11, 1), "Meta USD card effective 2026-11-01")
    ]


def test_metas_layout_sample_loads_whatever_its_name(con, settings, tmp_path):
    # given the layout sample (not Meta's figures: only its layout is tested) named as Meta's
    # download names it
    path = tmp_path / "WhatsApp Business Platform rates.csv"
    path.write_bytes(LAYOUT_SAMPLE.read_bytes())

    load = ingest_file(con, path, settings)

    assert (load.kind, load.outcome, load.quarantined) == ("rate_card", "loaded", 0)
    assert fetch_value(con, "select count(distinct market) from rate_cards") == 33
    assert (
        fetch_value(
            con, "select count(*) from rate_cards where category = 'service' and tier_from = 0"
        )
        == 33
    )
    assert (
        fetch_value(
            con, "select count(*) from rate_cards where market = 'Argentina' and tier_from > 0"
        )
        == 10
    )  # five tiers above the list rate, for utility and for authentication
    assert fetch_all(con, "select distinct card from rate_cards") == [(CARD,)]
    assert_counts_add_up(load)


def test_a_folder_holding_a_workbook_loads_it(con, settings, tmp_path):
    inbox = tmp_path / "cards"
    inbox.mkdir()
    write_workbook(inbox / "card.xlsx", {"List rates": list_rates()})

    result = ingest_paths(con, [inbox], settings)

    assert [(load.kind, load.outcome) for load in result.loads] == [("rate_card", "loaded")]


def test_a_damaged_workbook_is_one_line_naming_the_file_and_loads_nothing(con, settings, tmp_path):
    # given a zip that says it holds a workbook, but whose sheets are not readable
    path = tmp_path / "card.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook>not a workbook")

    with pytest.raises(IngestError) as error:
        ingest_file(con, path, settings)

    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{path}: looks like an Excel workbook")
    assert "nothing from it was loaded" in message
    assert fetch_value(con, "select count(*) from rate_cards") == 0


def test_a_zip_that_is_no_workbook_is_refused_with_the_reason(con, settings, tmp_path):
    path = tmp_path / "cards.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rates.csv", "Market,Currency\n")

    with pytest.raises(IngestError, match="a zip archive but no Excel workbook"):
        ingest_file(con, path, settings)


def test_a_workbook_without_a_rates_table_says_which_sheets_it_has(con, settings, tmp_path):
    path = write_workbook(tmp_path / "budget.xlsx", {"Budget": [["Month", "Spend"], ["May", 3]]})

    with pytest.raises(IngestError, match=r"not Meta's rate card.*sheets: 'Budget'"):
        ingest_file(con, path, settings)
