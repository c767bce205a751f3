"""Loading files: one transaction per file, the loader of its kind, and its load_log row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from analytics.config import Settings
from analytics.db import sql_text
from analytics.ingest.context import IngestError, LoadContext
from analytics.ingest.files import KINDS, detect_kind, discover_files, file_format, file_sha256
from analytics.ingest.graph_api import load_analytics
from analytics.ingest.ledgers import load_ledger
from analytics.ingest.load_log import (
    FileLoad,
    IngestResult,
    earlier_load,
    next_load_id,
    record_load,
)
from analytics.ingest.message_logs import RepeatedMessages, insert_message_log, load_message_log
from analytics.ingest.rate_cards import load_rate_card
from analytics.ingest.staging import Staging, read_error
from analytics.ingest.templates import load_message_templates
from analytics.ingest.webhooks import load_webhooks

Loader = Callable[[LoadContext], None]

LOADERS: dict[str, Loader] = {
    "message_log": load_message_log,
    "webhook": load_webhooks,
    "opt_in_ledger": load_ledger,
    "rate_card": load_rate_card,
    # Meta's own figures and template catalogue (issue 15)
    "pricing_analytics": load_analytics,
    "conversation_analytics": load_analytics,
    "message_templates": load_message_templates,
}
# One-pass loaders tried first; they raise RepeatedMessages when the file needs merging.
FAST_LOADERS: dict[str, Loader] = {"message_log": insert_message_log}


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    settings: Settings,
    kind: str | None = None,
    effective_from: date | None = None,
) -> FileLoad:
    """Load one file in one transaction and return its counts (effective_from: a rate card's
    first day, overriding or supplying the file's own)."""
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise IngestError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    kind = kind or detect_kind(path)
    file = str(path)
    digest = file_sha256(path)
    earlier = earlier_load(con, digest)
    if earlier is not None:
        return FileLoad(file, kind, "already_loaded", detail=f"same content as {earlier}")
    # A message log in CSV or Parquet first tries the one-pass load of new messages; a file
    # that repeats messages is loaded again, merging.
    fast = kind in FAST_LOADERS and file_format(path) != "json"
    try:
        return _load_file(
            con, path, kind, digest, settings, FAST_LOADERS[kind] if fast else None, effective_from
        )
    except RepeatedMessages:
        return _load_file(con, path, kind, digest, settings, None, effective_from)


def _load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    digest: str,
    settings: Settings,
    loader: Loader | None,
    effective_from: date | None = None,
) -> FileLoad:
    """One attempt at loading a file, in one transaction that is rolled back on any error."""
    started = datetime.now(UTC)
    load = FileLoad(str(path), kind, "loaded")
    con.execute("begin transaction")
    con.execute(sql_text("ingest/macros"))
    load_id = next_load_id(con)
    stage = Staging(con, path, load_id)
    ctx = LoadContext(con, stage, load, load_id, str(path), started, settings, effective_from)
    try:
        (loader or LOADERS[kind])(ctx)
        stage.drop()
        load.detail = "; ".join(stage.detail)
        record_load(con, load_id, load, digest, started)
        con.execute("commit")
    except (IngestError, RepeatedMessages):
        con.execute("rollback")
        raise
    except (duckdb.Error, UnicodeDecodeError, OSError) as error:
        con.execute("rollback")
        raise read_error(path, error) from error
    except BaseException:
        con.execute("rollback")
        raise
    return load


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    settings: Settings,
    kind: str | None = None,
    on_file: Callable[[int, int, Path], None] | None = None,
    effective_from: date | None = None,
) -> IngestResult:
    """Load every file named or found in the folders named; a bad file does not stop the others."""
    result = IngestResult()
    files = discover_files(paths)
    for number, path in enumerate(files, start=1):
        if on_file:
            on_file(number, len(files), path)
        try:
            result.loads.append(ingest_file(con, path, settings, kind, effective_from))
        except IngestError as error:
            result.errors.append(str(error))
    return result
