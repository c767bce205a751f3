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
    with pytest.raises(PlanError, match="only a table's columns can be stored as codes"):
        declared_steps(tmp_path)
