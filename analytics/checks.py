"""Data checks: queries under analytics/sql/checks/ that must return no rows."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from analytics.db import fetch_all, fetch_value, sql_names, sql_text

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class CheckFailure:
    name: str  # the check file's name, e.g. "care_windows_window_id_unique"
    failing_rows: int
    sample: list[tuple]

    def describe(self) -> str:
        return f"{self.name}: {self.failing_rows} failing row(s), e.g. {self.sample[:3]}"


class DataCheckError(RuntimeError):
    """One or more data checks returned rows; the message lists each with samples."""

    def __init__(self, failures: list[CheckFailure]):
        self.failures = failures
        super().__init__(
            f"{len(failures)} data check(s) failed:\n"
            + "\n".join(f"- {failure.describe()}" for failure in failures)
        )


def check_names() -> list[str]:
    """Every data check, by file name, in name order."""
    return [name.removeprefix("checks/") for name in sql_names("checks")]


def run_check(con: duckdb.DuckDBPyConnection, name: str) -> CheckFailure | None:
    """Run one check; a CheckFailure if it returned rows, else None."""
    body = sql_text(f"checks/{name}")
    # Count in the database: a broken table could fail millions of rows; fetch only a sample.
    failing_rows = fetch_value(con, f"select count(*) from ({body})")
    if not failing_rows:
        return None
    sample = fetch_all(con, f"select * from ({body}) limit ?", [SAMPLE_ROWS])
    return CheckFailure(name=name, failing_rows=failing_rows, sample=sample)


def run_data_checks(con: duckdb.DuckDBPyConnection) -> list[CheckFailure]:
    """Every check that failed (an empty list when the warehouse is consistent)."""
    return [failure for name in check_names() if (failure := run_check(con, name)) is not None]


def assert_data_checks(con: duckdb.DuckDBPyConnection) -> None:
    """Raise DataCheckError when any data check fails."""
    failures = run_data_checks(con)
    if failures:
        raise DataCheckError(failures)
