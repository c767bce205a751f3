"""Loading WhatsApp Cloud API webhook bodies: messages, statuses, calls and user preferences."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics.db import connect_memory, fetch_all, fetch_value
from analytics.ingest import ingest_file, ingest_paths

SAMPLES = Path(__file__).parent / "samples" / "webhooks"
BUSINESS = "31201234567"
CUSTOMER = "31612345678"
T = 1741000000  # 2025-03-03 11:06:40 UTC


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def body(field: str = "messages", waba: str = "WABA1", **value) -> dict:
    """One webhook body with one change."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba,
                "changes": [
                    {
                        "field": field,
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": BUSINESS,
                                "phone_number_id": "PNID1",
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def status(
    message_id: str,
    state: str,
    at: int,
    pricing: dict | None = None,
    conversation: dict | None = None,
) -> dict:
    event = {"id": message_id, "status": state, "timestamp": str(at), "recipient_id": CUSTOMER}
    if pricing is not None:
        event["pricing"] = pricing
    if conversation is not None:
        event["conversation"] = conversation
    return event


def inbound(message_id: str, at: int, type: str = "text", **extra) -> dict:
    return {"from": CUSTOMER, "id": message_id, "timestamp": str(at), "type": type, **extra}


PMP_MARKETING = {
    "billable": True,
    "pricing_model": "PMP",
    "category": "marketing",
    "type": "regular",
}
PMP_SERVICE = {
    "billable": False,
    "pricing_model": "PMP",
    "category": "service",
    "type": "free_customer_service",
}
CBP_SERVICE = {"billable": True, "pricing_model": "CBP", "category": "service"}


def write_json(folder: Path, name: str, document) -> Path:
    path = folder / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def write_lines(folder: Path, name: str, documents) -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def counts(load) -> tuple:
    """rows read, loaded, duplicates, quarantined, skipped (conflicts: load.conflicts)."""
    assert load.rows_read == (
        load.loaded + load.duplicates + load.conflicts + load.quarantined + load.skipped
    )
    return load.rows_read, load.loaded, load.duplicates, load.quarantined, load.skipped


def stored(con, columns: str = "message_id, direction, sent_at, type, template_category, status"):
    return fetch_all(con, f"select {columns} from messages order by message_id, direction")


# --- the samples --------------------------------------------------------------------------------


def test_every_sample_file_loads(con, settings):
    # given pywa's sample files (each maps a case name to one body, reusing one message id)
    result = ingest_paths(con, [SAMPLES], settings)

    assert result.errors == []
    loads = {Path(load.file).name: load for load in result.loads if load.outcome == "loaded"}
    # the licence file beside them is named, not read
    assert [
        (Path(load.file).name, load.outcome)
        for load in result.loads
        if Path(load.file).name not in loads
    ] == [("LICENSE-pywa", "skipped")]
    assert set(loads) == {
        "call_connect.json",
        "message.json",
        "message_status.json",
        "user_marketing_preferences.json",
    }
    assert all(load.kind == "webhook" for load in loads.values())
    assert counts(loads["call_connect.json"]) == (2, 1, 0, 0, 1)
    # pywa reuses one message id for its 20 cases: copies that disagree are conflicts
    assert counts(loads["message.json"]) == (23, 3, 0, 0, 0)
    assert loads["message.json"].conflicts == 20
    assert fetch_value(con, "select count(*) from message_conflicts") == 20
    # the 'group' case has a placeholder instead of a business number
    assert counts(loads["message_status.json"]) == (7, 1, 5, 1, 0)
    assert counts(loads["user_marketing_preferences.json"]) == (2, 1, 1, 0, 0)
    assert loads["call_connect.json"].detail == (
        "skipped: 1 x business-initiated call (opens no window)"
    )

    # an inbound and an outbound message with the same id are different rows
    assert stored(con, "message_id, direction, type, origin, contact, business_number") == [
        ("wacid.xxxx=", "inbound", "call", "webhook_call", "972987654321", "16315553601"),
        ("wamid.ID", "inbound", "text", "webhook_message", "972987654321", "972123456789"),
        (
            "wamid.wegrchytvwcggt=",
            "inbound",
            "interactive",
            "webhook_message",
            "972987654321",
            "972123456789",
        ),
        ("wamid.xyzxyz", "inbound", "text", "webhook_message", "972987654321", "972123456789"),
        ("wamid.xyzxyz", "outbound", "unknown", "webhook_status", "972987654321", "972123456789"),
    ]
    # the referral case came from an ad; the first case named the text message
    assert (
        fetch_value(con, "select referral_source from messages where message_id = 'wamid.ID'")
        == "ad"
    )
    assert fetch_value(
        con,
        "select sent_at from messages where message_id = 'wamid.xyzxyz' and direction = 'inbound'",
    ) == utc(2023, 10, 11, 16, 53, 43)
    # the status carries Meta's pricing, its furthest state and the business account
    assert fetch_all(
        con,
        """
        select status, meta_billable, meta_pricing_type, meta_category, meta_pricing_model,
            meta_conversation_id, meta_conversation_origin, waba_id, phone_number_id
        from messages where direction = 'outbound'""",
    ) == [
        (
            "failed",
            True,
            None,
            "service",
            "CBP",
            "7270432eae37498234f4444b35ffc5",
            "service",
            "5467539754836534",
            "1122334455667",
        ),
    ]
    assert fetch_all(con, "select line, reason from quarantine") == [
        (7, "business_number is not a phone number (digits)")
    ]
    assert fetch_value(con, "select raw from quarantine").startswith('group: {"id"')
    assert fetch_all(
        con, "select contact, event_at, event, scope, business_number from opt_in_events"
    ) == [("16505551234", utc(2024, 11, 15, 21, 22, 1), "opt_in", "marketing", "15550783881")]


def test_samples_load_in_any_order_to_the_same_messages(settings):
    files = sorted(SAMPLES.glob("*.json"))
    tables = []
    for order in (files, files[::-1]):
        con = connect_memory(settings)
        for path in order:
            ingest_file(con, path, settings)
        tables.append(
            fetch_all(
                con,
                "select * exclude (source_file, source_line, loaded_at) "
                "from messages order by message_id, direction",
            )
        )
        con.close()
    assert tables[0] == tables[1]


# --- statuses -------------------------------------------------------------------------------------


def test_status_only_message_type_comes_from_pmp_pricing(con, settings, tmp_path):
    # given statuses alone: PMP marketing, PMP service, CBP, none
    path = write_json(
        tmp_path,
        "statuses.json",
        [
            body(statuses=[status("w1", "delivered", T, PMP_MARKETING)]),
            body(statuses=[status("w2", "sent", T, PMP_SERVICE)]),
            body(
                statuses=[
                    status(
                        "w3", "read", T, CBP_SERVICE, {"id": "c3", "origin": {"type": "marketing"}}
                    )
                ]
            ),
            body(statuses=[status("w4", "played", T)]),
        ],
    )

    load = ingest_file(con, path, settings)

    assert counts(load) == (4, 4, 0, 0, 0)
    assert stored(
        con,
        "message_id, direction, sent_at, business_number, contact, type, "
        "template_category, status, status_at, meta_billable, meta_pricing_type, "
        "meta_category, meta_pricing_model, meta_conversation_id, "
        "meta_conversation_origin, origin",
    ) == [
        (
            "w1",
            "outbound",
            utc(2025, 3, 3, 11, 6, 40),
            BUSINESS,
            CUSTOMER,
            "template",
            "marketing",
            "delivered",
            utc(2025, 3, 3, 11, 6, 40),
            True,
            "regular",
            "marketing",
            "PMP",
            None,
            None,
            "webhook_status",
        ),
        (
            "w2",
            "outbound",
            utc(2025, 3, 3, 11, 6, 40),
            BUSINESS,
            CUSTOMER,
            "unknown",
            None,
            "sent",
            utc(2025, 3, 3, 11, 6, 40),
            False,
            "free_customer_service",
            "service",
            "PMP",
            None,
            None,
            "webhook_status",
        ),
        (
            "w3",
            "outbound",
            utc(2025, 3, 3, 11, 6, 40),
            BUSINESS,
            CUSTOMER,
            "unknown",
            None,
            "read",
            utc(2025, 3, 3, 11, 6, 40),
            True,
            None,
            "service",
            "CBP",
            "c3",
            "marketing",
            "webhook_status",
        ),
        (
            "w4",
            "outbound",
            utc(2025, 3, 3, 11, 6, 40),
            BUSINESS,
            CUSTOMER,
            "unknown",
            None,
            "read",
            utc(2025, 3, 3, 11, 6, 40),
            None,
            None,
            None,
            None,
            None,
            None,
            "webhook_status",
        ),
    ]


def test_several_statuses_keep_the_latest_state_and_pricing(con, settings, tmp_path):
    # given sent (with pricing), read (with pricing) and delivered (late, without pricing)
    path = write_lines(
        tmp_path,
        "statuses.jsonl",
        [
            body(statuses=[status("w1", "sent", T, PMP_MARKETING)]),
            body(statuses=[status("w1", "read", T + 60, dict(PMP_MARKETING, category="utility"))]),
            body(statuses=[status("w1", "delivered", T + 30)]),
        ],
    )

    load = ingest_file(con, path, settings)

    assert counts(load) == (3, 1, 2, 0, 0)
    assert stored(con, "sent_at, status, status_at, meta_category") == [
        (utc(2025, 3, 3, 11, 6, 40), "read", utc(2025, 3, 3, 11, 7, 40), "utility")
    ]


def test_a_status_file_then_a_later_status_file_updates_the_message(con, settings, tmp_path):
    ingest_file(
        con,
        write_json(
            tmp_path, "a.json", body(statuses=[status("w1", "delivered", T, PMP_MARKETING)])
        ),
        settings,
    )
    load = ingest_file(
        con, write_json(tmp_path, "b.json", body(statuses=[status("w1", "read", T + 60)])), settings
    )
    assert counts(load) == (1, 0, 1, 0, 0)
    assert stored(con, "status, status_at, meta_billable, meta_category") == [
        ("read", utc(2025, 3, 3, 11, 7, 40), True, "marketing")
    ]


MESSAGE_LOG = (
    "message_id,timestamp,direction,business_number,contact,type,template_name,"
    "template_category,status,referral_source,waba_id\n"
    "w1,2025-03-03T11:06:00Z,outbound,31201234567,31612345678,template,spring_sale,marketing,"
    "sent,,\n"
    "w2,2025-03-03T11:05:00Z,outbound,31201234567,31612345678,text,,,,,\n"
)


@pytest.mark.parametrize("log_first", [True, False])
def test_message_log_and_status_meet_in_either_order(settings, tmp_path, log_first):
    # given a message log (type, template, send time) and webhook statuses (state, pricing)
    log = tmp_path / "log.csv"
    log.write_text(MESSAGE_LOG, encoding="utf-8")
    hooks = write_json(
        tmp_path,
        "hooks.json",
        [
            body(statuses=[status("w1", "read", T, PMP_MARKETING)]),
            body(statuses=[status("w2", "delivered", T + 5, PMP_SERVICE)]),
        ],
    )
    con = connect_memory(settings)
    for path in (log, hooks) if log_first else (hooks, log):
        ingest_file(con, path, settings)

    # expect the log's facts, the furthest status and Meta's pricing
    assert stored(
        con,
        "message_id, sent_at, type, template_name, template_category, status, "
        "status_at, meta_billable, meta_category, origin",
    ) == [
        (
            "w1",
            utc(2025, 3, 3, 11, 6),
            "template",
            "spring_sale",
            "marketing",
            "read",
            utc(2025, 3, 3, 11, 6, 40),
            True,
            "marketing",
            "message_log",
        ),
        (
            "w2",
            utc(2025, 3, 3, 11, 5),
            "text",
            None,
            None,
            "delivered",
            utc(2025, 3, 3, 11, 6, 45),
            False,
            "service",
            "message_log",
        ),
    ]
    con.close()


# --- inbound messages, calls, preferences and other fields ------------------------------------


def test_inbound_messages_with_referrals(con, settings, tmp_path):
    path = write_json(
        tmp_path,
        "inbound.json",
        body(
            messages=[
                inbound("i1", T),
                inbound("i2", T + 1, "image", referral={"source_type": "ad", "source_id": "1"}),
                inbound("i3", T + 2, "text", referral={"source_type": "post", "source_id": "2"}),
            ]
        ),
    )
    load = ingest_file(con, path, settings)
    assert counts(load) == (3, 3, 0, 0, 0)
    assert stored(con, "message_id, direction, type, referral_source, waba_id, status") == [
        ("i1", "inbound", "text", None, "WABA1", None),
        ("i2", "inbound", "image", "ad", "WABA1", None),
        ("i3", "inbound", "text", "page", "WABA1", None),
    ]


def test_calls(con, settings, tmp_path):
    path = write_json(
        tmp_path,
        "calls.json",
        body(
            field="calls",
            calls=[
                {
                    "id": "c1",
                    "from": CUSTOMER,
                    "to": BUSINESS,
                    "event": "connect",
                    "timestamp": str(T),
                    "direction": "USER_INITIATED",
                },
                {
                    "id": "c2",
                    "from": BUSINESS,
                    "to": CUSTOMER,
                    "event": "connect",
                    "timestamp": str(T),
                    "direction": "BUSINESS_INITIATED",
                },
                {
                    "id": "c3",
                    "from": BUSINESS,
                    "to": CUSTOMER,
                    "event": "terminate",
                    "timestamp": str(T + 9),
                    "direction": "BUSINESS_INITIATED",
                },
            ],
        ),
    )
    load = ingest_file(con, path, settings)
    assert counts(load) == (3, 1, 0, 0, 2)
    assert load.detail == "skipped: 2 x business-initiated call (opens no window)"
    assert stored(con, "message_id, direction, sent_at, contact, type, origin") == [
        ("c1", "inbound", utc(2025, 3, 3, 11, 6, 40), CUSTOMER, "call", "webhook_call")
    ]


def test_user_preferences_become_marketing_opt_in_events(con, settings, tmp_path):
    path = write_json(
        tmp_path,
        "preferences.json",
        body(
            field="user_preferences",
            user_preferences=[
                {
                    "wa_id": CUSTOMER,
                    "category": "marketing_messages",
                    "value": "stop",
                    "timestamp": T,
                },
                {
                    "wa_id": CUSTOMER,
                    "category": "marketing_messages",
                    "value": "resume",
                    "timestamp": T + 60,
                },
                {
                    "wa_id": CUSTOMER,
                    "category": "marketing_messages",
                    "value": "shrug",
                    "timestamp": T + 90,
                },
            ],
        ),
    )
    load = ingest_file(con, path, settings)
    assert counts(load) == (3, 2, 0, 1, 0)
    assert fetch_all(
        con,
        "select contact, event_at, event, scope, business_number, source "
        "from opt_in_events order by event_at",
    ) == [
        (
            CUSTOMER,
            utc(2025, 3, 3, 11, 6, 40),
            "opt_out",
            "marketing",
            BUSINESS,
            "webhook user_preferences: stop",
        ),
        (
            CUSTOMER,
            utc(2025, 3, 3, 11, 7, 40),
            "opt_in",
            "marketing",
            BUSINESS,
            "webhook user_preferences: resume",
        ),
    ]
    assert fetch_all(con, "select line, reason from quarantine") == [
        (1, "event must be opt_in or opt_out")
    ]
    assert "shrug" in fetch_value(con, "select raw from quarantine")


def test_unknown_change_fields_are_skipped_with_a_count(con, settings, tmp_path):
    path = write_json(
        tmp_path,
        "other.json",
        [
            body(field="message_template_status_update", event="APPROVED", message_template_id=1),
            body(field="account_update", phone_number="1"),
            body(field="message_template_status_update", event="REJECTED"),
            body(messages=[inbound("i1", T)]),
        ],
    )
    load = ingest_file(con, path, settings)
    assert counts(load) == (4, 1, 0, 0, 3)
    assert load.detail == (
        "skipped: 2 x webhook field message_template_status_update carries no message, status, "
        "call or user preference; 1 x webhook field account_update carries no message, status, "
        "call or user preference"
    )
    assert fetch_value(con, "select skipped from load_log") == 3


def test_json_lines_of_bodies_and_bad_lines(con, settings, tmp_path):
    path = tmp_path / "hooks.jsonl"
    path.write_text(
        json.dumps(body(messages=[inbound("i1", T)]))
        + "\n"
        + "\n"
        + '{"object": "whatsapp_business_account", "entry": [\n'
        + json.dumps({"hello": "world"})
        + "\n"
        + json.dumps(body(statuses=[status("o1", "sent", T + 5)]))
        + "\n"
        + json.dumps(body(statuses=[status("o2", "sent", "soon")]))
        + "\n",
        encoding="utf-8",
    )

    load = ingest_file(con, path, settings)

    assert counts(load) == (5, 2, 0, 3, 0)
    assert fetch_all(con, "select line, reason from quarantine order by line") == [
        (3, "not valid JSON"),
        (4, "not a webhook body: no entry[]"),
        (6, "timestamp is not ISO-8601, Unix time, RFC 2822 or inputs.timestamp_format"),
    ]
    assert stored(con, "message_id, direction") == [("i1", "inbound"), ("o1", "outbound")]


def test_single_body_document(con, settings, tmp_path):
    path = write_json(tmp_path, "one.json", body(messages=[inbound("i1", T), inbound("i2", T)]))
    load = ingest_file(con, path, settings)
    assert (load.kind, counts(load)) == ("webhook", (2, 2, 0, 0, 0))


def test_bad_events_inside_a_body_are_quarantined(con, settings, tmp_path):
    path = write_json(
        tmp_path,
        "bad.json",
        [
            body(messages=[{"from": CUSTOMER, "timestamp": str(T), "type": "text"}]),
            body(messages=[inbound("i2", T)], waba="W2") | {"entry": [{"id": "W2"}]},
            body(statuses=[dict(status("o3", "sent", T), recipient_id="group-abc")]),
            body(statuses=[status("o4", "queued", T)]),
        ],
    )
    load = ingest_file(con, path, settings)
    assert counts(load) == (4, 0, 0, 4, 0)
    assert fetch_all(con, "select line, reason from quarantine order by line") == [
        (1, "message_id is missing"),
        (2, "webhook entry has no changes[]"),
        (3, "contact is not a phone number (digits)"),
        (4, "status must be sent, delivered, read or failed"),
    ]


def test_reloading_a_webhook_file_changes_nothing(con, settings, tmp_path):
    path = write_json(tmp_path, "hooks.json", body(messages=[inbound("i1", T)]))
    ingest_file(con, path, settings)
    before = fetch_all(con, "select * from messages")
    assert ingest_file(con, path, settings).outcome == "already_loaded"
    assert fetch_all(con, "select * from messages") == before
    assert fetch_value(con, "select count(*) from load_log") == 1


def test_metas_pricing_subtype_is_kept_whatever_its_value(con, settings, tmp_path):
    # given statuses of October 2026 with pricing.subtype: paid_exempt (exempt government and
    # non-profit service messages), a value carewindow has never seen, and none
    exempt = dict(PMP_SERVICE, billable=True, type="regular", subtype="paid_exempt")
    path = write_lines(
        tmp_path,
        "statuses.jsonl",
        [
            body(statuses=[status("w1", "delivered", T, exempt)]),
            body(statuses=[status("w2", "delivered", T, dict(exempt, subtype="brand_new_kind"))]),
            body(statuses=[status("w3", "delivered", T, PMP_SERVICE)]),
        ],
    )

    load = ingest_file(con, path, settings)

    assert counts(load) == (3, 3, 0, 0, 0)
    assert stored(con, "message_id, meta_pricing_type, meta_pricing_subtype") == [
        ("w1", "regular", "paid_exempt"),
        ("w2", "regular", "brand_new_kind"),
        ("w3", "free_customer_service", None),
    ]
    # a later status without a subtype keeps Meta's latest pricing, subtype included
    later = write_json(tmp_path, "later.json", body(statuses=[status("w1", "read", T + 60)]))
    ingest_file(con, later, settings)
    assert stored(con, "message_id, meta_pricing_subtype")[0] == ("w1", "paid_exempt")


def test_statuses_that_update_stored_messages_say_how_many(settings, tmp_path):
    # given a message log of two messages, then status webhooks: w1 read with Meta's pricing,
    # w2 delivered without pricing, and w2 again with its stored status (changes nothing)
    log = tmp_path / "log.csv"
    log.write_text(MESSAGE_LOG, encoding="utf-8")
    con = connect_memory(settings)
    ingest_file(con, log, settings)
    hooks = write_json(
        tmp_path,
        "hooks.json",
        [
            body(statuses=[status("w1", "read", T, PMP_MARKETING)]),
            body(statuses=[status("w2", "delivered", T + 5)]),
        ],
    )

    load = ingest_file(con, hooks, settings)

    # expect the rows counted as duplicates, and the detail saying what they changed
    assert counts(load) == (2, 0, 2, 0, 0)
    assert load.detail == (
        "2 stored message(s) updated: 2 with a newer status, 1 with Meta's pricing"
    )
    assert fetch_value(con, "select detail from load_log where load_id = 2") == load.detail

    # the same statuses again (another file) change nothing, and say nothing
    again = write_json(tmp_path, "again.json", [body(statuses=[status("w2", "sent", T + 9)])])
    assert ingest_file(con, again, settings).detail == ""
