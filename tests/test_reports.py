"""HTML reports: rendered from a hand-written warehouse, parsed, and checked for structure."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import (
    CUSTOMERS,
    MARKUP_TEMPLATE,
    MESSAGES,
    QUARANTINED_NUMBER,
    at,
    build_report_warehouse,
    create_derived_tables,
)
from rows import outbound, template

from analytics.db import fetch_all
from reports.figures import traffic_trend_figure, violations_by_template_figure
from reports.formatting import money, relative_change
from reports.masking import business_number_label, masked_contact
from reports.render import render_reports


class Page(HTMLParser):
    """The parts of a report the tests look at: key figures, tables, scripts, links, text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.row_attributes: dict[str, list[dict]] = {}
        self.script_sources: list[str] = []
        self.links: list[str] = []
        self.marked: set[str] = set()  # data-* flags such as data-no-data
        self.text_parts: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)
        self.text = " ".join(" ".join(self.text_parts).split())

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.marked.update(name for name in attributes if name.startswith("data-"))
        if "data-figure" in attributes:
            self.figures[attributes["data-figure"]] = attributes.get("data-value") or ""
        if tag == "script" and attributes.get("src"):
            self.script_sources.append(attributes["src"])
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "table" and "data-table" in attributes:
            self._table = attributes["data-table"]
            self.tables[self._table] = []
            self.row_attributes[self._table] = []
        if tag == "tr" and self._table:
            self.tables[self._table].append([])
            self.row_attributes[self._table].append(attributes)
        if tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell.append(data)


def page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


@pytest.fixture
def rendered(con, settings, tmp_path):
    build_report_warehouse(con, settings)
    return render_reports(con, tmp_path / "reports", settings)


def render(con, settings, tmp_path, **given):
    build_report_warehouse(con, settings, **given)
    return render_reports(con, tmp_path / "reports", settings)


def html_files(report_set) -> list[Path]:
    return [report_set.index_path, *report_set.daily_paths, *report_set.monthly_paths]


def report(report_set, name: str) -> Page:
    folder = "monthly" if len(name) == 7 else "daily"
    return page(report_set.index_path.parent / folder / f"{name}.html")


SUMMED = (
    "inbound_messages",
    "outbound_messages",
    "windows_opened",
    "session_outside_window",
    "template_without_opt_in",
    "marketing_opt_out_warnings",
    "chargeable_messages",
)


def warehouse_sums(con, first_day: str, last_day: str) -> dict[str, float]:
    """The same figures summed straight from the rebuilt tables."""
    columns = ", ".join(f"sum({name})" for name in SUMMED)
    found = fetch_all(
        con,
        f"select {columns}, sum(free_messages) - sum(not_delivered_messages),"
        " sum(in_window) / sum(outbound_messages) from daily_summary"
        " where day between ?::date and ?::date",
        [first_day, last_day],
    )[0]
    cost = fetch_all(
        con,
        "select sum(estimated_cost) from daily_costs where in_force and currency = 'USD'"
        " and day between ?::date and ?::date",
        [first_day, last_day],
    )[0][0]
    names = (*SUMMED, "free_messages", "in_window_share")
    return {**dict(zip(names, map(float, found), strict=True)), "estimated_cost": float(cost)}


def test_daily_key_figures_are_the_warehouse_figures(con, rendered):
    given = report(rendered, "2025-03-03")
    expected = {
        "inbound_messages": 5,
        "outbound_messages": 5,
        "windows_opened": 3,
        "session_outside_window": 1,  # f12, 30 minutes after Ben's window on the UK line closed
        "template_without_opt_in": 0,
        "marketing_opt_out_warnings": 1,  # f13 to Carla, inside a window
        "free_messages": 1,  # f12; f10 was never delivered
        "chargeable_messages": 3,
        "estimated_cost": 0.0234,  # 0.0220 + 0.0014; Carla's in Brazil has no rate
        "in_window_share": 0.8,
    }
    shown = {name: float(given.figures[name]) for name in expected}
    assert shown == pytest.approx(expected)
    assert shown == pytest.approx(warehouse_sums(con, "2025-03-03", "2025-03-03"))
    assert "▲ 2 (+67%) vs previous day" in given.text  # 3 received on Sunday 2 March
    assert "estimated cost $0.02 plus 1 message without a rate." in given.text
    assert f"priced with {CARD}; plus 1 chargeable message with no rate: cost unknown" in given.text
    assert "1 not delivered (0 failed)" in given.text


def test_monthly_key_figures_are_the_warehouse_figures(con, rendered):
    given = report(rendered, "2025-03")
    shown = {name: float(given.figures[name]) for name in (*SUMMED, "free_messages")}
    sums = warehouse_sums(con, "2025-03-01", "2025-03-31")
    assert shown == pytest.approx({name: sums[name] for name in shown})
    assert shown["outbound_messages"] == 11
    assert shown["session_outside_window"] + shown["template_without_opt_in"] == 4


def test_free_messages_are_the_delivered_free_ones_only(con, settings, tmp_path):
    # Given a day on which every one of three sends failed
    failed = [
        outbound(f"x{n}", at(5, 9 + n), contact="31612345678", status="failed") for n in range(3)
    ]
    given = report(render(con, settings, tmp_path, messages=MESSAGES + failed), "2025-03-05")
    assert given.figures["outbound_messages"] == "3"
    assert given.figures["free_messages"] == "0"
    assert given.figures["chargeable_messages"] == "0"
    assert "3 not delivered (3 failed)" in given.text


def test_a_month_the_data_does_not_cover_says_so_and_has_no_unfair_comparison(rendered):
    march, february = report(rendered, "2025-03"), report(rendered, "2025-02")
    assert "Data through 4 March 2025." in march.text
    assert "Data from 25 February 2025." in february.text
    # 1 to 4 February has no data: nothing to compare March's first days with
    assert "no earlier data to compare" in march.text
    assert "vs previous month" not in march.text
    index = page(rendered.index_path)
    assert "March 2025 Data through 4 March 2025." in index.text


def test_a_partial_month_is_compared_with_the_same_days_of_the_month_before(
    con, settings, tmp_path
):
    # Given traffic on 1 February (one template without opt-in) and on 20 February, the data
    # covers all of February; March's data ends on the 4th
    earlier = [
        template("g1", at(1, 9, month=2), "marketing", "winter_sale", contact="14155552671"),
        template("g2", at(20, 9, month=2), "marketing", "winter_sale", contact="919876543210"),
    ]
    march = report(render(con, settings, tmp_path, messages=earlier + MESSAGES), "2025-03")
    assert "Compared with 1–4 February 2025, the same days of the month before." in march.text
    # March 1-4: 2 templates without opt-in against 1 on 1-4 February, not the month's 3
    assert march.figures["template_without_opt_in"] == "2"
    assert "▲ 1 (+100%) vs 1–4 February 2025" in march.text


def test_unknown_cost_is_shown_as_unknown_never_as_zero(con, settings, tmp_path):
    given = render(con, settings, tmp_path, rate_card=False)
    march = report(given, "2025-03")
    assert march.figures["estimated_cost"] == ""
    assert "Estimated cost unknown no rate for 5 chargeable messages" in march.text
    for path in html_files(given):
        assert "0.00" not in page(path).text.replace("$0.00", "?"), path.name
        assert "$0.00" not in page(path).text, path.name


def test_free_messages_make_no_currency_card_of_their_own(rendered):
    saturday = report(rendered, "2025-03-01")  # two messages sent, both free
    cards = [name for name in saturday.figures if name.startswith("estimated_cost")]
    assert cards == ["estimated_cost"]
    assert saturday.figures["estimated_cost"] == ""
    assert "Estimated cost – nothing chargeable" in saturday.text
    assert "0.00" not in saturday.text


def test_money_has_one_format_per_currency():
    assert [money(value, "USD") for value in (0.0014, 0.2654, 104.54, 1234.5)] == [
        "<$0.01",
        "$0.27",
        "$104.54",
        "$1,234.50",
    ]
    assert money(0.5, "EUR") == "€0.50"
    assert money(3, "CHF") == "3.00 CHF"
    assert money(None, "USD") == "unknown"


def test_a_change_is_never_written_as_minus_zero_percent():
    assert relative_change(-647, 140_181) == "-0.5%"
    assert relative_change(-5, 140_181) == "less than 0.1%"
    assert relative_change(-338, 343) == "-99%"
    assert relative_change(2, 3) == "+67%"


def test_the_report_day_is_shaded_in_the_daily_trend():
    figure = traffic_trend_figure(
        [date(2025, 3, n) for n in (2, 3, 4)], [1, 2, 3], [3, 2, 1], date(2025, 3, 3)
    )
    (band,) = figure.layout.shapes
    assert (band.x0, band.x1) == ("2025-03-02 12:00:00", "2025-03-03 12:00:00")


def test_the_monthly_report_opens_with_what_to_fix_first(rendered):
    march = report(rendered, "2025-03")
    items = [text for text in march.text.split("What to fix first ")[1].split(" At a glance")[:1]]
    assert items and items[0].startswith(
        f"Template {MARKUP_TEMPLATE} (marketing): 2 of the 4 violations"
    )
    assert (
        "Business number +31 20 123 4567: 3 of the 4 violations (1 free-form message outside"
        " the window, 2 templates without opt-in)." in march.text
    )
    assert "Customer +31 6 ****5678: 3 of the 4 violations." in march.text
    assert (
        "3 marketing templates went to customers who had stopped marketing messages" in march.text
    )
    assert (
        "Most cost: Marketing messages to Netherlands, $0.11 of $0.16 (71%) for 1 chargeable"
        " message." in march.text
    )
    assert "1 chargeable message to Brazil had no rate, so its cost is unknown" in march.text
    assert "What to fix first" not in report(rendered, "2025-03-03").text


def test_customer_numbers_are_masked_everywhere(rendered):
    monthly = report(rendered, "2025-03")
    customers = [row[2] for row in monthly.tables["latest-violations"][1:]]
    assert customers == ["+31 6 ****5678", "+31 6 ****5678", "+44 ******3456", "+31 6 ****5678"]
    for path in html_files(rendered):
        html = path.read_text(encoding="utf-8")
        for number in (*CUSTOMERS, QUARANTINED_NUMBER):
            assert number not in html, f"{number} in {path.name}"
            assert number[2:] not in html, f"{number} without its country code in {path.name}"


def test_template_name_holding_markup_is_escaped(rendered):
    monthly_path = rendered.index_path.parent / "monthly" / "2025-03.html"
    for path in html_files(rendered):
        assert "<script>alert(1)" not in path.read_text(encoding="utf-8")
    monthly = page(monthly_path)
    assert [MARKUP_TEMPLATE, "Marketing", "0", "2", "2"] in monthly.tables["violations-by-template"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in monthly_path.read_text(encoding="utf-8")


def test_scripts_load_from_beside_the_reports_never_from_the_network(rendered):
    for path in html_files(rendered):
        for source in page(path).script_sources:
            assert not re.match(r"^(https?:)?//", source), f"{source} in {path.name}"
            assert (path.parent / source).resolve().is_file()
    shipped = list(rendered.index_path.parent.rglob("plotly*.js"))
    assert [file.name for file in shipped] == ["plotly.min.js"]
    daily = page(rendered.daily_paths[0])
    assert daily.script_sources == ["../plotly.min.js"]


def test_index_links_every_report_newest_first(rendered):
    out_dir = rendered.index_path.parent
    links = [
        link for link in page(rendered.index_path).links if link.startswith(("daily/", "monthly/"))
    ]
    assert all((out_dir / link).is_file() for link in links)
    assert {out_dir / link for link in links} == {*rendered.daily_paths, *rendered.monthly_paths}
    monthly = [link for link in links if link.startswith("monthly/")]
    daily = [link for link in links if link.startswith("daily/")]
    assert monthly == ["monthly/2025-03.html", "monthly/2025-02.html"]
    assert daily[0] == "daily/2025-03-04.html"
    assert daily == sorted(daily, reverse=True)
    assert len(daily) == 8  # every day with traffic, 25 February to 4 March


def test_only_the_latest_days_get_daily_reports_and_older_ones_are_removed(con, settings, rendered):
    again = render_reports(con, rendered.index_path.parent, settings, daily_report_days=3)
    assert [path.name for path in again.daily_paths] == [
        "2025-03-02.html",
        "2025-03-03.html",
        "2025-03-04.html",
    ]
    on_disk = sorted(path.name for path in (rendered.index_path.parent / "daily").iterdir())
    assert on_disk == ["2025-03-02.html", "2025-03-03.html", "2025-03-04.html"]
    assert [path.name for path in again.monthly_paths] == ["2025-02.html", "2025-03.html"]
    # The earliest daily report has no link to a day that is no longer rendered.
    assert "2025-03-01.html" not in page(again.daily_paths[0]).links


def test_one_daily_report_reads_the_latest_day_not_the_latest_1_days(con, settings, rendered):
    again = render_reports(con, rendered.index_path.parent, settings, daily_report_days=1)
    text = page(again.index_path).text
    assert "The latest day with traffic; earlier days are in their month's report." in text
    assert "The latest 1 days" not in text


@pytest.mark.parametrize("derived_tables", [False, True], ids=["not rebuilt", "rebuilt empty"])
def test_empty_warehouse_renders_an_index_saying_there_is_no_data(
    con, settings, tmp_path, derived_tables
):
    if derived_tables:
        create_derived_tables(con, settings)
    report_set = render_reports(con, tmp_path / "reports", settings)
    index = page(report_set.index_path)
    assert "data-no-data" in index.marked
    assert "No data yet." in index.text
    assert "carewindow ingest" in index.text
    assert report_set.daily_paths == [] and report_set.monthly_paths == []


def test_a_day_without_outbound_messages_says_so(rendered):
    sunday = report(rendered, "2025-03-02")
    assert "No violations on this day." in sunday.text
    assert "No messages sent on this day, so there is nothing to compare." in sunday.text
    assert "Meta's pricing is not known for any message sent on this day" in sunday.text
    assert sunday.figures["in_window_share"] == ""
    assert "On this day customers sent 3 messages; nothing was sent to them." in sunday.text


def regime_rows(monthly: Page) -> dict[str, list[str]]:
    regimes = [row.get("data-regime") for row in monthly.row_attributes["regime-comparison"]]
    return dict(zip(regimes, monthly.tables["regime-comparison"], strict=True))


def test_every_regime_is_priced_and_the_one_in_force_marked(rendered):
    monthly = report(rendered, "2025-03")
    in_force = [
        attributes["data-regime"]
        for attributes in monthly.row_attributes["regime-comparison"]
        if attributes.get("class") == "in-force"
    ]
    assert in_force == ["conversation_2023"]
    rows = regime_rows(monthly)
    # in force: f11, f14, f15, f17 priced (0.022 + 0.0014 + 0.11 + 0.022), f13 without a rate
    assert rows["conversation_2023"][1:] == ["5", "$0.16", "1"]
    assert len(rows) == 6  # header and five regimes


def test_what_if_regimes_price_messages_that_are_free_under_the_regime_in_force(rendered):
    rows = regime_rows(report(rendered, "2025-03"))
    # session_2019: templates delivered outside a window: f08, f15 (0.11 each), f17 (0.022)
    assert rows["session_2019"][1:] == ["3", "$0.24", "0"]
    # per_message_2025: marketing and authentication always, utility outside a window
    assert rows["per_message_2025"][1:] == ["5", "$0.24", "1"]
    # per_message_2026_10: utility inside the window too (f11); Eve's replies stay free
    assert rows["per_message_2026_10"][1:] == ["6", "$0.27", "1"]


def test_reconciliation_lists_disagreements_with_both_verdicts(rendered):
    monthly = report(rendered, "2025-03")
    assert float(monthly.figures["agreement_rate"]) == 0.5
    assert monthly.tables["latest-disagreements"][1:] == [
        [
            "2025-03-04 12:00",
            "+44 20 7123 4567",
            "+44 ******3456",
            "chargeable, utility",
            "chargeable, marketing (regular)",
            "Category",
        ],
        [
            "2025-03-03 10:00",
            "+31 20 123 4567",
            "+44 ******3456",
            "chargeable, utility",
            "free, service (free customer service)",
            "Chargeable or free and category",
        ],
    ]


def test_data_quality_shows_unknown_rates_missing_categories_and_quarantine(rendered):
    february = report(rendered, "2025-02")
    assert february.tables["unknown-rates"][1:] == [["Brazil", "Marketing", "1"]]
    assert february.tables["missing-categories"][1:] == [["legacy_notice", "1"]]
    reasons = february.tables["quarantine"][1:]
    assert sum(int(row[2]) for row in reasons) == 3
    assert ["webhook", "contact +31 *****9999x is not a phone number", "1", "1"] in reasons
    assert "Every template sent in this month had a category." in report(rendered, "2025-03").text


CARD = "test card of 1 January 2024 (illustrative)"


def test_cost_by_market_counts_every_message_sent_beside_the_chargeable_ones(rendered):
    monthly = report(rendered, "2025-03")
    assert monthly.tables["cost-by-market"][1:] == [
        # f08 was free, in an open conversation
        ["Netherlands", "Marketing", "2", "1", "$0.11", CARD],
        ["United Kingdom", "Utility", "2", "2", "$0.04", CARD],
        ["India", "Authentication", "1", "1", "<$0.01", CARD],
        ["Brazil", "Marketing", "1", "1", "unknown for 1 message (no rate)", ""],
    ]


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ("31612345678", "+31 6 ****5678"),  # the Dutch mobile prefix stays
        ("5511987654321", "+55 11 *****4321"),
        ("447911123456", "+44 ******3456"),  # a 4-digit prefix would leave too little hidden
        ("14155552671", "+1 ******2671"),
        ("12345", "****5"),  # not a phone number: last digits only
        ("abc", "****"),
        (None, "****"),
    ],
)
def test_masked_contact(contact, expected):
    assert masked_contact(contact) == expected


def test_business_numbers_are_shown_whole_and_readable():
    assert business_number_label("31201234567") == "+31 20 123 4567"
    assert business_number_label("not a number") == "not a number"


def test_chart_labels_cannot_become_plotly_markup():
    figure = violations_by_template_figure([MARKUP_TEMPLATE, "a & b"], [0, 1], [2, 0])
    assert list(figure.data[0].y) == ["a &amp; b", "&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert [Decimal(str(value)) for value in figure.data[1].x] == [0, 2]


def test_business_numbers_are_grouped_alike_whatever_the_country():
    assert business_number_label("4930726198450") == "+49 30 726 198 450"
    assert business_number_label("442071234567") == "+44 20 7123 4567"
    assert business_number_label("919876543210") == "+91 98765 43210"


def test_data_quality_counts_the_messages_of_unknown_kind(con, settings, tmp_path):
    # given Twilio's log: 10 API sends that cannot say whether they were templates
    from analytics.ingest import ingest_file
    from analytics.rebuild import rebuild_warehouse

    samples = Path(__file__).parent / "samples" / "providers"
    ingest_file(con, samples / "twilio_messages.csv", settings)
    rebuild_warehouse(con, settings)

    monthly = report(render_reports(con, tmp_path / "reports", settings), "2026-05")

    # expect the data-quality section to say how many, and how they were priced
    assert (
        "10 outbound messages came from a provider's log that cannot say whether it was a "
        "template (Twilio's outbound-api): never counted as violations, priced as service "
        "messages" in monthly.text
    )
