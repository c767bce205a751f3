"""The load log: one row per file a load took, whose counts add up, and the run's totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from analytics.db import fetch_value


@dataclass
class FileLoad:
    file: str
    kind: str
    outcome: str  # loaded | already_loaded | skipped (no data file) | failed
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    skipped: int = 0
    detail: str = ""


@dataclass
class IngestResult:
    loads: list[FileLoad] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(load, name) for load in self.loads)

    @property
    def files_loaded(self) -> int:
        """Files loaded now, not those already loaded before."""
        return sum(1 for load in self.loads if load.outcome == "loaded")

    def summary(self) -> str:
        new = self.files_loaded
        again = sum(1 for load in self.loads if load.outcome == "already_loaded")
        skipped = sum(1 for load in self.loads if load.outcome == "skipped")
        retried = sum(1 for load in self.loads if load.outcome == "retried")
        what = " and ".join(
            part
            for part in (
                f"ingested {new} file(s)" if new or not retried else "",
                f"retried the quarantined rows of {retried} file(s)" if retried else "",
            )
            if part
        )
        text = (
            f"{what}: {self.total('rows_read'):,} rows read, "
            f"{self.total('loaded'):,} loaded, {self.total('duplicates'):,} duplicates, "
            + (f"{self.total('conflicts'):,} conflicts, " if self.total("conflicts") else "")
            + f"{self.total('quarantined'):,} quarantined, {self.total('skipped'):,} skipped"
        )
        if again:
            text += f"; {again} already loaded"
        if skipped:
            text += f"; {skipped} file(s) not loaded (no data format)"
        if self.errors:
            text += f"; {len(self.errors)} file(s) failed"
        return text


def earlier_load(con: duckdb.DuckDBPyConnection, digest: str) -> str | None:
    """The file an earlier load took with this content, if any."""
    return fetch_value(
        con,
        "select file from load_log where file_sha256 = ? and outcome = 'loaded' limit 1",
        [digest],
    )


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return fetch_value(con, "select coalesce(max(load_id), 0) + 1 from load_log")


def record_load(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    load: FileLoad,
    digest: str,
    started: datetime,
) -> None:
    """The load_log row of a file just loaded (or failed: outcome 'failed', detail the error)."""
    con.execute(
        "insert into load_log (load_id, file, file_sha256, kind, outcome, rows_read, loaded, "
        "duplicates, conflicts, quarantined, skipped, detail, started_at, finished_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [
            load_id,
            load.file,
            digest,
            load.kind,
            load.outcome,
            load.rows_read,
            load.loaded,
            load.duplicates,
            load.conflicts,
            load.quarantined,
            load.skipped,
            load.detail or None,
            started,
        ],
    )


def record_failure(
    con: duckdb.DuckDBPyConnection, file: str, kind: str, digest: str, error: str
) -> None:
    """The load_log row of a file that could not be loaded: nothing from it is stored."""
    started = datetime.now(UTC)
    record_load(
        con, next_load_id(con), FileLoad(file, kind, "failed", detail=error), digest, started
    )
