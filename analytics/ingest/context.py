"""What every loader is given: the load's context, and the error a file that cannot load raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import duckdb

from analytics.config import Settings

if TYPE_CHECKING:
    from analytics.ingest.load_log import FileLoad
    from analytics.ingest.staging import Staging


class IngestError(RuntimeError):
    """A file cannot be loaded at all; the message names the file and what to do."""


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
