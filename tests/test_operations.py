"""Operations that never fail in silence: the published warehouse is the truth,
commands that read a warehouse refuse a missing one, and errors are one line saying what to do.

The nightly flow's outcomes are in test_operations_flow.py, a real Prefect server in
test_operations_server.py.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from analytics import runs
from analytics.config import Settings
from analytics.db import (
    WarehouseBusy,
    WarehousePaths,
    connect_memory,
    fetch_value,
    open_for_writing,
)
from analytics.generate import generate_dataset
from flows.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    return {**env, **extra}


def _messages(folder: Path, seed: int, messages: int = 200) -> Path:
    generate_dataset(folder, messages, seed=seed, start=date(2025, 6, 1), days=10, webhooks=False)
    return folder / "messages.csv"


def _rows(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def _ingest(db: Path, *files: Path) -> None:
    result = CliRunner().invoke(main, ["ingest", *map(str, files), "--db", str(db)])
    assert result.exit_code == 0, result.output


def _message_ids(db: Path) -> set[str]:
    return {row[0] for row in _rows(db, "select message_id from messages")}


def _file_ids(csv: Path) -> set[str]:
    with duckdb.connect() as con:
        return {
            row[0]
            for row in con.execute(
                "select message_id from read_csv(?, all_varchar = true)", [str(csv)]
            ).fetchall()
        }


# ------------------------------------------------------ the published warehouse is the truth


def test_a_restored_backup_is_what_the_next_rebuild_starts_from(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    june = _messages(tmp_path / "june", seed=1)
    july = _messages(tmp_path / "july", seed=2)
    _ingest(db, june, ROOT / "data" / "rate_cards")
    backup = tmp_path / "backup.duckdb"
    shutil.copyfile(db, backup)
    _ingest(db, july)
    assert _message_ids(db) == _file_ids(june) | _file_ids(july)

    shutil.copyfile(backup, db)  # the operator restores last night's backup
    rebuilt = CliRunner().invoke(main, ["rebuild", "--db", str(db)])

    assert rebuilt.exit_code == 0, rebuilt.output
    assert _message_ids(db) == _file_ids(june)
    loaded_files = {row[0] for row in _rows(db, "select file from load_log")}
    assert str(june) in loaded_files and str(july) not in loaded_files
    assert [
        row[0] for row in _rows(db, "select command from pipeline_runs order by started_at")
    ] == [
        "ingest",
        "rebuild",
    ]


def test_a_deleted_warehouse_stays_deleted_and_the_next_load_starts_from_nothing(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    june = _messages(tmp_path / "june", seed=3)
    july = _messages(tmp_path / "july", seed=4)
    _ingest(db, june)
    db.unlink()  # the operator wants those rows gone

    _ingest(db, july)

    assert _message_ids(db) == _file_ids(july)
    assert [row[0] for row in _rows(db, "select file from load_log")] == [str(july)]


def test_a_replaced_warehouse_of_the_same_size_is_still_noticed(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    june = _messages(tmp_path / "june", seed=5)
    july = _messages(tmp_path / "july", seed=6)
    _ingest(db, june)
    first = db.read_bytes()
    _ingest(db, july)
    # Written in place over the same inode (as `cat backup > warehouse.duckdb` does).
    with open(db, "r+b") as handle:
        handle.truncate(0)
        handle.write(first)

    _ingest(db, ROOT / "data" / "rate_cards")

    assert _message_ids(db) == _file_ids(june)


def test_unpublished_work_survives_when_the_published_file_is_untouched(tmp_path, settings):
    # A failed rebuild leaves the loaded files in the working copy; the next command keeps them.
    with pytest.raises(RuntimeError, match="on purpose"), open_for_writing(settings) as con:
        con.execute(
            "insert into pipeline_runs (run_id, command, started_at, outcome) "
            "values ('kept', 'ingest', now(), 'succeeded')"
        )
        raise RuntimeError("on purpose")
    with open_for_writing(settings) as con:
        assert fetch_value(con, "select count(*) from pipeline_runs where run_id = 'kept'") == 1


def test_a_discarded_working_copy_is_told(tmp_path, settings):
    told: list[str] = []
    with open_for_writing(settings):
        pass
    Path(settings.db_path).unlink()
    with open_for_writing(settings, notify=told.append):
        pass
    assert len(told) == 1 and "discarded the working copy" in told[0] and "deleted" in told[0]


# ------------------------------------------------ commands that read a warehouse need one


@pytest.mark.parametrize("command", ["rebuild", "check", "report"])
def test_commands_that_read_a_warehouse_refuse_a_path_that_does_not_exist(tmp_path, command):
    db = tmp_path / "typo" / "warehuose.duckdb"

    result = CliRunner().invoke(main, [command, "--db", str(db)])

    assert result.exit_code == 1
    assert f"no warehouse at {db}" in result.output
    assert "carewindow ingest" in result.output
    assert not (tmp_path / "typo").exists()


def test_writing_without_create_refuses_a_missing_warehouse_and_creates_nothing(settings):
    missing = pytest.raises(RuntimeError, match="no warehouse at")
    with missing, open_for_writing(settings, create=False):
        pass
    assert not any(Path(settings.db_path).parent.iterdir())


# ------------------------------------------------------------- run bookkeeping, written once


def test_a_recorded_run_says_partial_and_names_the_files_that_failed(con):
    with runs.recorded_run(con, "ingest") as run:
        run.counts = runs.RunCounts(files_loaded=2)
        run.file_errors = ["a.csv: the file is empty", "b.csv: cannot be read"]

    assert fetch_value(con, "select outcome from pipeline_runs") == "partial"
    detail = fetch_value(con, "select detail from pipeline_runs")
    assert "2 file(s) failed to load" in detail and "a.csv" in detail and "b.csv" in detail
    assert fetch_value(con, "select files_loaded from pipeline_runs") == 2


def test_a_recorded_run_that_raises_says_failed_with_the_error_and_the_counts_so_far(con):
    with pytest.raises(ValueError), runs.recorded_run(con, "rebuild", "r1") as run:
        run.counts = runs.RunCounts(files_loaded=1)
        raise ValueError("step x broke")

    assert fetch_value(con, "select outcome || ': ' || detail from pipeline_runs") == (
        "failed: step x broke"
    )
    assert fetch_value(con, "select run_id from pipeline_runs") == "r1"


def test_a_recorded_run_with_nothing_failed_succeeds(con):
    with runs.recorded_run(con, "run"):
        pass
    assert fetch_value(con, "select outcome from pipeline_runs") == "succeeded"


def test_files_failed_survives_pickling_as_prefect_stores_it():
    import pickle

    error = runs.FilesFailed("r9", ["x.csv: empty"], {"run_id": "r9"})
    again = pickle.loads(pickle.dumps(error))
    assert (again.run_id, again.file_errors, again.summary, str(again)) == (
        "r9",
        ["x.csv: empty"],
        {"run_id": "r9"},
        str(error),
    )


def test_one_line_keeps_binary_bytes_out_of_messages():
    garbage = "a.csv: bad header " + "\x00\x01\ufffd\ufffd\x7f" * 2000 + "\nsecond line"
    line = runs.one_line(garbage, 200)
    assert len(line) <= 200 and "\n" not in line and "\x00" not in line and "\ufffd" not in line
    assert line.startswith("a.csv: bad header ?")


# --------------------------------------------------------------- errors that say what to do


def test_an_ingest_of_a_binary_file_names_it_without_dumping_its_bytes(tmp_path):
    binary = tmp_path / "export.csv"
    noise = bytes(b for b in random.Random(7).randbytes(20_000) if b not in b"\r\n")
    binary.write_bytes(noise)

    result = CliRunner().invoke(main, ["ingest", str(binary), "--db", str(tmp_path / "w.duckdb")])

    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(binary) in errors[0]
    assert len(errors[0]) <= 520, len(errors[0])
    assert "\ufffd" not in result.output
    assert _rows(tmp_path / "w.duckdb", "select outcome from pipeline_runs") == [("partial",)]


def test_generate_into_a_folder_that_cannot_be_made_says_so_in_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = CliRunner().invoke(
        main, ["generate", "--messages", "10", "--out", str(blocker / "out")]
    )

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"Error: cannot write to {blocker / 'out'}") and "--out" in line


def test_an_unreachable_dask_scheduler_is_named_at_once(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _ingest(db, _messages(tmp_path / "june", seed=8), ROOT / "data" / "rate_cards")
    before = _rows(db, "select count(*) from pipeline_runs")

    result = subprocess.run(
        [
            *[sys.executable, "-m", "flows.cli", "rebuild", "--db", str(db)],
            *["--partitions", "2", "--cluster", "tcp://127.0.0.1:1"],
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(),
        cwd=tmp_path,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    [line] = result.stderr.strip().splitlines()
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in line
    assert "--cluster" in line and "None" not in line
    assert _rows(db, "select count(*) from pipeline_runs") == before  # published file unchanged


def test_a_malformed_dask_address_is_named():
    from analytics.partitions import SchedulerUnreachable, check_scheduler

    with pytest.raises(SchedulerUnreachable, match="'10.0.0.5' is not host:port"):
        check_scheduler("10.0.0.5")


@pytest.mark.parametrize("command", ["run", "serve"])
def test_an_unreachable_prefect_server_is_named_with_what_to_do(tmp_path, command):
    url = "http://127.0.0.1:1/api"
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", command, "--db", str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(PREFECT_API_URL=url, PREFECT_HOME=str(tmp_path / "prefect")),
        cwd=tmp_path,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"cannot reach the Prefect server at PREFECT_API_URL={url}" in line
    assert "prefect server start" in line
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.slow
def test_serve_without_a_prefect_server_warns_and_stops_cleanly_on_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--db", str(tmp_path / "w.duckdb")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(PREFECT_HOME=str(tmp_path / "prefect")),
        cwd=tmp_path,
    )
    try:
        assert "serving deployment nightly/nightly" in process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 0, stderr
    assert "PREFECT_API_URL is not set" in stderr and "prefect server start" in stderr
    assert "Traceback" not in stderr + stdout
    assert "stopped serving nightly/nightly" in stdout


# ------------------------------------------------------------------------ traceability


def test_duckdbs_bare_progress_bar_is_off_even_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    con = connect_memory(Settings(temp_directory=str(tmp_path / "tmp")))
    assert fetch_value(con, "select current_setting('enable_progress_bar')") is False


def test_a_wait_for_the_writer_lock_is_told_to_the_caller(settings):
    paths = WarehousePaths.for_db(settings.db_path)
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    told: list[str] = []
    with open(paths.lock, "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        holder.write("pid 4242 since now\n")
        holder.flush()
        with (
            pytest.raises(WarehouseBusy),
            open_for_writing(settings.with_overrides(lock_timeout_seconds=0.5), notify=told.append),
        ):
            pass
    assert len(told) == 1
    assert "waiting for another carewindow run" in told[0] and "pid 4242" in told[0]


def test_a_lock_wait_that_ends_is_told_too(settings):
    paths = WarehousePaths.for_db(settings.db_path)
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    told: list[str] = []
    holder = open(paths.lock, "a+")  # noqa: SIM115 - released by the thread below
    fcntl.flock(holder, fcntl.LOCK_EX)

    def release_when_told(message: str) -> None:
        told.append(message)
        if len(told) == 1:
            threading.Thread(target=holder.close).start()

    with open_for_writing(settings, notify=release_when_told):
        pass
    assert [message.split(" ")[0] for message in told] == ["waiting", "got"]


def test_progress_names_the_file_on_a_terminal_and_stays_out_of_pipes(tmp_path):
    import pty
    import select

    messages = _messages(tmp_path / "june", seed=9)
    command = [sys.executable, "-m", "flows.cli", "ingest", str(messages)]
    leader, follower = pty.openpty()
    on_terminal = subprocess.Popen(
        [*command, "--db", str(tmp_path / "a.duckdb")],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=_environment(),
        cwd=tmp_path,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            seen += chunk
        elif on_terminal.poll() is not None:
            break
    on_terminal.wait(timeout=300)
    os.close(leader)
    piped = subprocess.run(
        [*command, "--db", str(tmp_path / "b.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(),
        cwd=tmp_path,
    )

    assert f"[1/1] loading {messages}" in seen.decode()
    assert piped.returncode == 0 and "loading" not in piped.stderr + piped.stdout
