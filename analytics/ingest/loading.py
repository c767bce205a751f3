"""Loading files: the kinds of file carewindow reads, each recognised from its content by the
module of its loader; one transaction per file, the loader of its kind, and its load_log row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from analytics.config import Settings
from analytics.db import sql_text
from analytics.ingest.context import LoadContext
from analytics.ingest.errors import IngestError, read_error
from analytics.ingest.files import FileHead, InputFile, file_sha256, find_files, open_input
from analytics.ingest.graph_api import (
    load_analytics,
    recognises_conversation_analytics,
    recognises_pricing_analytics,
)
from analytics.ingest.ledgers import load_ledger, recognises_ledger
from analytics.ingest.load_log import (
    FileLoad,
    IngestResult,
    earlier_load,
    next_load_id,
    record_failure,
    record_load,
)
from analytics.ingest.message_logs import (
    RepeatedMessages,
    insert_message_log,
    load_message_log,
    recognises_message_log,
)
from analytics.ingest.phones import empty_phone_lookup
from analytics.ingest.providers import (
    load_gupshup,
    load_infobip,
    load_twilio,
    recognises_gupshup,
    recognises_infobip,
    recognises_twilio,
)
from analytics.ingest.rate_cards import load_rate_card, recognises_rate_card
from analytics.ingest.staging import Staging
from analytics.ingest.templates import load_message_templates, recognises_templates_list
from analytics.ingest.webhooks import load_webhooks, recognises_webhooks

Loader = Callable[[LoadContext], None]


@dataclass(frozen=True)
class Kind:
    """A kind of file: its name (load_log.kind, --kind), its loader, and how its content is
    recognised from the file's head."""

    name: str
    load: Loader
    recognises: Callable[[FileHead], bool]


# Every kind of file carewindow loads, as --kind lists them. A file's head is tried against each
# in turn and the first that recognises it names its kind; the recognisers do not overlap
# (tests/test_ingest.py checks that each sample is recognised by its own kind alone). A file none
# recognises is read as a message log (CSV or JSON Lines), unless it is a zip archive (only
# Meta's workbook is read). Adding a kind is one entry here, its loader and its recogniser in
# the loader's module.
FILE_KINDS: tuple[Kind, ...] = (
    Kind("message_log", load_message_log, recognises_message_log),
    Kind("webhook", load_webhooks, recognises_webhooks),
    Kind("opt_in_ledger", load_ledger, recognises_ledger),
    Kind("rate_card", load_rate_card, recognises_rate_card),
    # Business Solution Providers' logs and callbacks
    Kind("twilio", load_twilio, recognises_twilio),
    Kind("gupshup", load_gupshup, recognises_gupshup),
    Kind("infobip", load_infobip, recognises_infobip),
    # Meta's own figures and template catalogue
    Kind("pricing_analytics", load_analytics, recognises_pricing_analytics),
    Kind("conversation_analytics", load_analytics, recognises_conversation_analytics),
    Kind("message_templates", load_message_templates, recognises_templates_list),
)
KINDS = tuple(kind.name for kind in FILE_KINDS)
LOADERS: dict[str, Loader] = {kind.name: kind.load for kind in FILE_KINDS}
# One-pass loaders tried first; they raise RepeatedMessages when the file needs merging.
FAST_LOADERS: dict[str, Loader] = {"message_log": insert_message_log}


def kind_of(head: FileHead) -> str:
    """What a file holds, from its head: one of KINDS."""
    if head.is_empty:
        raise IngestError(f"{head.shown}: the file is empty")
    for kind in FILE_KINDS:
        if kind.recognises(head):
            return kind.name
    if head.is_zip:
        raise IngestError(
            f"{head.shown}: a zip archive but no Excel workbook; carewindow reads CSV, TSV, "
            "Parquet, JSON, JSON Lines (also .gz or .zst) and Meta's rate-card workbook; "
            "unpack it and load what it holds"
        )
    return "message_log"


def detect_kind(path: Path) -> str:
    """What a file holds, from its content: one of KINDS."""
    return kind_of(FileHead.read(Path(path)))


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
    source = open_input(path, settings.encoding, settings.temp_directory)
    try:
        kind = kind or kind_of(source.head)
        earlier = earlier_load(con, source.digest)
        again = None
        if earlier is not None and kind == "rate_card":
            dates = _card_dates(con, earlier)
            if effective_from is None or effective_from in dates:
                return FileLoad(
                    str(path),
                    kind,
                    "already_loaded",
                    detail=f"same content as {earlier}, a rate card loaded effective from "
                    f"{_dates_text(dates)}"
                    + (
                        ""
                        if effective_from is not None
                        else "; to load it with another first day, name it with "
                        "--effective-from YYYY-MM-DD"
                    ),
                )
            # the same card, asked for with another first day: loaded again under that day
            again = (
                f"the same content as {earlier} is loaded effective from {_dates_text(dates)}; "
                f"loaded again effective from {effective_from} as --effective-from asks"
            )
        elif earlier is not None:
            return FileLoad(str(path), kind, "already_loaded", detail=f"same content as {earlier}")
        # A message log in CSV or Parquet first tries the one-pass load of new messages; a
        # file that repeats messages is loaded again, merging.
        fast = kind in FAST_LOADERS and source.head.format != "json"
        try:
            load = _load_file(
                con, source, kind, settings, FAST_LOADERS[kind] if fast else None, effective_from
            )
        except RepeatedMessages:
            load = _load_file(con, source, kind, settings, None, effective_from)
    finally:
        source.close()
    if again:
        load.detail = "; ".join(part for part in (again, load.detail) if part)
    if effective_from is not None and kind != "rate_card":
        # a setting that does nothing says so
        load.detail = "; ".join(
            part
            for part in (load.detail, "--effective-from applies to rate cards only: not used")
            if part
        )
    return load


def _card_dates(con: duckdb.DuckDBPyConnection, file: str) -> list[date]:
    """The first days of the rates an earlier load of a rate card stored."""
    return [
        row[0]
        for row in con.execute(
            "select distinct effective_from from rate_cards where source_file = ? order by 1",
            [file],
        ).fetchall()
    ]


def _dates_text(dates: list[date]) -> str:
    return ", ".join(str(day) for day in dates) or "(no rate stored)"


def _load_file(
    con: duckdb.DuckDBPyConnection,
    source: InputFile,
    kind: str,
    settings: Settings,
    loader: Loader | None,
    effective_from: date | None = None,
) -> FileLoad:
    """One attempt at loading a file, in one transaction that is rolled back on any error."""
    path = source.path
    started = datetime.now(UTC)
    load = FileLoad(str(path), kind, "loaded")
    con.execute("begin transaction")
    try:
        con.execute(sql_text("ingest/macros"))
        empty_phone_lookup(con)
        load_id = next_load_id(con)
        stage = Staging(con, source, load_id)
        ctx = LoadContext(con, stage, load, load_id, str(path), started, settings, effective_from)
        (loader or LOADERS[kind])(ctx)
        stage.drop()
        if source.transcoded:
            stage.detail.append(f"read as {settings.encoding}")
        load.detail = "; ".join(stage.detail)
        record_load(con, load_id, load, source.digest, started)
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
    """Load every file named or found in the folders named; a bad file does not stop the others.

    A file that cannot be loaded is named in IngestResult.errors with the reason and gets a
    load_log row with outcome 'failed'. A file in a folder whose name says no data format is
    not read: it is listed in IngestResult.loads with outcome 'skipped' and the reason, and
    gets a load_log row saying so.
    """
    result = IngestResult()
    files, refused = find_files(paths)
    for path, reason in refused:
        skipped = FileLoad(str(path), "unknown", "skipped", detail=reason)
        result.loads.append(skipped)
        record_load(con, next_load_id(con), skipped, _digest(path), datetime.now(UTC))
    for number, path in enumerate(files, start=1):
        if on_file:
            on_file(number, len(files), path)
        try:
            result.loads.append(ingest_file(con, path, settings, kind, effective_from))
        except IngestError as error:
            _failed(con, result, path, kind or _kind_or_unknown(path), str(error))
    return result


def _kind_or_unknown(path: Path) -> str:
    try:
        return detect_kind(path)
    except (IngestError, OSError, UnicodeDecodeError, duckdb.Error):
        return "unknown"


def _failed(
    con: duckdb.DuckDBPyConnection, result: IngestResult, path: Path, kind: str, error: str
) -> None:
    """Name the file in the result's errors and give it a load_log row (outcome 'failed')."""
    result.errors.append(error)
    record_failure(con, str(path), kind, _digest(path), error)


def _digest(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return ""
