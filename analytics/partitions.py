"""Partitioned rebuild without Prefect: export threads to Parquet, build one partition, finish.

A thread (business number, customer) depends only on its own messages and ledger
events, so the steps marked scope "thread" run per partition of threads, anywhere, over
Parquet files; the steps from the first "account" one on (monthly free tiers, daily totals)
run once, on the warehouse, over every partition's results. The SQL files are the same as in
analytics.rebuild: only where the relations come from changes.
"""

from __future__ import annotations

import contextlib
import math
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics import identities, rebuild
from analytics.config import Settings, size_bytes
from analytics.db import MEMORY, connect_memory, fetch_value, memory_limit_bytes, sql_text
from analytics.rebuild import RebuildResult, materialize, write_rebuild_parameters
from analytics.steps import Step

# rebuild.cluster's value for partitions built one after another in this process, without Dask.
IN_PROCESS = "in-process"

# The warehouse's DuckDB memory limit while the partitions are built by DuckDBs of their own, each
# with the whole limit (or its share): the warehouse's cache of the pages it exported would
# otherwise sit beside them (100 million messages, 8 partitions in sequence: 18.1 GiB at the
# peak under a 14 GB limit). Lowering the limit evicts that cache; it is set back after.
LENT_MEMORY_LIMIT = "256MB"

# From this many loaded messages on, rebuild_history runs the thread steps one partition of
# threads after another in this process, as many partitions as keep each one's sorts and hash
# tables within warehouse.memory_limit, then the account steps once over their results. 100
# million messages under a 14 GB limit spilled 47 GiB in one piece, 5 GiB in 8 partitions
# (docs/performance.md). Below it, one piece is faster.
PARTITION_FROM_MESSAGES = 20_000_000

# Memory a partition's thread steps take per message: 100 million messages in 8 partitions
# under a 14 GB limit (12.5 million messages, 1,120 bytes of limit each) ran every thread step
# within memory (docs/performance.md); rebuild_history sizes its partitions by it.
PARTITION_MESSAGE_BYTES = 1_100

# The loaded tables a thread's steps read, each row routed to the partition of its thread.
# Blank-number ledger events cover every number of the business (docs/rules.md): they go to each
# partition where the customer has a thread, so int_outbound finds them beside those threads.
# Routing them by a join, rather than copying them to every partition, keeps the export
# proportional to the data whatever the number of partitions.
# A thread's customer is resolved first: messages naming one customer by phone number
# and by BSUID go to the same partition (temp table partition_customers, see export_partitions).
# A group's thread is (business number, group): its messages, whoever of its participants
# wrote them, and its deliveries go to one partition; so do the ledger events of its
# participants (a template sent to a group needs their opt-in), as well as to their own threads.
PARTITION_QUERIES = {
    "messages": """
        select
            messages.*,
            hash(
                messages.business_number,
                coalesce(messages.group_id, customers.customer, messages.contact)
            ) % $partitions as part
        from messages
        left join partition_customers as customers using (contact)
    """,
    "group_deliveries": """
        select group_deliveries.*, hash(business_number, group_id) % $partitions as part
        from group_deliveries
    """,
    "opt_in_events": """
        with ledger as (
            select
                opt_in_events.*,
                nullif(opt_in_events.business_number, '') is null as covers_every_number,
                coalesce(customers.customer, opt_in_events.contact) as customer
            from opt_in_events
            left join partition_customers as customers using (contact)
        ),

        customer_threads as (
            select distinct
                coalesce(customers.customer, messages.contact) as customer,
                hash(
                    messages.business_number,
                    coalesce(messages.group_id, customers.customer, messages.contact)
                ) % $partitions as part
            from messages
            left join partition_customers as customers using (contact)
            where coalesce(customers.customer, messages.contact)
                in (select customer from ledger where covers_every_number)
        ),

        participant_groups as (
            select distinct
                coalesce(customers.customer, deliveries.participant) as customer,
                deliveries.business_number,
                hash(deliveries.business_number, deliveries.group_id) % $partitions as part
            from group_deliveries as deliveries
            left join partition_customers as customers
                on customers.contact = deliveries.participant
        ),

        final as (
            select
                ledger.* exclude (covers_every_number, customer),
                hash(ledger.business_number, ledger.customer) % $partitions as part
            from ledger
            where not covers_every_number
            union all
            select ledger.* exclude (covers_every_number, customer), customer_threads.part
            from ledger
            join customer_threads using (customer)
            where ledger.covers_every_number
            -- a row a partition has twice would be one event twice: union, not union all
            union
            select ledger.* exclude (covers_every_number, customer), participant_groups.part
            from ledger
            join participant_groups
                on participant_groups.customer = ledger.customer
                and (ledger.covers_every_number
                    or ledger.business_number = participant_groups.business_number)
        )

        select * from final
    """,
}

# Small tables every partition reads whole.
LOOKUP_TABLES = (
    "rate_cards",
    "templates",  # int_template_categories
    "identity_changes",  # the links of resolved_identities()
)

# Thread steps whose result depends on the whole warehouse: computed once at export, read by
# every partition from lookups/<step>.parquet. The customer behind each identity:
# a partition holds one customer's threads, but the message that links a BSUID to a phone number
# may sit in another partition (another business number).
GLOBAL_STEPS = ("int_customer_contacts",)

# Partition K numbers its integer message keys from K * 2**40: disjoint ranges, as long as no
# partition holds a trillion messages, and keys stay within a bigint for 8 million partitions.
KEYS_PER_PARTITION = 2**40


@dataclass(frozen=True)
class PartitionPlan:
    """Where one partitioned rebuild keeps its files, and which steps run where."""

    root: str  # raw/<table>/part=K/*.parquet, lookups/<table>.parquet, steps/<step>/part-K.parquet
    partitions: int
    thread_steps: tuple[Step, ...]  # run once per partition, on the workers
    account_steps: tuple[Step, ...]  # run once, on the warehouse
    exported_steps: tuple[str, ...] = field(default=())  # thread results the warehouse needs


def split_steps(steps: Sequence[Step]) -> tuple[tuple[Step, ...], tuple[Step, ...]]:
    """The longest run of "thread" steps from the start, and every step after it.

    A thread step after an account step may read account results, so it stays on the
    warehouse with the account steps.
    """
    first_account = next(
        (index for index, step in enumerate(steps) if step.scope != "thread"), len(steps)
    )
    return tuple(steps[:first_account]), tuple(steps[first_account:])


def steps_to_export(thread_steps: Sequence[Step], account_steps: Sequence[Step]) -> tuple[str, ...]:
    """The thread steps' relations the warehouse must receive: public tables, and the
    intermediate tables a later step's SQL names. Views are recreated on the warehouse instead.

    An intermediate relation no later step reads stays on the worker: that saves writing it,
    and keeps per-customer lookups (int_market_contacts has one row per customer, repeated in
    each partition the customer has a thread in) out of the union.
    """
    later_sql = "\n".join(step.sql for step in account_steps)
    return tuple(
        step.name
        for step in thread_steps
        if step.materialization == "table"
        or (
            step.materialization == "temp"
            and re.search(rf"\b{re.escape(step.name)}\b", later_sql) is not None
        )
    )


def plan_partitions(
    settings: Settings, steps: Sequence[Step] = rebuild.STEPS, root: str | Path | None = None
) -> PartitionPlan:
    """A plan for settings.rebuild_partitions partitions in a fresh folder.

    The folder sits beside the warehouse file (or in the spill folder for an in-memory one);
    pass root to put it on storage that every worker of a remote cluster can read.
    """
    if settings.rebuild_partitions < 1:
        raise ValueError("a partitioned rebuild needs rebuild.partitions >= 1")
    if root is None:
        base = (
            Path(settings.temp_directory)
            if settings.db_path == MEMORY
            else Path(settings.db_path).parent
        )
        root = base / "partitions" / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    thread_steps, account_steps = split_steps(steps)
    return PartitionPlan(
        root=str(Path(root).resolve()),
        partitions=settings.rebuild_partitions,
        thread_steps=thread_steps,
        account_steps=account_steps,
        exported_steps=steps_to_export(thread_steps, account_steps),
    )


def _partition_files(plan: PartitionPlan, table: str, partition: int) -> list[str]:
    return sorted(
        str(p) for p in (Path(plan.root) / "raw" / table / f"part={partition}").glob("*.parquet")
    )


def _lookup_file(plan: PartitionPlan, table: str) -> str:
    return str(Path(plan.root) / "lookups" / f"{table}.parquet")


def _step_file(plan: PartitionPlan, step: str, partition: int) -> str:
    return str(Path(plan.root) / "steps" / step / f"part-{partition}.parquet")


def step_files(plan: PartitionPlan, step: str) -> list[str]:
    """Every partition's Parquet file of one exported step."""
    return [_step_file(plan, step, partition) for partition in range(plan.partitions)]


def export_partitions(con: duckdb.DuckDBPyConnection, plan: PartitionPlan) -> None:
    """Write the loaded tables as Parquet partitions by thread, and the lookups whole.

    DuckDB's COPY ... (FORMAT parquet, PARTITION_BY (part)) writes part=K/ folders, each
    scanned in parallel; a partition without rows has no folder.
    """
    if not plan.thread_steps:
        return
    (Path(plan.root) / "raw").mkdir(parents=True, exist_ok=True)
    identities.create_identity_macros(con)
    con.execute(
        "create or replace temp table partition_customers as " + sql_text("int_customer_contacts")
    )
    Path(_lookup_file(plan, GLOBAL_STEPS[0])).parent.mkdir(parents=True, exist_ok=True)
    con.table("partition_customers").write_parquet(_lookup_file(plan, GLOBAL_STEPS[0]))
    for table, query in PARTITION_QUERIES.items():
        con.sql(query, params={"partitions": plan.partitions}).write_parquet(
            str(Path(plan.root) / "raw" / table), partition_by=["part"]
        )
    for table in LOOKUP_TABLES:
        Path(_lookup_file(plan, table)).parent.mkdir(parents=True, exist_ok=True)
        con.table(table).write_parquet(_lookup_file(plan, table))
    con.execute("drop table partition_customers")


def memory_share(memory_limit: str, workers: int) -> str:
    """One worker's share of a memory limit such as '8GB', as a DuckDB setting ('4000000000B')."""
    return f"{size_bytes(memory_limit) // max(workers, 1)}B"


def build_partition(plan: PartitionPlan, partition: int, settings: Settings) -> dict[str, float]:
    """Run the thread steps over one partition in a fresh in-memory DuckDB; write the results
    the warehouse needs as Parquet. Returns seconds per step."""
    seconds: dict[str, float] = {}
    # Each partition spills to its own folder: two DuckDB processes must not share one.
    spill = Path(plan.root) / "spill" / f"part={partition}"
    con = connect_memory(settings.with_overrides(temp_directory=str(spill)))
    try:
        # The migration gave every loaded table its schema; an empty partition keeps it empty.
        for table in PARTITION_QUERIES:
            files = _partition_files(plan, table, partition)
            if files:
                # A table, not a view over the files: int_outbound names messages by row id.
                con.execute(f"drop table {table}")
                con.execute(
                    f"create table {table} as "
                    "select * from read_parquet(?, hive_partitioning = false)",
                    [files],
                )
        for table in LOOKUP_TABLES:
            con.execute(
                f"insert into {table} select * from read_parquet(?)", [_lookup_file(plan, table)]
            )
        write_rebuild_parameters(con, settings, key_offset=partition * KEYS_PER_PARTITION)
        for prepare in rebuild.PREPARATIONS:
            prepare(con, settings)
        for step in plan.thread_steps:
            started = time.perf_counter()
            if step.name in GLOBAL_STEPS:
                con.execute(
                    f"create or replace temp table {step.name} as select * from read_parquet(?)",
                    [_lookup_file(plan, step.name)],
                )
            else:
                materialize(con, step)
            seconds[step.name] = time.perf_counter() - started
        for name in plan.exported_steps:
            started = time.perf_counter()
            Path(_step_file(plan, name, partition)).parent.mkdir(parents=True, exist_ok=True)
            con.table(name).write_parquet(_step_file(plan, name, partition))
            seconds[f"write {name}"] = time.perf_counter() - started
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return seconds


def finish_rebuild(
    con: duckdb.DuckDBPyConnection,
    plan: PartitionPlan,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
) -> RebuildResult:
    """On the warehouse, in one transaction: take every partition's thread results under the
    steps' own names, then run the remaining steps exactly as rebuild_warehouse does."""
    result = RebuildResult()
    registered: list[str] = []
    con.execute("begin transaction")
    try:
        write_rebuild_parameters(con, settings)
        for prepare in rebuild.PREPARATIONS:
            prepare(con, settings)
        for step in plan.thread_steps:
            if on_step:
                on_step(step.name)
            started = time.perf_counter()
            if step.name in plan.exported_steps:
                files = step_files(plan, step.name)
                if step.materialization == "table":
                    con.execute(
                        f"create or replace table {step.name} as "
                        "select * from read_parquet(?, hive_partitioning = false)",
                        [files],
                    )
                else:
                    # Read where it lies: the later steps scan it once or twice.
                    con.read_parquet(files, hive_partitioning=False).create_view(step.name)
                    registered.append(step.name)
            elif step.materialization == "view":
                materialize(con, step)
            result.seconds_by_step[step.name] = time.perf_counter() - started
        rebuild.run_steps(con, plan.account_steps, result, on_step)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        # They read files that are about to be deleted, and a later single-process rebuild on
        # this connection creates temporary tables under the same names.
        for name in registered:
            con.execute(f"drop view if exists {name}")
    rebuild.count_results(con, result)
    return result


def rebuild_in_sequence(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
) -> RebuildResult:
    """The partitioned rebuild on this machine with no Dask (rebuild.cluster = "in-process"):
    the same plan, one partition after another, each with the whole memory limit, so that a
    thread step's sorts and hash tables hold one partition's threads, not the whole history.
    The partition files are deleted afterwards, whether it succeeds or not."""
    plan = plan_partitions(settings)
    seconds: dict[str, float] = {}
    try:
        if plan.thread_steps:
            started = time.perf_counter()
            export_partitions(con, plan)
            seconds["export partitions"] = time.perf_counter() - started
            with memory_lent(con, settings):
                for partition in range(plan.partitions):
                    if on_step:
                        on_step(f"partition {partition + 1} of {plan.partitions}")
                    for step, spent in build_partition(plan, partition, settings).items():
                        name = f"partitions: {step}"
                        seconds[name] = seconds.get(name, 0) + spent
        result = finish_rebuild(con, plan, settings, on_step)
    finally:
        remove_partition_files(plan)
    result.seconds_by_step = seconds | result.seconds_by_step
    result.partitions = plan.partitions
    return result


@contextlib.contextmanager
def memory_lent(con: duckdb.DuckDBPyConnection, settings: Settings) -> Iterator[None]:
    """The warehouse connection's memory limit lowered to LENT_MEMORY_LIMIT while partitions
    are built elsewhere on this machine, and set back to warehouse.memory_limit after."""
    con.execute("set memory_limit = ?", [LENT_MEMORY_LIMIT])
    try:
        yield
    finally:
        con.execute("set memory_limit = ?", [settings.memory_limit])


def partitions_for(messages: int, memory_limit_bytes: int) -> int:
    """How many partitions keep each one's thread steps within the memory limit (at least 2)."""
    return max(2, math.ceil(messages * PARTITION_MESSAGE_BYTES / max(memory_limit_bytes, 1)))


def rebuild_history(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
) -> RebuildResult:
    """The one-process rebuild (rebuild.partitions = 0) for the history's size: in one piece
    (rebuild.rebuild_warehouse) below PARTITION_FROM_MESSAGES loaded messages; from there on,
    the thread steps partition by partition in this process (rebuild_in_sequence), as many
    partitions as fit warehouse.memory_limit."""
    messages = fetch_value(con, "select count(*) from messages")
    if messages < PARTITION_FROM_MESSAGES:
        return rebuild.rebuild_warehouse(con, settings, on_step)
    count = partitions_for(messages, memory_limit_bytes(con))
    sized = settings.with_overrides(rebuild_partitions=count, rebuild_cluster=IN_PROCESS)
    return rebuild_in_sequence(con, sized, on_step)


def remove_partition_files(plan: PartitionPlan) -> None:
    """Delete the plan's folder: it only held this run's intermediate files."""
    shutil.rmtree(plan.root, ignore_errors=True)
    # The folder of all runs goes too once empty; a run killed midway leaves its own behind.
    with contextlib.suppress(OSError):
        Path(plan.root).parent.rmdir()


class SchedulerUnreachable(RuntimeError):
    """The Dask scheduler named in rebuild.cluster does not answer."""


def check_scheduler(address: str, timeout_seconds: float = 5.0) -> None:
    """Fail fast, naming the address, when nothing listens at a tcp:// or tls:// scheduler.

    Other protocols (inproc://, ucx://) are left to Dask.
    """
    match = re.fullmatch(r"(?:(tcp|tls)://)?\[?([^\]/]+?)\]?:(\d+)/?", address.strip())
    if match is None:
        if "://" in address and not address.startswith(("tcp://", "tls://")):
            return
        raise SchedulerUnreachable(
            f"the Dask scheduler address {address!r} is not host:port (e.g. "
            "tcp://10.0.0.5:8786): fix --cluster (rebuild.cluster in carewindow.toml), or pass "
            '--cluster "" for local workers'
        )
    host, port = match.group(2), int(match.group(3))
    try:
        with socket.create_connection((host, port), timeout=timeout_seconds):
            pass
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise SchedulerUnreachable(
            f"cannot reach the Dask scheduler at {address} ({reason}): start it there "
            "(`dask scheduler`), fix --cluster (rebuild.cluster in carewindow.toml), or rebuild "
            'without a cluster (--partitions 0, or --cluster "" for local workers)'
        ) from error
