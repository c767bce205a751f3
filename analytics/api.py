"""A small Python API for analysts: the published warehouse, read-only, as pandas DataFrames.

    from analytics.api import open_warehouse

    with open_warehouse("data/demo/warehouse.duckdb") as warehouse:
        warehouse.tables()                      # every public table and view, described
        warehouse.columns("message_facts")      # its columns, types and descriptions
        october = warehouse.month("2026-10")    # daily_summary rows of October 2026
        costs = warehouse.month("2026-10", "daily_costs")
        facts = warehouse.table("violations", limit=100)
        warehouse.sql("select regime, count(*) from message_facts where sent_at >= ?"
                      " group by all", ["2026-10-01"])

It never writes: the connection is read-only, so it can stay open while the nightly run
publishes a new warehouse (open it again to see the new one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import Any

import duckdb
import pandas as pd

from analytics.catalog import public_relations
from analytics.config import load_settings
from analytics.db import connect_read_only

# The time a table's rows are ordered by in Warehouse.table(), latest first: the first of these
# it has.
LATEST_FIRST = (
    "sent_at",
    "day",
    "month",
    "started_at",
    "loaded_at",
    "quarantined_at",
    "effective_from",
    "opened_at",
    "valid_from",
)


class Warehouse:
    """Read-only access to a carewindow warehouse; every answer is a DataFrame."""

    def __init__(self, con: duckdb.DuckDBPyConnection, time_zone: str = "UTC") -> None:
        self.con = con
        self.time_zone = time_zone

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def sql(
        self, query: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """Any query, with values bound as parameters (`?` or `$name`), as a DataFrame.

        Whole numbers stay whole: DuckDB sums integers as HUGEINT, which pandas would read as
        floats (13.0); such columns come back as Int64 (null where the value is null)."""
        result = (
            self.con.execute(query) if parameters is None else self.con.execute(query, parameters)
        )
        types = {column[0]: str(column[1]) for column in result.description}
        frame = result.df()
        for name, kind in types.items():
            if kind in ("HUGEINT", "UHUGEINT") and name in frame:
                frame[name] = frame[name].astype("Int64")
        return frame

    def tables(self) -> pd.DataFrame:
        """Every public table and view, with its kind and description."""
        return self.sql(
            """
            select table_name as name, 'table' as kind, comment as description
            from duckdb_tables()
            where not temporary and not internal and database_name = current_database()
                and schema_name = 'main'
            union all
            select view_name, 'view', comment
            from duckdb_views()
            where not temporary and not internal and database_name = current_database()
                and schema_name = 'main'
            order by name
            """
        )

    def columns(self, table: str) -> pd.DataFrame:
        """The columns of a public table or view: name, type and description."""
        self._check_table(table)
        return self.sql(
            """
            select column_name as name, data_type as type, comment as description
            from duckdb_columns()
            where table_name = ? and database_name = current_database() and schema_name = 'main'
            order by column_index
            """,
            [table],
        )

    def table(self, name: str, limit: int | None = None) -> pd.DataFrame:
        """A whole public table or view (or its first `limit` rows), latest first where it has
        a time (sent_at, day, month, started_at, ...; see LATEST_FIRST), else in the order of
        its columns' values."""
        quoted = self._check_table(name)
        columns = set(self.columns(name)["name"])
        time = next((column for column in LATEST_FIRST if column in columns), None)
        order = "all"
        # `order by x desc, all` is not DuckDB syntax: then every column by position
        if time:
            rest = ", ".join(str(i) for i in range(1, len(columns) + 1))
            order = f'"{time}" desc nulls last, {rest}'
        query = f"select * from {quoted} order by {order}"
        if limit is None:
            return self.sql(query)
        return self.sql(f"{query} limit ?", [limit])

    def month(self, month: str | date, table: str = "daily_summary") -> pd.DataFrame:
        """The rows of one calendar month ('2026-10') of a table with a `day` column
        (daily_summary, daily_costs) or a `sent_at` column (message_facts, violations, ...),
        months in the business time zone."""
        start = _month_start(month)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        quoted = self._check_table(table)
        columns = set(self.columns(table)["name"])
        if "day" in columns:
            return self.sql(
                f"select * from {quoted} where day >= ? and day < ? order by day", [start, end]
            )
        if "sent_at" in columns:
            return self.sql(
                f"select * from {quoted} where timezone(?, sent_at)::date >= ?"
                " and timezone(?, sent_at)::date < ? order by sent_at",
                [self.time_zone, start, self.time_zone, end],
            )
        raise ValueError(f"{table} has neither a day nor a sent_at column: use table() or sql()")

    def _check_table(self, name: str) -> str:
        """The quoted name of a public table or view; a clear error for any other name."""
        known = public_relations(self.con)
        if name not in known:
            raise ValueError(
                f"no table or view {name!r} in the warehouse; tables(): {', '.join(sorted(known))}"
            )
        return '"' + name.replace('"', '""') + '"'


def _month_start(month: str | date) -> date:
    if isinstance(month, date):
        return month.replace(day=1)
    try:
        return date.fromisoformat(f"{month}-01" if len(month) == 7 else month).replace(day=1)
    except ValueError:
        raise ValueError(f"month {month!r} is not YYYY-MM (for example '2026-10')") from None


def open_warehouse(
    path: str | os.PathLike | None = None, config: str | os.PathLike | None = None
) -> Warehouse:
    """The published warehouse at path (default: warehouse.path of carewindow.toml), read-only."""
    settings = load_settings(config)
    return Warehouse(
        connect_read_only(path or settings.db_path), time_zone=settings.business_time_zone
    )
