"""Benchmark: generate N messages, then time ingest, rebuild (against a bare ASOF-join floor),
publishing and report rendering, with peak memory and peak spill. Prints a table; never asserts
a speed.

    .venv/bin/python benchmarks/run.py --messages 1000000 10000000

With --bad-lines it instead times loading a file holding one corrupt line of N delimiters, for
each N given: the cost of a bad line grows linearly with its length.

    .venv/bin/python benchmarks/run.py --bad-lines 100000 200000 400000 800000
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import resource
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import psutil

from analytics.config import Settings
from analytics.db import connect_file, fetch_value, publish
from analytics.generate import generate_dataset
from analytics.ingest import ingest_file
from analytics.partitions import PARTITION_FROM_MESSAGES
from analytics.plan import reads
from analytics.rebuild import STEPS, rebuild_warehouse
from analytics.working_copy import WarehousePaths
from flows.partitioned import rebuild_for
from reports.render import render_reports

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SQL = """
create or replace temp table asof_floor as
select o.message_id, i.sent_at as last_inbound_at
from (select message_id, business_number, contact, sent_at
      from messages where direction = 'outbound') as o
asof left join (select business_number, contact, sent_at
                from messages where direction = 'inbound') as i
    on o.business_number = i.business_number and o.contact = i.contact
    and i.sent_at <= o.sent_at
"""

# The job's own floor: the join above plus writing message_facts as it is stored, timed as a
# copy of what the rebuild wrote (same rows, columns and values; a view over coded storage is
# copied from its stored table: message_facts is a view over the table message_billing_by_regime
# is stored in, WIDE_TABLE). The output floor: the job's floor plus writing every other public
# table the rebuild writes, copies of them too. The public tables are an interface that may not
# change, so no rebuild that stores them so can be faster than it.
PUBLIC_TABLES = tuple(step.name for step in STEPS if step.materialization == "table")
WIDE_TABLE = next(
    table
    for table in PUBLIC_TABLES
    if table in reads(next(step for step in STEPS if step.name == "message_facts"), PUBLIC_TABLES)
)

# The ingest floor: the same CSV stored in a table shaped like `messages` with nothing else, no
# checks, no quarantine, no duplicate test, no file hash. Ingest is measured against it. It reads
# with DuckDB's default CSV buffers: the ingest's bigger ones (analytics.ingest.files.buffer_size)
# made this insert slower at 1M messages (2.1 s against 1.24 s) and no faster in a warehouse of
# 10M (12.3-13.3 s either way).
INGEST_FLOOR_TABLE = "create or replace table ingest_floor as from messages limit 0"
INGEST_FLOOR_SQL = """
insert into ingest_floor by name
select
    message_id, "timestamp"::timestamptz as sent_at, direction, business_number, contact, "type",
    template_name, template_category, status, referral_source, waba_id,
    'message_log' as origin, $path as source_file, 0 as source_line, now() as loaded_at
from read_csv($path, header = true, all_varchar = true)
"""


# What an analyst asks of the rebuilt warehouse, opened read-only, each meant to take no longer
# than the join at 10 million messages. $message_id is a message of the data.
ANALYST_QUERIES = {
    "monthly cost in force (message_facts)": (
        "select date_trunc('month', sent_at) as month, count_if(billable) as chargeable,"
        " sum(estimated_cost) as cost from message_facts group by all order by month"
    ),
    "cost per regime (message_billing)": (
        "select regime, count_if(billable) as chargeable, sum(estimated_cost) as cost"
        " from message_billing group by regime order by regime"
    ),
    "latest 100 violations": "select * from violations order by sent_at desc limit 100",
    "one message's verdicts": (
        "select * from message_billing where message_id = $message_id order by regime"
    ),
}


@dataclass
class Figures:
    messages: int
    generate_seconds: float = 0.0
    csv_bytes: int = 0
    ingest_seconds: float = 0.0
    ingest_rows_per_second: float = 0.0
    ingest_floor_rows_per_second: float = 0.0
    rebuild_seconds: float = 0.0
    rebuild_messages_per_second: float = 0.0
    floor_seconds: float = 0.0
    rebuild_to_floor_ratio: float = 0.0
    wide_write_seconds: float = 0.0
    job_floor_seconds: float = 0.0
    rebuild_to_job_floor_ratio: float = 0.0
    # writing every other public table (WIDE_TABLE, message_facts' storage, is in
    # wide_write_seconds)
    other_output_write_seconds: float = 0.0
    output_floor_seconds: float = 0.0
    rebuild_to_output_floor_ratio: float = 0.0
    output_write_seconds_by_table: dict[str, float] = field(default_factory=dict)
    publish_seconds: float = 0.0
    report_seconds: float = 0.0
    peak_memory_gib: float = 0.0
    warehouse_gib: float = 0.0
    rebuild_cpu_seconds: float = 0.0
    peak_spill_gib: float = 0.0
    min_free_disk_gib: float = 0.0
    # where the intermediate tables were: "temporary tables", the "scratch database" file
    # (--scratch), or partitions' Parquet files (from PARTITION_FROM_MESSAGES loaded messages
    # on, or --partitions)
    intermediates: str = ""
    rebuild_steps: dict[str, float] = field(default_factory=dict)
    rebuild_steps_cpu: dict[str, float] = field(default_factory=dict)
    # steps written in chunks of months (analytics/chunks.py): step -> statements
    rebuild_chunks: dict[str, int] = field(default_factory=dict)
    spill_by_step_gib: dict[str, float] = field(default_factory=dict)
    # seconds per query of ANALYST_QUERIES on the published warehouse opened read-only
    analyst_query_seconds: dict[str, float] = field(default_factory=dict)


def _tty(message: str) -> None:
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def _peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux: the process's high-water mark, DuckDB's memory included.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _folder_bytes(folder: Path) -> int:
    """Disk space the files under folder take (allocated blocks: spill files are sparse)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # a spill file deleted while we looked
                total += os.stat(os.path.join(root, name)).st_blocks * 512
    return total


class DiskWatch:
    """Samples the spill folder and the free disk every second, per rebuild step; stops the
    running query (DuckDB's interrupt) when free space falls below min_free_bytes, so a big run
    fails cleanly instead of filling the disk."""

    def __init__(self, spill: Path, min_free_bytes: int = 0) -> None:
        self.spill = spill
        self.min_free_bytes = min_free_bytes
        self.step = "before the rebuild"
        self.peak_by_step: dict[str, int] = {}
        self.min_free = shutil.disk_usage(spill).free
        self.stopped_at: str | None = None
        self.con: duckdb.DuckDBPyConnection | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(1.0):
            used = _folder_bytes(self.spill)
            free = shutil.disk_usage(self.spill).free
            self.peak_by_step[self.step] = max(self.peak_by_step.get(self.step, 0), used)
            self.min_free = min(self.min_free, free)
            if free < self.min_free_bytes and self.stopped_at is None:
                self.stopped_at = self.step
                if self.con is not None:
                    self.con.interrupt()

    @property
    def peak(self) -> int:
        return max(self.peak_by_step.values(), default=0)


def benchmark(
    messages: int,
    workdir: Path,
    settings: Settings,
    seed: int,
    with_reports: bool,
    repeats: int = 2,
    min_free_gib: float = 0.0,
    keep_warehouse: bool = False,
    lean_disk: bool = False,
    scratch: bool = False,
) -> Figures:
    figures = Figures(messages=messages)
    data = workdir / f"data-{messages}"
    if not data.exists():
        _tty(f"generating {messages:,} messages ...")
        started = time.perf_counter()
        # Generated beside and renamed, so an interrupted run never leaves half a dataset.
        partial = workdir / f"data-{messages}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        generate_dataset(
            partial, messages, seed=seed, start=date(2024, 10, 1), days=365, webhooks=False
        )
        partial.rename(data)
        figures.generate_seconds = time.perf_counter() - started
    figures.csv_bytes = (data / "messages.csv").stat().st_size

    db_path = workdir / f"warehouse-{messages}.duckdb"
    paths = WarehousePaths.for_db(db_path)
    for path in (paths.work, paths.published, Path(f"{paths.work}.wal"), paths.source):
        path.unlink(missing_ok=True)
    con = connect_file(paths.work, settings)

    _tty("ingesting the CSV message log ...")
    started = time.perf_counter()
    load = ingest_file(con, data / "messages.csv", settings)
    figures.ingest_seconds = time.perf_counter() - started
    figures.ingest_rows_per_second = load.rows_read / figures.ingest_seconds
    ingest_file(con, data / "opt_in_ledger.csv", settings)
    for card in (ROOT / "data" / "rate_cards").glob("*.csv"):
        ingest_file(con, card, settings)
    con.execute("checkpoint")
    _tty("timing the ingest floor, the bare CSV stored ...")
    con.execute(INGEST_FLOOR_TABLE)
    started = time.perf_counter()
    con.execute(INGEST_FLOOR_SQL, {"path": str(data / "messages.csv")})
    figures.ingest_floor_rows_per_second = load.rows_read / (time.perf_counter() - started)
    con.execute("drop table ingest_floor")
    con.execute("checkpoint")
    if lean_disk:
        # The CSV is read for the last time: its disk goes to the spill (regenerated next time,
        # the same bytes from the same seed).
        shutil.rmtree(data)

    # Floor and rebuild each run `repeats` times, alternating, and the best of each counts: the
    # first pass also warms DuckDB's buffers, and a busy machine adds noise to single runs.
    floors, rebuilds, cpu, copies = [], [], [], []
    spill = Path(settings.temp_directory)
    with DiskWatch(spill, int(min_free_gib * 2**30)) as watch:
        watch.con = con
        for attempt in range(1, repeats + 1):
            _tty(f"timing the floor, a bare ASOF join ({attempt}/{repeats}) ...")
            watch.step = "floor"
            started = time.perf_counter()
            con.execute(FLOOR_SQL)
            floors.append(time.perf_counter() - started)
            con.execute("drop table asof_floor")
            _tty(f"rebuilding every window, verdict and regime ({attempt}/{repeats}) ...")

            def on_step(step: str) -> None:
                watch.step = step
                _tty(f"  {step}")

            started, cpu_started = time.perf_counter(), time.process_time()
            rebuild = rebuild_for(settings)
            if scratch and settings.rebuild_partitions == 0:
                rebuild = functools.partial(rebuild_warehouse, scratch=True)
            try:
                result = rebuild(con, settings, on_step=on_step)
            except duckdb.InterruptException:
                if watch.stopped_at is None:
                    raise
                raise SystemExit(
                    f"stopped: free disk fell below {min_free_gib} GiB during "
                    f"{watch.stopped_at} (spill folder peaked at {watch.peak / 2**30:.1f} GiB)"
                ) from None
            rebuilds.append(time.perf_counter() - started)
            if result.partitions:
                figures.intermediates = f"files of {result.partitions} partitions"
            else:
                figures.intermediates = "scratch database" if scratch else "temporary tables"
            cpu.append(time.process_time() - cpu_started)
            _tty(
                "timing the job's and the output floor, writing a copy of every public table "
                f"({attempt}/{repeats}) ..."
            )
            copies.append(_time_copies(con, watch))
            watch.step = "after the rebuild"
    figures.floor_seconds = min(floors)
    figures.rebuild_seconds = min(rebuilds)
    figures.rebuild_cpu_seconds = round(min(cpu), 1)
    figures.rebuild_steps = {k: round(v, 2) for k, v in result.seconds_by_step.items()}
    figures.rebuild_steps_cpu = {k: round(v, 2) for k, v in result.cpu_seconds_by_step.items()}
    figures.rebuild_chunks = dict(result.chunks_by_step)
    figures.rebuild_messages_per_second = messages / figures.rebuild_seconds
    figures.rebuild_to_floor_ratio = figures.rebuild_seconds / figures.floor_seconds
    figures.wide_write_seconds = min(by_table[WIDE_TABLE] for by_table in copies)
    figures.job_floor_seconds = figures.floor_seconds + figures.wide_write_seconds
    figures.rebuild_to_job_floor_ratio = figures.rebuild_seconds / figures.job_floor_seconds
    others = [
        {table: seconds for table, seconds in by_table.items() if table != WIDE_TABLE}
        for by_table in copies
    ]
    best_output = min(others, key=lambda by_table: sum(by_table.values()))
    figures.output_write_seconds_by_table = {k: round(v, 2) for k, v in best_output.items()}
    figures.other_output_write_seconds = sum(best_output.values())
    figures.output_floor_seconds = figures.job_floor_seconds + figures.other_output_write_seconds
    figures.rebuild_to_output_floor_ratio = figures.rebuild_seconds / figures.output_floor_seconds
    figures.peak_spill_gib = round(watch.peak / 2**30, 2)
    figures.min_free_disk_gib = round(watch.min_free / 2**30, 1)
    figures.spill_by_step_gib = {
        step: round(peak / 2**30, 2) for step, peak in watch.peak_by_step.items() if peak
    }

    if lean_disk:
        # A published copy would need the working copy's size again: not measured.
        con.execute("checkpoint")
        figures.warehouse_gib = paths.work.stat().st_size / 2**30
    else:
        _tty("publishing ...")
        started = time.perf_counter()
        publish(con, paths)
        figures.publish_seconds = time.perf_counter() - started
        figures.warehouse_gib = paths.published.stat().st_size / 2**30
        _tty("timing an analyst's queries ...")
        figures.analyst_query_seconds = _time_analyst_queries(paths.published, settings)

    if with_reports:
        _tty("rendering reports ...")
        started = time.perf_counter()
        render_reports(con, workdir / f"reports-{messages}", settings)
        figures.report_seconds = time.perf_counter() - started
    assert fetch_value(con, "select count(*) from messages") == messages
    con.close()
    if not keep_warehouse:
        # Each run loads the CSV afresh, so the warehouse (twice: published and working copy,
        # about 30 GB at 100 million messages) would only take the disk the next size needs.
        for path in (paths.work, paths.published, Path(f"{paths.work}.wal"), paths.source):
            path.unlink(missing_ok=True)
    figures.peak_memory_gib = _peak_rss_gib()
    return figures


def _time_analyst_queries(published: Path, settings: Settings) -> dict[str, float]:
    """Each of ANALYST_QUERIES on the published warehouse opened read-only, as an analyst
    opens it while the pipeline works on its own copy: the best of two runs, seconds."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        con.execute("set memory_limit = ?", [settings.memory_limit])
        message_id = fetch_value(con, "select max(message_id) from message_facts")
        seconds = {}
        for name, query in ANALYST_QUERIES.items():
            values = {"message_id": message_id} if "$message_id" in query else {}
            runs = []
            for _ in range(2):
                started = time.perf_counter()
                con.execute(query, values).fetchall()
                runs.append(time.perf_counter() - started)
            seconds[name] = round(min(runs), 3)
        return seconds
    finally:
        con.close()


def _time_copies(con: duckdb.DuckDBPyConnection, watch: DiskWatch) -> dict[str, float]:
    """Seconds to write a copy of each public table as it is stored, each dropped after: a
    table published as a view over coded storage (analytics/storage.py) is copied from its
    stored table, which is what the rebuild must write."""
    from analytics.storage import STORAGE_SCHEMA

    stored = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [STORAGE_SCHEMA]
        ).fetchall()
    }
    seconds = {}
    for table in PUBLIC_TABLES:
        watch.step = "wide floor" if table == WIDE_TABLE else "output floor"
        source = f"{STORAGE_SCHEMA}.{table}" if table in stored else table
        started = time.perf_counter()
        con.execute(f"create or replace table floor_copy as from {source}")
        seconds[table] = time.perf_counter() - started
        con.execute("drop table floor_copy")
    return seconds


def bad_line_seconds(delimiters: int, folder: Path, settings: Settings) -> float:
    """Seconds to load a message log of two good rows around one line of `delimiters` commas."""
    from analytics.db import connect_memory
    from analytics.ingest import ingest_file

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bad-line-{delimiters}.csv"
    good = "{},2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text"
    path.write_text(
        "message_id,timestamp,direction,business_number,contact,type\n"
        + "\n".join([good.format("m1"), "x," * delimiters, good.format("m2")])
        + "\n"
    )
    con = connect_memory(settings)
    try:
        started = time.perf_counter()
        load = ingest_file(con, path, settings)
        seconds = time.perf_counter() - started
    finally:
        con.close()
        path.unlink()
    if (load.loaded, load.quarantined) != (2, 1):
        raise RuntimeError(f"the bad line was not quarantined: {load}")
    return seconds


def bad_lines(counts: list[int], folder: Path, settings: Settings) -> list[dict]:
    """Print and return the load time of one bad line per delimiter count, and per million."""
    print(f"{'delimiters':>12} {'load s':>8} {'s per million delimiters':>25}")
    results = []
    for delimiters in counts:
        seconds = bad_line_seconds(delimiters, folder, settings)
        per_million = seconds / delimiters * 1_000_000
        print(f"{delimiters:>12,} {seconds:>8.2f} {per_million:>25.2f}", flush=True)
        results.append({"delimiters": delimiters, "seconds": round(seconds, 3)})
    print(
        "bad lines: "
        + "; ".join(f"{r['delimiters']:,} delimiters {r['seconds']:.2f} s" for r in results)
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--messages",
        type=int,
        nargs="+",
        default=[1_000_000],
        help="message counts to benchmark, one run each (in this process)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--dir",
        type=Path,
        default=ROOT / "data" / "bench",
        help="working folder for data and warehouses",
    )
    parser.add_argument("--memory-limit", default="16GB", help="DuckDB memory limit")
    parser.add_argument(
        "--partitions",
        type=int,
        default=0,
        help="rebuild in N partitions on a local Dask cluster (0: one process)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="with --partitions: build them one after another in this process (no Dask)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="runs of the floor and of the rebuild; the best of each counts",
    )
    parser.add_argument("--no-reports", action="store_true", help="skip report rendering")
    parser.add_argument(
        "--min-free-gb",
        type=float,
        default=0.0,
        help="stop the rebuild (cleanly, rolled back) if free disk space falls below this",
    )
    parser.add_argument(
        "--lean-disk",
        action="store_true",
        help="for sizes the disk barely holds: delete the generated CSV once it is loaded and "
        "skip publishing (which copies the warehouse); publish s is then not measured",
    )
    parser.add_argument(
        "--scratch",
        action="store_true",
        help="rebuild in one piece with the intermediate tables in a scratch database file, at "
        f"any size (from {PARTITION_FROM_MESSAGES:,} messages on the rebuild runs in partitions "
        "instead): with --memory-limit scaled down (10M messages at 1400MB), the spill of a "
        "100M run in one piece is foreseen in minutes",
    )
    parser.add_argument(
        "--bad-lines",
        type=int,
        nargs="+",
        metavar="DELIMITERS",
        help="instead: time loading one corrupt line of each number of delimiters",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--clean", action="store_true", help="delete the working folder after")
    parser.add_argument(
        "--keep-warehouses",
        action="store_true",
        help="keep each size's warehouse for a look afterwards (deleted by default: the next "
        "run loads the CSV again)",
    )
    args = parser.parse_args(argv)

    args.dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        memory_limit=args.memory_limit,
        temp_directory=str(args.dir / "spill"),
        rebuild_partitions=args.partitions,
        rebuild_cluster="in-process" if args.in_process else "",
        db_path=str(args.dir / "warehouse.duckdb"),
    )
    if args.bad_lines:
        figures = bad_lines(args.bad_lines, args.dir / "bad-lines", settings)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        return 0
    print(
        f"machine: {platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB; duckdb {duckdb.__version__}; "
        f"memory limit {args.memory_limit}; "
        + (
            "single process"
            if not args.partitions
            else f"{args.partitions} partitions"
            + (" in sequence, in this process" if args.in_process else " on Dask")
        )
    )
    header = (
        f"{'messages':>12} {'ingest rows/s':>14} {'rebuild s':>10} {'msgs/s':>11} "
        f"{'floor s':>8} {'ratio':>6} {'publish s':>9} {'report s':>8} {'peak GiB':>8}"
    )
    print(header)
    results = []
    for messages in args.messages:
        figures = benchmark(
            messages,
            args.dir,
            settings,
            args.seed,
            not args.no_reports,
            args.repeats,
            args.min_free_gb,
            args.keep_warehouses,
            args.lean_disk,
            args.scratch,
        )
        results.append(asdict(figures))
        print(
            f"{messages:>12,} {figures.ingest_rows_per_second:>14,.0f} "
            f"{figures.rebuild_seconds:>10.1f} {figures.rebuild_messages_per_second:>11,.0f} "
            f"{figures.floor_seconds:>8.1f} {figures.rebuild_to_floor_ratio:>6.2f} "
            f"{figures.publish_seconds:>9.1f} {figures.report_seconds:>8.1f} "
            f"{figures.peak_memory_gib:>8.2f}",
            flush=True,
        )
        print(
            f"  job floor {figures.job_floor_seconds:.1f} s (the join {figures.floor_seconds:.1f} s"
            f" + writing message_facts as stored, in {WIDE_TABLE}"
            f" {figures.wide_write_seconds:.1f} s):"
            f" rebuild {figures.rebuild_to_job_floor_ratio:.2f}x the job floor,"
            f" {figures.rebuild_to_floor_ratio:.2f}x the join"
        )
        print(
            f"  output floor {figures.output_floor_seconds:.1f} s (the job floor + writing every"
            f" other public table {figures.other_output_write_seconds:.1f} s: "
            + ", ".join(
                f"{name} {seconds}"
                for name, seconds in figures.output_write_seconds_by_table.items()
            )
            + f"): rebuild {figures.rebuild_to_output_floor_ratio:.2f}x the output floor"
        )
        print(
            f"  ingest floor (the CSV stored, nothing checked) "
            f"{figures.ingest_floor_rows_per_second:,.0f} rows/s; ingest reaches "
            f"{figures.ingest_rows_per_second / figures.ingest_floor_rows_per_second:.0%} of it"
        )
        print(
            f"  rebuild steps (s), intermediate tables in the {figures.intermediates}: "
            + ", ".join(f"{name} {seconds}" for name, seconds in figures.rebuild_steps.items())
        )
        if figures.rebuild_steps_cpu:
            print(
                "  rebuild steps, CPU seconds (steadier than wall time when other work runs): "
                + ", ".join(
                    f"{name} {seconds}" for name, seconds in figures.rebuild_steps_cpu.items()
                )
            )
        if figures.rebuild_chunks:
            print(
                "  written in chunks of months to fit in memory: "
                + ", ".join(f"{name} {n} chunks" for name, n in figures.rebuild_chunks.items())
            )
        if figures.analyst_query_seconds:
            slowest = max(figures.analyst_query_seconds.values())
            print(
                "  analyst queries on the published warehouse, read-only (s): "
                + ", ".join(f"{n} {s}" for n, s in figures.analyst_query_seconds.items())
                + f"; the slowest {slowest / figures.floor_seconds:.2f}x the join"
            )
        print(
            f"  rebuild CPU {figures.rebuild_cpu_seconds} s; peak spill folder "
            f"{figures.peak_spill_gib} GiB, least free disk {figures.min_free_disk_gib} GiB; "
            "spill by step (GiB): "
            + (
                ", ".join(f"{name} {gib}" for name, gib in figures.spill_by_step_gib.items())
                or "none"
            )
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.clean:
        shutil.rmtree(args.dir)
    print(
        f"benchmarked {len(results)} size(s): "
        + "; ".join(
            f"{r['messages']:,} messages, ingest {r['ingest_rows_per_second']:,.0f} "
            f"rows/s, rebuild {r['rebuild_to_floor_ratio']:.2f}x the join, "
            f"{r['rebuild_to_job_floor_ratio']:.2f}x the job floor, "
            f"{r['rebuild_to_output_floor_ratio']:.2f}x the output floor"
            for r in results
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
