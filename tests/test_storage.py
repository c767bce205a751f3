"""Coded storage (analytics/storage.py): a public table stored with short texts as codes behind
a view returns what the plain table would, and a value outside its vocabulary is loud."""

import duckdb
import pytest

from analytics import storage
from analytics.plan import PlanError, declared_steps


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


BODY = """
    select * from (values
        ('m1', 'template', 'chargeable', 1.5::decimal(18, 6)),
        ('m2', 'session', null, 0::decimal(18, 6)),
        ('m3', 'unknown', 'free_tier', null)
    ) as rows(message_id, kind, reason, cost)
"""
COLUMNS = {"kind": "kind", "reason": "billing_reason"}


def test_a_coded_table_reads_back_as_the_plain_one(con):
    # given a step's rows, stored plain and stored coded
    con.execute(f"create table plain as {BODY}")
    storage.materialize_coded(con, "facts", BODY, COLUMNS)
    # expect the view to have the same columns, types and rows, and the codes to be stored
    assert con.execute("describe facts").fetchall() == con.execute("describe plain").fetchall()
    assert con.execute("select * from facts except all select * from plain").fetchall() == []
    assert con.execute("select * from plain except all select * from facts").fetchall() == []
    stored = dict(
        con.execute("select column_name, column_type from (describe storage.facts)").fetchall()
    )
    assert stored["kind"].startswith("ENUM") and stored["message_id"] == "VARCHAR"


def test_rebuilding_a_coded_table_replaces_it_and_its_types(con):
    storage.materialize_coded(con, "facts", BODY, COLUMNS)
    storage.materialize_coded(con, "facts", BODY.replace("'m1'", "'m9'"), COLUMNS)
    assert con.execute("select min(message_id) from facts").fetchall() == [("m2",)]


def test_a_public_table_of_an_older_release_becomes_the_view(con):
    con.execute(f"create table facts as {BODY}")
    storage.materialize_coded(con, "facts", BODY, COLUMNS)
    kinds = con.execute(
        "select table_type from information_schema.tables where table_name = 'facts'"
        " order by table_schema"
    ).fetchall()
    assert kinds == [("VIEW",), ("BASE TABLE",)]  # main.facts, storage.facts


def test_a_step_no_longer_coded_leaves_nothing_behind(con):
    storage.materialize_coded(con, "facts", BODY, COLUMNS)
    con.execute("drop view facts")
    storage.drop_leftovers(con, "facts")
    assert con.execute(
        "select count(*) from duckdb_tables() where table_name = 'facts'"
    ).fetchall() == [(0,)]
    assert con.execute(
        "select count(*) from duckdb_types() where type_name like 'facts__%'"
    ).fetchall() == [(0,)]


def test_a_value_outside_its_vocabulary_stops_with_what_to_add(con):
    # given a reason no vocabulary lists
    body = BODY.replace("'free_tier'", "'because'")
    # expect the step to stop, naming the value, the column, its vocabulary and the file
    with pytest.raises(storage.VocabularyError) as raised:
        storage.materialize_coded(con, "facts", body, COLUMNS)
    message = str(raised.value)
    assert "'because'" in message and "column reason" in message
    assert "vocabulary billing_reason" in message and "codes.toml" in message


def test_a_query_vocabulary_reads_the_tables_written_before(con):
    # given a vocabulary from a small table (here: the loaded business numbers)
    con.execute("create table messages as select '31600000001' as business_number")
    body = "select '31600000001' as business_number, 1 as n"
    storage.materialize_coded(con, "numbers", body, {"business_number": "business_number"})
    assert con.execute("select * from numbers").fetchall() == [("31600000001", 1)]
    # expect a number the loaded messages do not have to be refused
    with pytest.raises(storage.VocabularyError, match="31699999999"):
        storage.materialize_coded(
            con,
            "numbers",
            "select '31699999999' as business_number",
            {"business_number": "business_number"},
        )


def test_regime_columns_are_spelled_out_and_unknown_vocabularies_refused():
    columns = storage.coded_columns({"<regime>_billing_reason": "billing_reason"}, ("a", "b"))
    assert columns == {"a_billing_reason": "billing_reason", "b_billing_reason": "billing_reason"}
    with pytest.raises(ValueError, match="no vocabulary colour"):
        storage.coded_columns({"shade": "colour"}, ("a",))


def test_only_a_table_step_may_declare_codes(tmp_path):
    (tmp_path / "facts.sql").write_text("select 1 as n")
    (tmp_path / "facts.toml").write_text(
        '[step]\nmaterialization = "view"\nscope = "account"\n[step.codes]\nn = "kind"\n'
    )
    with pytest.raises(PlanError, match="only a table can be stored behind a view"):
        declared_steps(tmp_path)


def test_a_thread_step_may_not_be_stored_behind_a_view(tmp_path):
    # the partitioned rebuild unions a thread step's partitions into a plain table
    (tmp_path / "facts.sql").write_text("select 1 as n")
    (tmp_path / "facts.toml").write_text(
        '[step]\nmaterialization = "table"\nscope = "thread"\n[step.derived]\nm = "n + 1"\n'
    )
    with pytest.raises(PlanError, match="only an account step can be stored behind a view"):
        declared_steps(tmp_path)


# --- derived columns: computed by the view, not stored -----------------------------------------

DERIVED_BODY = """
    select * from (values
        ('m1', 'template', '3120', timestamptz '2025-03-03 09:00:00+00',
            '3120:31612:1740992400'),
        ('m2', 'session', '3120', null, null)
    ) as rows(message_id, kind, business_number, opened_at, window_id)
"""


def test_a_derived_column_is_computed_by_the_view_not_stored(con):
    # given a step whose window_id is built from its other columns, one of them coded
    con.execute(f"create table plain as {DERIVED_BODY}")
    body = DERIVED_BODY.replace("'3120:31612:1740992400'", "null::varchar")
    derived = {
        "window_id": "case when opened_at is not null "
        "then business_number || ':31612:' || epoch(opened_at)::bigint end"
    }
    storage.materialize_coded(con, "facts", body, {"kind": "kind"}, derived=derived)
    # expect the view to give the plain table's columns (same order and types) and rows, and
    # the stored table not to hold the column
    assert con.execute("describe facts").fetchall() == con.execute("describe plain").fetchall()
    assert con.execute("select * from facts except all select * from plain").fetchall() == []
    assert con.execute("select * from plain except all select * from facts").fetchall() == []
    stored = [row[0] for row in con.execute("describe storage.facts").fetchall()]
    assert stored == ["message_id", "kind", "business_number", "opened_at"]


def test_a_derived_column_the_sql_does_not_select_is_refused(con):
    with pytest.raises(ValueError, match="names window_id, which its SQL does not select"):
        storage.materialize_coded(con, "facts", BODY, COLUMNS, derived={"window_id": "'x'"})
