"""The big-history rebuilds (in partitions of threads sized to the memory limit; in one piece
with the intermediate tables in a scratch database file) and the narrow intermediate steps: same
verdicts as the in-memory rebuild, all or nothing, nothing left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rows import at, inbound, insert_messages, insert_opt_ins, opt_in, outbound, template

import analytics.rebuild
import analytics.steps
from analytics import partitions
from analytics.db import fetch_all, fetch_value
from analytics.rebuild import (
    SCRATCH_DATABASE,
    STEPS,
    check_intermediates_read_no_public_step,
    rebuild_warehouse,
)
from analytics.steps import Step

A = "31201234567"
B = "31209999999"
ANNA = "31612345678"
BOB = "31687654321"

PUBLIC_TABLES = (
    "care_windows",
    "message_facts",
    "message_billing_by_regime",
    "message_billing",
    "daily_summary",
    "daily_costs",
    "pricing_reconciliation",
)


def history() -> tuple[list[dict], list[dict]]:
    """Two threads of one customer and one of another: windows, templates with and without
    opt-in (a blank-number ledger event covers both of Anna's threads), a referral reply."""
    messages = [
        inbound("anna_a_in", at(0), business_number=A, contact=ANNA),
        outbound("anna_a_inside", at(2), business_number=A, contact=ANNA),
        outbound("anna_a_outside", at(30), business_number=A, contact=ANNA),
        template("anna_a_promo", at(40), business_number=A, contact=ANNA, category="marketing"),
        template("anna_b_utility", at(5), business_number=B, contact=ANNA, category="utility"),
        inbound("bob_ad", at(1), business_number=A, contact=BOB, referral_source="ad"),
        outbound("bob_reply", at(3), business_number=A, contact=BOB, status="read"),
        template("bob_promo", at(50), business_number=A, contact=BOB, category="marketing"),
    ]
    ledger = [
        opt_in(ANNA, at(-1), scope="all"),  # blank business number: every number
        opt_in(ANNA, at(35), event="opt_out", scope="marketing", business_number=A),
    ]
    return messages, ledger


def public_tables(con) -> dict[str, list[tuple]]:
    return {
        table: sorted(fetch_all(con, f"select * from {table}"), key=repr) for table in PUBLIC_TABLES
    }


def test_a_big_history_rebuilds_in_partitions_sized_to_the_memory_limit(con, settings, monkeypatch):
    # given a history "big" from 8 messages on, at 1,100 bytes a message, under 4,400 bytes
    messages, ledger = history()
    insert_messages(con, messages)
    insert_opt_ins(con, ledger)
    rebuild_warehouse(con, settings)
    in_one_piece = public_tables(con)
    monkeypatch.setattr(partitions, "PARTITION_FROM_MESSAGES", 8)
    monkeypatch.setattr(partitions, "memory_limit_bytes", lambda con: 4_400)
    steps: list[str] = []

    result = partitions.rebuild_history(con, settings, on_step=steps.append)

    # expect: 8 messages x 1,100 bytes / 4,400 bytes = 2 partitions, one after another here
    assert result.partitions == 2
    assert steps[:2] == ["partition 1 of 2", "partition 2 of 2"]
    assert public_tables(con) == in_one_piece
    assert not (Path(settings.db_path).parent / "partitions").exists()
    # one message fewer than the threshold: one piece
    con.execute("delete from messages where message_id = 'bob_promo'")
    assert partitions.rebuild_history(con, settings).partitions == 0


def test_partitions_are_as_many_as_keep_each_within_the_memory_limit():
    gigabyte = 10**9
    assert partitions.partitions_for(100_000_000, 14 * gigabyte) == 8  # 110 GB / 14 GB
    assert partitions.partitions_for(20_000_000, 14 * gigabyte) == 2
    assert partitions.partitions_for(20_000_000, 64 * gigabyte) == 2  # never one
    assert partitions.partitions_for(100_000_000, 1 * gigabyte) == 110


def scratch_files(settings) -> list[Path]:
    return sorted(Path(settings.temp_directory).glob(f"{SCRATCH_DATABASE}-*"))


def test_the_scratch_rebuild_gives_the_same_tables_as_the_in_memory_one(con, settings):
    messages, ledger = history()
    insert_messages(con, messages)
    insert_opt_ins(con, ledger)

    rebuild_warehouse(con, settings, scratch=False)
    in_memory = public_tables(con)
    rebuild_warehouse(con, settings, scratch=True)

    assert public_tables(con) == in_memory
    verdicts = dict(fetch_all(con, "select message_id, violation from message_facts"))
    assert verdicts == {
        "anna_a_inside": None,
        "anna_a_outside": "session_outside_window",
        # the latest event covering marketing on number A is the opt-out; B keeps the opt-in
        "anna_a_promo": "template_without_opt_in",
        "anna_b_utility": None,
        "bob_reply": None,
        "bob_promo": "template_without_opt_in",
    }
    assert fetch_value(
        con, "select marketing_opt_out_warning from message_facts where message_id = 'anna_a_promo'"
    )


def test_the_scratch_file_is_detached_and_deleted_after_a_rebuild(con, settings):
    insert_messages(con, history()[0])
    search_path = fetch_value(con, "select current_setting('search_path')")

    rebuild_warehouse(con, settings, scratch=True)

    assert scratch_files(settings) == []
    attached = {row[0] for row in fetch_all(con, "select database_name from duckdb_databases()")}
    assert SCRATCH_DATABASE not in attached
    assert fetch_value(con, "select current_setting('search_path')") == search_path


def test_a_scratch_file_left_by_a_killed_rebuild_is_removed_by_the_next(con, settings):
    insert_messages(con, history()[0])
    folder = Path(settings.temp_directory)
    folder.mkdir(parents=True, exist_ok=True)
    # pid 2**22 + 1 is above Linux's pid_max: no such process can be running
    abandoned = folder / f"{SCRATCH_DATABASE}-{2**22 + 1}-0123456789ab.duckdb"
    abandoned.write_bytes(b"left behind")
    alive = folder / f"{SCRATCH_DATABASE}-{os.getpid()}-0123456789ab.duckdb"
    alive.write_bytes(b"another rebuild of this process")

    rebuild_warehouse(con, settings, scratch=True)

    assert scratch_files(settings) == [alive]


def test_a_failed_scratch_rebuild_leaves_the_previous_tables_and_no_scratch_file(
    con, settings, monkeypatch
):
    messages, ledger = history()
    insert_messages(con, messages[:3])
    rebuild_warehouse(con, settings, scratch=True)
    before = public_tables(con)
    insert_messages(con, messages[3:])
    real_sql_text = analytics.steps.sql_text

    def broken_daily_summary(name: str, **context) -> str:
        if name == "daily_summary":  # a public step, after message_facts has been replaced
            return "select * from a_table_that_does_not_exist"
        return real_sql_text(name, **context)

    monkeypatch.setattr(analytics.steps, "sql_text", broken_daily_summary)
    with pytest.raises(Exception, match="a_table_that_does_not_exist"):
        rebuild_warehouse(con, settings, scratch=True)

    assert public_tables(con) == before
    assert scratch_files(settings) == []


def test_the_first_inbound_in_message_id_order_opens_a_window_when_two_arrive_at_once(
    con, settings
):
    insert_messages(
        con,
        [
            inbound("in_b", at(0), type="image"),
            inbound("in_a", at(0), type="text", referral_source="page"),
            inbound("in_c", at(1), type="reaction"),
        ],
    )

    rebuild_warehouse(con, settings)

    assert fetch_all(con, "select opened_by, inbound_messages from care_windows") == [("page", 3)]


def test_a_ledger_event_at_the_instant_of_a_send_applies_to_it(con, settings):
    insert_messages(con, [template("promo", at(10), category="marketing")])
    insert_opt_ins(con, [opt_in(ANNA, at(10))])

    rebuild_warehouse(con, settings)

    assert fetch_all(con, "select opt_in_active, violation from message_facts") == [(True, None)]


def test_outbound_message_keys_are_unique_and_name_the_message(con, settings):
    messages, _ = history()
    insert_messages(con, messages)

    rebuild_warehouse(con, settings, keep_intermediates=True)

    keys = fetch_all(con, "select message_key, message_id from int_outbound order by message_id")
    assert len({key for key, _ in keys}) == len(keys) == 6
    assert [message_id for _, message_id in keys] == sorted(
        m["message_id"] for m in messages if m["direction"] == "outbound"
    )


def test_a_thread_key_names_one_thread_business_number_and_customer(con, settings):
    messages, _ = history()
    insert_messages(con, messages)

    rebuild_warehouse(con, settings, keep_intermediates=True)

    threads = fetch_all(
        con,
        "select business_number, contact, count(distinct thread_key), count(*) "
        "from int_outbound group by all order by all",
    )
    assert threads == [(A, ANNA, 1, 3), (A, BOB, 1, 2), (B, ANNA, 1, 1)]
    distinct_keys = fetch_all(con, "select count(distinct thread_key) from int_outbound")
    assert distinct_keys == [(3,)]
    # the key is one of the thread's own message keys, so keys never repeat across partitions
    assert fetch_all(
        con,
        "select count(*) from int_outbound as o where not exists "
        "(select 1 from int_outbound as m where m.message_key = o.thread_key "
        "and m.business_number = o.business_number and m.contact = o.contact)",
    ) == [(0,)]


def test_intermediate_steps_read_no_public_table_so_the_scratch_rebuild_may_run_them_first(
    monkeypatch,
):
    check_intermediates_read_no_public_step(STEPS)

    real_sql_text = analytics.steps.sql_text
    monkeypatch.setattr(
        analytics.steps,
        "sql_text",
        lambda name, **context: (
            "select * from care_windows" if name == "int_late" else real_sql_text(name, **context)
        ),
    )
    with pytest.raises(ValueError, match="int_late reads public care_windows"):
        check_intermediates_read_no_public_step((*STEPS, Step("int_late", "temp")))


def test_a_warehouse_whose_message_billing_was_a_table_gets_the_view(con, settings):
    # given a warehouse of an earlier release, where message_billing was a table
    messages, _ = history()
    insert_messages(con, messages)
    con.execute("create table message_billing as select 'old' as message_id")
    # when it is rebuilt
    rebuild_warehouse(con, settings)
    # then message_billing is the view over message_billing_by_regime, every regime priced
    assert fetch_value(
        con, "select count(*) from duckdb_views() where view_name = 'message_billing'"
    )
    assert (
        fetch_value(
            con, "select count(*) from duckdb_tables() where table_name = 'message_billing'"
        )
        == 0
    )
    outbound_messages = fetch_value(con, "select count(*) from message_facts")
    regimes = fetch_value(con, "select count(*) from pricing_regimes")
    assert fetch_value(con, "select count(*) from message_billing") == outbound_messages * regimes


def test_the_rebuild_command_says_from_how_many_messages_it_partitions():
    from flows.cli import main

    (partitions_option,) = [p for p in main.commands["rebuild"].params if p.name == "partitions"]
    assert f"{partitions.PARTITION_FROM_MESSAGES:,} messages" in partitions_option.help
