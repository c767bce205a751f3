"""What every loader is given (LoadContext: one file's load, inside its transaction), and the one
way its bad rows are set aside (quarantine)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from analytics.config import Settings
from analytics.db import fetch_value
from analytics.ingest.load_log import FileLoad
from analytics.ingest.staging import Staging


@dataclass
class LoadContext:
    """One attempt at loading one file, inside its transaction."""

    con: duckdb.DuckDBPyConnection
    stage: Staging | None  # None when rows come from the quarantine (retry), not a file
    load: FileLoad
    load_id: int
    file: str
    loaded_at: datetime
    settings: Settings
    # a rate card's first day, given on the command line (--effective-from): overrides its own
    effective_from: date | None = None

    @property
    def kind(self) -> str:
        return self.load.kind

    def stage_detail(self, text: str) -> None:
        """Add to what the load's detail says (a retry, without a file staged, says it too)."""
        if self.stage is not None:
            self.stage.detail.append(text)
        else:
            self.load.detail = "; ".join(part for part in (self.load.detail, text) if part)


# The most of a row's raw text the quarantine keeps (a 50 MB line keeps its first megabyte).
_RAW_LIMIT = 1_000_000


def quarantine(ctx: LoadContext, rows_sql: str, parameters: Mapping[str, Any] | None = None) -> int:
    """Set aside the rows of `rows_sql` (columns line, raw, reason, staged) in `quarantine`;
    count them. `staged` is the row as read into canonical columns (JSON), which
    --retry-quarantine parses again, or null when the row could not be read at all.

    The one place rows enter the quarantine table. `rows_sql` binds named parameters only.
    """
    count = (
        fetch_value(
            ctx.con,
            "insert into quarantine by name select $load_id as load_id, $file as file, "
            "$kind as kind, bad.line, case when length(bad.raw) > $raw_limit "
            "then left(bad.raw, $raw_limit) || ' ... (' || (length(bad.raw) - $raw_limit) "
            "|| ' more characters)' else bad.raw end as raw, bad.reason, bad.staged, "
            "now() as quarantined_at "
            f"from ({rows_sql}) as bad",
            {
                **(parameters or {}),
                "load_id": ctx.load_id,
                "file": ctx.file,
                "kind": ctx.kind,
                "raw_limit": _RAW_LIMIT,
            },
        )
        or 0
    )
    ctx.load.quarantined += count
    return count


def quarantine_rejects(ctx: LoadContext) -> int:
    """Quarantine the rows the CSV reader rejected while staging the file, each with one
    sentence saying why (Staging.rejected_rows); count them."""
    rejected = ctx.stage.rejected_rows()
    return quarantine(ctx, *rejected) if rejected else 0
