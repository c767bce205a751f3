"""The rebuild's step order keeps the shape a partitioned rebuild needs: thread steps first."""

from __future__ import annotations

from analytics.rebuild import STEPS


def test_every_thread_step_runs_before_every_account_step():
    scopes = [step.scope for step in STEPS]
    first_account_step = scopes.index("account")
    assert "thread" not in scopes[first_account_step:], [
        step.name for step in STEPS[first_account_step:] if step.scope == "thread"
    ]


def test_care_windows_follows_int_outbound_whose_windows_it_counts():
    names = [step.name for step in STEPS]
    assert names.index("int_inbound_events") < names.index("int_outbound")
    assert names.index("int_outbound") < names.index("care_windows")


def test_intermediate_tables_are_dropped_after_their_last_reader(con, settings):
    from analytics.rebuild import last_readers, rebuild_warehouse

    readers = last_readers(STEPS)
    assert readers["int_outbound"] == "message_billing_by_regime"
    rebuild_warehouse(con, settings)
    temporary = {
        row[0]
        for row in con.execute("select table_name from duckdb_tables() where temporary").fetchall()
    }
    assert not temporary & set(readers)
    rebuild_warehouse(con, settings, keep_intermediates=True)
    temporary = {
        row[0]
        for row in con.execute("select table_name from duckdb_tables() where temporary").fetchall()
    }
    assert set(readers) <= temporary
