"""The record of each pipeline run in the warehouse (`pipeline_runs`), for analysts and ops."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import duckdb

from analytics.db import fetch_value


@dataclass
class RunCounts:
    files_loaded: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    violations: int | None = None
    billable_messages: int | None = None
    reports_dir: str | None = None
    detail: str | None = None


def start_run(con: duckdb.DuckDBPyConnection, command: str, run_id: str | None = None) -> str:
    """Record that a run started; return its id."""
    run_id = run_id or uuid.uuid4().hex[:12]
    # The caller holds the writer lock, so a run still marked running was killed or crashed.
    con.execute(
        "update pipeline_runs set outcome = 'failed', detail = coalesce(detail || '; ', '') || ? "
        "where outcome = 'running'",
        [
            "interrupted: the process ended (killed or crashed) before recording its outcome; "
            "files it had loaded completely stay loaded, its other work was discarded"
        ],
    )
    con.execute(
        "insert into pipeline_runs (run_id, command, started_at, outcome) "
        "values (?, ?, now(), 'running')",
        [run_id, command],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, outcome: str, counts: RunCounts | None = None
) -> None:
    """Record how a run ended: succeeded or failed, with its counts."""
    counts = counts or RunCounts()
    con.execute(
        """
        update pipeline_runs set
            finished_at = now(), outcome = ?, files_loaded = ?, rows_loaded = ?,
            rows_quarantined = ?, violations = ?, billable_messages = ?, reports_dir = ?,
            detail = ?
        where run_id = ?
        """,
        [
            outcome,
            counts.files_loaded,
            counts.rows_loaded,
            counts.rows_quarantined,
            counts.violations,
            counts.billable_messages,
            counts.reports_dir,
            counts.detail,
            run_id,
        ],
    )


def billable_messages(con: duckdb.DuckDBPyConnection) -> int:
    """Outbound messages chargeable under the regime in force, after a rebuild."""
    return fetch_value(con, "select count(*) from message_facts where billable") or 0
