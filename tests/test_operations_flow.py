"""The nightly flow's outcome is honest: files that fail to load fail the run after
everything else is loaded, rebuilt and reported; a missing inbox or warehouse is an error; the
run is recorded under its Prefect flow-run id."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from prefect.testing.utilities import prefect_test_harness

from analytics.generate import generate_dataset
from analytics.runs import FilesFailed
from flows.cli import main
from flows.nightly import nightly

RATE_CARDS = Path(__file__).resolve().parent.parent / "data" / "rate_cards"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=180):
        yield


def _config(tmp_path: Path, rate_cards: Path = RATE_CARDS) -> str:
    """A configuration whose rate-card folder (inputs.rate_cards) is the given one."""
    path = tmp_path / "carewindow.toml"
    path.write_text(f"[inputs]\nrate_cards = {str(rate_cards)!r}\n", encoding="utf-8")
    return str(path)


def _inbox(tmp_path: Path, bad: bool = True) -> Path:
    """A message log and a ledger (and the shipped rate cards, through _config); with `bad`,
    an empty and a binary .csv too."""
    inbox = tmp_path / "inbox"
    generate_dataset(inbox, 600, seed=17, start=date(2025, 5, 1), days=20, webhooks=False)
    if bad:
        (inbox / "empty.csv").write_text("")
        noise = bytes(b for b in random.Random(3).randbytes(8_000) if b not in b"\r\n")
        (inbox / "binary.csv").write_bytes(noise)
    return inbox


def _rows(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def test_a_run_with_files_that_fail_loads_the_rest_reports_and_then_fails(harness, tmp_path):
    inbox = _inbox(tmp_path)
    db, reports = tmp_path / "warehouse.duckdb", tmp_path / "reports"

    result = CliRunner().invoke(
        main,
        [
            *["--config", _config(tmp_path), "run", "--db", str(db)],
            *["--inbox", str(inbox), "--reports", str(reports)],
        ],
    )

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert "2 FAILED" in next(line for line in lines if line.startswith("run "))
    errors = [line for line in lines if line.startswith("error:")]
    assert any("empty.csv" in line for line in errors)
    assert any("binary.csv" in line for line in errors)
    assert all(len(line) <= 520 and "\ufffd" not in line for line in errors)
    assert lines[-1].startswith("Error: 2 file(s) failed to load; everything else was loaded")
    # Everything else is published: messages, rebuilt tables and reports.
    [(command, outcome, files_loaded, detail)] = _rows(
        db, "select command, outcome, files_loaded, detail from pipeline_runs"
    )
    assert (command, outcome, files_loaded) == ("run", "partial", 5)  # 2 generated, 3 cards
    assert "2 file(s) failed to load" in detail
    assert "empty.csv" in detail and "binary.csv" in detail
    assert _rows(db, "select count(*) > 0 from message_facts") == [(True,)]
    assert (reports / "index.html").exists()


def test_the_flow_run_ends_failed_naming_the_files_under_its_own_id(harness, tmp_path):
    inbox = _inbox(tmp_path)
    db = tmp_path / "warehouse.duckdb"

    state = nightly(
        db=str(db),
        inbox_dir=str(inbox),
        reports_dir=str(tmp_path / "r"),
        config=_config(tmp_path),
        return_state=True,
    )

    assert state.is_failed()
    assert "empty.csv" in state.message and "binary.csv" in state.message
    error = state.result(raise_on_failure=False)
    assert isinstance(error, FilesFailed) and len(error.file_errors) == 2
    flow_run_id = str(state.state_details.flow_run_id)
    assert _rows(db, "select run_id, outcome from pipeline_runs") == [(flow_run_id, "partial")]
    assert error.summary["run_id"] == flow_run_id


def test_a_clean_run_is_recorded_under_its_flow_run_id(harness, tmp_path):
    inbox = _inbox(tmp_path, bad=False)
    db = tmp_path / "warehouse.duckdb"

    state = nightly(
        db=str(db),
        inbox_dir=str(inbox),
        reports_dir=str(tmp_path / "r"),
        config=_config(tmp_path),
        return_state=True,
    )

    assert state.is_completed()
    flow_run_id = str(state.state_details.flow_run_id)
    assert _rows(db, "select run_id, outcome from pipeline_runs") == [(flow_run_id, "succeeded")]


def test_a_missing_inbox_is_an_error_saying_what_to_do(harness, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    missing = tmp_path / "inbx"

    result = CliRunner().invoke(
        main, ["--config", _config(tmp_path), "run", "--db", str(db), "--inbox", str(missing)]
    )

    assert result.exit_code == 1
    assert f"the inbox {missing} does not exist" in result.output
    assert "mkdir -p" in result.output and "--inbox" in result.output
    assert "0 new file(s)" not in result.output
    assert not db.exists()


def test_a_run_with_nothing_to_load_needs_an_existing_warehouse(harness, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db = tmp_path / "typo" / "warehouse.duckdb"
    config = _config(tmp_path, rate_cards=inbox)

    result = CliRunner().invoke(
        main, ["--config", config, "run", "--db", str(db), "--inbox", str(inbox)]
    )

    assert result.exit_code == 1
    assert f"no warehouse at {db}" in result.output
    assert not (tmp_path / "typo").exists()


# --- a run refuses what it cannot do, in one line, before Prefect starts ---------------------


def test_a_mistyped_warehouse_with_only_rate_cards_to_load_is_refused(tmp_path, monkeypatch):
    # given an inbox holding one rate card only and the shipped rate-card folder
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    card = next(RATE_CARDS.glob("*.csv"))
    (inbox / card.name).write_bytes(card.read_bytes())
    db = tmp_path / "warehuose.duckdb"
    monkeypatch.setattr("flows.cli._run_nightly", lambda *a: pytest.fail("Prefect started"))

    result = CliRunner().invoke(
        main, ["--config", _config(tmp_path), "run", "--db", str(db), "--inbox", str(inbox)]
    )

    # expect a refusal naming the path, and no warehouse created from the cards
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: no warehouse at {db}")
    assert "holds no message data to create one from (rate cards alone do not)" in result.output
    assert not db.exists()


def test_a_missing_inbox_is_one_line_before_prefect_and_a_failed_run(tmp_path, monkeypatch):
    # given a warehouse, and a run pointed at an inbox that does not exist
    db = tmp_path / "warehouse.duckdb"
    data = tmp_path / "data"
    generate_dataset(data, 50, seed=3, start=date(2025, 5, 1), days=3, webhooks=False)
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(data), "--db", str(db)]).exit_code == 0
    monkeypatch.setattr("flows.cli._run_nightly", lambda *a: pytest.fail("Prefect started"))
    missing = tmp_path / "does" / "not" / "exist"

    result = runner.invoke(
        main, ["--config", _config(tmp_path), "run", "--db", str(db), "--inbox", str(missing)]
    )

    # expect one line saying what to do, nothing about free space, and the run recorded
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: the inbox {missing} does not exist: create it (mkdir -p {missing}) or point "
        "--inbox (inputs.inbox in carewindow.toml) at the folder new files arrive in"
    ]
    assert _rows(
        db,
        "select command, outcome, coalesce(detail like 'the inbox % does not exist%', false) "
        "from pipeline_runs order by started_at",
    ) == [("ingest", "succeeded", False), ("run", "failed", True)]


def test_the_summary_counts_files_by_folder_and_rows_by_kind():
    from flows.nightly import NightlySummary

    summary = NightlySummary(
        run_id="r1",
        files_found=4,
        files_loaded=4,
        rows_loaded=19,
        rows_quarantined=0,
        outbound_messages=10,
        violations=1,
        billable_messages=5,
        report_index="index.html",
        rate_card_files_found=3,
        rate_card_files_loaded=1,
        rate_card_rows_loaded=566,
    )

    assert summary.line() == (
        "run r1: 4 new file(s) of 4 in the inbox, 1 new of 3 in the rate-card folder; 19 rows "
        "of message data loaded (and 566 rate-card rows), 0 quarantined; 10 outbound messages, "
        "1 violations, 5 chargeable; report: index.html"
    )
