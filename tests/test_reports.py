"""HTML reports: rendered from a hand-written warehouse, parsed, and checked for structure."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import (
    CUSTOMERS,
    MARKUP_TEMPLATE,
    QUARANTINED_NUMBER,
    build_report_warehouse,
    create_derived_tables,
)

from analytics.db import fetch_all
from reports.figures import violations_by_template_figure
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
    build_report_warehouse(con)
    return render_reports(con, tmp_path / "reports", settings)


def html_files(report_set) -> list[Path]:
    return [report_set.index_path, *report_set.daily_paths, *report_set.monthly_paths]


SUMMED = (
    "inbound_messages",
    "outbound_messages",
    "windows_opened",
    "session_outside_window",
    "template_without_opt_in",
    "marketing_opt_out_warnings",
    "free_messages",
    "chargeable_messages",
    "estimated_cost",
)


def warehouse_sums(con, first_day: str, last_day: str) -> dict[str, float]:
    columns = ", ".join(f"sum({name})" for name in SUMMED)
    found = fetch_all(
        con,
        f"select {columns}, sum(in_window) / sum(outbound_messages) from daily_summary"
        " where day between ?::date and ?::date",
        [first_day, last_day],
    )[0]
    return dict(zip((*SUMMED, "in_window_share"), (float(value) for value in found), strict=True))


def test_daily_key_figures_are_the_warehouse_figures(con, rendered):
    given = page(rendered.index_path.parent / "daily" / "2025-03-03.html")
    expected = {
        "inbound_messages": 5,
        "outbound_messages": 5,
        "windows_opened": 4,
        "session_outside_window": 1,
        "template_without_opt_in": 0,
        "marketing_opt_out_warnings": 1,
        "free_messages": 2,
        "chargeable_messages": 3,
        "estimated_cost": 0.0234,
        "in_window_share": 0.8,
    }
    shown = {name: float(given.figures[name]) for name in expected}
    assert shown == pytest.approx(expected)
    assert shown == pytest.approx(warehouse_sums(con, "2025-03-03", "2025-03-03"))
    assert "▲ 2 (+67%) vs previous day" in given.text  # 3 received on Sunday 2 March
    assert "$0.0234" in given.text


def test_monthly_key_figures_are_the_warehouse_figures(con, rendered):
    given = page(rendered.index_path.parent / "monthly" / "2025-03.html")
    shown = {name: float(given.figures[name]) for name in (*SUMMED, "in_window_share")}
    assert shown == pytest.approx(warehouse_sums(con, "2025-03-01", "2025-03-31"))
    assert shown["outbound_messages"] == 11
    assert shown["session_outside_window"] + shown["template_without_opt_in"] == 4


def test_customer_numbers_are_masked_everywhere(rendered):
    monthly = page(rendered.index_path.parent / "monthly" / "2025-03.html")
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


@pytest.mark.parametrize("derived_tables", [False, True], ids=["not rebuilt", "rebuilt empty"])
def test_empty_warehouse_renders_an_index_saying_there_is_no_data(
    con, settings, tmp_path, derived_tables
):
    if derived_tables:
        create_derived_tables(con)
    report_set = render_reports(con, tmp_path / "reports", settings)
    index = page(report_set.index_path)
    assert "data-no-data" in index.marked
    assert "No data yet." in index.text
    assert "carewindow ingest" in index.text
    assert report_set.daily_paths == [] and report_set.monthly_paths == []


def test_a_day_without_outbound_messages_says_so(rendered):
    sunday = page(rendered.index_path.parent / "daily" / "2025-03-02.html")
    assert "No violations on this day." in sunday.text
    assert "No messages sent on this day, so there is nothing to compare." in sunday.text
    assert "Meta's pricing is not known for any message sent on this day" in sunday.text
    assert sunday.figures["in_window_share"] == ""
    assert "On this day customers sent 3 messages; nothing was sent to them." in sunday.text


def test_every_regime_is_priced_and_the_one_in_force_marked(rendered):
    monthly = page(rendered.index_path.parent / "monthly" / "2025-03.html")
    regimes = [
        attributes.get("data-regime") for attributes in monthly.row_attributes["regime-comparison"]
    ]
    rows = dict(zip(regimes, monthly.tables["regime-comparison"], strict=True))
    in_force = [
        attributes["data-regime"]
        for attributes in monthly.row_attributes["regime-comparison"]
        if attributes.get("class") == "in-force"
    ]
    assert in_force == ["conversation_2023"]
    assert rows["session_2019"][1:] == ["3", "$0.2420", "0"]
    assert rows["conversation_2023"][1:] == ["6", "$0.2654", "1"]
    assert rows["per_message_2025"][1:] == ["5", "$0.2434", "1"]
    assert len(rows) == 6  # header and five regimes


def test_reconciliation_lists_disagreements_with_both_verdicts(rendered):
    monthly = page(rendered.index_path.parent / "monthly" / "2025-03.html")
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
            "Chargeable or free",
        ],
    ]


def test_data_quality_shows_unknown_rates_missing_categories_and_quarantine(rendered):
    february = page(rendered.index_path.parent / "monthly" / "2025-02.html")
    assert february.tables["unknown-rates"][1:] == [["Brazil", "Marketing", "1"]]
    assert february.tables["missing-categories"][1:] == [["legacy_notice", "1"]]
    reasons = february.tables["quarantine"][1:]
    assert sum(int(row[2]) for row in reasons) == 3
    assert ["webhook", "contact +31 *****9999x is not a phone number", "1", "1"] in reasons
    assert (
        "Every template sent in this month had a category."
        in page(rendered.index_path.parent / "monthly" / "2025-03.html").text
    )


def test_cost_by_market_shows_unknown_cost_apart(rendered):
    monthly = page(rendered.index_path.parent / "monthly" / "2025-03.html")
    assert monthly.tables["cost-by-market"][1:] == [
        ["Netherlands", "Marketing", "2", "2", "$0.2200"],
        ["United Kingdom", "Utility", "2", "2", "$0.0440"],
        ["India", "Authentication", "1", "1", "$0.0014"],
        ["Brazil", "Marketing", "1", "1", "unknown for 1 message (no rate)"],
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
