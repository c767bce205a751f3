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
from prefect.runtime import flow_run  # noqa: E402
from prefect.states import Failed, State  # noqa: E402

from analytics import checks, inbox, ingest, partitions, rebuild, runs  # noqa: E402
from analytics.config import Settings, load_settings  # noqa: E402
from analytics.db import open_for_writing  # noqa: E402
from flows.progress import on_terminal  # noqa: E402
from reports.render import render_reports  # noqa: E402


@dataclass
class NightlySummary:
    """A run's counts: files by folder (the inbox, the rate-card folder), rows by kind (message
    data, rate cards)."""

    run_id: str
    files_found: int  # in the inbox
    files_loaded: int  # new ones of those
    rows_loaded: int  # of message data: every kind but rate cards
    rows_quarantined: int
    outbound_messages: int
    violations: int
    billable_messages: int
    report_index: str | None
    files_failed: int = 0
    # a rate card Meta may have replaced that priced the latest month: said once, at the end
    card_freshness: str = ""
    rate_card_files_found: int = 0  # in the rate-card folder (inputs.rate_cards)
    rate_card_files_loaded: int = 0
    rate_card_rows_loaded: int = 0  # wherever the card was found

    def line(self) -> str:
        failed = f", {self.files_failed} FAILED" if self.files_failed else ""
        cards = (
            f", {self.rate_card_files_loaded} new of {self.rate_card_files_found} in the "
            "rate-card folder"
            if self.rate_card_files_found
            else ""
        )
        card_rows = (
            f" (and {self.rate_card_rows_loaded:,} rate-card rows)"
            if self.rate_card_rows_loaded
            else ""
        )
        return (
            f"run {self.run_id}: {self.files_loaded} new file(s) of {self.files_found} in the "
            f"inbox{cards}{failed}; {self.rows_loaded:,} rows of message data loaded"
            f"{card_rows}, {self.rows_quarantined:,} quarantined; "
            f"{self.outbound_messages:,} outbound messages, {self.violations:,} "
            f"violations, {self.billable_messages:,} chargeable; report: "
            f"{self.report_index or 'not rendered'}"
            + (f"; {self.card_freshness}" if self.card_freshness else "")
        )


def load_line(load: ingest.FileLoad) -> str:
    """One file's counts, as the flow's log and `carewindow ingest` show them, in the order
    they add up: read = loaded + duplicates + conflicts + quarantined + skipped."""
    return (
        f"{load.file}: {load.kind}, {load.outcome}, {load.rows_read:,} read, "
        f"{load.loaded:,} loaded, {load.duplicates:,} duplicates, {load.conflicts:,} conflicts, "
        f"{load.quarantined:,} quarantined, {load.skipped:,} skipped"
        + (f" ({load.detail})" if load.detail else "")
    )


# Tasks get the open warehouse connection, which is not hashable: caching is off for them.
# A missing inbox is the operator's to fix: retrying it would only delay the error.
@task(
    retries=2,
    retry_delay_seconds=5,
    cache_policy=NO_CACHE,
    retry_condition_fn=lambda task, run, state: (
        not isinstance(state.result(raise_on_failure=False), inbox.InboxMissing)
    ),
)
def find_inbox_files(inbox_dir: str, rate_cards_dir: str | None = None) -> list[str]:
    """The data files in the inbox and the rate-card folder that stay inside them."""
    rate_cards = Path(rate_cards_dir) if rate_cards_dir else None
    return [str(path) for path in inbox.input_files(Path(inbox_dir), rate_cards)]


@task(retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def load_files(
    con: duckdb.DuckDBPyConnection, files: list[str], settings: Settings
) -> ingest.IngestResult:
    """Load every file not loaded before; each file whole or not at all."""
    logger = get_run_logger()
    result = ingest.ingest_paths(
        con,
        files,
        settings,
        on_file=lambda n, total, path: on_terminal(f"[{n}/{total}] loading {path}"),
    )
    for load in result.loads:
        logger.info(load_line(load))
    for error in result.errors:
        logger.error("not loaded: %s", runs.one_line(error, 500))
    return result


@task(cache_policy=NO_CACHE)
def rebuild_tables(con: duckdb.DuckDBPyConnection, settings: Settings) -> rebuild.RebuildResult:
    """Recompute every window, verdict and price from the full history (in partitions of
    threads, one after another, when it is too big for one piece)."""
    logger = get_run_logger()

    def step(name: str) -> None:
        logger.debug("rebuild: %s", name)
        on_terminal(f"  rebuilding {name}")

    return partitions.rebuild_history(con, settings, on_step=step)


@task(cache_policy=NO_CACHE)
def check_data(con: duckdb.DuckDBPyConnection) -> None:
    """Fail the run when an invariant of the derived tables does not hold."""
    checks.assert_data_checks(con)


@task(retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def render(con: duckdb.DuckDBPyConnection, reports_dir: str, settings: Settings) -> str:
    """Write the reports and return the index page's path."""
    on_terminal(f"  rendering the reports in {reports_dir}")
    return str(render_reports(con, Path(reports_dir), settings).index_path)


def rebuild_any(con: duckdb.DuckDBPyConnection, settings: Settings) -> rebuild.RebuildResult:
    """The rebuild the settings ask for: a partitioned subflow on Dask, or one task."""
    if settings.rebuild_partitions > 0:
        from flows.partitioned import rebuild_partitioned

        return rebuild_partitioned(con, settings, on_step=lambda s: on_terminal(f"  {s}"))
    return rebuild_tables(con, settings)


def current_flow_run_id() -> str | None:
    """The Prefect flow-run id when called inside a flow run, else None."""
    return str(flow_run.id) if flow_run.id else None


@flow(name="nightly", log_prints=False)
def nightly(
    db: str | None = None,
    inbox_dir: str | None = None,
    reports_dir: str | None = None,
    config: str | None = None,
) -> dict | State:
    """Load new inbox files, rebuild every window and verdict, check, report, and summarise.

    Files that fail to load do not stop the rest; the run then ends Failed naming them, after
    publishing and reporting everything else (calling the flow raises runs.FilesFailed), and
    pipeline_runs says 'partial'.
    """
    settings = load_settings(config).with_overrides(
        db_path=db, inbox=inbox_dir, reports_out=reports_dir
    )
    logger = get_run_logger()
    files = find_inbox_files(settings.inbox, settings.rate_cards)
    inbox_root = Path(settings.inbox).resolve()
    in_inbox = {file for file in files if Path(file).is_relative_to(inbox_root)}
    # Without message data to load the run only rebuilds: a warehouse must already be there
    # (rate cards alone never create one: a mistyped --db would look like a quiet night).
    with (
        open_for_writing(
            settings, create=inbox.holds_message_data(Path(settings.inbox)), notify=logger.info
        ) as con,
        runs.recorded_run(con, "run", current_flow_run_id()) as run,
    ):
        loaded = load_files(con, files, settings)
        run.file_errors = [runs.one_line(error, 500) for error in loaded.errors]
        built = rebuild_any(con, settings)
        check_data(con)
        index = render(con, settings.reports_out, settings)
        in_folder = [load for load in loaded.loads if load.file not in in_inbox]
        summary = NightlySummary(
            run_id=run.run_id,
            files_found=len(in_inbox),
            files_loaded=sum(
                load.outcome == "loaded" for load in loaded.loads if load.file in in_inbox
            ),
            rate_card_files_found=len(files) - len(in_inbox),
            rate_card_files_loaded=sum(load.outcome == "loaded" for load in in_folder),
            files_failed=len(loaded.errors),
            rows_loaded=sum(load.loaded for load in loaded.loads if load.kind != "rate_card"),
            rate_card_rows_loaded=sum(
                load.loaded for load in loaded.loads if load.kind == "rate_card"
            ),
            rows_quarantined=loaded.total("quarantined"),
            outbound_messages=built.outbound_messages,
            violations=built.violations,
            billable_messages=runs.billable_messages(con),
            report_index=index,
            card_freshness=runs.card_freshness(con),
        )
        run.counts = runs.RunCounts(
            files_loaded=loaded.files_loaded,
            rows_loaded=summary.rows_loaded,
            rows_quarantined=summary.rows_quarantined,
            violations=summary.violations,
            billable_messages=summary.billable_messages,
            reports_dir=settings.reports_out,
        )
    logger.info(summary.line())
    if run.file_errors:
        # A Failed state naming the files, without a traceback; calling the flow raises it.
        failure = runs.FilesFailed(run.run_id, run.file_errors, asdict(summary))
        logger.error(str(failure))
        return Failed(message=str(failure), data=failure)
    return asdict(summary)
