"""The analysts' Python API: the published warehouse, read-only, as DataFrames."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest
from report_fixtures import build_report_warehouse

from analytics.api import Warehouse, open_warehouse
from analytics.db import connect_file


@pytest.fixture
def published(settings, tmp_path):
    """A warehouse file rebuilt from the report fixtures' hand-written rows."""
    path = tmp_path / "published.duckdb"
    con = connect_file(path, settings)
    build_report_warehouse(con, settings)
    con.close()
    return path


def test_a_month_of_daily_summary_as_a_dataframe(published):
    with open_warehouse(published) as warehouse:
        march = warehouse.month("2025-03")
    assert isinstance(march, pd.DataFrame)
    assert sorted({day.date() for day in pd.to_datetime(march["day"])}) == [
        date(2025, 3, day) for day in (1, 2, 3, 4)
    ]
    assert march["outbound_messages"].sum() == 11


def test_a_month_of_messages_by_send_time(published):
    with open_warehouse(published) as warehouse:
        february = warehouse.month(date(2025, 2, 10), "message_facts")
    assert list(february["message_id"]) == ["f01", "f02", "f03", "f04", "f05", "f06", "f07"]


def test_tables_and_columns_carry_their_descriptions(published):
    with open_warehouse(published) as warehouse:
        tables = warehouse.tables().set_index("name")
        columns = warehouse.columns("daily_costs").set_index("name")
        violations = warehouse.table("violations", limit=2)
    assert tables.loc["violations", "kind"] == "view"
    assert tables.loc["message_facts", "description"].startswith("One row per outbound message")
    assert columns.loc["cost_unknown_messages", "description"].startswith("Chargeable")
    assert len(violations) == 2


def test_sql_binds_its_values(published):
    with open_warehouse(published) as warehouse:
        found = warehouse.sql(
            "select count(*) as messages from message_facts where contact = ?", ["31612345678"]
        )
    assert found["messages"].tolist() == [7]  # f01, f02, f07, f08, f10, f15, f18


def test_it_never_writes(published):
    with open_warehouse(published) as warehouse, pytest.raises(duckdb.Error, match="read-only"):
        warehouse.sql("delete from messages")


def test_a_name_that_is_no_table_is_refused_with_the_list_of_tables(published):
    with open_warehouse(published) as warehouse:
        with pytest.raises(ValueError, match="no table or view 'messages; drop table x'"):
            warehouse.table("messages; drop table x")
        with pytest.raises(ValueError, match="neither a day nor a sent_at column"):
            warehouse.month("2025-03", "rate_cards")
        with pytest.raises(ValueError, match="is not YYYY-MM"):
            warehouse.month("March")


def test_a_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(RuntimeError, match="carewindow demo"):
        open_warehouse(tmp_path / "none.duckdb")
    assert Warehouse.__doc__


def test_counts_come_back_as_whole_numbers(published):
    # given sums DuckDB computes as HUGEINT (they once came back as 13.0)
    with open_warehouse(published) as warehouse:
        found = warehouse.sql(
            "select sum(outbound_messages) as outbound, sum(outbound_messages) filter "
            "(where false) as none_yet from daily_summary"
        )
        month = warehouse.month("2025-03")
    assert str(found["outbound"].dtype) == "Int64"
    assert found["outbound"].tolist() == [int(found["outbound"].iloc[0])]
    assert found["none_yet"].isna().all()
    assert all(str(month[c].dtype) in ("int64", "Int64") for c in month if c.endswith("messages"))


def test_a_table_with_a_time_comes_latest_first(published):
    with open_warehouse(published) as warehouse:
        latest = warehouse.table("violations", limit=2)
        every = warehouse.sql("select sent_at from violations order by sent_at desc limit 2")
        rates = warehouse.table("rate_cards")
    assert latest["sent_at"].tolist() == every["sent_at"].tolist()
    assert rates["effective_from"].is_monotonic_decreasing
