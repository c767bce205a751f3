"""Rebuild every derived table from the full history, in one transaction.

Each step is one SQL file under analytics/sql/ holding a single SELECT; the runner decides how it
is materialised (a table analysts query, a temporary table for intermediate results, or a view),
so the same files can later run over partitions elsewhere. Parameters reach the SQL through the
one-row table `rebuild_parameters`, written here with bound values.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics import identities, meta_figures, pricing, storage
from analytics.catalog import describe_warehouse
from analytics.chunks import plan_chunks, write_chunks
from analytics.config import Settings
from analytics.db import fetch_value
from analytics.plan import rebuild_plan
from analytics.regimes import regime_names
from analytics.steps import Step

# Every step of the rebuild, each after the steps it reads (analytics/plan.py: declared in
# each step's .toml beside its SQL). int_* are intermediate (temporary); the rest is the public
# interface. Views may only read public tables, never temporary ones: analysts open them later.
STEPS: tuple[Step, ...] = rebuild_plan()

# rebuild_warehouse(scratch=True) keeps its intermediate tables compressed in a scratch database
# file rather than in temporary tables (DuckDB keeps those uncompressed, in memory and then in
# its spill files). A history too big for one piece is partitioned instead
# (analytics/partitions.py, rebuild_history).
SCRATCH_DATABASE = "rebuild_scratch"

# Python preparations that write small lookup tables before the SQL steps run.
PREPARATIONS: tuple[Callable[[duckdb.DuckDBPyConnection, Settings], None], ...] = (
    pricing.prepare_pricing_inputs,
    meta_figures.write_calling_codes,
    identities.create_identity_macros,
)


@dataclass
class RebuildResult:
    seconds_by_step: dict[str, float] = field(default_factory=dict)
    # CPU seconds of this process (DuckDB's threads included) per step: steadier than wall
    # time on a machine where other work competes (single-process rebuilds only)
    cpu_seconds_by_step: dict[str, float] = field(default_factory=dict)
    # the steps written in chunks of months (analytics/chunks.py): step -> statements
    chunks_by_step: dict[str, int] = field(default_factory=dict)
    # partitions of threads the thread steps ran in (0: one piece)
    partitions: int = 0
    outbound_messages: int = 0
    care_windows: int = 0
    violations: int = 0

    @property
    def seconds(self) -> float:
        return sum(self.seconds_by_step.values())


def write_rebuild_parameters(
    con: duckdb.DuckDBPyConnection, settings: Settings, key_offset: int = 0
) -> None:
    """The one-row table every SQL step reads its settings from. Which regimes are in force
    is not here: the registry writes it to pricing_regimes (analytics/regimes.py).

    key_offset is added to the integer message keys a step numbers, so that partitions built
    apart (docs/distributed.md) number their messages in disjoint ranges.
    """
    con.execute(
        """
        create or replace temp table rebuild_parameters as
        select
            $business_time_zone::varchar as business_time_zone,
            $free_conversations_per_month::bigint as free_conversations_per_month,
            $free_service_messages_per_month::bigint as free_service_messages_per_month,
            $business_currency::varchar as business_currency,
            $key_offset::bigint as key_offset
        """,
        {
            "business_time_zone": settings.business_time_zone,
            "free_conversations_per_month": settings.free_conversations_per_month,
            "free_service_messages_per_month": settings.free_service_messages_per_month,
            "business_currency": settings.business_currency,
            "key_offset": key_offset,
        },
    )


def materialize(con: duckdb.DuckDBPyConnection, step: Step, database: str | None = None) -> int:
    """Create or replace one step's table or view from its SQL file; returns how many
    statements wrote it (more than one: in chunks of months, analytics/chunks.py).

    With a database, an intermediate step becomes a table of that (scratch) database.
    """
    chunks = plan_chunks(con, step)
    body = step.render(chunked=True) if chunks else step.sql
    parameters = [chunk.parameters for chunk in chunks] or None
    if step.stored:
        columns = storage.coded_columns(dict(step.codes), regime_names())
        storage.materialize_coded(
            con, step.name, body, columns, step.stored_only, dict(step.derived), parameters
        )
        return len(chunks) or 1
    if step.materialization in ("table", "view"):
        drop_other_kind(con, step)
        storage.drop_leftovers(con, step.name)
    if step.materialization == "view":
        con.execute(f"create or replace view {step.name} as {body}")
        return 1
    if step.materialization == "temp" and database is not None:
        target, create = f"{database}.{step.name}", "create or replace table"
    elif step.materialization == "temp":
        target, create = step.name, "create or replace temp table"
    else:
        target, create = step.name, "create or replace table"
    write_chunks(con, f"{create} {target} as", f"insert into {target}", body, parameters)
    return len(chunks) or 1


def drop_other_kind(con: duckdb.DuckDBPyConnection, step: Step) -> None:
    """A public table that became a view (or the reverse) in a later release: the rebuild owns
    every derived relation, so the old one goes before the new one is created, in the same
    transaction (DuckDB's `create or replace` refuses to replace across kinds)."""
    other = "table" if step.materialization == "view" else "view"
    relations = "duckdb_tables()" if other == "table" else "duckdb_views()"
    name = "table_name" if other == "table" else "view_name"
    exists = fetch_value(
        con,
        f"select count(*) from {relations} where {name} = ? and schema_name = 'main'"
        " and database_name = current_database() and not temporary",
        [step.name],
    )
    if exists:
        con.execute(f"drop {other} {step.name}")


def rebuild_warehouse(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
    keep_intermediates: bool = False,
    scratch: bool = False,
) -> RebuildResult:
    """Recompute every derived table from the loaded history, in one piece; all or nothing.

    Intermediate (temp) tables are dropped once no later step reads them, unless
    keep_intermediates is set (tests that look inside them). scratch puts them in a scratch
    database file instead. partitions.rebuild_history picks this or a partitioned rebuild by
    the history's size.
    """
    if scratch:
        return rebuild_with_scratch_database(con, settings, on_step)
    result = RebuildResult()
    with transaction(con):
        write_rebuild_parameters(con, settings)
        run_preparations(con, settings, result)
        run_steps(con, STEPS, result, on_step, drop_intermediates=not keep_intermediates)
    count_results(con, result)
    return result


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All or nothing: committed when the block ends, rolled back if it raises."""
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def run_preparations(
    con: duckdb.DuckDBPyConnection, settings: Settings, result: RebuildResult
) -> None:
    for prepare in PREPARATIONS:
        started = time.perf_counter()
        prepare(con, settings)
        result.seconds_by_step[prepare.__name__] = time.perf_counter() - started


def rebuild_with_scratch_database(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
) -> RebuildResult:
    """rebuild_warehouse for big histories: intermediate tables compressed in a scratch file.

    DuckDB writes to one database per transaction, so the intermediate steps run first, each
    committed into the scratch file (no intermediate step reads a public table), and the public
    steps follow in one transaction on the warehouse, which stays all or nothing. The scratch
    file is deleted at the end, whatever happens.
    """
    intermediate = [step for step in STEPS if step.materialization == "temp"]
    public = [step for step in STEPS if step.materialization != "temp"]
    check_intermediates_read_no_public_step(STEPS)
    result = RebuildResult()
    with scratch_database(con, settings) as database:
        write_rebuild_parameters(con, settings)
        run_preparations(con, settings, result)
        readers = last_readers(STEPS)
        for step in intermediate:
            run_step(con, step, result, on_step, database=database)
            # Tables that only intermediate steps read go as soon as the last has run; the
            # others stay until the public steps have read them, with the file.
            finished = [name for name, reader in readers.items() if reader == step.name]
            for name in finished:
                con.execute(f"drop table if exists {database}.{name}")
            if finished:
                con.execute(f"checkpoint {database}")
        with transaction(con):
            for step in public:
                run_step(con, step, result, on_step)
    count_results(con, result)
    return result


def check_intermediates_read_no_public_step(steps: Sequence[Step]) -> None:
    """The scratch rebuild runs every intermediate step before the public ones: check it may."""
    public = [step.name for step in steps if step.materialization != "temp"]
    for step in steps:
        if step.materialization != "temp":
            continue
        text = re.sub(r"--[^\n]*", "", step.sql)  # comments may name anything
        read = [name for name in public if re.search(rf"\b{re.escape(name)}\b", text)]
        if read:
            raise ValueError(f"intermediate step {step.name} reads public {', '.join(read)}")


@contextlib.contextmanager
def scratch_database(con: duckdb.DuckDBPyConnection, settings: Settings) -> Iterator[str]:
    """A fresh database file in the spill folder, attached and searched after the warehouse's
    own tables so that the SQL files name its tables unqualified; deleted on the way out."""
    folder = Path(settings.temp_directory).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    remove_abandoned_scratch_files(folder)
    path = folder / f"{SCRATCH_DATABASE}-{os.getpid()}-{uuid.uuid4().hex[:12]}.duckdb"
    search_path = fetch_value(con, "select current_setting('search_path')")
    con.execute(f"attach ? as {SCRATCH_DATABASE}", [str(path)])
    try:
        con.execute("set search_path = ?", [f"main,{SCRATCH_DATABASE}.main"])
        yield SCRATCH_DATABASE
    finally:
        con.execute("set search_path = ?", [search_path])
        con.execute(f"detach {SCRATCH_DATABASE}")
        for leftover in (path, Path(f"{path}.wal")):
            leftover.unlink(missing_ok=True)


def remove_abandoned_scratch_files(folder: Path) -> None:
    """Scratch files of rebuilds whose process is gone (killed midway): only space."""
    for leftover in folder.glob(f"{SCRATCH_DATABASE}-*-*.duckdb*"):
        pid = leftover.name.split("-")[1]
        if pid.isdigit() and not process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def last_readers(steps: Sequence[Step]) -> dict[str, str]:
    """For each temporary step, the last later step whose SQL reads it (itself if none does)."""
    texts = {step.name: step.sql for step in steps}
    readers: dict[str, str] = {}
    for position, step in enumerate(steps):
        if step.materialization != "temp":
            continue
        readers[step.name] = step.name
        pattern = re.compile(rf"\b{re.escape(step.name)}\b")
        for later in steps[position + 1 :]:
            if pattern.search(texts[later.name]):
                readers[step.name] = later.name
    return readers


def run_steps(
    con: duckdb.DuckDBPyConnection,
    steps: Sequence[Step],
    result: RebuildResult,
    on_step: Callable[[str], None] | None = None,
    drop_intermediates: bool = False,
) -> None:
    """Materialise the steps in order, timing each into result.

    Dropping each intermediate table after its last reader keeps memory and spill bounded by
    the few tables alive at once, not by every table of the rebuild (at 100 million messages
    each intermediate is several gigabytes).
    """
    readers = last_readers(steps) if drop_intermediates else {}
    for step in steps:
        run_step(con, step, result, on_step)
        for intermediate, last_reader in readers.items():
            if last_reader == step.name:
                con.execute(f"drop table if exists {intermediate}")


def run_step(
    con: duckdb.DuckDBPyConnection,
    step: Step,
    result: RebuildResult,
    on_step: Callable[[str], None] | None = None,
    database: str | None = None,
) -> None:
    """Materialise one step, timing it into result."""
    if on_step:
        on_step(step.name)
    started, cpu_started = time.perf_counter(), time.process_time()
    statements = materialize(con, step, database)
    if statements > 1:
        result.chunks_by_step[step.name] = statements
    result.seconds_by_step[step.name] = time.perf_counter() - started
    result.cpu_seconds_by_step[step.name] = time.process_time() - cpu_started


def count_results(con: duckdb.DuckDBPyConnection, result: RebuildResult) -> None:
    """The headline counts of a finished rebuild."""
    describe_warehouse(con)  # every rebuild path ends here; create or replace dropped comments
    result.outbound_messages = fetch_value(con, "select count(*) from message_facts")
    result.care_windows = fetch_value(con, "select count(*) from care_windows")
    result.violations = fetch_value(con, "select count(*) from violations")
