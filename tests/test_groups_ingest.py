"""Loading WhatsApp group traffic (Groups API): webhook bodies and message logs, with the
deliveries of each group message kept per participant and nothing about a group taken for a
phone number (docs/inputs.md, "Groups")."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from analytics.checks import assert_data_checks
from analytics.db import fetch_all, fetch_value
from analytics.ingest import ingest_file
from analytics.rebuild import rebuild_warehouse
from reports.render import render_reports

SAMPLE = Path(__file__).parent / "samples" / "groups" / "group_webhooks_2026-11.jsonl"
RATE_CARDS = Path(__file__).parents[1] / "data" / "rate_cards"
GROUP = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"
BUSINESS = "15550783881"
US, NL, IN = "16505551234", "31612345678", "919876543210"


def counts(load):
    return (load.rows_read, load.loaded, load.duplicates, load.quarantined, load.skipped)


def test_a_webhook_file_of_group_traffic_loads_with_nothing_quarantined(con, settings):
    load = ingest_file(con, SAMPLE, settings)
    # 1 inbound message and 13 statuses of 3 group messages: each status beyond a message's
    # first is a duplicate of it, as for any message; its deliveries are stored apart
    assert counts(load) == (14, 4, 10, 0, 0)
    assert load.detail == "9 delivery(ies) of group messages: 9 new, 0 updated or seen before"
    assert fetch_value(con, "select count(*) from quarantine") == 0
    assert fetch_all(
        con,
        "select message_id, direction, contact, contact_user_id, group_id, status "
        "from messages order by sent_at",
    ) == [
        ("wamid.GROUPIN0001", "inbound", NL, "NL.80215563724198835510", GROUP, None),
        ("wamid.GROUPOUT0001", "outbound", GROUP, None, GROUP, "read"),
        ("wamid.GROUPOUT0002", "outbound", GROUP, None, GROUP, "delivered"),
        # failed for one participant only: the message was delivered to the others
        ("wamid.GROUPOUT0003", "outbound", GROUP, None, GROUP, "delivered"),
    ]
    assert fetch_all(
        con,
        "select message_id, participant, participant_user_id, status, meta_billable, "
        "meta_pricing_type, meta_category from group_deliveries "
        "where message_id = 'wamid.GROUPOUT0003' order by participant",
    ) == [
        (
            "wamid.GROUPOUT0003",
            US,
            "US.13491208655302741918",
            "delivered",
            True,
            "regular",
            "group_marketing",
        ),
        (
            "wamid.GROUPOUT0003",
            NL,
            "NL.80215563724198835510",
            "delivered",
            True,
            "regular",
            "group_marketing",
        ),
        ("wamid.GROUPOUT0003", IN, "IN.55310298745516603394", "failed", None, None, None),
    ]
    assert ingest_file(con, SAMPLE, settings).outcome == "already_loaded"


def test_the_sample_rebuilds_into_one_group_window_and_per_delivery_prices(con, settings):
    ingest_file(con, SAMPLE, settings)
    for card in ("meta_usd_rates_2026-04-01.csv", "meta_usd_volume_tiers_2026-04-01.csv"):
        ingest_file(con, RATE_CARDS / card, settings)
    rebuild_warehouse(con, settings)
    assert fetch_all(
        con, "select contact, inbound_messages, outbound_messages, opened_by from care_windows"
    ) == [(GROUP, 1, 2, "text")]
    assert fetch_all(
        con,
        "select message_id, kind, in_window, billing_reason, estimated_cost, "
        "chargeable_deliveries from message_facts order by sent_at",
    ) == [
        ("wamid.GROUPOUT0001", "unknown", True, "free_tier", 0, 0),
        ("wamid.GROUPOUT0002", "template", True, "chargeable", Decimal("0.0548"), 3),
        ("wamid.GROUPOUT0003", "template", False, "chargeable", Decimal("0.1847"), 2),
    ]
    # Meta's verdict on each of the 8 deliveries it priced agrees with the estimate
    assert fetch_all(
        con,
        "select count(*), count_if(agrees), count(distinct participant) "
        "from pricing_reconciliation",
    ) == [(8, 8, 3)]
    assert_data_checks(con)


def test_statuses_of_one_delivery_in_any_order_keep_the_furthest(con, settings, tmp_path):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    # the NL participant's read (line 6) before its delivered (line 4), in two files
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(lines[5] + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    ingest_file(con, first, settings)
    ingest_file(con, second, settings)
    assert fetch_all(
        con,
        "select participant, status from group_deliveries "
        "where message_id = 'wamid.GROUPOUT0001' order by participant",
    ) == [(US, "delivered"), (NL, "read"), (IN, "delivered")]
    assert (
        fetch_value(con, "select status from messages where message_id = 'wamid.GROUPOUT0001'")
        == "read"
    )


def test_a_message_log_with_group_and_participant_columns_loads_each_delivery(
    con, settings, tmp_path
):
    log = tmp_path / "group_log.csv"
    log.write_text(
        "message_id,timestamp,direction,business_number,contact,type,template_name,"
        "template_category,status,group_id,participant\n"
        f"in1,2026-11-02T09:00:00Z,inbound,{BUSINESS},+31 6 1234 5678,text,,,,G-team_01,\n"
        # an outbound group message: one row per delivery; its contact is not read
        f"out1,2026-11-02T09:05:00Z,outbound,{BUSINESS},,template,promo,marketing,delivered,"
        f"G-team_01,{US}\n"
        f"out1,2026-11-02T09:05:00Z,outbound,{BUSINESS},,template,promo,marketing,read,"
        "G-team_01,+31 6 1234 5678\n"
        f"out1,2026-11-02T09:05:00Z,outbound,{BUSINESS},,template,promo,marketing,failed,"
        f"G-team_01,{IN}\n",
        encoding="utf-8",
    )
    load = ingest_file(con, log, settings)
    assert counts(load) == (4, 2, 2, 0, 0)
    assert fetch_all(
        con, "select message_id, contact, group_id, status from messages order by message_id"
    ) == [("in1", NL, "G-team_01", None), ("out1", "G-team_01", "G-team_01", "read")]
    assert fetch_all(
        con, "select participant, status, origin from group_deliveries order by participant"
    ) == [
        (US, "delivered", "message_log"),
        (NL, "read", "message_log"),
        (IN, "failed", "message_log"),
    ]


def test_a_malformed_group_id_is_quarantined_with_its_own_reason(con, settings, tmp_path):
    log = tmp_path / "bad_groups.csv"
    log.write_text(
        "message_id,timestamp,direction,business_number,contact,type,group_id,participant\n"
        f"a,2026-11-02T09:00:00Z,inbound,{BUSINESS},{NL},text,120363271212442249@g.us,\n"
        f"b,2026-11-02T09:01:00Z,outbound,{BUSINESS},,text,my group,\n"
        f"c,2026-11-02T09:02:00Z,outbound,{BUSINESS},,text,G-team_01,not a number\n"
        f"d,2026-11-02T09:03:00Z,outbound,{BUSINESS},{NL},text,,{US}\n"
        # a group ID that could pass for digits is still a group's, never a phone number
        f"e,2026-11-02T09:04:00Z,outbound,{BUSINESS},,text,120363271212442249,\n",
        encoding="utf-8",
    )
    load = ingest_file(con, log, settings)
    assert counts(load) == (5, 1, 0, 4, 0)
    reasons = dict(fetch_all(con, "select line, reason from quarantine order by line"))
    group_id_reason = (
        "group_id is not a WhatsApp group ID (6 to 256 letters, digits and _ - = + /, "
        "e.g. Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAz)"
    )
    assert reasons == {
        2: group_id_reason,
        3: group_id_reason,
        4: "participant is not a phone number (digits)",
        5: "participant is given but group_id is not (a participant belongs to a group)",
    }
    assert fetch_all(con, "select message_id, contact, group_id from messages") == [
        ("e", "120363271212442249", "120363271212442249")
    ]


def test_a_webhook_message_from_a_malformed_group_is_quarantined_not_taken_for_a_phone(
    con, settings, tmp_path
):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[0])
    bad["entry"][0]["changes"][0]["value"]["messages"][0]["group_id"] = "team chat!"
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    load = ingest_file(con, path, settings)
    assert counts(load) == (1, 0, 0, 1, 0)
    assert fetch_value(con, "select reason from quarantine").startswith(
        "group_id is not a WhatsApp group ID"
    )


def test_the_monthly_report_counts_group_traffic_and_never_shows_a_group_id_whole(
    con, settings, tmp_path
):
    ingest_file(con, SAMPLE, settings)
    for card in ("meta_usd_rates_2026-04-01.csv", "meta_usd_volume_tiers_2026-04-01.csv"):
        ingest_file(con, RATE_CARDS / card, settings)
    rebuild_warehouse(con, settings)
    report_set = render_reports(con, tmp_path / "reports", settings)
    monthly = (report_set.index_path.parent / "monthly" / "2026-11.html").read_text("utf-8")
    assert 'data-figure="group_outbound_messages" data-value="3"' in monthly
    assert (
        "5 deliveries charged (once per participant reached); 1 message received in groups, "
        "1 group window opened"
    ) in monthly
    # the violation (a marketing template outside the group's window) names the group masked
    assert "group ****jAZD" in monthly
    # each market's cost stands beside the deliveries charged there, never beside 0
    assert "for 1 chargeable message." in monthly and "for 0 chargeable" not in monthly
    for path in (report_set.index_path, *report_set.daily_paths, *report_set.monthly_paths):
        assert GROUP not in path.read_text(encoding="utf-8"), path


def test_a_group_message_without_known_deliveries_is_one_message_of_unknown_cost(
    con, settings, tmp_path
):
    # a log with a group_id column but no participants: loaded in one pass, like any log
    log = tmp_path / "groups_only.csv"
    log.write_text(
        "message_id,timestamp,direction,business_number,contact,type,template_category,group_id\n"
        f"p1,2025-11-03T09:00:00Z,outbound,{BUSINESS},,template,marketing,G-team_01\n"
        f"p2,2025-11-03T09:05:00Z,outbound,{BUSINESS},,text,,G-team_01\n",
        encoding="utf-8",
    )
    assert counts(ingest_file(con, log, settings)) == (2, 2, 0, 0, 0)
    for card in ("meta_usd_rates_2026-04-01.csv", "meta_usd_volume_tiers_2026-04-01.csv"):
        ingest_file(con, RATE_CARDS / card, settings)
    rebuild_warehouse(con, settings)
    assert fetch_all(
        con,
        "select message_id, contact, billable, market, estimated_cost, cost_known, deliveries, "
        "chargeable_deliveries, violation from message_facts order by message_id",
    ) == [
        # chargeable, but to whom: its cost is unknown, never 0
        ("p1", "G-team_01", True, None, None, False, None, 1, "template_without_opt_in"),
        ("p2", "G-team_01", False, None, 0, True, None, 0, "session_outside_window"),
    ]


def test_group_traffic_keeps_the_public_columns_types(con, settings):
    # given group traffic priced per delivery (sums of rates and counts)
    ingest_file(con, SAMPLE, settings)
    for card in ("meta_usd_rates_2026-04-01.csv", "meta_usd_volume_tiers_2026-04-01.csv"):
        ingest_file(con, RATE_CARDS / card, settings)
    rebuild_warehouse(con, settings)
    # expect the types the tables had before groups: a cost is a rate's decimal(18,6), a count
    # of messages or deliveries a bigint
    types = dict(
        (f"{table}.{column}", data_type)
        for table, column, data_type in fetch_all(
            con,
            "select table_name, column_name, data_type from duckdb_columns()"
            " where schema_name = 'main' and table_name in"
            " ('message_facts', 'message_billing', 'message_billing_by_regime', 'violations',"
            " 'cost_reconciliation_messages', 'daily_costs')",
        )
    )
    assert {types[name] for name in types if name.endswith("estimated_cost")} - {
        types["daily_costs.estimated_cost"]
    } == {"DECIMAL(18,6)"}
    assert types["message_facts.chargeable_deliveries"] == "BIGINT"
    assert types["daily_costs.outbound_messages"] == "BIGINT"
