"""One customer whatever Meta calls them: phone numbers and business-scoped user IDs.

Given a few hand-written webhook bodies and message-log rows, expect one time line per
(business number, customer) however each message names the customer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from analytics.db import connect_memory, fetch_all, fetch_value
from analytics.ingest import ingest_file, ingest_paths
from analytics.rebuild import rebuild_warehouse

SAMPLES = Path(__file__).parent / "samples" / "bsuid"
BUSINESS = "15550783881"
PHONE = "16505551234"
NEW_PHONE = "12195555358"
BSUID = "US.13491208655302741918"
PARENT = "US.ENT.11815799212886844830"
NEW_BSUID = "US.10987654321098765432"
T = 1782900000  # 2026-07-01 10:00:00 UTC: the per-message era, usernames rolling out


def body(field: str = "messages", **value) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA1",
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


def username_inbound(message_id: str, at: int, user_id: str = BSUID) -> dict:
    """An inbound text from a username user: no `from`, no `wa_id`."""
    return body(
        contacts=[{"profile": {"name": "Sheena", "username": "@sheena"}, "user_id": user_id}],
        messages=[
            {
                "from_user_id": user_id,
                "id": message_id,
                "timestamp": str(at),
                "type": "text",
                "text": {"body": "hi"},
            }
        ],
    )


def status_to_phone(message_id: str, state: str, at: int, user_id: str | None = BSUID) -> dict:
    """A status of a message the business sent to the phone number; Meta adds the BSUID except
    on `failed`."""
    event = {"id": message_id, "status": state, "timestamp": str(at), "recipient_id": PHONE}
    if user_id is not None:
        event["recipient_user_id"] = user_id
        return body(contacts=[{"wa_id": PHONE, "user_id": user_id}], statuses=[event])
    return body(statuses=[event])


def write_lines(folder: Path, name: str, documents) -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def write_log(folder: Path, name: str, header: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


LOG_HEADER = "message_id,timestamp,direction,business_number,contact,type,contact_user_id"


def iso(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def facts(con) -> dict[str, tuple]:
    rows = fetch_all(
        con,
        "select message_id, contact, in_window, violation, status from message_facts",
    )
    return {row[0]: row[1:] for row in rows}


# --- 1. one customer, one time line ---------------------------------------------------------------


def test_a_window_opened_by_a_bsuid_only_inbound_is_answered_by_phone(con, settings, tmp_path):
    # given a username user who writes with a BSUID alone, and a reply one hour later sent to
    # their phone number (a message log), whose status names the BSUID beside the phone
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [username_inbound("wamid.IN1", T), status_to_phone("wamid.OUT1", "delivered", T + 3660)],
    )
    log = write_log(
        tmp_path,
        "log.csv",
        LOG_HEADER,
        [f"wamid.OUT1,{iso(T + 3600)},outbound,{BUSINESS},{PHONE},text,"],
    )
    result = ingest_paths(con, [hooks, log], settings)
    assert result.errors == [] and sum(load.quarantined for load in result.loads) == 0

    rebuild_warehouse(con, settings)

    # expect one customer: the reply is inside the window the BSUID's inbound opened
    assert facts(con) == {"wamid.OUT1": (PHONE, True, None, "delivered")}
    assert fetch_all(
        con, "select contact, inbound_messages, outbound_messages, opened_by from care_windows"
    ) == [(PHONE, 1, 1, "text")]
    assert fetch_all(
        con, "select customer, contact, user_id, username, link, messages from customer_identities"
    ) == [
        (PHONE, None, BSUID, "@sheena", "message", 1),
        (PHONE, PHONE, BSUID, None, "message", 1),
    ]


def test_without_the_link_the_phone_reply_is_another_customer(con, settings, tmp_path):
    # given the same reply whose status never named the BSUID (nothing links the two)
    hooks = write_lines(tmp_path, "hooks.jsonl", [username_inbound("wamid.IN1", T)])
    log = write_log(
        tmp_path,
        "log.csv",
        LOG_HEADER,
        [f"wamid.OUT1,{iso(T + 3600)},outbound,{BUSINESS},{PHONE},text,"],
    )
    ingest_paths(con, [hooks, log], settings)

    rebuild_warehouse(con, settings)

    # expect two customers: carewindow links only what Meta links
    assert facts(con) == {"wamid.OUT1": (PHONE, False, "session_outside_window", "delivered")}
    assert fetch_all(con, "select contact from care_windows") == [(BSUID,)]


def test_a_bsuid_only_customer_is_a_customer_like_any_other(con, settings, tmp_path):
    # given a username user who writes, gets an answer to the BSUID (the phone withheld), and
    # a free-form message 25 hours after their last message
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            username_inbound("wamid.IN1", T),
            body(
                contacts=[{"user_id": BSUID}],
                statuses=[
                    {
                        "id": "wamid.OUT1",
                        "status": "read",
                        "timestamp": str(T + 60),
                        "recipient_user_id": BSUID,
                    }
                ],
            ),
        ],
    )
    log = write_log(
        tmp_path,
        "log.csv",
        LOG_HEADER,
        [
            f"wamid.OUT1,{iso(T + 30)},outbound,{BUSINESS},{BSUID},text,",
            f"wamid.OUT2,{iso(T + 25 * 3600)},outbound,{BUSINESS},,text,{BSUID}",
        ],
    )
    result = ingest_paths(con, [hooks, log], settings)
    assert sum(load.quarantined for load in result.loads) == 0

    rebuild_warehouse(con, settings)

    assert facts(con) == {
        "wamid.OUT1": (BSUID, True, None, "read"),
        "wamid.OUT2": (BSUID, False, "session_outside_window", "delivered"),
    }


def test_a_failed_status_of_a_phone_addressed_message_finds_its_message_by_id(
    con, settings, tmp_path
):
    # given a message sent to a phone number whose only status is `failed` (no BSUID, no
    # contacts[]), after the customer wrote as a username user linked to that phone
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            username_inbound("wamid.IN1", T),
            status_to_phone("wamid.OUT1", "delivered", T + 60),
            status_to_phone("wamid.OUT2", "failed", T + 130, user_id=None),
        ],
    )
    log = write_log(
        tmp_path,
        "log.csv",
        LOG_HEADER,
        [
            f"wamid.OUT1,{iso(T + 30)},outbound,{BUSINESS},{PHONE},text,",
            f"wamid.OUT2,{iso(T + 120)},outbound,{BUSINESS},{PHONE},text,",
        ],
    )
    result = ingest_paths(con, [hooks, log], settings)

    rebuild_warehouse(con, settings)

    # expect the failed status on its message, in the window, and no conflict
    assert facts(con)["wamid.OUT2"] == (PHONE, True, None, "failed")
    assert sum(load.conflicts for load in result.loads) == 0
    assert fetch_value(con, "select count(*) from messages where message_id = 'wamid.OUT2'") == 1


def test_a_status_naming_the_bsuid_alone_is_no_conflict_with_the_log_naming_the_phone(
    con, settings, tmp_path
):
    # given a log row to the phone, then a status of the same message naming the BSUID alone
    log = write_log(
        tmp_path, "log.csv", LOG_HEADER, [f"wamid.OUT1,{iso(T)},outbound,{BUSINESS},{PHONE},text,"]
    )
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            body(
                statuses=[
                    {
                        "id": "wamid.OUT1",
                        "status": "read",
                        "timestamp": str(T + 9),
                        "recipient_user_id": BSUID,
                    }
                ]
            )
        ],
    )
    first = ingest_file(con, log, settings)
    second = ingest_file(con, hooks, settings)

    # expect one message, named by its phone, with the BSUID beside it
    assert (first.conflicts, second.conflicts, second.duplicates) == (0, 0, 1)
    assert fetch_all(con, "select contact, contact_user_id, status from messages") == [
        (PHONE, BSUID, "read")
    ]


def test_a_phone_number_change_links_the_old_and_the_new_identity(con, settings, tmp_path):
    # given a customer who writes from their phone (Meta names their BSUID beside it), changes
    # number an hour later (a system message: new number, new BSUID), and is answered at the
    # new number two hours after writing
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            body(
                contacts=[{"wa_id": PHONE, "user_id": BSUID}],
                messages=[
                    {
                        "from": PHONE,
                        "from_user_id": BSUID,
                        "id": "wamid.IN1",
                        "timestamp": str(T),
                        "type": "text",
                        "text": {"body": "hi"},
                    }
                ],
            ),
            body(
                messages=[
                    {
                        "from": PHONE,
                        "id": "wamid.SYS1",
                        "timestamp": str(T + 3600),
                        "type": "system",
                        "system": {
                            "body": f"User Sheena changed from {PHONE} to {NEW_PHONE}",
                            "wa_id": NEW_PHONE,
                            "type": "user_changed_number",
                            "user_id": NEW_BSUID,
                            "previous_user_id": BSUID,
                        },
                    }
                ]
            ),
        ],
    )
    log = write_log(
        tmp_path,
        "log.csv",
        LOG_HEADER,
        [f"wamid.OUT1,{iso(T + 7200)},outbound,{BUSINESS},{NEW_PHONE},text,"],
    )
    result = ingest_paths(con, [hooks, log], settings)
    assert result.errors == [] and sum(load.quarantined for load in result.loads) == 0

    rebuild_warehouse(con, settings)

    # expect the system message to be no message (it opens nothing), the link recorded, and
    # one customer, shown by the new number: the window the old number opened holds the reply
    assert fetch_value(con, "select count(*) from messages where message_id = 'wamid.SYS1'") == 0
    assert fetch_all(
        con,
        "select change, previous_contact, contact, previous_user_id, user_id from identity_changes",
    ) == [("user_changed_number", PHONE, NEW_PHONE, BSUID, NEW_BSUID)]
    assert facts(con) == {"wamid.OUT1": (NEW_PHONE, True, None, "delivered")}
    assert fetch_all(
        con, "select contact, inbound_messages, outbound_messages from care_windows"
    ) == [(NEW_PHONE, 1, 1)]
    assert fetch_all(
        con,
        "select customer, link, previous_contact, contact from customer_identities "
        "order by first_seen_at",
    ) == [
        (NEW_PHONE, "message", None, PHONE),
        (NEW_PHONE, "user_changed_number", PHONE, NEW_PHONE),
    ]


def test_an_opt_in_by_bsuid_covers_the_customer_named_by_phone(con, settings, tmp_path):
    # given a marketing opt-out by BSUID (user_preferences) and a marketing template sent to the
    # phone number, whose status names the BSUID
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            body(
                field="user_preferences",
                contacts=[{"user_id": BSUID}],
                user_preferences=[
                    {
                        "user_id": BSUID,
                        "category": "marketing_messages",
                        "value": "stop",
                        "timestamp": str(T),
                    }
                ],
            ),
            status_to_phone("wamid.OUT1", "delivered", T + 3600),
        ],
    )
    log = write_log(
        tmp_path,
        "log.csv",
        "message_id,timestamp,direction,business_number,contact,type,template_name,"
        "template_category",
        [f"wamid.OUT1,{iso(T + 3590)},outbound,{BUSINESS},{PHONE},template,promo,marketing"],
    )
    ingest_paths(con, [hooks, log], settings)

    rebuild_warehouse(con, settings)

    # expect the opt-out to apply to the phone-addressed template
    assert fetch_all(con, "select violation, marketing_opt_out_warning from message_facts") == [
        ("template_without_opt_in", True)
    ]


# --- 2. every input carries either ----------------------------------------------------------------


def test_meta_example_bodies_load_unchanged(con, settings):
    # given the BSUID cases of Meta's page as webhook bodies (tests/samples/bsuid)
    result = ingest_paths(con, [SAMPLES], settings)

    # expect every event loaded, nothing quarantined, and each identity kept whole
    assert result.errors == []
    (load,) = [load for load in result.loads if load.outcome == "loaded"]
    assert (load.rows_read, load.quarantined) == (load.loaded + load.duplicates + load.skipped, 0)
    assert fetch_all(
        con,
        "select message_id, direction, contact, contact_user_id, contact_parent_user_id, "
        "contact_username from messages order by message_id",
    ) == [
        ("wacid.BSUID_CALL_1", "inbound", BSUID, BSUID, None, None),
        ("wamid.BSUID_IN_1", "inbound", BSUID, BSUID, PARENT, "@sheena"),
        ("wamid.BSUID_OUT_1", "outbound", PHONE, BSUID, PARENT, None),
        ("wamid.BSUID_OUT_2", "outbound", BSUID, BSUID, PARENT, "@sheena"),
        ("wamid.BSUID_OUT_3", "outbound", PHONE, None, None, None),
    ]
    assert fetch_all(con, "select contact, event, scope from opt_in_events") == [
        (BSUID, "opt_out", "marketing")
    ]
    assert fetch_all(
        con, "select message_id, change, user_id, previous_user_id from identity_changes order by 1"
    ) == [
        ("wamid.BSUID_SYS_1", "user_changed_number", NEW_BSUID, BSUID),
        ("wamid.BSUID_SYS_2", "user_changed_user_id", "US.55555555555555555555", NEW_BSUID),
    ]

    rebuild_warehouse(con, settings)

    # one customer through every change: shown by the number it changed to
    assert fetch_all(con, "select distinct customer from customer_identities") == [(NEW_PHONE,)]
    assert fetch_all(con, "select distinct contact from message_facts") == [(NEW_PHONE,)]


def test_other_system_messages_are_skipped_with_a_count(con, settings, tmp_path):
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            body(
                messages=[
                    {
                        "from": PHONE,
                        "id": "wamid.SYS9",
                        "timestamp": str(T),
                        "type": "system",
                        "system": {"body": "something else", "type": "customer_identity_changed"},
                    }
                ]
            )
        ],
    )
    load = ingest_file(con, hooks, settings)

    assert (load.rows_read, load.loaded, load.skipped) == (1, 0, 1)
    assert "system message of type customer_identity_changed" in load.detail


def test_a_message_log_names_the_customer_by_bsuid_or_beside_the_phone(con, settings, tmp_path):
    log = write_log(
        tmp_path,
        "log.csv",
        LOG_HEADER,
        [
            f"m1,{iso(T)},inbound,{BUSINESS},{BSUID},text,",  # a BSUID in contact
            f"m2,{iso(T)},inbound,{BUSINESS},+1 650 555 1234,text,{BSUID}",  # beside a phone
            f"m3,{iso(T)},inbound,{BUSINESS},,text,{PARENT}",  # a parent BSUID alone
            f"m4,{iso(T)},inbound,{BUSINESS},{PHONE},text,16505550000",  # not a BSUID
            f"m5,{iso(T)},inbound,{BUSINESS},{BSUID},text,{NEW_BSUID}",  # two BSUIDs
            f"m6,{iso(T)},inbound,{BUSINESS},us.1349,text,",  # not a BSUID, not a phone
        ],
    )
    load = ingest_file(con, log, settings)

    assert fetch_all(
        con, "select message_id, contact, contact_user_id from messages order by 1"
    ) == [("m1", BSUID, BSUID), ("m2", PHONE, BSUID), ("m3", PARENT, PARENT)]
    assert fetch_all(con, "select line, reason from quarantine order by line") == [
        (
            5,
            "contact_user_id is not a business-scoped user ID (BSUID: a country code, a period, "
            "letters and digits, e.g. US.1349120865)",
        ),
        (6, "contact and contact_user_id name two different BSUIDs"),
        (7, "contact is not a phone number (digits)"),
    ]
    assert load.quarantined == 3


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    country=st.sampled_from(["US", "BR", "IN", "NL", "DE"]),
    parent=st.booleans(),
    tail=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        min_size=1,
        max_size=128,
    ),
)
def test_any_bsuid_loads_whole(settings, tmp_path_factory, country, parent, tail):
    # given any BSUID of Meta's form in a message log's contact column
    user_id = f"{country}.{'ENT.' if parent else ''}{tail}"
    folder = tmp_path_factory.mktemp("bsuid")
    log = write_log(
        folder, "log.csv", LOG_HEADER, [f"m1,{iso(T)},inbound,{BUSINESS},{user_id},text,"]
    )
    con = connect_memory(settings)
    try:
        load = ingest_file(con, log, settings)
        # expect it stored as written: never normalised, never taken for a phone number
        assert load.quarantined == 0
        assert fetch_all(con, "select contact, contact_user_id from messages") == [
            (user_id, user_id)
        ]
    finally:
        con.close()


# --- 3. market from either ------------------------------------------------------------------------


def test_a_bsuid_only_customers_market_is_the_country_in_front_of_it(con, settings, tmp_path):
    # given templates to customers known only by BSUID (Brazil; Kazakhstan, which shares +7 with
    # Russia; Canada, priced as +1; Puerto Rico, a +1 region with a market of its own; an
    # unknown country) and one to a Brazilian number
    log = write_log(
        tmp_path,
        "log.csv",
        "message_id,timestamp,direction,business_number,contact,type,template_name,"
        "template_category,contact_user_id",
        [
            f"m1,{iso(T)},outbound,{BUSINESS},BR.1502576394655843,template,promo,marketing,",
            f"m2,{iso(T)},outbound,{BUSINESS},KZ.77,template,promo,marketing,",
            f"m3,{iso(T)},outbound,{BUSINESS},,template,promo,marketing,CA.ENT.42",
            f"m4,{iso(T)},outbound,{BUSINESS},XX.123,template,promo,marketing,",
            f"m6,{iso(T)},outbound,{BUSINESS},PR.123,template,promo,marketing,",
            f"m5,{iso(T)},outbound,{BUSINESS},5511987654321,template,promo,marketing,",
        ],
    )
    ingest_file(con, log, settings)

    rebuild_warehouse(con, settings)

    # expect the market of a number of that country on the send date, as a phone would have
    assert fetch_all(con, "select message_id, market from message_facts order by 1") == [
        ("m1", "Brazil"),
        ("m2", "Russia"),
        ("m3", "North America"),
        ("m4", None),  # no country: unknown, as an unknown calling code is
        ("m5", "Brazil"),
        ("m6", "Rest of Latin America"),
    ]


# --- 4. privacy -----------------------------------------------------------------------------------


def test_bsuids_are_masked_in_reports_like_phone_numbers():
    from reports.masking import masked_contact, masked_numbers_in_text

    assert masked_contact(BSUID) == "US.****1918"
    assert masked_contact(PARENT, visible_digits=2) == "US.ENT.****30"
    assert masked_contact("BR.12345") == "BR.****5"  # four characters stay hidden
    assert (
        masked_numbers_in_text(f"contact {BSUID} is no phone") == "contact US.****1918 is no phone"
    )


# --- 2. providers ---------------------------------------------------------------------------------


def test_providers_name_the_customer_by_bsuid_where_they_document_it(con, settings, tmp_path):
    # given a Twilio inbound from a whatsapp:US.… address, a Gupshup inbound with sender.userId
    # and no phone, and an Infobip inbound with contact.userId beside the phone
    twilio = tmp_path / "twilio.json"
    twilio.write_text(
        json.dumps(
            {
                "messages": [
                    {
                        "account_sid": "AC1",
                        "sid": "SM1",
                        "direction": "inbound",
                        "from": f"whatsapp:{BSUID}",
                        "to": f"whatsapp:+{BUSINESS}",
                        "status": "received",
                        "date_created": "Wed, 01 Jul 2026 10:00:00 +0000",
                        "date_sent": "Wed, 01 Jul 2026 10:00:00 +0000",
                        "num_media": "0",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    gupshup = write_lines(
        tmp_path,
        "gupshup.jsonl",
        [
            {
                "app": "AcmeShop",
                "timestamp": T * 1000,
                "version": 2,
                "type": "message",
                "payload": {
                    "id": "wamid.G1",
                    "type": "text",
                    "payload": {"text": "hi"},
                    "sender": {"name": "Priya", "userId": "IN.1648738043044942"},
                },
            }
        ],
    )
    infobip = tmp_path / "infobip.json"
    infobip.write_text(
        json.dumps(
            {
                "results": [
                    {
                        "from": "31612345678",
                        "to": BUSINESS,
                        "integrationType": "WHATSAPP",
                        "receivedAt": "2026-07-01T10:00:00.000+0000",
                        "messageId": "wamid.I1",
                        "message": {"text": "hi", "type": "TEXT"},
                        "contact": {"name": "Jan", "userId": "NL.5550001"},
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    result = ingest_paths(con, [twilio, gupshup, infobip], settings)

    # expect each customer named as the provider named them, nothing quarantined
    assert result.errors == [] and sum(load.quarantined for load in result.loads) == 0
    assert fetch_all(
        con, "select message_id, contact, contact_user_id from messages order by 1"
    ) == [
        ("SM1", BSUID, BSUID),
        ("wamid.G1", "IN.1648738043044942", "IN.1648738043044942"),
        ("wamid.I1", "31612345678", "NL.5550001"),
    ]


# --- the partitioned rebuild ----------------------------------------------------------------------


def test_partitions_keep_a_customers_identities_together(con, settings, tmp_path):
    # given a customer who writes by BSUID alone, is answered by phone (the status links them),
    # opted in by BSUID on every number, and gets a template on another number by phone
    from rows import at, inbound, insert_messages, insert_opt_ins, opt_in, outbound, template

    from analytics import partitions, rebuild

    other = "15550009999"

    def given(connection):
        insert_messages(
            connection,
            [
                inbound("i1", at(0), contact=BSUID),
                outbound("o1", at(1), contact=PHONE),
                template("t1", at(50), contact=PHONE, business_number=other),
                inbound("x1", at(0), contact="31612345678"),
                outbound("x2", at(30), contact="31612345678"),
            ],
        )
        connection.execute(
            "update messages set contact_user_id = ? where message_id in ('i1', 'o1')", [BSUID]
        )
        insert_opt_ins(connection, [opt_in(BSUID, at(-1))])

    given(con)
    single = connect_memory(settings)
    given(single)
    rebuild.rebuild_warehouse(single, settings)
    plan = partitions.plan_partitions(
        settings.with_overrides(rebuild_partitions=4), root=tmp_path / "partitions"
    )

    partitions.export_partitions(con, plan)
    for partition in range(plan.partitions):
        partitions.build_partition(plan, partition, settings)
    partitions.finish_rebuild(con, plan, settings)

    # expect the same verdicts as one process: one customer, whatever the partition
    verdicts = (
        "select message_id, contact, in_window, opt_in_active, violation "
        "from message_facts order by message_id"
    )
    assert (
        fetch_all(con, verdicts)
        == fetch_all(single, verdicts)
        == [
            ("o1", PHONE, True, None, None),
            ("t1", PHONE, False, True, None),  # the opt-in by BSUID covers the phone's thread
            ("x2", "31612345678", False, None, "session_outside_window"),
        ]
    )
    single.close()


# --- through the command line --------------------------------------------------------------------


def test_username_customers_through_the_command_line(tmp_path):
    # given generated traffic with username customers (June to September 2026) and a log of one
    # template to a customer known only by BSUID, who never opted in
    from datetime import date

    from click.testing import CliRunner

    from analytics.generate import generate_dataset
    from flows.cli import main

    data = tmp_path / "data"
    generate_dataset(data, 3000, seed=3, start=date(2026, 6, 1), days=120)
    write_log(
        data,
        "username_log.csv",
        "message_id,timestamp,direction,business_number,contact,type,template_name,"
        "template_category",
        [
            f"wamid.U1,2026-09-15T10:00:00Z,outbound,{BUSINESS},BR.1502576394655843,template,"
            "autumn_sale,marketing"
        ],
    )
    db = str(tmp_path / "warehouse.duckdb")
    runner = CliRunner()

    loaded = runner.invoke(main, ["ingest", str(data), "--db", db])
    rebuilt = runner.invoke(main, ["rebuild", "--db", db])
    reported = runner.invoke(main, ["report", "--db", db, "--out", str(tmp_path / "reports")])

    # expect every row loaded, the data checks passing, the identities linked, and reports that
    # count the BSUID-only messages and never show a BSUID whole
    assert loaded.exit_code == 0 and ", 0 quarantined" in loaded.output, loaded.output
    assert rebuilt.exit_code == 0 and "data checks passed" in rebuilt.output, rebuilt.output
    assert reported.exit_code == 0, reported.output
    import duckdb

    with duckdb.connect(db, read_only=True) as warehouse:
        user_ids = {
            row[0]
            for row in warehouse.execute(
                "select contact_user_id from messages where contact_user_id is not null"
            ).fetchall()
        }
        linked = warehouse.execute(
            "select count(*) from customer_identities where contact is not null"
        ).fetchone()[0]
    assert len(user_ids) > 5 and linked > 5
    september = (tmp_path / "reports" / "monthly" / "2026-09.html").read_text(encoding="utf-8")
    assert "Customers known only by a business-scoped user ID" in september
    assert "BR.****5843" in september  # the flagged template, masked
    pages = "".join(
        page.read_text(encoding="utf-8") for page in (tmp_path / "reports").rglob("*.html")
    )
    assert not [user_id for user_id in user_ids if user_id in pages]


def test_a_system_message_that_links_nothing_is_quarantined_and_never_retried_as_a_message(
    con, settings, tmp_path
):
    from analytics.ingest.retry import retry_quarantine

    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            body(
                messages=[
                    {
                        "id": "wamid.SYS8",
                        "timestamp": str(T),
                        "type": "system",
                        "system": {"body": "changed", "type": "user_changed_user_id"},
                    }
                ]
            )
        ],
    )
    load = ingest_file(con, hooks, settings)

    assert (load.rows_read, load.quarantined) == (1, 1)
    assert fetch_all(con, "select reason, staged from quarantine") == [
        ("system message user_changed_user_id names no identity before or after the change", None)
    ]
    assert retry_quarantine(con, settings).loads == []


def test_a_bad_row_with_a_phone_and_a_bsuid_gets_its_own_reason(con, settings, tmp_path):
    log = write_log(
        tmp_path, "log.csv", LOG_HEADER, [f"m1,{iso(T)},inbound,{BUSINESS},{PHONE},,{BSUID}"]
    )
    ingest_file(con, log, settings)

    assert fetch_all(con, "select reason from quarantine") == [("type is missing",)]


def test_a_contact_of_another_phone_number_names_no_bsuid(con, settings, tmp_path):
    # given a status whose body's one contact is another customer's
    hooks = write_lines(
        tmp_path,
        "hooks.jsonl",
        [
            body(
                contacts=[{"wa_id": NEW_PHONE, "user_id": NEW_BSUID}],
                statuses=[
                    {
                        "id": "wamid.OUT1",
                        "status": "read",
                        "timestamp": str(T),
                        "recipient_id": PHONE,
                    }
                ],
            )
        ],
    )
    ingest_file(con, hooks, settings)

    # expect the status's recipient without that contact's BSUID
    assert fetch_all(con, "select contact, contact_user_id from messages") == [(PHONE, None)]
