"""The `carewindow` command line: one group, an example in every help, a summary line at the end."""

from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from analytics.config import ConfigError, Settings, load_settings
from analytics.ingest import KINDS

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Prefect's ephemeral server needs longer than its default 20 s to start on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

EXAMPLE_RATE_CARDS = Path(__file__).resolve().parent.parent / "data" / "rate_cards"


def _settings(ctx: click.Context, **overrides: object) -> Settings:
    try:
        return load_settings(ctx.obj.get("config")).with_overrides(**overrides)
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from error


def _progress(message: str) -> None:
    """Progress for a person at a terminal, naming the file or step; nothing in logs."""
    from flows.progress import on_terminal

    on_terminal(message)


def _fail(
    error: Exception, settings: Settings | None = None, writing_reports: bool = False
) -> click.ClickException:
    """The error as one clear line for the person at the terminal: no traceback."""
    from analytics.runs import one_line

    if not isinstance(error, OSError) or settings is None:
        return click.ClickException(one_line(error, 1000) or type(error).__name__)
    path = Path(error.filename) if error.filename else None
    reports = Path(settings.reports_out)
    if writing_reports or (path and path.resolve().is_relative_to(reports.resolve())):
        return click.ClickException(
            f"cannot write the reports to {reports}: {error.strerror}"
            + (f" ({path})" if path else "")
            + ". Make the folder writable and free space on its disk, or choose another folder "
            "with --out / --reports (reports.out in carewindow.toml)."
        )
    if path:
        return click.ClickException(
            f"{error.strerror}: {path}. Check that it exists, that carewindow may write there "
            "and that its disk has free space, then run the command again."
        )
    return click.ClickException(
        f"{error.strerror or one_line(error, 300) or type(error).__name__}. carewindow writes "
        "beside the warehouse "
        f"({Path(settings.db_path).parent}), in its spill folder ({settings.temp_directory}) "
        f"and in the reports folder ({reports}): free space or fix permissions there, then "
        "run the command again."
    )


def _cannot_write(folder: Path, error: OSError, option: str = "--out") -> click.ClickException:
    reason = error.strerror or str(error)
    where = f" ({error.filename})" if error.filename else ""
    return click.ClickException(
        f"cannot write to {folder}: {reason}{where}. Make it writable and free space on its "
        f"disk, or choose another folder with {option}"
    )


def _partial_run(error: Exception) -> None:
    """Print what a run that lost files did, the files, and exit 1."""
    from flows.nightly import NightlySummary

    if getattr(error, "summary", None):
        click.echo(NightlySummary(**error.summary).line())
    for line in error.file_errors:
        click.echo(f"error: {line}", err=True)
    raise click.ClickException(
        f"{len(error.file_errors)} file(s) failed to load; everything else was loaded, rebuilt "
        "and reported. Fix or remove those files and run again"
    )


db_option = click.option(
    "--db",
    "db",
    metavar="PATH",
    default=None,
    help="Warehouse file (default: warehouse.path in carewindow.toml, data/warehouse.duckdb).",
)


class _Commands(click.Group):
    """The command group: a mistake in the project's own declarations (the regime registry,
    a step's .toml, a vocabulary of coded columns) is one line saying what to fix, even where
    it surfaces while a command imports the rebuild, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from analytics.plan import PlanError
        from analytics.regimes import RegistryError
        from analytics.storage import VocabularyError

        try:
            return super().invoke(ctx)
        except (RegistryError, PlanError, VocabularyError) as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    metavar="FILE",
    default=None,
    envvar="CAREWINDOW_CONFIG",
    help="Configuration file (default: ./carewindow.toml).",
)
@click.version_option(package_name="carewindow")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """carewindow: WhatsApp Business compliance and cost analytics in DuckDB.

    \b
    Example:
        carewindow demo
        carewindow ingest data/inbox/ && carewindow rebuild && carewindow report
    """
    ctx.obj = {"config": config}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    help="Treat every file as this kind instead of recognising it from its content.",
)
@click.option(
    "--effective-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day (YYYY-MM-DD) of the rate cards loaded: overrides the date in a card's title "
    "line or effective_from column, or supplies one that is missing.",
)
@click.option(
    "--retry-quarantine",
    is_flag=True,
    help="Read the rows quarantined earlier again with today's settings (after fixing them).",
)
@db_option
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    kind: str | None,
    effective_from: datetime | None,
    retry_quarantine: bool,
    db: str | None,
) -> None:
    """Load message logs, webhooks, ledgers, rate cards and Meta's exports (files or folders).

    Each file is recognised from its content and loaded whole or not at all; bad rows go to
    the quarantine table with a reason. Loading a file again changes nothing.

    \b
    Example:
        carewindow ingest exports/messages-2025-06.csv webhooks/ --db data/warehouse.duckdb
        carewindow ingest meta_eur_rates.csv --effective-from 2026-07-01
    """
    import duckdb

    from analytics import ingest as ingest_module
    from analytics import runs
    from analytics.db import open_for_writing
    from flows.nightly import load_line

    settings = _settings(ctx, db_path=db)
    if not paths and not retry_quarantine:
        raise click.UsageError("name files or folders to load, or pass --retry-quarantine")
    started = time.perf_counter()
    try:
        with open_for_writing(settings) as con, runs.recorded_run(con, "ingest") as run:
            result = ingest_module.ingest_paths(
                con,
                paths,
                settings,
                kind,
                on_file=lambda n, total, path: _progress(f"[{n}/{total}] loading {path}"),
                effective_from=effective_from.date() if effective_from else None,
            )
            if retry_quarantine:
                retried = ingest_module.retry_quarantine(con, settings)
                result.loads.extend(retried.loads)
            run.file_errors = [runs.one_line(error, 500) for error in result.errors]
            run.counts = runs.RunCounts(
                files_loaded=result.files_loaded,
                # message data only: rate-card rows are counted per file in load_log
                rows_loaded=sum(load.loaded for load in result.loads if load.kind != "rate_card"),
                rows_quarantined=result.total("quarantined"),
            )
    except (ingest_module.IngestError, RuntimeError, duckdb.Error, OSError) as error:
        raise _fail(error, settings) from error
    for load in result.loads:
        click.echo(load_line(load))
    for error in result.errors:
        click.echo(f"error: {runs.one_line(error, 500)}", err=True)
    seconds = time.perf_counter() - started
    click.echo(f"{result.summary()} into {settings.db_path} in {seconds:.1f}s")
    if result.errors:
        sys.exit(1)


@main.command()
@click.option(
    "--messages",
    type=click.IntRange(min=0),
    default=100_000,
    show_default=True,
    help="How many messages to write.",
)
@click.option(
    "--seed", type=int, default=42, show_default=True, help="The same seed writes the same bytes."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("data/generated"),
    show_default=True,
    help="Folder for messages.csv, opt_in_ledger.csv, status_webhooks.jsonl.",
)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2024-10-01",
    show_default=True,
    help="First day of traffic.",
)
@click.option("--days", type=click.IntRange(min=1), default=365, show_default=True)
@click.option(
    "--webhooks/--no-webhooks",
    default=True,
    show_default=True,
    help="Also write status webhooks carrying Meta's pricing for some messages.",
)
def generate(messages: int, seed: int, out: Path, start, days: int, webhooks: bool) -> None:
    """Write a realistic synthetic dataset, deterministic by seed.

    Several business numbers and countries, templates of every category, click-to-WhatsApp
    referrals, opt-ins and opt-outs, failed sends and a realistic share of violations.

    \b
    Example:
        carewindow generate --messages 1000000 --seed 7 --out data/inbox/
    """
    from analytics.generate import generate_dataset

    started = time.perf_counter()
    try:
        dataset = generate_dataset(
            out, messages, seed=seed, start=start.date(), days=days, webhooks=webhooks
        )
    except OSError as error:
        raise _cannot_write(out, error) from error
    seconds = time.perf_counter() - started
    click.echo(
        f"generated {dataset.messages:,} messages for {dataset.customers:,} customers, "
        f"{dataset.opt_in_events:,} opt-in events and {dataset.webhook_bodies:,} status webhooks "
        f"in {out} in {seconds:.1f}s"
    )


@main.command()
@db_option
@click.option(
    "--partitions",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Hash threads into N partitions built on Dask; 0 = one process, which from "
    "20,000,000 messages on builds the thread steps a partition at a time, as many as fit "
    "warehouse.memory_limit (default: rebuild.partitions in carewindow.toml, 0).",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    default=None,
    help='Dask scheduler for the partitions, e.g. tcp://10.0.0.5:8786; "" = '
    'worker processes on this machine; "in-process" = one partition after another in this '
    "process, no Dask (default: rebuild.cluster).",
)
@click.pass_context
def rebuild(
    ctx: click.Context, db: str | None, partitions: int | None, cluster: str | None
) -> None:
    """Rebuild every care window, verdict and price from the full history, then check the data.

    All or nothing: a failed rebuild leaves the previous tables in place. With --partitions N
    the per-thread steps run as N Prefect tasks on Dask; the result is the same.

    \b
    Example:
        carewindow rebuild --db data/warehouse.duckdb
        carewindow rebuild --partitions 8 --cluster tcp://10.0.0.5:8786
    """
    from analytics import checks, runs
    from analytics.db import open_for_writing
    from flows.partitioned import rebuild_for

    settings = _settings(ctx, db_path=db, rebuild_partitions=partitions, rebuild_cluster=cluster)
    rebuild_tables = rebuild_for(settings)
    started = time.perf_counter()
    try:
        if settings.rebuild_partitions > 0:
            _require_prefect()
        with (
            open_for_writing(settings, create=False) as con,
            runs.recorded_run(con, "rebuild") as run,
        ):
            result = rebuild_tables(con, settings, on_step=lambda s: _progress(f"  {s}"))
            checks.assert_data_checks(con)
            run.counts = runs.RunCounts(
                violations=result.violations, billable_messages=runs.billable_messages(con)
            )
    except Exception as error:
        raise _fail(error, settings) from error
    # what ran in pieces to fit warehouse.memory_limit (or rebuild.partitions)
    chunked = f"; thread steps in {result.partitions} partitions" if result.partitions else ""
    steps_by_count: dict[int, list[str]] = {}
    for step, count in result.chunks_by_step.items():
        steps_by_count.setdefault(count, []).append(step)
    chunked += "".join(
        f"; {' and '.join(steps)} written in {count} chunks of months to fit warehouse.memory_limit"
        for count, steps in steps_by_count.items()
    )
    click.echo(
        f"rebuilt {result.care_windows:,} care windows and {result.outbound_messages:,} outbound "
        f"messages ({result.violations:,} violations) in {time.perf_counter() - started:.1f}s; "
        f"data checks passed{chunked}"
    )


@main.command()
@db_option
@click.pass_context
def check(ctx: click.Context, db: str | None) -> None:
    """Run the data checks on the published warehouse (queries that must return no rows).

    \b
    Example:
        carewindow check --db data/warehouse.duckdb
    """
    from analytics.checks import run_data_checks
    from analytics.db import connect_read_only

    settings = _settings(ctx, db_path=db)
    try:
        con = connect_read_only(settings.db_path)
    except RuntimeError as error:
        raise _fail(error) from error
    with con:
        failures = run_data_checks(con)
    for failure in failures:
        click.echo(f"FAILED {failure.name}: {failure.failing_rows} row(s)", err=True)
    if failures:
        raise click.ClickException(
            f"{len(failures)} data check(s) failed; run `carewindow rebuild` and look at the rows"
        )
    click.echo("all data checks passed")


@main.command()
@db_option
@click.option(
    "--out",
    metavar="DIR",
    default=None,
    help="Reports folder (default: reports.out in carewindow.toml, data/reports).",
)
@click.pass_context
def report(ctx: click.Context, db: str | None, out: str | None) -> None:
    """Render the daily and monthly HTML reports and their index from the warehouse.

    \b
    Example:
        carewindow report --db data/warehouse.duckdb --out data/reports
    """
    from analytics.db import connect_read_only
    from reports.render import render_reports

    settings = _settings(ctx, db_path=db, reports_out=out)
    try:
        con = connect_read_only(settings.db_path)
        with con:
            result = render_reports(con, Path(settings.reports_out), settings)
    except OSError as error:
        raise _fail(error, settings, writing_reports=True) from error
    except RuntimeError as error:
        raise _fail(error) from error
    click.echo(
        f"rendered {len(result.daily_paths)} daily and {len(result.monthly_paths)} monthly "
        f"report(s) in {result.seconds:.1f}s; open {result.index_path.resolve()}"
    )


def _require_prefect() -> None:
    """Stop with one line when PREFECT_API_URL names a server that does not answer."""
    from flows.prefect_api import require_reachable_api

    require_reachable_api()


def _check_run_inputs(settings: Settings) -> None:
    """Stop a run in one line, before Prefect starts, when its inbox is missing (recorded as a
    failed run when the warehouse exists) or when its warehouse does not exist and the inbox
    holds no message data to create it from."""
    from analytics import inbox as inbox_module
    from analytics.db import missing_warehouse

    folder = Path(settings.inbox)
    try:
        inbox_module.inbox_files(folder)
    except inbox_module.InboxMissing as error:
        _record_failed_run(settings, str(error))
        raise click.ClickException(str(error)) from error
    if not Path(settings.db_path).exists() and not inbox_module.holds_message_data(folder):
        raise click.ClickException(
            f"{missing_warehouse(settings.db_path)}. The inbox {folder} holds no message data "
            "to create one from (rate cards alone do not)"
        )


def _record_failed_run(settings: Settings, detail: str) -> None:
    """A pipeline_runs row for a run stopped before it began, when there is a warehouse."""
    from analytics import runs
    from analytics.db import open_for_writing

    if not Path(settings.db_path).exists():
        return
    try:
        with open_for_writing(settings, create=False) as con:
            run_id = runs.start_run(con, "run")
            runs.finish_run(con, run_id, "failed", runs.RunCounts(detail=runs.one_line(detail)))
    except Exception as error:  # the run's own error matters more; say this one too
        click.echo(f"(the failed run could not be recorded: {runs.one_line(error, 300)})", err=True)


def _run_nightly(settings: Settings, config: str | None) -> dict:
    from flows.nightly import nightly

    return nightly(
        db=settings.db_path,
        inbox_dir=settings.inbox,
        reports_dir=settings.reports_out,
        config=config,
    )


@main.command()
@db_option
@click.option("--inbox", metavar="DIR", default=None, help="Folder of new files to load.")
@click.option("--reports", metavar="DIR", default=None, help="Reports folder.")
@click.pass_context
def run(ctx: click.Context, db: str | None, inbox: str | None, reports: str | None) -> None:
    """Run the nightly flow once, now: inbox -> load -> rebuild -> checks -> reports.

    Runs in Prefect's ephemeral mode, or against the server in PREFECT_API_URL when set.

    \b
    Example:
        carewindow run --db data/warehouse.duckdb --inbox data/inbox --reports data/reports
    """
    from analytics.runs import FilesFailed
    from flows.nightly import NightlySummary

    settings = _settings(ctx, db_path=db, inbox=inbox, reports_out=reports)
    try:
        _require_prefect()
    except Exception as error:
        raise _fail(error, settings) from error
    _check_run_inputs(settings)
    try:
        summary = _run_nightly(settings, ctx.obj.get("config"))
    except FilesFailed as error:
        _partial_run(error)
    except Exception as error:
        raise _fail(error, settings) from error
    click.echo(NightlySummary(**summary).line())


@main.command()
@db_option
@click.option("--cron", default=None, help="Cron schedule (default: schedule.cron, 0 2 * * *).")
@click.option("--timezone", default=None, help="Time zone of the schedule (schedule.time_zone).")
@click.pass_context
def serve(ctx: click.Context, db: str | None, cron: str | None, timezone: str | None) -> None:
    """Serve the nightly deployment on its cron schedule (until stopped with Ctrl-C).

    \b
    Example:
        PREFECT_API_URL=http://127.0.0.1:4200/api carewindow serve --cron "0 2 * * *"
    """
    from flows.serving import serve_until_stopped

    settings = _settings(ctx, db_path=db, schedule_cron=cron, schedule_time_zone=timezone)
    try:
        serve_until_stopped(settings, ctx.obj.get("config"), echo=click.echo)
    except Exception as error:
        raise _fail(error) from error


@main.command()
@click.option(
    "--messages",
    type=click.IntRange(min=1),
    default=200_000,
    show_default=True,
    help="How many synthetic messages to generate.",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=Path("data/demo"),
    show_default=True,
    help="Folder for the demo's warehouse, inbox and reports.",
)
@click.pass_context
def demo(ctx: click.Context, messages: int, seed: int, directory: Path) -> None:
    """Generate realistic sample data, run the whole nightly pipeline on it, print the report path.

    \b
    Example:
        carewindow demo --messages 500000
    """
    from analytics.generate import META_DISAGREEMENT_SHARE, generate_dataset

    inbox = directory / "inbox"
    rate_cards = directory / "inbox" / "rate_cards"
    _progress(f"generating {messages:,} messages ...")
    business = _settings(ctx)  # Meta's stand-in counts free tiers as the estimate will
    try:
        rate_cards.mkdir(parents=True, exist_ok=True)
        for card in EXAMPLE_RATE_CARDS.glob("*.csv"):
            shutil.copyfile(card, rate_cards / card.name)
        dataset = generate_dataset(  # to 30 November 2026, fixed
            inbox,
            messages,
            seed=seed,
            business_time_zone=business.business_time_zone,
            free_service_messages_per_month=business.free_service_messages_per_month,
        )
    except OSError as error:
        raise _cannot_write(directory, error, "--dir") from error
    settings = _settings(
        ctx,
        db_path=str(directory / "warehouse.duckdb"),
        inbox=str(inbox),
        reports_out=str(directory / "reports"),
    )
    _progress("running the nightly flow ...")
    from analytics.runs import FilesFailed

    try:
        _require_prefect()
        summary = _run_nightly(settings, ctx.obj.get("config"))
    except FilesFailed as error:
        _partial_run(error)
    except Exception as error:
        raise _fail(error) from error
    click.echo(f"demo: {dataset.messages:,} synthetic messages; warehouse {settings.db_path}")
    click.echo(
        f"Meta's verdicts in the demo's webhooks follow Meta's rules, but for "
        f"{META_DISAGREEMENT_SHARE:.0%} that disagree on purpose and the templates logged "
        "without a category: the report's disagreements with Meta are those"
    )
    click.echo(f"open the report: {Path(summary['report_index']).resolve()}")


if __name__ == "__main__":
    main()
