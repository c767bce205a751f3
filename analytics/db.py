"""The warehouse file: connections, the writer lock, schema migrations, SQL files and publishing.

DuckDB allows one writing process per file, or many read-only ones. So the pipeline never
writes the file analysts open: it works on a private copy beside it (`<name>.work.duckdb`) under
an exclusive lock, and when a command succeeds it publishes a finished copy of the whole
warehouse by atomic rename. Readers keep the file they opened; new readers see the new one.

The published file is the truth: a working copy that no longer matches it (deleted, replaced,
restored from a backup) is discarded and made again (analytics.working_copy).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from analytics import working_copy
from analytics.config import Settings, size_bytes
from analytics.working_copy import WarehousePaths

# The published copy is written in this storage format so that the pinned duckdb-cli can read it.
PUBLISHED_STORAGE_VERSION = "v1.5.0"
MEMORY = ":memory:"


class WarehouseBusy(RuntimeError):
    """Another carewindow process holds the warehouse for writing."""


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened or published; the message says what to do."""


SQL_DIR = Path(__file__).parent / "sql"


@functools.cache
def sql_environment() -> jinja2.Environment:
    """The jinja2 environment the SQL files are rendered in: a file may import shared macros
    from analytics/sql/macros/ (`{% from "macros/<file>.sql" import <macro> %}`). Only names
    and SQL text go through it, never values."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(SQL_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def sql_source(name: str) -> str:
    """The text of analytics/sql/<name>.sql as written (for a template: unrendered)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def sql_text(name: str, **context: Any) -> str:
    """The SQL of analytics/sql/<name>.sql, rendered as a jinja2 template (most files use no
    jinja; a few import shared macros). A per-regime step's template is rendered over the
    regime registry instead (analytics.regimes.render_sql)."""
    return sql_environment().get_template(f"{name}.sql").render(**context)


def sql_names(folder: str) -> list[str]:
    """The .sql files of a folder under analytics/sql, in name order, without the suffix."""
    return sorted(f"{folder}/{path.stem}" for path in (SQL_DIR / folder).glob("*.sql"))


def fetch_all(
    con: duckdb.DuckDBPyConnection,
    query: str,
    parameters: Mapping[str, Any] | Sequence[Any] | None = None,
) -> list[tuple]:
    """Rows of a query; always drained, since DuckDB 2 refuses new work on an unfinished result."""
    if parameters is None:
        return con.execute(query).fetchall()
    return con.execute(query, parameters).fetchall()


def fetch_value(
    con: duckdb.DuckDBPyConnection,
    query: str,
    parameters: Mapping[str, Any] | Sequence[Any] | None = None,
) -> Any:
    """The first column of the first row, or None."""
    rows = fetch_all(con, query, parameters)
    return rows[0][0] if rows else None


def memory_limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """DuckDB's memory limit in bytes, from the setting as DuckDB shows it ('13.0 GiB')."""
    return size_bytes(fetch_value(con, "select current_setting('memory_limit')"))


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Session settings: UTC display, memory limit, spill folder, no bare progress bar."""
    Path(settings.temp_directory).mkdir(parents=True, exist_ok=True)
    con.execute("set TimeZone = 'UTC'")
    con.execute("set memory_limit = ?", [settings.memory_limit])
    con.execute("set temp_directory = ?", [str(Path(settings.temp_directory).resolve())])
    if settings.max_temp_directory_size:
        con.execute("set max_temp_directory_size = ?", [settings.max_temp_directory_size])
    con.execute("set preserve_insertion_order = false")
    if settings.threads:
        con.execute("set threads = ?", [settings.threads])
    # DuckDB's own bar names no file or step: the commands print their own progress instead.
    con.execute("set enable_progress_bar = false")


def connect_memory(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory warehouse with the current schema (tests, what-if work)."""
    con = duckdb.connect(MEMORY)
    configure(con, settings or Settings())
    migrate(con)
    return con


def missing_warehouse(path: str | os.PathLike) -> WarehouseError:
    """The error for a command that reads a warehouse given a path where there is none."""
    return WarehouseError(
        f"no warehouse at {path}: check the path (--db, warehouse.path in carewindow.toml), or "
        f"load data first with `carewindow ingest FILES --db {path}` or run `carewindow demo`"
    )


def connect_read_only(db_path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse, as analysts and reports use it."""
    path = Path(db_path)
    if not path.exists():
        raise missing_warehouse(path)
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the schema files newer than the warehouse's version; return the version now."""
    con.execute(
        "create table if not exists schema_version "
        "(version integer not null, applied_at timestamptz not null default now())"
    )
    current = fetch_value(con, "select coalesce(max(version), 0) from schema_version")
    for name in sql_names("schema"):
        version = int(Path(name).name.split("_", 1)[0])
        if version <= current:
            continue
        con.execute("begin transaction")
        try:
            con.execute(sql_text(name))
            con.execute("insert into schema_version (version) values (?)", [version])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        current = version
    return current


@contextlib.contextmanager
def writer_lock(
    paths: WarehousePaths, timeout_seconds: float, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's writer lock; wait up to timeout_seconds, then raise WarehouseBusy.

    A wait is told once to `notify` (a flow's logger, say), by default on a terminal only.
    """
    notify = notify or _tell_terminal
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    handle = open(paths.lock, "a+")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + timeout_seconds
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise WarehouseBusy(
                        f"the warehouse {paths.published} is busy: {holder} is writing it. "
                        "Wait for it to finish, or raise warehouse.lock_timeout_seconds."
                    ) from None
                if not told:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    notify(
                        f"waiting for another carewindow run on {paths.published} ({holder}), "
                        f"up to {timeout_seconds:g} s for its writer lock"
                    )
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        if told:
            notify(f"got the writer lock of {paths.published}")
        yield
    finally:
        handle.close()


def connect_file(path: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A writable connection to a warehouse file, configured and migrated to the current schema."""
    # Written in the published storage format, so that a byte copy is a publishable warehouse.
    con = duckdb.connect(
        str(path), config={"storage_compatibility_version": PUBLISHED_STORAGE_VERSION}
    )
    configure(con, settings)
    migrate(con)
    return con


def _tell_terminal(message: str) -> None:
    if sys.stderr.isatty():
        print(message, file=sys.stderr)


def _copy_published_to_work(paths: WarehousePaths) -> None:
    """A fresh working copy of the published warehouse, appearing whole or not at all.

    Copied under another name and renamed, so a process killed mid-copy leaves no half file
    under the working copy's name for the next command to open.
    """
    try:
        shutil.copyfile(paths.published, paths.copying)
        os.replace(paths.copying, paths.work)
    except OSError as error:
        paths.copying.unlink(missing_ok=True)
        _raise_disk_full(error, paths, where=paths.copying)
        raise


def _open_work_file(
    paths: WarehousePaths, settings: Settings, notify: Callable[[str], None]
) -> duckdb.DuckDBPyConnection:
    paths.work.parent.mkdir(parents=True, exist_ok=True)
    working_copy.discard_if_stale(paths, notify)
    if not paths.work.exists():
        # The working copy is private and can be rebuilt from the last published state.
        if paths.published.exists():
            _copy_published_to_work(paths)
        working_copy.record_source(paths)
    try:
        return connect_file(paths.work, settings)
    except duckdb.Error as error:
        if disk_full_error(error, paths) is not None:
            raise
        raise WarehouseError(
            f"cannot open the working copy {paths.work}: {error}. If it is damaged, delete it: "
            f"the next command starts again from the published {paths.published}."
        ) from error


def publish(con: duckdb.DuckDBPyConnection, paths: WarehousePaths) -> None:
    """Copy the checkpointed working file beside the published one and rename it over it.

    The working file is written in the published storage format, so a byte copy is a valid
    warehouse: much faster than re-encoding every table. Readers that have the old file open
    keep it; new readers get the new one.
    """
    con.execute("checkpoint")
    target = paths.publishing
    try:
        with open(paths.work, "rb") as source, open(target, "wb") as copy:
            shutil.copyfileobj(source, copy, 1 << 24)
            copy.flush()
            os.fsync(copy.fileno())
        os.replace(target, paths.published)
        # Killed before this line, the next command finds the marker stale and copies the
        # published file again: the same content, so nothing is lost.
        working_copy.record_source(paths)
    except OSError as error:
        target.unlink(missing_ok=True)
        _raise_disk_full(error, paths, where=target)
        raise WarehouseError(
            f"could not publish {paths.published}: {error}. The working copy is intact; free "
            "disk space or fix permissions and run the command again."
        ) from error


_FILE_IN_MESSAGE = re.compile(r'file "([^"]+)"')


def disk_full_error(
    error: BaseException, paths: WarehousePaths, where: Path | None = None
) -> WarehouseError | None:
    """A WarehouseError saying what to do if `error` means a full disk at a known file, else None.

    DuckDB reports a full disk as an IO error (or, when it happens during a commit, a fatal
    error) naming the file it could not write, which may be the spill folder's. `where` is the
    file being written when the error itself names none.
    """
    text = str(error)
    full = getattr(error, "errno", None) == errno.ENOSPC or "No space left on device" in text
    named = _FILE_IN_MESSAGE.search(text)
    filename = getattr(error, "filename", None)
    where = Path(named.group(1)) if named else Path(filename) if filename else where
    if not full or where is None:
        return None
    return WarehouseError(
        f"no space left on the disk holding {where.parent}: free space there (the warehouse "
        "needs room for the published file, its working copy and a copy being published; big "
        "rebuilds also spill to warehouse.temp_directory), or move warehouse.path or "
        "warehouse.temp_directory to a bigger disk, then run the command again. "
        f"The published warehouse {paths.published} is unchanged."
    )


def out_of_memory_error(
    error: BaseException, settings: Settings, paths: WarehousePaths
) -> WarehouseError | None:
    """A WarehouseError saying what to do if DuckDB ran out of memory or of spill room, else None.

    DuckDB raises the same error type when the memory limit is reached with nothing left to
    spill and when spilling would pass max_temp_directory_size; the message tells them apart.
    """
    if not isinstance(error, duckdb.OutOfMemoryException):
        return None
    text = str(error)
    if "max_temp_directory_size" in text:
        limit = settings.max_temp_directory_size or "DuckDB's default, 90% of the free disk"
        advice = (
            f"the command needed more spill room in {settings.temp_directory} than "
            f"warehouse.max_temp_directory_size allows ({limit}): free disk there, raise the "
            "setting, or point warehouse.temp_directory at a bigger disk"
        )
    else:
        advice = (
            f"DuckDB ran out of memory (warehouse.memory_limit = {settings.memory_limit}): raise "
            "it if the machine has room, or lower warehouse.threads"
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return WarehouseError(
        f"{advice}, then run the command again. The published warehouse {paths.published} is "
        f"unchanged. (DuckDB: {first_line})"
    )


def _raise_disk_full(
    error: BaseException, paths: WarehousePaths, where: Path | None = None
) -> None:
    full = disk_full_error(error, paths, where)
    if full is not None:
        raise full from error


@contextlib.contextmanager
def open_for_writing(
    settings: Settings,
    publish_on_success: bool = True,
    create: bool = True,
    notify: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to the warehouse, published when the block succeeds.

    With create=False a warehouse that was never published is an error, and nothing is
    created (commands that only read or rebuild one). `notify` hears lock waits and a
    discarded working copy (default: the terminal, if any). With db_path ':memory:' there is
    nothing to lock or publish.
    """
    if settings.db_path == MEMORY:
        con = connect_memory(settings)
        try:
            yield con
        finally:
            con.close()
        return
    paths = WarehousePaths.for_db(settings.db_path)
    if not create and not paths.published.exists():
        raise missing_warehouse(paths.published)
    notify = notify or _tell_terminal
    with writer_lock(paths, settings.lock_timeout_seconds, notify):
        # A run killed while copying or publishing leaves a partial copy; it only takes space.
        paths.publishing.unlink(missing_ok=True)
        paths.copying.unlink(missing_ok=True)
        try:
            con = _open_work_file(paths, settings, notify)
        except (duckdb.Error, OSError) as error:
            _raise_disk_full(error, paths)
            raise
        disk_full = False
        try:
            yield con
            if publish_on_success:
                publish(con, paths)
        except (duckdb.Error, OSError) as error:
            full = disk_full_error(error, paths)
            if full is not None:
                disk_full = True
                raise full from error
            short = out_of_memory_error(error, settings, paths)
            if short is not None:
                raise short from error
            raise
        finally:
            # After a fatal error DuckDB has already invalidated the connection.
            with contextlib.suppress(duckdb.Error):
                con.close()
            if disk_full:
                # What the failed work wrote still takes room in the working copy, and the copy
                # only repeats the published file: drop it, so the next run starts from that
                # with the space free.
                for path in paths.work_files:
                    path.unlink(missing_ok=True)
