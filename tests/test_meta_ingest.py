"""Loading what Meta itself reports: pricing_analytics, conversation_analytics, template lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from analytics.db import connect_memory, fetch_all, fetch_value
from analytics.ingest import detect_kind, ingest_file

SAMPLES = Path(__file__).parent / "samples" / "graph_api"
DAY = 86400
D0 = 1777852800  # 2026-05-04 00:00 UTC


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def point(start=D0, end=D0 + DAY, **fields) -> dict:
    return {
        "start": start,
        "end": end,
        "phone_number": "31201234567",
        "country": "NL",
        "pricing_type": "REGULAR",
        "pricing_category": "MARKETING",
        "tier": "0:MAX",
        "volume": 10,
        "cost": 1.5,
        **fields,
    }


def pricing_page(*points: dict, waba="WABA1") -> dict:
    return {"pricing_analytics": {"data": [{"data_points": list(points)}]}, "id": waba}


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def adds_up(load) -> bool:
    return load.rows_read == load.loaded + load.duplicates + load.quarantined + load.skipped


# --- the samples, as they are -------------------------------------------------------------


def test_the_pricing_analytics_sample_loads_every_data_point(con, settings):
    load = ingest_file(con, SAMPLES / "pricing_analytics_example.json", settings)
    assert (load.kind, load.rows_read, load.loaded, load.quarantined) == (
        "pricing_analytics",
        16,
        16,
        0,
    )
    rows = fetch_all(
        con,
        "select period_start, period_end, granularity, business_number, country, "
        "pricing_category, pricing_type, tier, volume, cost, waba_id from meta_pricing_analytics "
        "where country = 'IN' order by period_start",
    )
    assert rows[0] == (
        utc(2026, 5, 4),
        utc(2026, 5, 5),
        "daily",
        "4930123456789",
        "IN",
        "authentication_international",
        "regular",
        "0:750000",
        300,
        Decimal("9.120000"),
        "102290129340398",
    )
    # a free row has no tier (Meta omits it)
    assert (
        fetch_value(
            con,
            "select count(*) from meta_pricing_analytics where pricing_type <> 'regular' "
            "and tier is not null",
        )
        == 0
    )
    assert fetch_value(con, "select sum(volume) from meta_pricing_analytics") == 1462


def test_a_conversation_analytics_page_loads_with_direction_and_month(con, settings):
    load = ingest_file(con, SAMPLES / "conversation_analytics_example.json", settings)
    assert (load.kind, load.loaded, load.quarantined) == ("conversation_analytics", 10, 0)
    row = fetch_all(
        con,
        "select period_start, period_end, granularity, conversation_category, conversation_type,"
        " conversation_direction, volume, cost from meta_conversation_analytics "
        "where business_number = '6281234567890' and conversation_type = 'free_tier'",
    )
    assert row == [
        (
            utc(2024, 9, 1),
            utc(2024, 10, 1),
            "monthly",
            "service",
            "free_tier",
            "user_initiated",
            1000,
            Decimal("0.000000"),
        )
    ]
    assert (
        fetch_value(
            con,
            "select count(*) from meta_conversation_analytics "
            "where conversation_direction = 'unknown'",
        )
        == 1
    )


def test_each_sample_loads_once_and_a_second_load_changes_nothing(con, settings):
    for name in ("pricing_analytics_example.json", "conversation_analytics_example.json"):
        first = ingest_file(con, SAMPLES / name, settings)
        assert first.outcome == "loaded" and adds_up(first)
    before = fetch_all(con, "select * from meta_pricing_analytics order by all")
    # the same figures under another file name: every point a duplicate
    copy = SAMPLES / "pricing_analytics_example.json"
    again = ingest_file(con, copy, settings)
    assert again.outcome == "already_loaded"
    assert fetch_all(con, "select * from meta_pricing_analytics order by all") == before


def test_the_samples_are_recognised_from_their_content():
    assert detect_kind(SAMPLES / "pricing_analytics_example.json") == "pricing_analytics"
    assert detect_kind(SAMPLES / "conversation_analytics_example.json") == "conversation_analytics"
    assert detect_kind(SAMPLES / "status_webhooks_2025_2026.jsonl") == "webhook"


# --- shapes: one body, an array of pages, JSON Lines of pages; half hours ----------------


def test_an_array_of_pages_and_json_lines_of_pages_load_the_same(tmp_path, settings):
    pages = [
        pricing_page(point(), point(country="BE", volume=3)),
        pricing_page(point(start=D0 + DAY, end=D0 + 2 * DAY, volume=7)),
    ]
    as_array = write(tmp_path, "pages.json", pages)
    as_lines = write(tmp_path, "pages.jsonl", "\n".join(json.dumps(p) for p in pages) + "\n")
    results = []
    for path in (as_array, as_lines):
        con = connect_memory(settings)
        load = ingest_file(con, path, settings)
        assert (load.kind, load.loaded, load.quarantined) == ("pricing_analytics", 3, 0)
        results.append(
            fetch_all(
                con,
                "select * exclude (source_file, loaded_at) from meta_pricing_analytics "
                "order by all",
            )
        )
        con.close()
    assert results[0] == results[1]


def test_half_hour_points_are_recognised_by_their_length(con, tmp_path, settings):
    path = write(
        tmp_path,
        "half.json",
        pricing_page(point(start=D0, end=D0 + 1800), point(start=D0 + 1800, end=D0 + 3600)),
    )
    ingest_file(con, path, settings)
    assert fetch_all(con, "select distinct granularity from meta_pricing_analytics") == [
        ("half_hour",)
    ]


# --- bad data points quarantined, counts add up ------------------------------------------


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"start": "yesterday"}, "start and end must be Unix seconds"),
        ({"end": D0 + 7200}, "not a half hour, a UTC day or a UTC month"),
        ({"phone_number": None}, "export with the PHONE dimension"),
        ({"country": "Netherlands"}, "not an ISO 3166 alpha-2 code"),
        ({"pricing_type": None}, "PRICING_TYPE dimension"),
        ({"volume": -3}, "volume is not a whole number"),
        ({"volume": "many"}, "volume is not a whole number"),
        ({"cost": "1,5"}, "cost is not an amount of money"),
        ({"volume": None, "cost": None}, "neither volume nor cost"),
    ],
)
def test_a_bad_data_point_is_quarantined_with_its_reason(con, tmp_path, settings, bad, reason):
    fields = point(**{"country": "BE", **bad})
    fields = {key: value for key, value in fields.items() if value is not None}
    path = write(tmp_path, "bad.json", pricing_page(point(), fields))
    load = ingest_file(con, path, settings)
    assert (load.loaded, load.quarantined) == (1, 1)
    assert adds_up(load)
    assert reason in fetch_value(con, "select reason from quarantine")


def test_an_error_page_and_a_damaged_line_are_quarantined_the_rest_loads(con, tmp_path, settings):
    lines = [
        json.dumps(pricing_page(point())),
        json.dumps({"error": {"message": "Invalid OAuth access token", "code": 190}}),
        '{"pricing_analytics": {"data": [',
        json.dumps(pricing_page()),  # a page without data points: read, skipped
    ]
    path = write(tmp_path, "export.jsonl", "\n".join(lines) + "\n")
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.quarantined, load.skipped) == (4, 1, 2, 1)
    reasons = [r for (r,) in fetch_all(con, "select reason from quarantine order by line")]
    assert reasons == [
        "Graph API error: Invalid OAuth access token; request the page again",
        "not valid JSON",
    ]


def test_a_later_export_revises_a_point_and_repeats_are_duplicates(con, tmp_path, settings):
    ingest_file(
        con, write(tmp_path, "a.json", pricing_page(point(), point(country="BE"))), settings
    )
    later = ingest_file(
        con,
        write(tmp_path, "b.json", pricing_page(point(volume=12, cost=1.8), point(country="BE"))),
        settings,
    )
    assert (later.loaded, later.duplicates) == (1, 1)
    assert "1 data point(s) revised" in later.detail
    assert fetch_all(
        con, "select country, volume from meta_pricing_analytics order by country"
    ) == [("BE", 10), ("NL", 12)]


def test_a_point_repeated_in_one_file_with_other_figures_is_quarantined(con, tmp_path, settings):
    path = write(
        tmp_path,
        "twice.json",
        [pricing_page(point()), pricing_page(point(volume=11)), pricing_page(point())],
    )
    load = ingest_file(con, path, settings)
    assert (load.loaded, load.duplicates, load.quarantined) == (1, 1, 1)
    assert "repeats the data point of line 1 with other figures" in fetch_value(
        con, "select reason from quarantine"
    )


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "day": st.integers(0, 3),
                "country": st.sampled_from(["NL", "BE", "xx", None]),
                "volume": st.one_of(st.integers(-2, 50), st.just("n/a")),
            }
        ),
        max_size=12,
    )
)
def test_any_export_accounts_for_every_point_and_loads_once(tmp_path_factory, settings, specs):
    folder = tmp_path_factory.mktemp("export")
    points = []
    for spec in specs:
        fields = point(
            start=D0 + spec["day"] * DAY,
            end=D0 + (spec["day"] + 1) * DAY,
            country=spec["country"],
            volume=spec["volume"],
        )
        points.append({k: v for k, v in fields.items() if v is not None})
    path = write(folder, "export.json", pricing_page(*points))
    con = connect_memory(settings)
    load = ingest_file(con, path, settings)
    assert load.rows_read == (len(points) or 1) and adds_up(load)  # an empty page is skipped
    stored = fetch_value(con, "select count(*) from meta_pricing_analytics")
    assert stored == load.loaded
    copy = write(folder, "copy.json", pricing_page(*points, waba="WABA1") | {"_note": "again"})
    again = ingest_file(con, copy, settings)
    assert again.loaded == 0 and adds_up(again)
    assert fetch_value(con, "select count(*) from meta_pricing_analytics") == stored
    con.close()


def test_carewindow_ingest_takes_the_graph_api_folder_as_it_is(tmp_path):
    from click.testing import CliRunner

    from flows.cli import main

    db = tmp_path / "warehouse.duckdb"
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(SAMPLES), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "pricing_analytics, loaded, 16 read, 16 loaded" in result.output
    assert "conversation_analytics, loaded, 10 read, 10 loaded" in result.output
    again = runner.invoke(main, ["ingest", str(SAMPLES), "--db", str(db)])
    assert again.exit_code == 0 and "3 already loaded" in again.output
    forced = runner.invoke(
        main,
        [
            "ingest",
            str(SAMPLES / "pricing_analytics_example.json"),
            "--kind",
            "conversation_analytics",
            "--db",
            str(tmp_path / "other.duckdb"),
        ],
    )
    assert forced.exit_code == 0
    assert "1 quarantined" in forced.output  # the page is not a conversation_analytics response
