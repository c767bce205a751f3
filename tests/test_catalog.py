"""The warehouse explains itself: every public table and column carries a description."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rows import at, inbound, insert_messages, insert_opt_ins, opt_in, outbound, template

from analytics import catalog, dictionary
from analytics.db import fetch_all, fetch_value
from analytics.rebuild import rebuild_warehouse

ROOT = Path(__file__).parent.parent


@pytest.fixture
def rebuilt(con, settings):
    """A warehouse after a real rebuild of a few messages: every public table exists."""
    insert_messages(
        con,
        [
            inbound("question", at(0)),
            outbound("answer", at(1)),
            template("promo", at(30), category="marketing"),
        ],
    )
    insert_opt_ins(con, [opt_in("31612345678", at(0))])
    rebuild_warehouse(con, settings)
    return con


def test_every_public_table_and_column_has_a_description(rebuilt):
    missing = catalog.missing_descriptions(rebuilt)
    assert not missing, "\n".join(missing)


def test_no_description_names_a_column_the_warehouse_does_not_have(rebuilt):
    stale = catalog.stale_descriptions(rebuilt)
    assert not stale, "\n".join(stale)


def test_duckdb_columns_shows_the_descriptions_to_an_analyst(rebuilt):
    described = dict(
        fetch_all(
            rebuilt,
            "select column_name, comment from duckdb_columns() where table_name = 'message_facts'",
        )
    )
    assert "care window" in described["in_window"]
    comment = fetch_value(
        rebuilt,
        "select comment from duckdb_columns() where table_name = ? and column_name = ?",
        ["message_facts", "cost_known"],
    )
    assert comment.startswith("False when the message is chargeable")
    view_comment = fetch_value(
        rebuilt, "select comment from duckdb_views() where view_name = 'violations'"
    )
    assert view_comment.startswith("The flagged rows of message_facts")


def test_the_stored_table_of_two_views_is_described_by_both(rebuilt):
    # given message_facts, a view over the table message_billing_by_regime is stored in
    def comment(column):
        return fetch_value(
            rebuilt,
            "select comment from duckdb_columns() where schema_name = 'storage'"
            " and table_name = 'message_billing_by_regime' and column_name = ?",
            [column],
        )

    table = fetch_value(
        rebuilt,
        "select comment from duckdb_tables() where schema_name = 'storage'"
        " and table_name = 'message_billing_by_regime'",
    )
    # expect the stored table to name both views, and each column described by its view
    assert "main.message_billing_by_regime and main.message_facts are stored" in table
    assert (
        comment("in_window") == catalog.table_descriptions()["message_facts"].columns["in_window"]
    )
    assert comment("in_free_entry_point").startswith("Sent inside a 72-hour free entry point")


def test_a_rebuild_puts_back_the_comments_that_create_or_replace_dropped(rebuilt, settings):
    rebuilt.execute("create or replace table care_windows as select * from care_windows")
    assert any("care_windows" in problem for problem in catalog.missing_descriptions(rebuilt))
    rebuild_warehouse(rebuilt, settings)
    assert catalog.missing_descriptions(rebuilt) == []


def test_a_new_column_without_a_description_is_named_with_the_file_to_add_it_to(rebuilt):
    rebuilt.execute("alter table daily_summary add column surprise integer")
    rebuilt.execute("create table surprise_table (answer integer)")
    assert catalog.missing_descriptions(rebuilt) == [
        "table surprise_table has no description: create analytics/sql/surprise_table.toml"
        ' with description = "..." and a [columns] section',
        'column daily_summary.surprise has no description: add surprise = "..." under [columns]'
        " in analytics/sql/daily_summary.toml",
        'column surprise_table.answer has no description: add answer = "..." under [columns]'
        " in analytics/sql/surprise_table.toml",
    ]


def test_a_description_of_a_column_that_is_gone_is_reported(rebuilt):
    rebuilt.execute("alter table care_windows drop column opened_by")
    assert catalog.stale_descriptions(rebuilt) == [
        "analytics/sql/care_windows.toml describes column care_windows.opened_by, which no longer"
        " exists: remove it"
    ]


def test_descriptions_are_quoted_by_duckdb_so_any_text_is_safe(con, monkeypatch, tmp_path):
    (tmp_path / "quoted.toml").write_text(
        'description = "it\'s; drop table messages; --"\n[columns]\nanswer = "\'"\n'
    )
    monkeypatch.setattr(catalog, "SQL_DIR", tmp_path)
    con.execute("create table quoted (answer integer)")
    catalog.describe_warehouse(con)
    assert fetch_value(con, "select comment from duckdb_tables() where table_name = 'quoted'") == (
        "it's; drop table messages; --"
    )
    assert fetch_value(con, "select count(*) from messages") == 0


def test_the_data_dictionary_of_the_warehouse_page_is_current():
    """Run `python -m analytics.dictionary --write` when this fails."""
    con = dictionary.reference_warehouse()
    try:
        written = dictionary.data_dictionary(con)
    finally:
        con.close()
    page = dictionary.PAGE.read_text(encoding="utf-8")
    assert dictionary.page_with_dictionary(page, written) == page, (
        "docs/warehouse.md's data dictionary is out of date: run `python -m analytics.dictionary "
        "--write`"
    )
    assert "#### `message_facts` (view)" in written  # stored coded behind it (storage.py)
    assert "| `cost_known` | boolean |" in written


def test_the_check_command_fails_on_a_stale_page_and_write_fixes_it(tmp_path):
    page = tmp_path / "warehouse.md"
    markers = (dictionary.DICTIONARY_START, dictionary.DICTIONARY_END)
    page.write_text(f"# x\n\n{markers[0]}\nold\n{markers[1]}\n", encoding="utf-8")
    command = [sys.executable, "-m", "analytics.dictionary", "--page", str(page)]
    stale = subprocess.run([*command, "--check"], capture_output=True, text=True, cwd=ROOT)
    assert stale.returncode == 1
    assert "--write" in stale.stderr
    written = subprocess.run([*command, "--write"], capture_output=True, text=True, cwd=ROOT)
    assert written.returncode == 0, written.stderr
    assert "data dictionary of" in written.stdout
    current = subprocess.run([*command, "--check"], capture_output=True, text=True, cwd=ROOT)
    assert current.returncode == 0, current.stderr
    assert "`message_facts`" in page.read_text(encoding="utf-8")
