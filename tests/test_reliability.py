"""Crashes, kills, concurrent readers and writers, full disks: the warehouse stays whole.

Each test drives the real command line in a subprocess, so a kill -9 is a real kill, and then
checks the published warehouse byte for byte and by content.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from analytics.config import Settings
from analytics.db import open_for_writing, writer_lock
from analytics.generate import generate_dataset
from analytics.ingest import ingest_paths
from analytics.rebuild import rebuild_warehouse
from analytics.working_copy import WarehousePaths
from reports.render import render_reports

ROOT = Path(__file__).resolve().parent.parent
RATE_CARDS = ROOT / "data" / "rate_cards"
DERIVED_TABLES = ("care_windows", "message_facts", "daily_summary", "pricing_reconciliation")


# ---------------------------------------------------------------- helpers (also used elsewhere)


def write_config(folder: Path, **warehouse: object) -> Path:
    """A carewindow.toml in `folder` with small, test-friendly warehouse settings."""
    values = {"memory_limit": "1GB", "temp_directory": str(folder / "tmp"), **warehouse}
    lines = ["[warehouse]"]
    for key, value in values.items():
        lines.append(f"{key} = {value!r}" if isinstance(value, str) else f"{key} = {value}")
    path = folder / "carewindow.toml"
    path.write_text("\n".join(lines).replace("'", '"') + "\n", encoding="utf-8")
    return path


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *args]


def carewindow(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the command line to completion in `cwd` (where its carewindow.toml is)."""
    return subprocess.run(
        cli_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_environment(),
    )


def _environment() -> dict[str, str]:
    return {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(db: Path, query: str) -> object:
    """One value from a fresh read-only connection (closed again, so the next one is fresh)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()[0][0]


def fingerprint(db: Path, tables: tuple[str, ...] = DERIVED_TABLES) -> tuple:
    """Rows and an order-independent hash of each table's content."""
    with duckdb.connect(str(db), read_only=True) as con:
        return tuple(
            con.execute(f"select count(*), bit_xor(hash(t)) from {table} as t").fetchall()[0]
            for table in tables
        )


def csv_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def settings_for(db: Path, tmp: Path, **overrides: object) -> Settings:
    return Settings(
        db_path=str(db),
        temp_directory=str(tmp / "tmp"),
        memory_limit="1GB",
        lock_timeout_seconds=30,
        **overrides,
    )


def load_in_process(settings: Settings, *paths: Path, rebuild: bool = False) -> None:
    """Load (and rebuild) through the same functions the command line uses, and publish."""
    with open_for_writing(settings) as con:
        result = ingest_paths(con, paths, settings)
        assert not result.errors, result.errors
        if rebuild:
            rebuild_warehouse(con, settings)


def assert_no_traceback(completed: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in completed.stdout + completed.stderr, completed.stderr


@contextlib.contextmanager
def running_on_terminal(args: list[str], cwd: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """A command whose stderr is a terminal, so it prints its progress; yields (process, fd)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        args,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=_environment(),
    )
    os.close(follower)
    try:
        yield process, leader
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)
        os.close(leader)


def wait_for_text(process: subprocess.Popen, fd: int, text: str, timeout: float = 240) -> str:
    """Read the terminal until `text` appears; fail if the process ends first."""
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, f"{text!r} never appeared; saw {seen[-2000:]!r}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536).decode("utf-8", errors="replace")
            except OSError:  # the terminal closed: the process ended
                break
        elif process.poll() is not None:
            break
    assert text in seen, f"the process ended (code {process.poll()}) before printing {text!r}"
    return seen


def kill_hard(process: subprocess.Popen) -> None:
    assert process.poll() is None, "the command finished before the test could kill it"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def state_of_working_copy(paths: WarehousePaths, scratch: Path, file: str) -> tuple[int, list]:
    """(messages, load_log rows for `file`) in a copy of the working file as a kill left it."""
    scratch.mkdir()
    copy = scratch / "work.duckdb"
    shutil.copyfile(paths.work, copy)
    wal = paths.work.with_name(paths.work.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, scratch / "work.duckdb.wal")
    with duckdb.connect(str(copy)) as con:
        messages = con.execute("select count(*) from messages").fetchall()[0][0]
        loads = con.execute(
            "select outcome, loaded from load_log where file = ?", [file]
        ).fetchall()
    return messages, loads


# ---------------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def big_dataset(tmp_path_factory) -> Path:
    """A message log big enough that loading it takes a while (about 30 MB)."""
    folder = tmp_path_factory.mktemp("big")
    generate_dataset(folder, 200_000, seed=11, start=date(2025, 4, 1), days=60, webhooks=False)
    return folder


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    generate_dataset(folder, 2_000, seed=12, start=date(2025, 6, 1), days=30, webhooks=False)
    return folder


# ----------------------------------------------------------------------- kill -9 mid-ingest


@pytest.mark.slow
def test_a_load_killed_midway_leaves_the_warehouse_as_it_was_and_loads_whole_next_time(
    tmp_path, big_dataset
):
    write_config(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    paths = WarehousePaths.for_db(db)
    load_in_process(settings_for(db, tmp_path), big_dataset / "opt_in_ledger.csv", RATE_CARDS)
    published_before = sha256(db)
    messages_file = big_dataset / "messages.csv"

    process = subprocess.Popen(
        cli_command("ingest", str(messages_file), "--db", str(db)),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_environment(),
    )
    try:
        # The working copy grows only while the load's transaction writes its rows.
        start_size = db.stat().st_size
        while process.poll() is None:
            if paths.work.exists() and paths.work.stat().st_size > start_size:
                break
            time.sleep(0.01)
        kill_hard(process)
    finally:
        if process.poll() is None:
            process.kill()

    assert sha256(db) == published_before
    assert count(db, "select count(*) from messages") == 0
    assert count(db, "select count(*) from load_log where kind = 'message_log'") == 0
    # Whatever the kill left in the working copy is the whole file or none of it.
    messages, loads = state_of_working_copy(paths, tmp_path / "scratch", str(messages_file))
    rows = csv_rows(messages_file)
    assert (messages, loads) in ((0, []), (rows, [("loaded", rows)]))

    again = carewindow("ingest", str(messages_file), "--db", str(db), cwd=tmp_path)

    assert again.returncode == 0, again.stderr
    assert count(db, "select count(*) from messages") == rows
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select outcome, rows_read, loaded from load_log where file = ?", [str(messages_file)]
        ).fetchall() == [("loaded", rows, rows)]
        runs = con.execute(
            "select command, outcome, detail from pipeline_runs "
            "where command = 'ingest' order by started_at"
        ).fetchall()
    assert [run[:2] for run in runs] == [("ingest", "failed"), ("ingest", "succeeded")]
    assert runs[0][2].startswith("interrupted")


def test_a_copy_of_the_published_warehouse_cut_short_is_never_taken_for_the_working_copy(
    tmp_path, small_dataset, monkeypatch
):
    db = tmp_path / "warehouse.duckdb"
    settings = settings_for(db, tmp_path)
    load_in_process(settings, small_dataset / "opt_in_ledger.csv")
    paths = WarehousePaths.for_db(db)
    paths.work.unlink()  # the next command starts again from the published file

    def copy_half_then_die(source, target, *args, **kwargs):
        Path(target).write_bytes(Path(source).read_bytes()[: db.stat().st_size // 2])
        raise KeyboardInterrupt  # the process is stopped in the middle of the copy

    monkeypatch.setattr(shutil, "copyfile", copy_half_then_die)
    with pytest.raises(KeyboardInterrupt), open_for_writing(settings):
        pass
    monkeypatch.undo()

    load_in_process(settings, small_dataset / "messages.csv")

    assert count(db, "select count(*) from messages") == csv_rows(small_dataset / "messages.csv")
    assert count(db, "select count(*) from opt_in_events") == csv_rows(
        small_dataset / "opt_in_ledger.csv"
    )


# ---------------------------------------------------------------------- kill -9 mid-rebuild


@pytest.mark.slow
def test_a_rebuild_killed_midway_keeps_the_previous_tables_and_reports(tmp_path):
    history, late = tmp_path / "history", tmp_path / "late"
    generate_dataset(history, 40_000, seed=21, start=date(2025, 5, 1), days=60, webhooks=False)
    generate_dataset(late, 3_000, seed=22, start=date(2025, 5, 1), days=60, webhooks=False)
    write_config(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    settings = settings_for(db, tmp_path)
    load_in_process(settings, history, RATE_CARDS, rebuild=True)
    reports = tmp_path / "reports"
    with duckdb.connect(str(db), read_only=True) as con:
        render_reports(con, reports, settings)
    report_files = {path: sha256(path) for path in reports.rglob("*.html")}
    tables_before = fingerprint(db)
    # A late file: the next rebuild changes verdicts.
    load_in_process(settings, late)
    published_before = sha256(db)
    reference_db = tmp_path / "reference" / "warehouse.duckdb"
    reference_db.parent.mkdir()
    shutil.copyfile(db, reference_db)
    with open_for_writing(settings_for(reference_db, tmp_path)) as con:
        rebuild_warehouse(con, settings)
    uninterrupted = fingerprint(reference_db)
    assert uninterrupted != tables_before

    with running_on_terminal(cli_command("rebuild", "--db", str(db)), tmp_path) as (process, fd):
        wait_for_text(process, fd, "message_facts")  # printed as the step starts
        kill_hard(process)

    assert sha256(db) == published_before
    assert fingerprint(db) == tables_before
    assert {path: sha256(path) for path in reports.rglob("*.html")} == report_files

    again = carewindow("rebuild", "--db", str(db), cwd=tmp_path)

    assert again.returncode == 0, again.stderr
    assert fingerprint(db) == uninterrupted
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute(
            "select outcome, detail from pipeline_runs where command = 'rebuild' "
            "order by started_at"
        ).fetchall()
    assert [outcome for outcome, _ in runs] == ["failed", "succeeded"]
    assert runs[0][1].startswith("interrupted")


# ------------------------------------------------------------ an analyst's read-only session


def test_an_open_read_only_session_neither_blocks_a_run_nor_sees_half_of_it(
    tmp_path, small_dataset
):
    write_config(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    load_in_process(settings_for(db, tmp_path), small_dataset / "opt_in_ledger.csv", RATE_CARDS)
    rows = csv_rows(small_dataset / "messages.csv")

    def new_reader(query: str) -> str:
        # Another process, as a second analyst: DuckDB shares one open database per process.
        code = (
            "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print(con.execute(sys.argv[2]).fetchall()[0][0])"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(db), query], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    analyst = duckdb.connect(str(db), read_only=True)
    try:
        assert analyst.execute("select count(*) from messages").fetchall() == [(0,)]

        loaded = carewindow(
            "ingest", str(small_dataset / "messages.csv"), "--db", str(db), cwd=tmp_path
        )
        assert loaded.returncode == 0, loaded.stderr
        assert analyst.execute("select count(*) from messages").fetchall() == [(0,)]
        assert new_reader("select count(*) from messages") == str(rows)

        rebuilt = carewindow("rebuild", "--db", str(db), cwd=tmp_path)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert analyst.execute("select count(*) from messages").fetchall() == [(0,)]
        assert analyst.execute(
            "select count(*) from information_schema.tables where table_name = 'message_facts'"
        ).fetchall() == [(0,)]
        assert (
            new_reader(
                "select count(*) = (select count(*) from messages where direction = 'outbound') "
                "from message_facts"
            )
            == "True"
        )
    finally:
        analyst.close()
    # Closed and opened again, the analyst's own process sees the new state too.
    assert count(db, "select count(*) from messages") == rows


# -------------------------------------------------------------------------- two writers


def test_a_second_writer_stops_with_a_clear_message_when_the_first_holds_on(
    tmp_path, small_dataset
):
    write_config(tmp_path, lock_timeout_seconds=1)
    db = tmp_path / "warehouse.duckdb"
    load_in_process(settings_for(db, tmp_path), small_dataset / "opt_in_ledger.csv")
    paths = WarehousePaths.for_db(db)
    published, work = sha256(db), sha256(paths.work)

    with writer_lock(paths, timeout_seconds=5):
        second = carewindow(
            "ingest", str(small_dataset / "messages.csv"), "--db", str(db), cwd=tmp_path
        )

    assert second.returncode == 1
    assert_no_traceback(second)
    assert f"the warehouse {db} is busy: pid {os.getpid()}" in second.stderr
    assert "warehouse.lock_timeout_seconds" in second.stderr
    assert (sha256(db), sha256(paths.work)) == (published, work)
    assert count(db, "select count(*) from messages") == 0


def test_a_second_writer_waits_for_the_first_and_then_runs(tmp_path, small_dataset):
    write_config(tmp_path, lock_timeout_seconds=120)
    db = tmp_path / "warehouse.duckdb"
    paths = WarehousePaths.for_db(db)
    messages_file = small_dataset / "messages.csv"

    with contextlib.ExitStack() as first_writer:
        first_writer.enter_context(writer_lock(paths, timeout_seconds=5))
        command = cli_command("ingest", str(messages_file), "--db", str(db))
        with running_on_terminal(command, tmp_path) as (process, fd):
            wait_for_text(process, fd, "waiting for another carewindow run")
            assert not db.exists()  # nothing written while it waits
            first_writer.close()  # the first writer finishes
            assert process.wait(timeout=240) == 0

    assert count(db, "select count(*) from messages") == csv_rows(messages_file)


# ------------------------------------------------------------ full disk, unwritable reports


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, *options: str) -> Iterator[Path]:
    """A small tmpfs at `folder` (needs root); the test is skipped where mounting is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_stops_a_load_with_a_clear_message_and_the_warehouse_unharmed(
    tmp_path, big_dataset
):
    messages_file = big_dataset / "messages.csv"
    write_config(tmp_path)  # spill folder on the roomy disk; the warehouse on a small one
    with mounted_tmpfs(tmp_path / "disk", "size=24m") as disk:
        db = disk / "warehouse.duckdb"
        load_in_process(settings_for(db, tmp_path), big_dataset / "opt_in_ledger.csv")
        published = sha256(db)
        # Fill the disk up to the last 2 MB: far too little for 200,000 messages.
        filler = disk / "filler"
        free = shutil.disk_usage(disk).free
        filler.write_bytes(b"\0" * (free - 2 * 1024 * 1024))

        full = carewindow("ingest", str(messages_file), "--db", str(db), cwd=tmp_path)

        assert full.returncode == 1
        assert_no_traceback(full)
        assert f"no space left on the disk holding {disk}" in full.stderr
        assert "free space there" in full.stderr
        assert sha256(db) == published
        assert count(db, "select count(*) from messages") == 0
        # the failed load's working copy is gone with the room it took; the next run copies anew
        assert not (disk / "warehouse.work.duckdb").exists()

        filler.unlink()
        again = carewindow("ingest", str(messages_file), "--db", str(db), cwd=tmp_path)

        assert again.returncode == 0, again.stderr
        rows = csv_rows(messages_file)
        assert count(db, "select count(*) from messages") == rows
        assert (
            count(
                db,
                "select count(*) from load_log where kind = 'message_log' and outcome = 'loaded'",
            )
            == 1
        )


def test_a_rebuild_that_outgrows_its_spill_limit_stops_with_what_to_do_and_changes_nothing(
    tmp_path, big_dataset
):
    db = tmp_path / "warehouse.duckdb"
    load_in_process(
        settings_for(db, tmp_path),
        big_dataset / "messages.csv",
        big_dataset / "opt_in_ledger.csv",
        rebuild=True,
    )
    published = sha256(db)
    # Given: so little memory that the rebuild must spill, and room for almost no spill
    write_config(tmp_path, memory_limit="40MB", max_temp_directory_size="1MB", threads=1)

    short = carewindow("rebuild", "--db", str(db), cwd=tmp_path)

    assert short.returncode == 1
    assert_no_traceback(short)
    assert "more spill room" in short.stderr
    assert "warehouse.max_temp_directory_size allows (1MB)" in short.stderr
    assert sha256(db) == published


@pytest.mark.parametrize("how", ["read-only", "full"])
def test_reports_that_cannot_be_written_stop_with_the_folder_and_what_to_do(
    tmp_path, small_dataset, how
):
    write_config(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    load_in_process(settings_for(db, tmp_path), small_dataset, RATE_CARDS, rebuild=True)
    published = sha256(db)
    options = ("ro",) if how == "read-only" else ("size=64k",)
    with mounted_tmpfs(tmp_path / "reports", *options) as reports:
        failed = carewindow("report", "--db", str(db), "--out", str(reports), cwd=tmp_path)

    assert failed.returncode == 1
    assert_no_traceback(failed)
    assert f"cannot write the reports to {reports}" in failed.stderr
    assert "Make the folder writable and free space on its disk" in failed.stderr
    assert sha256(db) == published
    assert count(db, "select count(*) from message_facts") > 0
