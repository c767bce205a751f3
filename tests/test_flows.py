"""The nightly flow end to end under Prefect's test harness, its deployment, and concurrent runs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from prefect.testing.utilities import prefect_test_harness

from analytics.config import Settings
from analytics.generate import generate_dataset
from flows.deployment import nightly_deployment
from flows.nightly import nightly

RATE_CARDS = Path(__file__).resolve().parent.parent / "data" / "rate_cards"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def _inbox(tmp_path: Path, messages: int = 3000, seed: int = 5) -> Path:
    inbox = tmp_path / "inbox"
    generate_dataset(inbox, messages, seed=seed, start=date(2025, 5, 1), days=90)
    return inbox


def _config(tmp_path: Path) -> str:
    """A configuration whose rate-card folder (inputs.rate_cards) is the shipped one: the run
    loads its three cards (Meta's rates and tiers, the illustrative example) like inbox files."""
    path = tmp_path / "carewindow.toml"
    path.write_text(f"[inputs]\nrate_cards = {str(RATE_CARDS)!r}\n", encoding="utf-8")
    return str(path)


def _fingerprint(db: Path) -> tuple:
    """Content of the derived tables, independent of row order."""
    with duckdb.connect(str(db), read_only=True) as con:
        return tuple(
            con.execute(f"select count(*), bit_xor(hash(t)) from {table} as t").fetchall()[0]
            for table in ("care_windows", "message_facts", "daily_summary", "messages")
        )


def test_nightly_flow_loads_rebuilds_checks_and_reports(harness, tmp_path):
    inbox = _inbox(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    reports = tmp_path / "reports"

    config = _config(tmp_path)
    summary = nightly(db=str(db), inbox_dir=str(inbox), reports_dir=str(reports), config=config)

    # files by folder: 3 generated files in the inbox, the 3 shipped rate cards in theirs
    assert (summary["files_found"], summary["files_loaded"]) == (3, 3)
    assert (summary["rate_card_files_found"], summary["rate_card_files_loaded"]) == (3, 3)
    # rows by kind: the rate cards' rows are not message data
    assert summary["rate_card_rows_loaded"] > 0
    assert summary["rows_quarantined"] == 0
    assert summary["outbound_messages"] > 0
    assert Path(summary["report_index"]).exists()
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute(
            "select command, outcome, files_loaded, rows_loaded, violations from pipeline_runs"
        ).fetchall()
        outbound = con.execute(
            "select count(*) from messages where direction = 'outbound'"
        ).fetchall()[0][0]
        facts = con.execute("select count(*) from message_facts").fetchall()[0][0]
    assert runs == [("run", "succeeded", 6, summary["rows_loaded"], summary["violations"])]
    assert facts == outbound == summary["outbound_messages"]

    # Again with no new file: nothing loaded, no verdict changes, one more run record.
    before = _fingerprint(db)
    again = nightly(db=str(db), inbox_dir=str(inbox), reports_dir=str(reports), config=config)
    assert again["files_loaded"] == 0
    assert again["rows_loaded"] == 0
    assert _fingerprint(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        outcomes = con.execute(
            "select outcome, files_loaded from pipeline_runs order by started_at"
        ).fetchall()
    assert outcomes == [("succeeded", 6), ("succeeded", 0)]


def test_failed_data_check_fails_the_run_and_keeps_the_last_good_state(
    harness, tmp_path, monkeypatch
):
    inbox = _inbox(tmp_path, messages=800)
    db = tmp_path / "warehouse.duckdb"
    nightly(db=str(db), inbox_dir=str(inbox), reports_dir=str(tmp_path / "reports"))
    good = _fingerprint(db)

    from analytics import checks

    def broken(con):
        raise checks.DataCheckError([checks.CheckFailure("failing_on_purpose", 1, [])])

    monkeypatch.setattr(checks, "assert_data_checks", broken)
    generate_dataset(inbox / "late", 300, seed=99, start=date(2025, 5, 1), days=30)
    with pytest.raises(checks.DataCheckError):
        nightly(db=str(db), inbox_dir=str(inbox), reports_dir=str(tmp_path / "reports"))
    assert _fingerprint(db) == good  # the published warehouse is still the last good one


def test_deployment_uses_the_configured_cron_schedule_and_time_zone():
    settings = Settings(
        schedule_cron="30 3 * * 1-5",
        schedule_time_zone="Europe/Amsterdam",
        db_path="w.duckdb",
        inbox="in",
        reports_out="out",
    )
    deployment = nightly_deployment(settings)
    assert deployment.name == "nightly"
    [schedule] = deployment.schedules
    assert schedule.schedule.cron == "30 3 * * 1-5"
    assert schedule.schedule.timezone == "Europe/Amsterdam"
    assert deployment.parameters["db"] == "w.duckdb"
    assert deployment.parameters["inbox_dir"] == "in"


def test_two_runs_at_once_leave_one_consistent_warehouse(tmp_path):
    inbox = _inbox(tmp_path, messages=2000, seed=8)
    db = tmp_path / "warehouse.duckdb"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    command = [
        sys.executable,
        "-m",
        "flows.cli",
        "--config",
        _config(tmp_path),
        "run",
        "--db",
        str(db),
        "--inbox",
        str(inbox),
        "--reports",
        str(tmp_path / "reports"),
    ]
    first = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    second = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    outputs = [first.communicate(timeout=600)[0], second.communicate(timeout=600)[0]]
    assert first.returncode == 0, outputs[0]
    assert second.returncode == 0, outputs[1]
    with duckdb.connect(str(db), read_only=True) as con:
        loads = con.execute(
            "select file, count(*) from load_log where outcome = 'loaded' group by all"
        ).fetchall()
        duplicates = con.execute(
            "select count(*) from (select message_id, direction from messages "
            "group by all having count(*) > 1)"
        ).fetchall()[0][0]
        runs = con.execute(
            "select outcome, files_loaded from pipeline_runs order by started_at"
        ).fetchall()
    assert len(loads) == 6 and all(count == 1 for _, count in loads)
    assert duplicates == 0
    assert sorted(runs) == [("succeeded", 0), ("succeeded", 6)]
