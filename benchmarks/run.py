"""Benchmark: generate N messages, then time ingest, rebuild (against a bare ASOF-join floor),
publishing and report rendering, with peak memory. Prints a table; never asserts a speed.

    .venv/bin/python benchmarks/run.py --messages 1000000 10000000
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import psutil

from analytics.config import Settings
from analytics.db import WarehousePaths, connect_file, fetch_value, publish
from analytics.generate import generate_dataset
from analytics.ingest import ingest_file
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


@dataclass
class Figures:
    messages: int
    generate_seconds: float = 0.0
    csv_bytes: int = 0
    ingest_seconds: float = 0.0
    ingest_rows_per_second: float = 0.0
    rebuild_seconds: float = 0.0
    rebuild_messages_per_second: float = 0.0
    floor_seconds: float = 0.0
    rebuild_to_floor_ratio: float = 0.0
    publish_seconds: float = 0.0
    report_seconds: float = 0.0
    peak_memory_gib: float = 0.0
    warehouse_gib: float = 0.0
    rebuild_steps: dict[str, float] = field(default_factory=dict)


def _tty(message: str) -> None:
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def _peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux: the process's high-water mark, DuckDB's memory included.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def benchmark(
    messages: int,
    workdir: Path,
    settings: Settings,
    seed: int,
    with_reports: bool,
    repeats: int = 2,
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
    for path in (paths.work, paths.published, Path(f"{paths.work}.wal")):
        path.unlink(missing_ok=True)
    con = connect_file(paths.work, settings)

    _tty("ingesting the CSV message log ...")
    started = time.perf_counter()
    load = ingest_file(con, data / "messages.csv", settings)
    ingest_file(con, data / "opt_in_ledger.csv", settings)
    figures.ingest_seconds = time.perf_counter() - started
    figures.ingest_rows_per_second = load.rows_read / figures.ingest_seconds
    for card in (ROOT / "data" / "rate_cards").glob("*.csv"):
        ingest_file(con, card, settings)
    con.execute("checkpoint")

    # Floor and rebuild each run `repeats` times, alternating, and the best of each counts: the
    # first pass also warms DuckDB's buffers, and a busy machine adds noise to single runs.
    floors, rebuilds = [], []
    for attempt in range(1, repeats + 1):
        _tty(f"timing the floor, a bare ASOF join ({attempt}/{repeats}) ...")
        started = time.perf_counter()
        con.execute(FLOOR_SQL)
        floors.append(time.perf_counter() - started)
        con.execute("drop table asof_floor")
        _tty(f"rebuilding every window, verdict and regime ({attempt}/{repeats}) ...")
        started = time.perf_counter()
        rebuild = rebuild_for(settings)
        result = rebuild(con, settings, on_step=lambda step: _tty(f"  {step}"))
        rebuilds.append(time.perf_counter() - started)
    figures.floor_seconds = min(floors)
    figures.rebuild_seconds = min(rebuilds)
    figures.rebuild_steps = {k: round(v, 2) for k, v in result.seconds_by_step.items()}
    figures.rebuild_messages_per_second = messages / figures.rebuild_seconds
    figures.rebuild_to_floor_ratio = figures.rebuild_seconds / figures.floor_seconds

    _tty("publishing ...")
    started = time.perf_counter()
    publish(con, paths)
    figures.publish_seconds = time.perf_counter() - started
    figures.warehouse_gib = paths.published.stat().st_size / 2**30

    if with_reports:
        _tty("rendering reports ...")
        started = time.perf_counter()
        render_reports(con, workdir / f"reports-{messages}", settings)
        figures.report_seconds = time.perf_counter() - started
    assert fetch_value(con, "select count(*) from messages") == messages
    con.close()
    figures.peak_memory_gib = _peak_rss_gib()
    return figures


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
        "--repeats",
        type=int,
        default=2,
        help="runs of the floor and of the rebuild; the best of each counts",
    )
    parser.add_argument("--no-reports", action="store_true", help="skip report rendering")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--clean", action="store_true", help="delete the working folder after")
    args = parser.parse_args(argv)

    args.dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        memory_limit=args.memory_limit,
        temp_directory=str(args.dir / "spill"),
        rebuild_partitions=args.partitions,
        db_path=str(args.dir / "warehouse.duckdb"),
    )
    print(
        f"machine: {platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB; duckdb {duckdb.__version__}; "
        f"memory limit {args.memory_limit}; "
        f"{'single process' if not args.partitions else f'{args.partitions} partitions'}"
    )
    header = (
        f"{'messages':>12} {'ingest rows/s':>14} {'rebuild s':>10} {'msgs/s':>11} "
        f"{'floor s':>8} {'ratio':>6} {'publish s':>9} {'report s':>8} {'peak GiB':>8}"
    )
    print(header)
    results = []
    for messages in args.messages:
        figures = benchmark(
            messages, args.dir, settings, args.seed, not args.no_reports, args.repeats
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
            "  rebuild steps (s): "
            + ", ".join(f"{name} {seconds}" for name, seconds in figures.rebuild_steps.items())
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.clean:
        shutil.rmtree(args.dir)
    print(
        f"benchmarked {len(results)} size(s): "
        + "; ".join(
            f"{r['messages']:,} messages, ingest {r['ingest_rows_per_second']:,.0f} "
            f"rows/s, rebuild {r['rebuild_to_floor_ratio']:.2f}x the floor"
            for r in results
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
