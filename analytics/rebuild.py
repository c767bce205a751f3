"""Rebuild every derived table from the full history, in one transaction.

Each step is one SQL file under analytics/sql/ holding a single SELECT; the runner decides how it
is materialised (a table analysts query, a temporary table for intermediate results, or a view),
so the same files can later run over partitions elsewhere. Parameters reach the SQL through the
one-row table `rebuild_parameters`, written here with bound values.
"""

from __future__ import annotations

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
) -> RebuildResult:
    """Recompute every derived table from the loaded history; all or nothing."""
    result = RebuildResult()
    con.execute("begin transaction")
    try:
        write_rebuild_parameters(con, settings)
        for prepare in PREPARATIONS:
            started = time.perf_counter()
            prepare(con, settings)
            result.seconds_by_step[prepare.__name__] = time.perf_counter() - started
        run_steps(con, STEPS, result, on_step)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    count_results(con, result)
    return result


def run_steps(
    con: duckdb.DuckDBPyConnection,
    steps: Sequence[Step],
    result: RebuildResult,
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Materialise the steps in order, timing each into result."""
    for step in steps:
        if on_step:
            on_step(step.name)
        started = time.perf_counter()
        materialize(con, step)
        result.seconds_by_step[step.name] = time.perf_counter() - started


def count_results(con: duckdb.DuckDBPyConnection, result: RebuildResult) -> None:
    """The headline counts of a finished rebuild."""
    result.outbound_messages = fetch_value(con, "select count(*) from message_facts")
    result.care_windows = fetch_value(con, "select count(*) from care_windows")
    result.violations = fetch_value(con, "select count(*) from violations")
