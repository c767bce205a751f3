"""Render the report set: one jinja environment, aggregates in, HTML files and plotly.js out."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import plotly.io
import plotly.offline
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from analytics.config import Settings
from reports import queries
from reports.content import TREND_DAYS, Chart, Period, index_row, months_of, report_content
from reports.formatting import FILTERS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
PLOTLY_FILE = "plotly.min.js"
STYLESHEET = "report.css"
# Daily reports for the latest days that have traffic; each month has its own report anyway.
DAILY_REPORT_DAYS = 14
CHART_CONFIG = {"displayModeBar": False, "responsive": True}
_REPORT_FILE = re.compile(r"\d{4}-\d{2}(-\d{2})?\.html")


@dataclass(frozen=True)
class ReportSet:
    """The files one rendering wrote, and how long it took."""

    index_path: Path
    daily_paths: list[Path]
    monthly_paths: list[Path]
    seconds: float


def chart_html(chart: Chart) -> Markup:
    """A chart's <div> and the script that draws it, using the plotly.js shipped beside the page."""
    height = chart.figure.layout.height or 320
    html = plotly.io.to_html(
        chart.figure,
        full_html=False,
        include_plotlyjs=False,
        div_id=chart.element_id,
        config=CHART_CONFIG,
        default_height=f"{height}px",
    )
    # Safe to mark: plotly writes the figure as JSON with '<', '>' and '/' escaped, and the
    # figure builders escape every label plotly would otherwise read as its own markup.
    return Markup(html)


ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters.update(FILTERS)
ENVIRONMENT.globals["chart_html"] = chart_html


def _write(path: Path, text: str) -> None:
    # Write beside and rename, so a manager who opens the page mid-render never sees half of it.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _ship_assets(out_dir: Path) -> None:
    """plotly.js and the stylesheet, once, beside the reports (no CDN: pages open offline)."""
    script = out_dir / PLOTLY_FILE
    plotly_js = plotly.offline.get_plotlyjs()
    if not script.exists() or script.stat().st_size != len(plotly_js.encode("utf-8")):
        _write(script, plotly_js)
    shutil.copyfile(STATIC / STYLESHEET, out_dir / STYLESHEET)


def _remove_stale(folder: Path, keep: list[Path]) -> None:
    """Reports of periods no longer rendered (a day that left the latest 14, say)."""
    if not folder.is_dir():
        return
    kept = {path.name for path in keep}
    for path in folder.iterdir():
        if _REPORT_FILE.fullmatch(path.name) and path.name not in kept:
            path.unlink()


def _render_report(
    out_dir: Path,
    period: Period,
    neighbours: tuple[Period | None, Period | None],
    aggregates: queries.ReportAggregates,
    common: dict,
) -> Path:
    content = report_content(period, aggregates)
    html = ENVIRONMENT.get_template("report.html").render(
        report=content,
        previous_report=neighbours[0],
        next_report=neighbours[1],
        root="../",
        trend_days=TREND_DAYS,
        **common,
    )
    path = out_dir / period.path
    _write(path, html)
    return path


def render_reports(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    settings: Settings,
    daily_report_days: int = DAILY_REPORT_DAYS,
) -> ReportSet:
    """Write index.html, a daily report for each of the latest days with traffic, a monthly
    report for every month, and plotly.min.js once beside them."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _ship_assets(out_dir)
    time_zone = settings.business_time_zone
    common = {
        "generated_at": datetime.now(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M"),
        "time_zone": time_zone,
    }
    loads_known = not queries.missing_tables(con, queries.LOAD_TABLES)
    load_status = queries.load_status(con, time_zone) if loads_known else {}
    quarantine = queries.quarantine_summary(con, settings.visible_digits) if loads_known else []
    missing = queries.missing_tables(con, queries.REQUIRED_TABLES)
    day_totals = None if missing else queries.day_totals(con)
    every_day = [] if day_totals is None else list(day_totals["day"])
    days = every_day[-daily_report_days:] if daily_report_days > 0 else []
    daily_paths: list[Path] = []
    monthly_paths: list[Path] = []
    index_context: dict = {"no_data": None}
    if missing:
        index_context["no_data"] = (
            f"The warehouse has not been built yet (no {', '.join(missing)})."
        )
    elif not days:
        index_context["no_data"] = "The warehouse holds no messages."
    else:
        aggregates = queries.report_aggregates(
            con,
            time_zone,
            first_day=min(days),
            visible_digits=settings.visible_digits,
            days=day_totals,
            free_service_messages_per_month=settings.free_service_messages_per_month,
        )
        daily = [Period("day", day) for day in sorted(days)]
        monthly = months_of(every_day)
        for periods, paths in ((daily, daily_paths), (monthly, monthly_paths)):
            for position, period in enumerate(periods):
                neighbours = (
                    periods[position - 1] if position > 0 else None,
                    periods[position + 1] if position + 1 < len(periods) else None,
                )
                paths.append(_render_report(out_dir, period, neighbours, aggregates, common))
        index_context.update(
            first_day=aggregates.coverage.first_day,
            last_day=aggregates.coverage.last_day,
            daily_rows=[index_row(period, aggregates) for period in reversed(daily)],
            monthly_rows=[index_row(period, aggregates) for period in reversed(monthly)],
        )
    _remove_stale(out_dir / "daily", daily_paths)
    _remove_stale(out_dir / "monthly", monthly_paths)
    index_path = out_dir / "index.html"
    _write(
        index_path,
        ENVIRONMENT.get_template("index.html").render(
            root="", load_status=load_status, quarantine=quarantine, **index_context, **common
        ),
    )
    return ReportSet(
        index_path=index_path,
        daily_paths=daily_paths,
        monthly_paths=monthly_paths,
        seconds=time.perf_counter() - started,
    )
