"""The record of each pipeline run in the warehouse (`pipeline_runs`), for analysts and ops.

A run's outcome is one of:
- `running`: under way (or killed; the next writer marks it `failed`, "interrupted");
- `succeeded`: everything it was asked to do was done;
- `partial`: every file that could be loaded was loaded, rebuilt and reported, but the files
  named in `detail` failed to load (each has a `load_log` row with its error); the command
  exits non-zero and its Prefect flow run ends Failed;
- `failed`: the run stopped; `detail` says why.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import duckdb

from analytics.db import fetch_all, fetch_value

DETAIL_LIMIT = 2000
_UNPRINTABLE = re.compile(r"[^\t\x20-\x7e\u00a0-\ufffc]+")


def one_line(text: object, limit: int = DETAIL_LIMIT) -> str:
    """Text as one printable line of at most `limit` characters (errors can quote binary bytes)."""
    flat = " ".join(_UNPRINTABLE.sub("?", str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class RunCounts:
    files_loaded: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    violations: int | None = None
    billable_messages: int | None = None
    reports_dir: str | None = None
    detail: str | None = None


@dataclass
class Run:
    """A run under way: what its body found, recorded when the block ends."""

    run_id: str
    command: str
    counts: RunCounts = field(default_factory=RunCounts)
    file_errors: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return "partial" if self.file_errors else "succeeded"

    def detail(self) -> str | None:
        if not self.file_errors:
            return self.counts.detail
        return one_line(
            f"{len(self.file_errors)} file(s) failed to load: " + "; ".join(self.file_errors)
        )


class FilesFailed(RuntimeError):
    """A run did everything else, but some files failed to load: the run must not look fine."""

    def __init__(self, run_id: str, file_errors: list[str], summary: object = None):
        self.run_id = run_id
        self.file_errors = list(file_errors)
        self.summary = summary
        RuntimeError.__init__(
            self,
            one_line(
                f"run {run_id}: {len(file_errors)} file(s) failed to load, everything else was "
                "loaded, rebuilt and reported: " + "; ".join(file_errors) + ". Fix or remove "
                "those files and run again (loaded files are not loaded twice)",
                limit=4000,
            ),
        )

    def __reduce__(self):
        # Prefect stores a flow run's result by pickling it: rebuild from the same arguments.
        return (type(self), (self.run_id, self.file_errors, self.summary))


@contextlib.contextmanager
def recorded_run(
    con: duckdb.DuckDBPyConnection, command: str, run_id: str | None = None
) -> Iterator[Run]:
    """Record a run in `pipeline_runs`: 'running' now, its outcome and counts when the block ends.

    The body fills `run.counts` and `run.file_errors`; an exception records 'failed' with the
    error and goes on.
    """
    run = Run(start_run(con, command, run_id), command)
    try:
        yield run
    except BaseException as error:
        # After a fatal DuckDB error the connection is gone: the original error matters more.
        with contextlib.suppress(duckdb.Error):
            detail = one_line(error) or type(error).__name__
            finish_run(con, run.run_id, "failed", replace(run.counts, detail=detail))
        raise
    finish_run(con, run.run_id, run.outcome, replace(run.counts, detail=run.detail()))


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
    """Record how a run ended (succeeded, partial or failed), with its counts."""
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


def card_freshness(con: duckdb.DuckDBPyConnection) -> str:
    """A sentence when the latest month priced was priced with a rate card Meta may have
    replaced since (rate_card_freshness), else ''."""
    found = fetch_all(
        con,
        "select strftime(month, '%B %Y'), string_agg(distinct rate_card, ', ' order by rate_card), "
        "min(newer_card_possible_from) from rate_card_freshness "
        "where month = (select max(month) from rate_card_freshness) "
        "and newer_card_possible_from is not null group by month",
    )
    if not found:
        return ""
    month, cards, newer = found[0]
    return (
        f"{month} is priced with {cards}, and Meta may have published newer cards from "
        f"{newer:%Y-%m-%d}: download the current card from Meta's pricing page into "
        "data/rate_cards/ (inputs.rate_cards)"
    )
