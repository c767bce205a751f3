"""Chart builders: pure functions from a few aggregated numbers to a plotly Figure.

Each builder writes its traces and layout as plain dicts and makes the Figure once: plotly's
property-by-property updates cost tens of milliseconds a chart, and a report set has hundreds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

INBOUND_COLOUR = "#4c78a8"
OUTBOUND_COLOUR = "#f58518"
SESSION_VIOLATION_COLOUR = "#d62728"
TEMPLATE_VIOLATION_COLOUR = "#9467bd"
FREE_COLOUR = "#54a24b"
CHARGEABLE_COLOUR = "#e45756"
IN_FORCE_COLOUR = "#1f4e79"
WHAT_IF_COLOUR = "#a6bddb"
HIGHLIGHT_COLOUR = "rgba(255, 200, 0, 0.25)"
CATEGORY_COLOURS = {
    "marketing": "#e45756",
    "utility": "#4c78a8",
    "authentication": "#72b7b2",
    "authentication_international": "#54a24b",
    "service": "#bab0ac",
}
AXIS_STYLE = {
    "gridcolor": "#e6e9ef",
    "zerolinecolor": "#c9d0d8",
    "linecolor": "#c9d0d8",
    "automargin": True,
}


def chart_text(text: str | None) -> str:
    """Text plotly shows as it is: plotly reads <b>, <a href> and entities in labels as markup."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _numbers(values: Sequence[int | float | Decimal | None]) -> list[float]:
    return [float(value or 0) for value in values]


def _sums(*series: Sequence[float]) -> list[float]:
    return [sum(values) for values in zip(*series, strict=True)]


def _layout(title: str, height: int = 320, **more: Any) -> dict[str, Any]:
    # No stock plotly template: those weigh 7 kB per chart in the page.
    layout: dict[str, Any] = {
        "template": "none",
        "title": {
            "text": chart_text(title),
            "x": 0.01,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
            "font": {"size": 15},
        },
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 78, "b": 40},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "traceorder": "normal",
        },
        "font": {
            "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
            "size": 12,
            "color": "#1f2933",
        },
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "bargap": 0.25,
    }
    layout.update(more)
    return layout


def _count_axis(values: Sequence[float], title: str) -> dict[str, Any]:
    """An axis of whole numbers (no '0.5 violations') starting at zero."""
    axis = {**AXIS_STYLE, "title": {"text": title}, "rangemode": "tozero", "tickformat": ",d"}
    if max(values, default=0) <= 6:
        axis["dtick"] = 1
    return axis


def _daily_axis(days: Sequence[date]) -> dict[str, Any]:
    # About five labels, upright, whatever the number of days: charts sit three abreast.
    return {
        **AXIS_STYLE,
        "type": "date",
        "tickformat": "%-d %b",
        "showgrid": False,
        "tickangle": 0,
        "tick0": str(days[0]) if days else None,
        "dtick": 86_400_000 * max(1, -(-len(days) // 5)),
    }


def _highlight(day: date | None) -> list[dict[str, Any]]:
    """A shaded band behind the report's own day, so it stands out in the trend."""
    if day is None:
        return []
    # Bars sit on the day's midnight on a date axis, so the band runs from noon before to noon
    # after (a date minus 12 hours would still be that date: a band of no width).
    midnight = datetime.combine(day, time())
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "x0": (midnight - timedelta(hours=12)).isoformat(sep=" "),
            "x1": (midnight + timedelta(hours=12)).isoformat(sep=" "),
            "fillcolor": HIGHLIGHT_COLOUR,
            "line": {"width": 0},
            "layer": "below",
        }
    ]


def _daily_bars(
    title: str,
    days: Sequence[date],
    series: Sequence[tuple[str, Sequence[float], str]],
    barmode: str,
    axis_title: str,
    highlight: date | None,
) -> go.Figure:
    x = [str(day) for day in days]
    traces = [
        {"type": "bar", "x": x, "y": values, "name": name, "marker": {"color": colour}}
        for name, values, colour in series
    ]
    heights = (
        _sums(*(values for _, values, _ in series))
        if barmode == "stack"
        else [value for _, values, _ in series for value in values]
    )
    layout = _layout(
        title,
        barmode=barmode,
        xaxis=_daily_axis(days),
        yaxis=_count_axis(heights, axis_title),
        shapes=_highlight(highlight),
    )
    return go.Figure(data=traces, layout=layout)


def traffic_trend_figure(
    days: Sequence[date],
    inbound: Sequence[int],
    outbound: Sequence[int],
    highlight: date | None = None,
) -> go.Figure:
    """Messages received and sent per day."""
    return _daily_bars(
        "Messages per day",
        days,
        [
            ("Received", _numbers(inbound), INBOUND_COLOUR),
            ("Sent", _numbers(outbound), OUTBOUND_COLOUR),
        ],
        "group",
        "messages",
        highlight,
    )


def violations_trend_figure(
    days: Sequence[date],
    session_outside_window: Sequence[int],
    template_without_opt_in: Sequence[int],
    highlight: date | None = None,
) -> go.Figure:
    """Violations per day, by kind, stacked."""
    return _daily_bars(
        "Violations per day",
        days,
        [
            (
                "Free-form outside window",
                _numbers(session_outside_window),
                SESSION_VIOLATION_COLOUR,
            ),
            (
                "Template without opt-in",
                _numbers(template_without_opt_in),
                TEMPLATE_VIOLATION_COLOUR,
            ),
        ],
        "stack",
        "violations",
        highlight,
    )


def billing_trend_figure(
    days: Sequence[date],
    free: Sequence[int],
    chargeable: Sequence[int],
    highlight: date | None = None,
) -> go.Figure:
    """Free and chargeable messages sent per day, stacked."""
    return _daily_bars(
        "Free (delivered) and chargeable per day",
        days,
        [
            ("Free", _numbers(free), FREE_COLOUR),
            ("Chargeable", _numbers(chargeable), CHARGEABLE_COLOUR),
        ],
        "stack",
        "messages",
        highlight,
    )


def violations_by_template_figure(
    labels: Sequence[str],
    session_outside_window: Sequence[int],
    template_without_opt_in: Sequence[int],
) -> go.Figure:
    """Violations per template (free-form messages as one line), most first, top at the top."""
    names = [chart_text(label) for label in labels][::-1]
    session = _numbers(session_outside_window)[::-1]
    template = _numbers(template_without_opt_in)[::-1]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": session,
            "name": "Free-form outside window",
            "marker": {"color": SESSION_VIOLATION_COLOUR},
        },
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": template,
            "name": "Template without opt-in",
            "marker": {"color": TEMPLATE_VIOLATION_COLOUR},
        },
    ]
    layout = _layout(
        "Violations by template",
        height=max(220, 110 + 34 * len(labels)),
        barmode="stack",
        hovermode="y unified",
        xaxis=_count_axis(_sums(session, template), "violations"),
        yaxis={**AXIS_STYLE, "type": "category", "showgrid": False},
    )
    return go.Figure(data=traces, layout=layout)


def cost_by_market_figure(
    markets: Sequence[str],
    cost_by_category: Mapping[str, Sequence[float | Decimal | None]],
    currency: str,
    category_labels: Mapping[str, str],
) -> go.Figure:
    """Estimated cost per market, stacked by pricing category, in one currency."""
    x = [chart_text(market) for market in markets]
    traces = [
        {
            "type": "bar",
            "x": x,
            "y": _numbers(costs),
            "name": chart_text(category_labels.get(category, category)),
            "marker": {"color": CATEGORY_COLOURS.get(category, "#888888")},
        }
        for category, costs in cost_by_category.items()
    ]
    layout = _layout(
        f"Estimated cost by market ({currency})",
        barmode="stack",
        xaxis={**AXIS_STYLE, "type": "category", "showgrid": False},
        yaxis={**AXIS_STYLE, "title": {"text": chart_text(currency)}, "rangemode": "tozero"},
    )
    return go.Figure(data=traces, layout=layout)


def regime_comparison_figure(
    regime_labels: Sequence[str],
    chargeable: Sequence[int],
    costs: Sequence[float | Decimal | None],
    in_force: Sequence[bool],
    currency: str | None,
) -> go.Figure:
    """The same messages priced under every regime: chargeable count and cost, side by side."""
    colours = [IN_FORCE_COLOUR if flag else WHAT_IF_COLOUR for flag in in_force][::-1]
    names = [chart_text(label) for label in regime_labels][::-1]
    counts = _numbers(chargeable)[::-1]
    cost_title = f"Estimated cost ({currency})" if currency else "Estimated cost"
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": counts,
            "xaxis": "x",
            "yaxis": "y",
            "marker": {"color": colours},
            "name": "Chargeable messages",
            "showlegend": False,
        },
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": _numbers(costs)[::-1],
            "xaxis": "x2",
            "yaxis": "y2",
            "marker": {"color": colours},
            "name": chart_text(cost_title),
            "showlegend": False,
        },
    ]
    subtitle = {
        "xref": "paper",
        "yref": "paper",
        "y": 1.0,
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 13},
    }
    count_axis = _count_axis(counts, "")
    layout = _layout(
        "Chargeable messages and estimated cost per regime (dark bars: in force)",
        height=300,
        hovermode="closest",
        margin={"l": 16, "r": 16, "t": 78, "b": 32},
        xaxis={**count_axis, "domain": [0, 0.44], "showgrid": True, "anchor": "y"},
        yaxis={**AXIS_STYLE, "type": "category", "showgrid": False, "anchor": "x"},
        xaxis2={**AXIS_STYLE, "domain": [0.58, 1], "rangemode": "tozero", "anchor": "y2"},
        yaxis2={
            **AXIS_STYLE,
            "type": "category",
            "showgrid": False,
            "anchor": "x2",
            "showticklabels": False,
        },
        annotations=[
            {**subtitle, "text": "Chargeable messages", "x": 0.22, "xanchor": "center"},
            {**subtitle, "text": chart_text(cost_title), "x": 0.79, "xanchor": "center"},
        ],
    )
    return go.Figure(data=traces, layout=layout)
