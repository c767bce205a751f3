"""The command line: help with an example on every command, documented in the README, and a
whole chain ingest -> rebuild -> report -> check through it."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from analytics.generate import generate_dataset
from flows.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_the_expected_commands_exist():
    assert {"demo", "ingest", "rebuild", "report", "run", "serve", "generate"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert f"carewindow {command}" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    assert re.search(rf"`carewindow {command}\b", README), f"README does not document {command}"


def test_db_option_on_every_command_that_touches_the_warehouse():
    for command in ("ingest", "rebuild", "check", "report", "run", "serve"):
        options = {opt for param in main.commands[command].params for opt in param.opts}
        assert "--db" in options, command


def test_ingest_rebuild_report_check_through_the_command_line(tmp_path):
    data = tmp_path / "data"
    generate_dataset(data, 2000, seed=3, start=date(2025, 6, 1), days=60)
    db = str(tmp_path / "warehouse.duckdb")
    runner = CliRunner()

    loaded = runner.invoke(
        main, ["ingest", str(data), str(ROOT / "data" / "rate_cards"), "--db", db]
    )
    assert loaded.exit_code == 0, loaded.output
    # 3 generated files and the shipped cards: Meta's rates and tiers, the illustrative example
    assert loaded.output.strip().splitlines()[-1].startswith("ingested 6 file(s)")
    # the README beside the cards is documentation, not an input: not named as not loaded
    assert "README.md" not in loaded.output and "not loaded" not in loaded.output

    again = runner.invoke(main, ["ingest", str(data), "--db", db])
    assert again.exit_code == 0, again.output
    assert "3 already loaded" in again.output

    rebuilt = runner.invoke(main, ["rebuild", "--db", db])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "data checks passed" in rebuilt.output

    reported = runner.invoke(main, ["report", "--db", db, "--out", str(tmp_path / "reports")])
    assert reported.exit_code == 0, reported.output
    assert (tmp_path / "reports" / "index.html").exists()

    checked = runner.invoke(main, ["check", "--db", db])
    assert checked.exit_code == 0, checked.output

    with duckdb.connect(db, read_only=True) as con:
        commands = con.execute(
            "select command, outcome from pipeline_runs order by started_at"
        ).fetchall()
    assert commands == [("ingest", "succeeded"), ("ingest", "succeeded"), ("rebuild", "succeeded")]


def test_errors_say_what_to_do_next(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["report", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1
    assert "carewindow ingest" in missing.output

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    failed = runner.invoke(main, ["ingest", str(empty), "--db", str(tmp_path / "w.duckdb")])
    assert failed.exit_code == 1
    assert "empty.csv" in failed.output and "empty" in failed.output

    config = tmp_path / "bad.toml"
    config.write_text('[business]\ntime_zone = "Mars/Olympus"\n')
    wrong = runner.invoke(
        main, ["--config", str(config), "rebuild", "--db", str(tmp_path / "w.duckdb")]
    )
    assert wrong.exit_code == 1
    assert "business.time_zone" in wrong.output


def test_console_script_runs_from_a_shell(tmp_path):
    script = Path(sys.executable).parent / "carewindow"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "Example" in result.stdout


def test_published_warehouse_opens_in_the_pinned_duckdb_shell(tmp_path):
    data = tmp_path / "data"
    generate_dataset(data, 300, seed=4, start=date(2025, 6, 1), days=10, webhooks=False)
    db = str(tmp_path / "warehouse.duckdb")
    assert CliRunner().invoke(main, ["ingest", str(data), "--db", db]).exit_code == 0
    shell = Path(sys.executable).parent / "duckdb"
    result = subprocess.run(
        [str(shell), "-readonly", "-csv", db, "-c", "select count(*) from messages"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "300"


def test_a_mistake_in_the_projects_declarations_is_one_line(monkeypatch, tmp_path):
    # given a registry mistake that surfaces while the rebuild command imports its plan
    import flows.partitioned
    from analytics.regimes import RegistryError

    def broken(settings):
        raise RegistryError("sql/regimes/x.sql: a pricing rule without a registry entry")

    monkeypatch.setattr(flows.partitioned, "rebuild_for", broken)
    result = CliRunner().invoke(main, ["rebuild", "--db", str(tmp_path / "w.duckdb")])
    # expect one line naming it, no traceback
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: sql/regimes/x.sql: a pricing rule without a registry entry"
    )
