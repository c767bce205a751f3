"""Reports in a real headless Chromium: they load from disk with no network, no console errors,
and every chart draws."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from report_fixtures import build_report_warehouse

from analytics.config import Settings
from analytics.db import connect_memory
from reports.render import render_reports

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}; install it with `apt-get install -y chromium`",
    ),
]

# Each chart div, and whether plotly drew it (plotly adds .js-plotly-plot and an svg.main-svg).
CHARTS_DRAWN = """
() => Array.from(document.querySelectorAll('div.plotly-graph-div')).map(
    chart => [chart.id, chart.classList.contains('js-plotly-plot')
                        && chart.querySelector('.main-svg') !== null])
"""


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def report_set(tmp_path_factory):
    """One report set for the module: opening pages is what takes the time here."""
    folder = tmp_path_factory.mktemp("browser")
    settings = Settings(temp_directory=str(folder / "tmp"), memory_limit="2GB")
    con = connect_memory(settings)
    build_report_warehouse(con)
    yield render_reports(con, folder / "reports", settings)
    con.close()


def open_offline(browser, path: Path):
    """The page at path, with every request that is not a local file refused and recorded."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def refuse_network(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            problems.append(f"network request: {route.request.url}")
            route.abort()

    page.route("**/*", refuse_network)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, problems


@pytest.mark.parametrize(
    ("report", "charts"),
    [
        (
            "daily/2025-03-03.html",
            [
                "traffic-trend",
                "violations-trend",
                "billing-trend",
                "violations-by-template",
                "cost-by-market",
                "regime-comparison",
            ],
        ),
        ("daily/2025-03-02.html", ["traffic-trend", "violations-trend", "billing-trend"]),
        (
            "monthly/2025-03.html",
            [
                "traffic-trend",
                "violations-trend",
                "billing-trend",
                "violations-by-template",
                "cost-by-market",
                "regime-comparison",
            ],
        ),
        (
            "monthly/2025-02.html",
            [
                "traffic-trend",
                "violations-trend",
                "billing-trend",
                "violations-by-template",
                "cost-by-market",
                "regime-comparison",
            ],
        ),
    ],
)
def test_report_opens_from_disk_and_draws_every_chart(browser, report_set, report, charts):
    page, problems = open_offline(browser, report_set.index_path.parent / report)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    drawn = page.evaluate(CHARTS_DRAWN)
    page.close()
    assert problems == []
    assert drawn == [[chart, True] for chart in charts]


def test_index_links_open_reports(browser, report_set):
    page, problems = open_offline(browser, report_set.index_path)
    page.click('a[href="monthly/2025-03.html"]')
    page.wait_for_url("**/monthly/2025-03.html")
    assert page.locator("h1").inner_text().endswith("March 2025")
    page.close()
    assert problems == []
