"""The nightly Prefect flow: new inbox files, load, rebuild, data checks, reports, summary."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Prefect's ephemeral server needs longer than its default 20 s to start on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import duckdb  # noqa: E402
from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from analytics import checks, inbox, ingest, rebuild, runs  # noqa: E402
from analytics.config import Settings, load_settings  # noqa: E402
from analytics.db import open_for_writing  # noqa: E402
from reports.render import render_reports  # noqa: E402


@dataclass
class NightlySummary:
    run_id: str
    files_found: int
    files_loaded: int
    rows_loaded: int
    rows_quarantined: int
    outbound_messages: int
    violations: int
    billable_messages: int
    report_index: str | None

    def line(self) -> str:
        return (
            f"run {self.run_id}: {self.files_loaded} new file(s) of {self.files_found} in the "
            f"inbox, {self.rows_loaded:,} rows loaded, {self.rows_quarantined:,} quarantined; "
            f"{self.outbound_messages:,} outbound messages, {self.violations:,} violations, "
            f"{self.billable_messages:,} chargeable; report: {self.report_index or 'not rendered'}"
        )


# Tasks get the open warehouse connection, which is not hashable: caching is off for them.
@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def find_inbox_files(inbox_dir: str, rate_cards_dir: str | None = None) -> list[str]:
    """The data files in the inbox and the rate-card folder that stay inside them."""
    rate_cards = Path(rate_cards_dir) if rate_cards_dir else None
    return [str(path) for path in inbox.input_files(Path(inbox_dir), rate_cards)]


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load_files(
    con: duckdb.DuckDBPyConnection, files: list[str], settings: Settings
) -> ingest.IngestResult:
    """Load every file not loaded before; each file whole or not at all."""
    result = ingest.ingest_paths(con, files, settings)
    for error in result.errors:
        get_run_logger().warning(error)
    return result


@task(cache_policy=NO_CACHE)
def rebuild_tables(con: duckdb.DuckDBPyConnection, settings: Settings) -> rebuild.RebuildResult:
    """Recompute every window, verdict and price from the full history."""
    return rebuild.rebuild_warehouse(con, settings)


@task(cache_policy=NO_CACHE)
def check_data(con: duckdb.DuckDBPyConnection) -> None:
    """Fail the run when an invariant of the derived tables does not hold."""
    checks.assert_data_checks(con)


@task(retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def render(con: duckdb.DuckDBPyConnection, reports_dir: str, settings: Settings) -> str:
    """Write the reports and return the index page's path."""
    return str(render_reports(con, Path(reports_dir), settings).index_path)


@flow(name="nightly", log_prints=False)
def nightly(
    db: str | None = None,
    inbox_dir: str | None = None,
    reports_dir: str | None = None,
    config: str | None = None,
) -> dict:
    """Load new inbox files, rebuild every window and verdict, check, report, and summarise."""
    settings = load_settings(config).with_overrides(
        db_path=db, inbox=inbox_dir, reports_out=reports_dir
    )
    logger = get_run_logger()
    with open_for_writing(settings) as con:
        run_id = runs.start_run(con, "run")
        try:
            files = find_inbox_files(settings.inbox, settings.rate_cards)
            loaded = load_files(con, files, settings)
            if settings.rebuild_partitions > 0:
                # A subflow of its own: its partitions run as tasks on the Dask cluster.
                from flows.partitioned import rebuild_partitioned

                built = rebuild_partitioned(con, settings)
            else:
                built = rebuild_tables(con, settings)
            check_data(con)
            index = render(con, settings.reports_out, settings)
            summary = NightlySummary(
                run_id=run_id,
                files_found=len(files),
                files_loaded=loaded.files_loaded,
                rows_loaded=loaded.total("loaded"),
                rows_quarantined=loaded.total("quarantined"),
                outbound_messages=built.outbound_messages,
                violations=built.violations,
                billable_messages=runs.billable_messages(con),
                report_index=index,
            )
            runs.finish_run(
                con,
                run_id,
                "succeeded",
                runs.RunCounts(
                    files_loaded=summary.files_loaded,
                    rows_loaded=summary.rows_loaded,
                    rows_quarantined=summary.rows_quarantined,
                    violations=summary.violations,
                    billable_messages=summary.billable_messages,
                    reports_dir=settings.reports_out,
                    detail="; ".join(loaded.errors) or None,
                ),
            )
        except BaseException as error:
            runs.finish_run(con, run_id, "failed", runs.RunCounts(detail=str(error)[:2000]))
            raise
    logger.info(summary.line())
    return asdict(summary)
