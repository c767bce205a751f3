"""Business Solution Providers' logs and callbacks: each sample in
tests/samples/providers/ loads as it is, recognised by content, with the right messages,
directions, numbers, times, statuses and Meta pricing; 360dialog forwards Cloud API bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.db import fetch_all, fetch_value
from analytics.ingest import detect_kind, ingest_file, ingest_paths
from analytics.rebuild import rebuild_warehouse

SAMPLES = Path(__file__).parent / "samples" / "providers"
WEBHOOKS = Path(__file__).parent / "samples" / "webhooks"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def counts(load) -> tuple:
    assert load.rows_read == (
        load.loaded + load.duplicates + load.conflicts + load.quarantined + load.skipped
    )
    return load.rows_read, load.loaded, load.duplicates, load.quarantined, load.skipped


def message(con, message_id: str, columns: str) -> tuple:
    rows = fetch_all(con, f"select {columns} from messages where message_id = ?", [message_id])
    assert len(rows) == 1, message_id
    return rows[0]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("twilio_messages_api.json", "twilio"),
        ("twilio_messages.csv", "twilio"),
        ("gupshup_events.jsonl", "gupshup"),
        ("infobip_whatsapp_webhooks.json", "infobip"),
    ],
)
def test_each_provider_format_is_recognised_by_content(name, kind):
    assert detect_kind(SAMPLES / name) == kind


def test_twilio_messages_api_list_page(con, settings):
    load = ingest_file(con, SAMPLES / "twilio_messages_api.json", settings)

    assert load.kind == "twilio"
    assert counts(load) == (15, 15, 0, 0, 0)
    columns = "direction, sent_at, business_number, contact, type, status"
    # an inbound message: from the customer (whatsapp:+E164) to the business
    assert message(con, "SMae7be26cdaa742ca148068d5ac90eaca", columns) == (
        "inbound",
        utc(2026, 5, 4, 8, 59, 12),
        "441134960000",
        "447700900123",
        "text",
        None,
    )
    # a reply through TwiML was free-form; an API send cannot say: 'unknown'
    assert message(con, "SMaaf2f89992379705dac844c0a2a1d45f", columns) == (
        "outbound",
        utc(2026, 5, 4, 9, 1, 40),
        "441134960000",
        "447700900123",
        "text",
        "read",
    )
    assert message(con, "SMfd6b6fc9220b72d21683ae8e4f50a210", "type, status") == ("unknown", "read")
    # error 63016: a free-form message refused outside the window
    assert message(con, "SM0449904fbf32607bf8ce5c26823dbc29", "type, status") == ("text", "failed")
    # queued counts as sent; undelivered as failed; a media message (MM...) is an image
    assert message(con, "SM408579fb7db24b9117483db59cddd769", "status, contact") == (
        "sent",
        "5511912345678",
    )
    assert message(con, "SM7b1f6dff14d8c2dfeb7da9487be0612d", "status") == ("failed",)
    assert message(con, "MM980b79c2a71b9bcc117e08a990b5b332", "direction, type") == (
        "inbound",
        "image",
    )
    # RFC 2822 date_updated is when the status was reported
    assert message(con, "SMaaf2f89992379705dac844c0a2a1d45f", "status_at") == (
        utc(2026, 5, 4, 9, 1, 43),
    )


def test_twilio_console_csv_gives_the_same_messages_as_the_api(con, settings):
    csv_load = ingest_file(con, SAMPLES / "twilio_messages.csv", settings)
    assert (csv_load.kind, counts(csv_load)) == ("twilio", (15, 15, 0, 0, 0))
    facts = "message_id, direction, sent_at, business_number, contact, type, status"
    from_csv = fetch_all(con, f"select {facts} from messages order by 1")

    api_load = ingest_file(con, SAMPLES / "twilio_messages_api.json", settings)

    # the API list page holds the same 15 messages: duplicates, not conflicts
    assert counts(api_load) == (15, 0, 15, 0, 0) and api_load.conflicts == 0
    assert fetch_all(con, f"select {facts} from messages order by 1") == from_csv


def test_gupshup_v2_callbacks(con, settings):
    load = ingest_file(con, SAMPLES / "gupshup_events.jsonl", settings)

    assert load.kind == "gupshup"
    # 18 callbacks: 1 inbound message and 5 outbound messages' events
    assert counts(load) == (18, 6, 12, 0, 0)
    columns = (
        "direction, sent_at, business_number, contact, type, template_category, status, "
        "meta_billable, meta_pricing_type, meta_category, meta_pricing_model"
    )
    # the app stands for the business number; timestamps are milliseconds
    assert message(con, "wamid.HBgM6513270E269E0D37F2A74DE4==", columns) == (
        "inbound",
        utc(2026, 5, 4, 8, 59, 12),
        "gupshup-app:AcmeShop",
        "919812345678",
        "text",
        None,
        None,
        None,
        None,
        None,
        None,
    )
    # enqueued says session: a free-form reply; billed as a free service message; read
    assert message(con, "wamid.HBgM9531985D5D9DC9F81818E811==", columns) == (
        "outbound",
        utc(2026, 5, 4, 9, 1, 40),
        "gupshup-app:AcmeShop",
        "919812345678",
        "text",
        None,
        "read",
        False,
        "free_customer_service",
        "service",
        "PMP",
    )
    # enqueued says template; its billing event names the category Meta charged
    assert message(con, "wamid.HBgM6B0D549B6F03675A1600A35A==", columns) == (
        "outbound",
        utc(2026, 5, 4, 10, 15, 0),
        "gupshup-app:AcmeShop",
        "917012345678",
        "template",
        "marketing",
        "delivered",
        True,
        "regular",
        "marketing",
        "PMP",
    )
    assert message(con, "wamid.HBgM0CB1E29C658CDA1495E60AF5==", "template_category, status") == (
        "authentication",
        "delivered",
    )
    # a failed re-engagement message (131047) without a wamid keeps Gupshup's id
    assert message(con, "a170b338-3926-3059-f28c-105d1fb17c23", "type, status") == (
        "text",
        "failed",
    )


def test_infobip_inbound_and_delivery_reports(con, settings):
    load = ingest_file(con, SAMPLES / "infobip_whatsapp_webhooks.json", settings)

    assert load.kind == "infobip"
    # 2 inbound, 6 delivery reports, 1 seen report (of a reported message), 1 "_comment"
    assert counts(load) == (10, 8, 1, 0, 1)
    columns = "direction, sent_at, business_number, contact, type, status, status_at"
    assert message(
        con, "wamid.HBgNNDkxNTEyMzQ1Njc4ORUCABIYFDNBQTFCMkMzRDRFNUY2QTdCOEM5AA==", columns
    ) == (
        "inbound",
        utc(2026, 5, 4, 12, 2, 10),
        "447860099299",
        "4915123456789",
        "image",
        None,
        None,
    )
    # a report names no sender: the number the customer wrote to; the seen report: read
    assert message(con, "7f3c1f0e-0b7e-4d4e-9a51-1a2b3c4d5e02", columns) == (
        "outbound",
        utc(2026, 5, 4, 10, 15, 0, 4000),
        "447860099299",
        "31612345678",
        "unknown",
        "read",
        utc(2026, 5, 4, 10, 21, 37, 250000),
    )
    statuses = dict(
        fetch_all(con, "select message_id[-2:], status from messages where direction = 'outbound'")
    )
    assert statuses == {
        "01": "delivered",
        "02": "read",
        "03": "failed",
        "04": "failed",
        "05": "delivered",
        "06": "sent",
    }
    # refused for re-engagement (more than 24 hours): a free-form message
    assert message(con, "7f3c1f0e-0b7e-4d4e-9a51-1a2b3c4d5e04", "type") == ("text",)


def test_an_infobip_report_without_any_business_number_is_quarantined(con, settings, tmp_path):
    body = json.loads((SAMPLES / "infobip_whatsapp_webhooks.json").read_text())
    path = tmp_path / "reports.json"
    path.write_text(json.dumps(body["delivery_reports"]))

    load = ingest_file(con, path, settings)

    assert counts(load) == (6, 0, 0, 6, 0)
    assert "names no business number" in fetch_value(
        con, "select any_value(reason) from quarantine"
    )


def test_every_provider_sample_loads_unchanged_from_the_folder(con, settings):
    result = ingest_paths(con, [SAMPLES], settings)
    assert result.errors == []
    assert sorted((Path(r.file).name, r.kind, r.quarantined) for r in result.loads) == [
        ("gupshup_events.jsonl", "gupshup", 0),
        ("infobip_whatsapp_webhooks.json", "infobip", 0),
        ("twilio_messages.csv", "twilio", 0),
        ("twilio_messages_api.json", "twilio", 0),
    ]


def test_360dialog_forwards_cloud_api_bodies(con, settings, tmp_path):
    # 360dialog posts Meta's webhook bodies unchanged (one body per request, as JSON Lines)
    bodies = json.loads((WEBHOOKS / "message_status.json").read_text())
    path = tmp_path / "360dialog.jsonl"
    path.write_text("\n".join(json.dumps(b) for b in bodies.values()) + "\n")
    load = ingest_file(con, path, settings)
    assert load.kind == "webhook"
    # the same counts as the Cloud API sample it came from (its 'group' case has no number)
    assert counts(load) == (7, 1, 5, 1, 0)


def test_unknown_kind_outside_a_window_is_never_a_violation(con, settings):
    # given Twilio's log: API sends (type unknown) outside any window, and a free-form message
    # refused with 63016 (a known session message) outside the window
    ingest_file(con, SAMPLES / "twilio_messages.csv", settings)
    rebuild_warehouse(con, settings)

    verdicts = dict(fetch_all(con, "select message_id, violation from message_facts"))
    unknown = fetch_all(
        con, "select message_id from messages where direction = 'outbound' and type = 'unknown'"
    )
    assert unknown and all(verdicts[m] is None for (m,) in unknown)
    # the sale to +4915123456789 has no inbound at all: unknown, so not flagged
    assert verdicts["SM36604411a85db2bd9e97e22bfb5b692d"] is None
    assert verdicts["SM0449904fbf32607bf8ce5c26823dbc29"] == "session_outside_window"


def test_unknown_kind_reads_unknown_and_is_counted(con, settings):
    # given Twilio's log, whose API sends cannot say whether they were templates
    ingest_file(con, SAMPLES / "twilio_messages.csv", settings)
    rebuild_warehouse(con, settings)

    # expect their kind unknown (not 'session'), and each one counted in daily_summary
    kinds = fetch_all(
        con,
        "select f.kind, count(*) from message_facts as f join messages as m using (message_id) "
        "where m.type = 'unknown' group by all",
    )
    assert len(kinds) == 1 and kinds[0][0] == "unknown"
    assert fetch_value(con, "select sum(unknown_kind_messages) from daily_summary") == kinds[0][1]
    assert (
        fetch_value(
            con, "select count(*) from message_facts where kind = 'session' and type = 'unknown'"
        )
        == 0
    )


def test_a_single_twilio_message_resource_loads(con, settings, tmp_path):
    # given one message resource, as GET /Messages/{sid}.json returns it
    page = json.loads((SAMPLES / "twilio_messages_api.json").read_text())
    resource = page["messages"][0]
    path = tmp_path / "message.json"
    path.write_text(json.dumps(resource), encoding="utf-8")

    load = ingest_file(con, path, settings)

    assert (load.kind, load.rows_read, load.loaded) == ("twilio", 1, 1)
    assert fetch_all(con, "select message_id from messages") == [(resource["sid"],)]
