"""Data checks: a consistent warehouse passes them all; each catches a broken table."""

from __future__ import annotations

import pytest
from rows import at, inbound, insert_messages, insert_opt_ins, opt_in, outbound, template

from analytics.checks import DataCheckError, assert_data_checks, check_names, run_data_checks
from analytics.rebuild import rebuild_warehouse

ANNA = "31612345678"
BOB = "31687654321"

# Each check, the statement that breaks what it guards, and how many rows it must then report.
BREAKAGES = {
    "message_facts_one_row_per_outbound_message": (
        # message_facts is a view over the coded storage of message_billing_by_regime
        # (analytics/storage.py, message_facts.sql)
        "insert into storage.message_billing_by_regime"
        " select * from storage.message_billing_by_regime"
        " where message_id = 'answer'",
        1,
    ),
    "message_facts_required_columns_not_null": (
        "update storage.message_billing_by_regime set status = null where message_id = 'answer'",
        1,
    ),
    "message_facts_accepted_values": (
        # the stored code cannot hold an unknown kind: a view that shows one stands for a
        # storage that could
        "alter view message_facts rename to message_facts_published;"
        " create view message_facts as select * replace ("
        "case when message_id = 'answer' then 'sticker' else kind end as kind)"
        " from message_facts_published",
        1,
    ),
    "message_facts_in_window_has_window_id": (
        # window_id is not stored: the view builds it from the thread and window_opened_at
        "update storage.message_billing_by_regime set window_opened_at = null"
        " where message_id = 'answer'",
        1,
    ),
    "message_facts_window_holds_message": (
        # 'answer' was sent 30h after the window opened, 20h after its last inbound
        "update care_windows set closes_at = opened_at + interval 24 hours"
        " where contact = '31612345678'",
        1,
    ),
    "message_facts_violation_follows_rules": (
        "update storage.message_billing_by_regime set violation = null where violation is not null",
        2,
    ),
    "care_windows_window_id_unique": (
        "update care_windows set window_id = 'one id' where contact = '31687654321'",
        1,
    ),
    "care_windows_do_not_overlap": (
        "update care_windows set closes_at = closes_at + interval 100 hours"
        " where contact = '31687654321' and opened_at = (select min(opened_at) from care_windows"
        " where contact = '31687654321')",
        1,
    ),
    "care_windows_count_every_inbound": (
        "update care_windows set inbound_messages = inbound_messages + 1"
        " where contact = '31612345678'",
        1,
    ),
    "daily_summary_free_plus_chargeable_is_outbound": (
        "update daily_summary set free_messages = free_messages + 1 where outbound_messages > 0",
        2,
    ),
    "daily_costs_add_up_to_message_facts": (
        # a row of a regime not in force: only that regime's total is off (a row in force
        # would put the in-force total off too); rows come in no set order, so say which
        "update daily_costs set chargeable_messages = chargeable_messages + 1"
        " where rowid = (select min(rowid) from daily_costs where not in_force)",
        1,
    ),
    "daily_summary_counts_every_message": (
        "delete from daily_summary where day = (select min(day) from daily_summary)",
        1,
    ),
}


# A second way to break a check: undelivered messages are free, so never more than the free ones.
MORE_BREAKAGES = {
    "daily_summary_free_plus_chargeable_is_outbound": (
        "update daily_summary set not_delivered_messages = free_messages + 1"
        " where outbound_messages > 0",
        2,
    ),
}


@pytest.fixture
def rebuilt(con, settings):
    """A small warehouse covering windows, merges, both violations and an opt-in."""
    insert_messages(
        con,
        [
            inbound("question", at(0), contact=ANNA),
            inbound("more", at(10), contact=ANNA),
            outbound("answer", at(30), contact=ANNA),
            outbound("too_late", at(40), contact=ANNA),
            template("cold", at(45), contact=ANNA),
            template("opted_in", at(45), contact=BOB, category="utility"),
            inbound("bob_1", at(50), contact=BOB, type="call"),
            inbound("bob_2", at(80), contact=BOB),
        ],
    )
    insert_opt_ins(con, [opt_in(BOB, at(0))])
    rebuild_warehouse(con, settings)
    return con


def test_every_window_and_compliance_check_has_a_deliberate_breakage_here():
    # pricing_* checks are tested with the pricing steps (tests/test_pricing.py)
    assert sorted(BREAKAGES) == [name for name in check_names() if not name.startswith("pricing_")]


def test_a_consistent_warehouse_passes_every_check(rebuilt):
    assert run_data_checks(rebuilt) == []
    assert_data_checks(rebuilt)


@pytest.mark.parametrize(
    ("name", "breakage"),
    [*BREAKAGES.items(), *MORE_BREAKAGES.items()],
    ids=[*BREAKAGES, *(f"{name}-2" for name in MORE_BREAKAGES)],
)
def test_each_check_fails_on_a_deliberately_broken_table(rebuilt, name, breakage):
    statement, failing_rows = breakage
    rebuilt.execute(statement)
    failures = {failure.name: failure for failure in run_data_checks(rebuilt)}
    assert name in failures
    assert failures[name].failing_rows == failing_rows
    assert 1 <= len(failures[name].sample) <= failing_rows


def test_assert_data_checks_names_the_failing_check(rebuilt):
    rebuilt.execute("update care_windows set inbound_messages = 0")
    with pytest.raises(DataCheckError, match="care_windows_count_every_inbound") as raised:
        assert_data_checks(rebuilt)
    assert [failure.name for failure in raised.value.failures] == [
        "care_windows_count_every_inbound"
    ]
