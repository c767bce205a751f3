"""Customer care windows: hand-written messages, exact windows and verdicts."""

from __future__ import annotations

import pytest
from rows import at, inbound, insert_messages, outbound, template

import analytics.rebuild
import analytics.steps
from analytics.db import fetch_all
from analytics.rebuild import rebuild_warehouse

A = "31201234567"  # business number A
B = "31209999999"  # business number B
ANNA = "31612345678"
BOB = "31687654321"


def window_verdicts(con) -> dict[str, tuple]:
    """message_id -> (in_window, window_id, violation) for every outbound message."""
    rows = fetch_all(con, "select message_id, in_window, window_id, violation from message_facts")
    return {message_id: tuple(verdict) for message_id, *verdict in rows}


def care_windows(con) -> list[tuple]:
    return fetch_all(
        con,
        "select business_number, contact, window_id, opened_at, closes_at, inbound_messages,"
        " outbound_messages, opened_by from care_windows order by business_number, contact,"
        " opened_at",
    )


def window_id(business_number: str, contact: str, opened_at) -> str:
    return f"{business_number}:{contact}:{int(opened_at.timestamp())}"


def test_outbound_23_59_59_after_an_inbound_is_inside_and_24_00_00_is_outside(con, settings):
    insert_messages(
        con,
        [
            inbound("in", at(0)),
            outbound("just_inside", at(23, seconds=59 * 60 + 59)),
            outbound("at_24h", at(24)),
        ],
    )
    rebuild_warehouse(con, settings)
    opened = window_id(A, ANNA, at(0))
    assert window_verdicts(con) == {
        "just_inside": (True, opened, None),
        "at_24h": (False, None, "session_outside_window"),
    }
    assert care_windows(con) == [(A, ANNA, opened, at(0), at(24), 1, 1, "text")]


def test_inbounds_within_24h_merge_into_one_window_from_first_inbound_to_last_plus_24h(
    con, settings
):
    insert_messages(
        con,
        [
            inbound("in_0", at(0)),
            inbound("in_10", at(10)),
            inbound("in_30", at(30)),  # 20h after the previous one: resets, same care window
            outbound("out_50", at(50)),  # 74h after the first inbound, 20h after the last
            outbound("out_54", at(54)),  # exactly 24h after the last inbound
        ],
    )
    rebuild_warehouse(con, settings)
    opened = window_id(A, ANNA, at(0))
    assert care_windows(con) == [(A, ANNA, opened, at(0), at(54), 3, 1, "text")]
    assert window_verdicts(con) == {
        "out_50": (True, opened, None),
        "out_54": (False, None, "session_outside_window"),
    }


def test_an_inbound_exactly_24h_after_the_previous_one_opens_a_new_window(con, settings):
    insert_messages(con, [inbound("in_0", at(0)), inbound("in_24", at(24))])
    rebuild_warehouse(con, settings)
    assert care_windows(con) == [
        (A, ANNA, window_id(A, ANNA, at(0)), at(0), at(24), 1, 0, "text"),
        (A, ANNA, window_id(A, ANNA, at(24)), at(24), at(48), 1, 0, "text"),
    ]


def test_a_reply_to_a_template_opens_a_window_and_outbound_never_does(con, settings):
    insert_messages(
        con,
        [
            template("welcome", at(0), category="utility"),
            outbound("too_early", at(0.5)),  # the template opened nothing
            inbound("reply", at(1), type="button"),
            outbound("answer", at(2)),
            template("follow_up", at(3)),
        ],
    )
    rebuild_warehouse(con, settings)
    opened = window_id(A, ANNA, at(1))
    verdicts = window_verdicts(con)
    assert verdicts["too_early"] == (False, None, "session_outside_window")
    assert verdicts["answer"] == (True, opened, None)
    assert verdicts["follow_up"] == (True, opened, None)
    assert care_windows(con) == [(A, ANNA, opened, at(1), at(25), 1, 2, "button")]


def test_a_window_on_one_business_number_opens_nothing_on_another(con, settings):
    insert_messages(
        con,
        [
            inbound("to_a", at(0), business_number=A),
            outbound("from_b", at(1), business_number=B),
            outbound("from_a", at(1), business_number=A),
        ],
    )
    rebuild_warehouse(con, settings)
    assert window_verdicts(con) == {
        "from_b": (False, None, "session_outside_window"),
        "from_a": (True, window_id(A, ANNA, at(0)), None),
    }
    assert [(row[0], row[6]) for row in care_windows(con)] == [(A, 1)]


def test_calls_and_reactions_open_windows_and_referrals_name_the_entry_point(con, settings):
    insert_messages(
        con,
        [
            inbound("call", at(0), contact=ANNA, type="call"),
            outbound("after_call", at(1), contact=ANNA),
            inbound("reaction", at(0), contact=BOB, type="reaction"),
            outbound("after_reaction", at(1), contact=BOB),
            inbound("from_ad", at(0), business_number=B, referral_source="ad"),
            inbound("later_from_page", at(1), business_number=B, referral_source="page"),
        ],
    )
    rebuild_warehouse(con, settings)
    assert window_verdicts(con) == {
        "after_call": (True, window_id(A, ANNA, at(0)), None),
        "after_reaction": (True, window_id(A, BOB, at(0)), None),
    }
    opened_by = {(row[0], row[1]): row[7] for row in care_windows(con)}
    assert opened_by == {(A, ANNA): "call", (A, BOB): "reaction", (B, ANNA): "ad"}


def test_an_inbound_and_an_outbound_in_the_same_second_the_inbound_counts_first(con, settings):
    insert_messages(
        con,
        [
            inbound("first", at(0)),
            inbound("again", at(30)),  # the first window closed at 24h
            outbound("same_second", at(30)),
        ],
    )
    rebuild_warehouse(con, settings)
    assert window_verdicts(con) == {"same_second": (True, window_id(A, ANNA, at(30)), None)}


def test_a_late_inbound_loaded_afterwards_changes_an_old_verdict_on_rebuild(con, settings):
    insert_messages(
        con,
        [
            inbound("in_0", at(0)),
            outbound("out_30", at(30)),
            inbound("other_thread", at(0), contact=BOB),
        ],
    )
    rebuild_warehouse(con, settings)
    assert window_verdicts(con)["out_30"] == (False, None, "session_outside_window")
    before = care_windows(con)

    insert_messages(con, [inbound("late", at(20))])
    rebuild_warehouse(con, settings)

    opened = window_id(A, ANNA, at(0))
    assert window_verdicts(con)["out_30"] == (True, opened, None)
    assert fetch_all(con, "select count(*) from violations") == [(0,)]
    after = care_windows(con)
    # the merged window keeps its id (it still opens at 0h); the other thread's is untouched
    assert after[0] == (A, ANNA, opened, at(0), at(44), 2, 1, "text")
    assert after[1] == before[1]


def test_a_failing_rebuild_leaves_the_previous_derived_tables_in_place(con, settings, monkeypatch):
    insert_messages(con, [inbound("in_0", at(0)), outbound("out_1", at(1))])
    rebuild_warehouse(con, settings)
    tables = ("care_windows", "message_facts", "daily_summary")
    before = {table: fetch_all(con, f"select * from {table}") for table in tables}

    insert_messages(con, [inbound("in_100", at(100)), outbound("out_101", at(101))])
    real_sql_text = analytics.steps.sql_text

    def broken_daily_summary(name: str, **context) -> str:
        if name == "daily_summary":
            return "select * from a_table_that_does_not_exist"
        return real_sql_text(name, **context)

    monkeypatch.setattr(analytics.steps, "sql_text", broken_daily_summary)
    with pytest.raises(Exception, match="a_table_that_does_not_exist"):
        rebuild_warehouse(con, settings)

    after = {table: fetch_all(con, f"select * from {table}") for table in tables}
    assert after == before
    assert fetch_all(con, "select count(*) from violations") == [(0,)]


def test_window_id_truncates_fractional_seconds(con, settings):
    # 0.7 s past the second: the id names the second it started in, not the next one
    insert_messages(
        con,
        [inbound("q", at(0, seconds=0.7)), outbound("a", at(1))],
    )
    rebuild_warehouse(con, settings)
    expected = f"{A}:{ANNA}:{int(at(0).timestamp())}"
    assert window_verdicts(con)["a"][1] == expected
    assert care_windows(con)[0][2] == expected
