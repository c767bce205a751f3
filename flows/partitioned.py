"""The partitioned rebuild: thread partitions as Prefect tasks on Dask, then the account steps."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import duckdb  # noqa: E402
from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from analytics import partitions  # noqa: E402
from analytics.config import Settings  # noqa: E402
from analytics.rebuild import RebuildResult  # noqa: E402

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner


def local_workers(settings: Settings) -> int:
    """Worker processes of a local cluster: one per partition, at most one per core."""
    return max(1, min(settings.rebuild_partitions, os.cpu_count() or 1))


def dask_task_runner(settings: Settings) -> DaskTaskRunner:
    """The existing scheduler at rebuild.cluster, or a local cluster of worker processes."""
    # Imported here: prefect-dask is the `distributed` extra, needed only when partitioning.
    from prefect_dask import DaskTaskRunner

    if settings.rebuild_cluster:
        return DaskTaskRunner(address=settings.rebuild_cluster)
    # Processes, not threads: each partition's DuckDB works in its own memory, as it would on
    # its own machine, and one thread per worker since DuckDB parallelises inside a partition.
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": local_workers(settings),
            "processes": True,
            "threads_per_worker": 1,
        }
    )


def worker_settings(settings: Settings) -> Settings:
    """Settings for the partitions' DuckDB: on a local cluster, the workers share the machine's
    cores and warehouse.memory_limit; on a remote one, each worker has its machine to itself."""
    if settings.rebuild_cluster:
        return settings
    workers = local_workers(settings)
    return settings.with_overrides(
        threads=max(1, (settings.threads or os.cpu_count() or 1) // workers),
        memory_limit=partitions.memory_share(settings.memory_limit, workers),
    )


# Parameters are plain dataclasses and results a small dict: nothing worth caching or storing.
@task(cache_policy=NO_CACHE, persist_result=False)
def build_partition(
    plan: partitions.PartitionPlan, partition: int, settings: Settings
) -> dict[str, float]:
    """Run the per-thread steps over one partition of threads; write its results as Parquet."""
    return partitions.build_partition(plan, partition, settings)


@flow(name="rebuild-partitions", persist_result=False)
def build_partitions(plan: partitions.PartitionPlan, settings: Settings) -> list[dict[str, float]]:
    """Every partition at once, as far as the task runner's workers allow."""
    futures = [
        build_partition.submit(plan, partition, settings) for partition in range(plan.partitions)
    ]
    seconds = [future.result() for future in futures]
    # Wall time beyond the slowest partition's own work is the cluster's and Prefect's overhead.
    get_run_logger().info(
        "slowest of %d partitions: %.1f s of DuckDB work",
        len(seconds),
        max(sum(steps.values()) for steps in seconds),
    )
    return seconds


def rebuild_partitioned(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    on_step: Callable[[str], None] | None = None,
) -> RebuildResult:
    """rebuild_warehouse's result, with the per-thread steps run by partition on Dask.

    Call it with the warehouse's writing connection, inside a flow (it becomes a subflow) or
    not. The partition files are deleted afterwards, whether it succeeds or not.
    """
    if settings.rebuild_cluster == partitions.IN_PROCESS:
        return partitions.rebuild_in_sequence(con, settings, on_step)
    if settings.rebuild_cluster:
        partitions.check_scheduler(settings.rebuild_cluster)
    plan = partitions.plan_partitions(settings)
    seconds: dict[str, float] = {}
    try:
        if plan.thread_steps:
            started = time.perf_counter()
            partitions.export_partitions(con, plan)
            seconds["export partitions"] = time.perf_counter() - started
            if on_step:
                on_step(
                    f"{plan.partitions} partitions: "
                    + ", ".join(step.name for step in plan.thread_steps)
                )
            started = time.perf_counter()
            runner = dask_task_runner(settings)
            with partitions.memory_lent(con, settings):
                build_partitions.with_options(task_runner=runner)(plan, worker_settings(settings))
            seconds["build partitions"] = time.perf_counter() - started
        result = partitions.finish_rebuild(con, plan, settings, on_step)
    finally:
        partitions.remove_partition_files(plan)
    result.seconds_by_step = seconds | result.seconds_by_step
    result.partitions = plan.partitions
    return result


def rebuild_for(settings: Settings) -> Callable[..., RebuildResult]:
    """The rebuild the settings ask for, called as (con, settings, on_step): partitioned on Dask
    when rebuild.partitions > 0, else in this process (in partitions one after another from
    partitions.PARTITION_FROM_MESSAGES messages on)."""
    return rebuild_partitioned if settings.rebuild_partitions > 0 else partitions.rebuild_history
