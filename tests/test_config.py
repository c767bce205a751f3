"""Configuration: a wrong value stops every command with a message naming its key, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.config import ConfigError, Settings, cron_problem, load_settings
from flows.cli import main

ROOT = Path(__file__).resolve().parent.parent


def config_file(folder: Path, text: str) -> Path:
    path = folder / "carewindow.toml"
    path.write_text(text, encoding="utf-8")
    return path


WRONG_VALUES = [
    # (toml text, the key the message must name, a word from what it says)
    # strptime codes DuckDB does not know (each file once failed, blamed on the file)
    ('[inputs]\ntimestamp_format = "%Q"\n', "inputs.timestamp_format", "not a valid strptime"),
    ('[inputs]\ntimestamp_format = "%H:%i"\n', "inputs.timestamp_format", "%i"),
    ('[business]\ntime_zone = "Mars/Olympus_Mons"\n', "business.time_zone", "IANA time zone"),
    ('[inputs]\nsource_time_zone = "CEST+2"\n', "inputs.source_time_zone", "IANA time zone"),
    ('[schedule]\ntime_zone = ""\n', "schedule.time_zone", "non-empty"),
    (
        "[business]\nfree_conversations_per_month = -1\n",
        "business.free_conversations_per_month",
        ">= 0",
    ),
    (
        "[business]\nfree_service_messages_per_month = 2.5\n",
        "business.free_service_messages_per_month",
        "whole number",
    ),
    (
        "[business]\nfree_service_messages_per_month = 10001\n",
        "business.free_service_messages_per_month",
        "at most 10,000",
    ),
    ("[warehouse]\nthreads = -2\n", "warehouse.threads", ">= 0"),
    ("[warehouse]\nlock_timeout_seconds = -5\n", "warehouse.lock_timeout_seconds", ">= 0"),
    ('[warehouse]\nlock_timeout_seconds = "soon"\n', "warehouse.lock_timeout_seconds", "number"),
    ("[reports]\nvisible_digits = -1\n", "reports.visible_digits", ">= 0"),
    ('[warehouse]\nmemory_limit = "lots"\n', "warehouse.memory_limit", "8GB"),
    ("[warehouse]\nmemory_limit = 8\n", "warehouse.memory_limit", "text"),
    ('[warehouse]\nmemory_limit = "-1GB"\n', "warehouse.memory_limit", "8GB"),
    (
        '[warehouse]\nmax_temp_directory_size = "most"\n',
        "warehouse.max_temp_directory_size",
        "50GB",
    ),
    ("[warehouse]\nmax_temp_directory_size = 5\n", "warehouse.max_temp_directory_size", "empty"),
    ('[schedule]\ncron = "61 2 * * *"\n', "schedule.cron", "minute"),
    ('[schedule]\ncron = "0 2 * *"\n', "schedule.cron", "five fields"),
    ('[schedule]\ncron = "0 2 31 13 *"\n', "schedule.cron", "month"),
    ("[schedule]\ncron = 2\n", "schedule.cron", "text"),
    ('[warehouse]\ncolour = "blue"\n', "warehouse.colour", "unknown setting"),
    ('[wharehouse]\npath = "x.duckdb"\n', "wharehouse.path", "unknown setting"),
    (
        '[business]\nper_message_2026_10_enabled = "yes"\n',
        "business.per_message_2026_10_enabled",
        "true or false",
    ),
    ('[regimes]\nper_message_2026_10 = "no"\n', "regimes.per_message_2026_10", "true or false"),
    ('[inputs.column_aliases]\ncolour = ["color"]\n', "inputs.column_aliases", "colour"),
    ('[inputs.column_aliases]\ncontact = "customer"\n', "inputs.column_aliases", "lists"),
    ("[warehouse]\npath = 3\n", "warehouse.path", "text"),
]


@pytest.mark.parametrize(
    ("text", "key", "says"), WRONG_VALUES, ids=[key for _, key, _ in WRONG_VALUES]
)
def test_a_wrong_value_is_named_by_its_key(tmp_path, text, key, says):
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file(tmp_path, text))

    assert key in str(raised.value)
    assert says in str(raised.value)


@pytest.mark.parametrize(
    ("text", "key", "says"), WRONG_VALUES[::4], ids=[key for _, key, _ in WRONG_VALUES[::4]]
)
def test_the_command_line_stops_on_a_wrong_value_with_exit_code_1(tmp_path, text, key, says):
    path = config_file(tmp_path, text)
    db = str(tmp_path / "warehouse.duckdb")

    for command in (
        ["rebuild", "--db", db],
        ["ingest", str(path), "--db", db],
        ["report", "--db", db],
    ):
        result = CliRunner().invoke(main, ["--config", str(path), *command])

        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)
        assert result.output.startswith("Error: configuration: ")
        assert key in result.output
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path):
    config_file(tmp_path, '[business]\ntime_zone = "Europe/Amsterdamm"\n')

    completed = subprocess.run(
        [sys.executable, "-m", "flows.cli", "rebuild"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr == (
        "Error: configuration: business.time_zone = 'Europe/Amsterdamm' is not an IANA time "
        "zone (for example 'UTC' or 'Europe/Amsterdam')\n"
    )


def test_command_line_overrides_are_checked_like_the_file(tmp_path):
    result = CliRunner().invoke(main, ["report", "--db", str(tmp_path / "w.duckdb"), "--out", ""])

    assert result.exit_code == 1
    assert "reports.out = '' must be a non-empty text" in result.output


def test_a_file_that_is_not_toml_is_named(tmp_path):
    path = config_file(tmp_path, "[warehouse\npath = 'x'\n")

    with pytest.raises(ConfigError, match=f"{path} is not valid TOML"):
        load_settings(path)


def test_a_missing_explicit_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nowhere.toml")


def test_the_shipped_configuration_file_holds_exactly_the_defaults():
    assert load_settings(ROOT / "carewindow.toml") == Settings()


@pytest.mark.parametrize(
    "expression",
    [
        "0 2 * * *",
        "*/15 * * * *",
        "0 0-6/2 * * mon-fri",
        "30 1 1,15 jan,jul *",
        "0 2 * * 7",
        "5 4 * * SUN",
    ],
)
def test_valid_cron_schedules_pass(expression):
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 24 * * *", "the hour field '24' must stay within 0-23"),
        ("0 2 0 * *", "the day of month field '0' must stay within 1-31"),
        ("0 2 * * 8", "the day of week field '8' must stay within 0-7"),
        ("*/0 2 * * *", "the minute field '*/0' has a bad step '0'"),
        ("5-1 2 * * *", "the minute field '5-1' must stay within 0-59"),
        ("@daily", "it must have five fields (minute hour day-of-month month day-of-week)"),
    ],
)
def test_wrong_cron_schedules_say_which_field(expression, problem):
    assert cron_problem(expression) == problem


def test_a_regime_is_switched_off_by_its_name_under_regimes(tmp_path):
    path = config_file(tmp_path, "[regimes]\nper_message_2026_10 = false\nsession_2019 = true\n")
    assert load_settings(path).regimes_switched_off == ("per_message_2026_10",)


def test_an_older_file_switching_per_message_2026_10_off_still_loads(tmp_path):
    # carewindow.toml files written before [regimes] used a key of its own in [business]
    older = config_file(tmp_path, "[business]\nper_message_2026_10_enabled = false\n")
    assert load_settings(older).regimes_switched_off == ("per_message_2026_10",)


def test_an_older_switch_and_its_regimes_switch_must_agree(tmp_path):
    path = config_file(
        tmp_path,
        "[business]\nper_message_2026_10_enabled = false\n[regimes]\nper_message_2026_10 = true\n",
    )
    with pytest.raises(ConfigError, match="disagree"):
        load_settings(path)
