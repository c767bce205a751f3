"""Rebuild every derived table from the full history, in one transaction.

Each step is one SQL file under analytics/sql/ holding a single SELECT; the runner decides how it
is materialised (a table analysts query, a temporary table for intermediate results, or a view),
so the same files can later run over partitions elsewhere. Parameters reach the SQL through the
one-row table `rebuild_parameters`, written here with bound values.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb

from analytics import pricing
from analytics.config import Settings
from analytics.db import fetch_value, sql_text
from analytics.steps import Step

# In dependency order. int_* are intermediate (temporary); the rest is the public interface.
# Views may only read public tables, never temporary ones: analysts open them later.
STEPS: tuple[Step, ...] = (
    Step("int_inbound_events", "temp"),
    Step("int_outbound", "temp"),  # windows come from int_inbound_events, not care_windows
    Step("care_windows", "table"),  # counts int_outbound's messages per window
    *pricing.PRICING_STEPS,  # ends with the account-wide free tiers and volume tiers
    # prices every message from int_pricing_verdicts, which depends on the account's monthly
    # free tiers, so these are account-wide
    Step("message_facts", "table", scope="account"),
    Step("violations", "view", scope="account"),
    Step("daily_summary", "table", scope="account"),
    Step("daily_costs", "table", scope="account"),  # what reports read instead of every message
    *pricing.PRICING_REPORT_STEPS,  # message_billing, pricing_reconciliation
)

# Python preparations that write small lookup tables before the SQL steps run.
PREPARATIONS: tuple[Callable[[duckdb.DuckDBPyConnection, Settings], None], ...] = (
    pricing.prepare_pricing_inputs,
)


@dataclass
class RebuildResult:
    seconds_by_step: dict[str, float] = field(default_factory=dict)
    outbound_messages: int = 0
    care_windows: int = 0
    violations: int = 0

    @property
    def seconds(self) -> float:
        return sum(self.seconds_by_step.values())


def write_rebuild_parameters(
    con: duckdb.DuckDBPyConnection, settings: Settings, key_offset: int = 0
) -> None:
    """The one-row table every SQL step reads its settings from.

    key_offset is added to the integer message keys a step numbers, so that partitions built
    apart (SPEC §8) number their messages in disjoint ranges.
    """
    con.execute(
        """
        create or replace temp table rebuild_parameters as
        select
            $business_time_zone::varchar as business_time_zone,
            $per_message_2026_10_enabled::boolean as per_message_2026_10_enabled,
            $free_conversations_per_month::bigint as free_conversations_per_month,
            $free_service_messages_per_month::bigint as free_service_messages_per_month,
            $key_offset::bigint as key_offset,
            now() as built_at
        """,
        {
            "business_time_zone": settings.business_time_zone,
            "per_message_2026_10_enabled": settings.per_message_2026_10_enabled,
            "free_conversations_per_month": settings.free_conversations_per_month,
            "free_service_messages_per_month": settings.free_service_messages_per_month,
            "key_offset": key_offset,
        },
    )


def materialize(con: duckdb.DuckDBPyConnection, step: Step) -> None:
    """Create or replace one step's table or view from its SQL file."""
    body = sql_text(step.name)
    if step.materialization == "view":
        con.execute(f"create or replace view {step.name} as {body}")
    elif step.materialization == "temp":
        con.execute(f"create or replace temp table {step.name} as {body}")
    else:
        con.execute(f"create or replace table {step.name} as {body}")


def rebuild_warehouse(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
    keep_intermediates: bool = False,
) -> RebuildResult:
    """Recompute every derived table from the loaded history; all or nothing.

    Intermediate (temp) tables are dropped once no later step reads them, unless
    keep_intermediates is set (tests that look inside them).
    """
    result = RebuildResult()
    con.execute("begin transaction")
    try:
        write_rebuild_parameters(con, settings)
        for prepare in PREPARATIONS:
            started = time.perf_counter()
            prepare(con, settings)
            result.seconds_by_step[prepare.__name__] = time.perf_counter() - started
        run_steps(con, STEPS, result, on_step, drop_intermediates=not keep_intermediates)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    count_results(con, result)
    return result


def last_readers(steps: Sequence[Step]) -> dict[str, str]:
    """For each temporary step, the last later step whose SQL reads it (itself if none does)."""
    texts = {step.name: sql_text(step.name) for step in steps}
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
        if on_step:
            on_step(step.name)
        started = time.perf_counter()
        materialize(con, step)
        for intermediate, last_reader in readers.items():
            if last_reader == step.name:
                con.execute(f"drop table if exists {intermediate}")
        result.seconds_by_step[step.name] = time.perf_counter() - started


def count_results(con: duckdb.DuckDBPyConnection, result: RebuildResult) -> None:
    """The headline counts of a finished rebuild."""
    result.outbound_messages = fetch_value(con, "select count(*) from message_facts")
    result.care_windows = fetch_value(con, "select count(*) from care_windows")
    result.violations = fetch_value(con, "select count(*) from violations")
