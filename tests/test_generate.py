"""The synthetic data generator: deterministic by seed, valid inputs (docs/inputs.md), realistic
shares."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import phonenumbers
import pytest

from analytics import generate
from analytics.config import CANONICAL_COLUMNS, GROUP_COLUMNS
from analytics.generate import generate_dataset

ROOT = Path(__file__).resolve().parent.parent

START = date(2025, 1, 16)
DAYS = 684  # to 30 November 2026, the last day
PERIOD_START = datetime(2025, 1, 16, tzinfo=UTC)
PERIOD_END = PERIOD_START + timedelta(days=DAYS)
PER_MESSAGE_ERA = datetime(2025, 7, 1, tzinfo=UTC)
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DIGITS = re.compile(r"^\d+$")
BSUID = re.compile(r"^[A-Z]{2}\.\d{19}$")
USER_IDS_FROM = datetime(2026, 4, 1, tzinfo=UTC)
PHONE_WITHHELD_FROM = datetime(2026, 7, 1, tzinfo=UTC)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> generate.GeneratedDataset:
    """One realistic dataset shared by the checks below (20,000 messages, seed 42)."""
    return generate_dataset(tmp_path_factory.mktemp("generated"), 20_000, seed=42)


@pytest.fixture(scope="module")
def messages(dataset) -> list[dict[str, str]]:
    return read_csv(dataset.messages_path)


@pytest.fixture(scope="module")
def ledger(dataset) -> list[dict[str, str]]:
    return read_csv(dataset.opt_in_ledger_path)


@pytest.fixture(scope="module")
def webhook_bodies(dataset) -> list[dict]:
    lines = dataset.status_webhooks_path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def outbound(messages):
    return [row for row in messages if row["direction"] == "outbound"]


def inbound(messages):
    return [row for row in messages if row["direction"] == "inbound"]


# --- determinism and size ------------------------------------------------------------------


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    first = generate_dataset(tmp_path / "a", 3_000, seed=7)
    second = generate_dataset(tmp_path / "b", 3_000, seed=7)

    for name in ("messages.csv", "opt_in_ledger.csv", "status_webhooks.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first == generate.GeneratedDataset(
        messages_path=tmp_path / "a" / "messages.csv",
        opt_in_ledger_path=tmp_path / "a" / "opt_in_ledger.csv",
        status_webhooks_path=tmp_path / "a" / "status_webhooks.jsonl",
        messages=second.messages,
        customers=second.customers,
        opt_in_events=second.opt_in_events,
        webhook_bodies=second.webhook_bodies,
    )


def test_another_seed_writes_other_data(tmp_path):
    generate_dataset(tmp_path / "a", 3_000, seed=7)
    generate_dataset(tmp_path / "b", 3_000, seed=8)

    for name in ("messages.csv", "opt_in_ledger.csv", "status_webhooks.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_one_thread_writes_the_same_bytes_as_several(tmp_path, monkeypatch):
    # Enough rows for several row groups of episodes, so that two threads really split the work.
    several = generate_dataset(tmp_path / "several", 500_000, seed=3)
    real_connect = duckdb.connect
    monkeypatch.setattr(generate.duckdb, "connect", lambda: real_connect(config={"threads": 1}))
    one = generate_dataset(tmp_path / "one", 500_000, seed=3)

    assert several.messages == one.messages == 500_000
    assert several.messages_path.read_bytes() == one.messages_path.read_bytes()
    assert several.opt_in_ledger_path.read_bytes() == one.opt_in_ledger_path.read_bytes()
    assert several.status_webhooks_path.read_bytes() == one.status_webhooks_path.read_bytes()


@pytest.mark.parametrize("count", [0, 1, 2, 13, 997])
def test_exactly_the_requested_number_of_messages(tmp_path, count):
    result = generate_dataset(tmp_path, count, seed=1)

    rows = read_csv(result.messages_path)
    assert len(rows) == count == result.messages
    assert len(read_csv(result.opt_in_ledger_path)) == result.opt_in_events
    assert len(result.status_webhooks_path.read_text().splitlines()) == result.webhook_bodies
    assert len({row["contact"] for row in rows}) == result.customers


def test_more_messages_keep_the_first_customers_unchanged(tmp_path):
    # A customer depends only on the seed and its own number: a bigger dataset extends a smaller.
    small = read_csv(generate_dataset(tmp_path / "small", 500, seed=5).messages_path)
    large = read_csv(generate_dataset(tmp_path / "large", 5_000, seed=5).messages_path)

    assert large[:500] == small


def test_without_webhooks_no_webhook_file(tmp_path):
    generate_dataset(tmp_path, 100, seed=1)
    result = generate_dataset(tmp_path, 100, seed=1, webhooks=False)

    assert result.status_webhooks_path is None
    assert result.webhook_bodies == 0
    assert not (tmp_path / "status_webhooks.jsonl").exists()


def test_a_short_period_keeps_every_timestamp_inside_it(tmp_path):
    rows = read_csv(
        generate_dataset(tmp_path, 2_000, seed=2, start=date(2025, 2, 1), days=10).messages_path
    )

    times = [parse_time(row["timestamp"]) for row in rows]
    assert min(times) >= datetime(2025, 2, 1, tzinfo=UTC)
    assert max(times) < datetime(2025, 2, 11, tzinfo=UTC)


def test_the_default_period_runs_to_a_fixed_recent_day_through_every_current_regime(messages):
    # Given the default period, the demo's: 16 January 2025 to 30 November 2026
    days = {parse_time(row["timestamp"]).date() for row in messages}
    assert min(days) >= date(2025, 1, 16)
    assert date(2026, 11, 25) <= max(days) <= date(2026, 11, 30)
    # conversation_2023 (to 30 June 2025), per_message_2025, per_message_2026_10 (October 2026)
    assert min(days) < date(2025, 7, 1)
    assert any(day >= date(2026, 10, 1) for day in days)
    assert date(2026, 11, 30) == generate.DEFAULT_END


def test_meta_charges_utility_templates_inside_the_window_from_october_2026(
    webhook_bodies, messages
):
    by_id = {row["message_id"]: row for row in messages}
    types_before, types_after = Counter(), Counter()
    for _, _, status in statuses_of(webhook_bodies):
        row = by_id[status["id"]]
        pricing = status.get("pricing")
        if not pricing or row["template_category"] != "utility" or status["status"] == "failed":
            continue
        sent = parse_time(row["timestamp"])
        if sent >= datetime(2026, 10, 1, tzinfo=UTC):
            types_after[pricing["type"]] += 1
        elif sent >= PER_MESSAGE_ERA:
            types_before[pricing["type"]] += 1
    # before October 2026 utility inside a window is free; from then on only free entry
    # points are
    assert types_before["free_customer_service"] > 0
    assert types_after["regular"] > 0
    assert types_after["free_customer_service"] == 0


# --- every row valid: message log and opt-in ledger (docs/inputs.md) --------------------------


def test_message_log_has_the_canonical_columns_in_order(dataset):
    with dataset.messages_path.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")

    # every column of a message log but those of group traffic (the generator writes none)
    assert tuple(header) == tuple(c for c in CANONICAL_COLUMNS if c not in GROUP_COLUMNS)


def test_every_message_row_is_valid(messages):
    for row in messages:
        assert row["message_id"].startswith("wamid.HBg"), row
        assert ISO_UTC.match(row["timestamp"]), row
        assert PERIOD_START <= parse_time(row["timestamp"]) < PERIOD_END, row
        assert row["direction"] in ("inbound", "outbound"), row
        assert DIGITS.match(row["business_number"]), row
        # a username customer: the BSUID beside the number from April 2026, or in
        # its place from July 2026
        sent_at = parse_time(row["timestamp"])
        if DIGITS.match(row["contact"]):
            assert row["contact_user_id"] == "" or (
                BSUID.match(row["contact_user_id"]) and sent_at >= USER_IDS_FROM
            ), row
        else:
            assert BSUID.match(row["contact"]) and sent_at >= PHONE_WITHHELD_FROM, row
            assert row["contact_user_id"] == "", row
        assert DIGITS.match(row["waba_id"]), row
        assert row["type"], row
        if row["type"] == "template":
            assert row["direction"] == "outbound" and row["template_name"], row
            assert row["template_category"] in ("marketing", "utility", "authentication", "")
        else:
            assert row["template_name"] == row["template_category"] == "", row
        if row["direction"] == "inbound":
            assert row["status"] == "", row
            assert row["referral_source"] in ("", "ad", "page"), row
        else:
            assert row["status"] in ("", "sent", "delivered", "read", "failed"), row
            assert row["referral_source"] == "", row


def test_message_ids_are_unique(messages):
    assert len({row["message_id"] for row in messages}) == len(messages)


def test_each_customer_is_a_valid_number_of_a_known_country(messages):
    regions = Counter()
    # a customer named by BSUID alone is also named by number before July 2026
    for contact in {row["contact"] for row in messages if DIGITS.match(row["contact"])}:
        number = phonenumbers.parse("+" + contact)
        assert phonenumbers.is_valid_number(number), contact
        regions[phonenumbers.region_code_for_number(number)] += 1

    assert set(regions) == {"NL", "DE", "IN", "BR", "GB", "ID", "MX", "US", "PR", "NG", "ES"}


def test_every_ledger_row_is_valid(ledger, messages):
    contacts = {row["contact"] for row in messages}
    numbers = {row["business_number"] for row in messages}
    for row in ledger:
        assert row["contact"] in contacts, row
        assert ISO_UTC.match(row["timestamp"]), row
        assert row["event"] in ("opt_in", "opt_out"), row
        assert row["scope"] in ("all", "marketing"), row
        assert row["business_number"] == "" or row["business_number"] in numbers, row
        assert row["source"], row


# --- realistic shares -----------------------------------------------------------------------


def test_business_numbers_and_accounts(messages):
    accounts = {(row["business_number"], row["waba_id"]) for row in messages}

    assert 3 <= len({number for number, _ in accounts}) <= 5
    assert len({waba for _, waba in accounts}) == 2
    assert len(accounts) == len({number for number, _ in accounts})  # a number has one account


def test_messages_per_customer(messages, dataset):
    per_customer = len(messages) / dataset.customers

    assert 15 <= per_customer <= 30


def test_message_kinds_and_statuses(messages):
    sent = outbound(messages)
    statuses = Counter(row["status"] for row in sent)
    types = Counter(row["type"] for row in inbound(messages))
    templates = [row for row in sent if row["type"] == "template"]
    categories = Counter(row["template_category"] for row in templates)

    assert 0.40 <= len(sent) / len(messages) <= 0.70
    assert statuses["read"] > statuses["delivered"] > statuses[""] > 0
    assert 0.01 <= statuses["sent"] / len(sent) <= 0.08
    assert 0.02 <= statuses["failed"] / len(sent) <= 0.08
    assert {"text", "image", "interactive", "button", "reaction", "call"} <= set(types)
    assert {"marketing", "utility", "authentication"} <= set(categories)
    assert 0 < categories[""] / len(templates) <= 0.02


def test_click_to_whatsapp_referrals(messages):
    received = inbound(messages)
    referrals = Counter(row["referral_source"] for row in received if row["referral_source"])

    assert 0.015 <= sum(referrals.values()) / len(received) <= 0.045
    assert referrals["ad"] > referrals["page"] > 0


def test_opt_in_ledger_shares(ledger, dataset):
    opt_ins = [row for row in ledger if row["event"] == "opt_in" and row["scope"] == "all"]
    marketing = Counter(row["event"] for row in ledger if row["scope"] == "marketing")

    assert 0.70 <= len({row["contact"] for row in opt_ins}) / dataset.customers <= 0.90
    assert marketing["opt_out"] > marketing["opt_in"] > 0
    assert any(row["business_number"] for row in opt_ins)
    assert any(not row["business_number"] for row in opt_ins)


def test_violations_are_a_few_percent_of_outbound(dataset):
    # The rules of docs/rules.md sections 1-3 computed straight from the files: windows from each
    # thread's last inbound.
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(
        "create table m as select * replace (timestamp::timestamptz as timestamp) "
        "from read_csv(?, all_varchar = true)",
        [str(dataset.messages_path)],
    )
    con.execute(
        "create table l as select * replace (timestamp::timestamptz as timestamp) "
        "from read_csv(?, all_varchar = true)",
        [str(dataset.opt_in_ledger_path)],
    )
    counts = con.execute(
        """
        with inbound as (
            select business_number, contact, timestamp from m where direction = 'inbound'
        ),
        sent as (
            select m.*, m.timestamp < inbound.timestamp + interval 24 hour as in_window
            from m asof left join inbound
                on m.business_number = inbound.business_number
                and m.contact = inbound.contact
                and m.timestamp >= inbound.timestamp
            where m.direction = 'outbound'
        ),
        flagged as (
            select
                sent.*,
                (
                    select arg_max(l.event, l.timestamp) from l
                    where l.contact = sent.contact and l.timestamp <= sent.timestamp
                        and coalesce(l.business_number, sent.business_number)
                            = sent.business_number
                        and (l.scope = 'all' or coalesce(sent.template_category, 'marketing')
                            = 'marketing')
                ) = 'opt_in' as opt_in_active
            from sent
        )
        select
            count(*),
            count(*) filter (where type <> 'template' and not coalesce(in_window, false)),
            count(*) filter (where type = 'template' and not coalesce(in_window, false)
                and not coalesce(opt_in_active, false)),
            count(*) filter (where type = 'template' and in_window),
            count(*) filter (where type = 'template')
        from flagged
        """
    ).fetchall()[0]
    con.close()
    sent, session_outside, template_without_opt_in, templates_inside, templates = counts

    assert 0.005 <= session_outside / sent <= 0.04
    assert 0.003 <= template_without_opt_in / sent <= 0.03
    assert 0.01 <= (session_outside + template_without_opt_in) / sent <= 0.06
    assert 0.10 <= templates_inside / templates <= 0.45  # some inside a window, most outside


# --- status webhooks, with Meta's pricing (docs/rules.md, section 7) -------------------------


def statuses_of(bodies):
    for body in bodies:
        value = body["entry"][0]["changes"][0]["value"]
        yield body, value, value["statuses"][0]


def test_webhooks_have_the_cloud_api_shape(webhook_bodies, messages):
    by_id = {row["message_id"]: row for row in messages}
    for body, value, status in statuses_of(webhook_bodies):
        assert body["object"] == "whatsapp_business_account"
        assert body["entry"][0]["changes"][0]["field"] == "messages"
        assert value["messaging_product"] == "whatsapp"
        assert set(value["metadata"]) == {"display_phone_number", "phone_number_id"}
        assert len(value["statuses"]) == 1
        row = by_id[status["id"]]  # every webhook is about a message of the log
        assert row["direction"] == "outbound"
        assert body["entry"][0]["id"] == row["waba_id"]
        assert value["metadata"]["display_phone_number"] == row["business_number"]
        # a message sent to the BSUID alone names no phone number; one sent to the
        # number names the BSUID beside it, except on `failed`
        if BSUID.match(row["contact"]):
            assert "recipient_id" not in status and status["recipient_user_id"] == row["contact"]
        else:
            assert status["recipient_id"] == row["contact"]
            assert status.get("recipient_user_id", "") == (
                "" if status["status"] == "failed" else row["contact_user_id"]
            )
        assert status["status"] in ("sent", "delivered", "read", "failed")
        assert isinstance(status["timestamp"], str) and DIGITS.match(status["timestamp"])
        assert int(status["timestamp"]) >= parse_time(row["timestamp"]).timestamp()


def test_webhooks_cover_a_tenth_of_outbound_messages(webhook_bodies, messages):
    covered = {status["id"] for _, _, status in statuses_of(webhook_bodies)}

    assert 0.07 <= len(covered) / len(outbound(messages)) <= 0.13


def test_webhook_lifecycle_matches_the_logged_status(webhook_bodies, messages):
    by_id = {row["message_id"]: row for row in messages}
    lifecycle: dict[str, list[str]] = {}
    for _, _, status in statuses_of(webhook_bodies):
        lifecycle.setdefault(status["id"], []).append(status["status"])
    expected = {
        "read": ["sent", "delivered", "read"],
        "delivered": ["sent", "delivered"],
        "": ["sent", "delivered"],
        "sent": ["sent"],
        "failed": ["failed"],
    }

    for message_id, seen in lifecycle.items():
        assert seen == expected[by_id[message_id]["status"]], message_id


def test_delivered_messages_carry_pricing_of_their_era(webhook_bodies, messages):
    by_id = {row["message_id"]: row for row in messages}
    eras = Counter()
    for _, _, status in statuses_of(webhook_bodies):
        row = by_id[status["id"]]
        delivered = row["status"] in ("", "delivered", "read")
        assert ("pricing" in status) == delivered, status
        if status["status"] == "failed":
            assert status["errors"][0]["code"] in (131047, 131026)
        if not delivered:
            assert "conversation" not in status
            continue
        pricing = status["pricing"]
        assert isinstance(pricing["billable"], bool)
        if parse_time(row["timestamp"]) < PER_MESSAGE_ERA:
            eras["CBP"] += 1
            assert pricing["pricing_model"] == "CBP" and "type" not in pricing
            assert status["conversation"]["origin"]["type"] == pricing["category"]
            assert re.match(r"^[0-9a-f]{32}$", status["conversation"]["id"])
        else:
            eras["PMP"] += 1
            assert pricing["pricing_model"] == "PMP" and "conversation" not in status
            assert pricing["type"] in ("regular", "free_customer_service", "free_entry_point")
    assert eras["CBP"] > 0 and eras["PMP"] > 0


def test_meta_verdicts_follow_the_per_message_rules_with_few_exceptions(webhook_bodies, messages):
    # per_message_2025: marketing and authentication templates are charged, service messages
    # are free (outside a free entry point). A small share disagrees on purpose, as in real data.
    by_id = {row["message_id"]: row for row in messages}
    agree = disagree = 0
    for _, _, status in statuses_of(webhook_bodies):
        pricing = status.get("pricing")
        if not pricing or pricing["pricing_model"] != "PMP" or status["status"] != "delivered":
            continue
        if pricing["type"] == "free_entry_point":
            continue
        row = by_id[status["id"]]
        if row["type"] == "template" and row["template_category"] in (
            "marketing",
            "authentication",
        ):
            expected = True
        elif row["type"] != "template":
            expected = False
            assert pricing["category"] == "service"
        else:
            continue
        if pricing["billable"] == expected:
            agree += 1
        else:
            disagree += 1

    assert agree > 100
    assert disagree / (agree + disagree) <= 0.05


def test_username_customers_are_named_by_bsuid_beside_or_instead_of_their_number(messages):
    # some customers are named by their BSUID beside the number from April 2026, a
    # few by the BSUID alone from July 2026, and one customer keeps one BSUID throughout
    beside = {row["contact"]: row["contact_user_id"] for row in messages if row["contact_user_id"]}
    alone = {row["contact"] for row in messages if BSUID.match(row["contact"])}
    assert beside and alone
    assert len(set(beside.values())) == len(beside)  # one BSUID per number
    # a customer known by both names before July is the same BSUID after it
    assert alone & set(beside.values())


def test_the_stand_in_for_meta_follows_metas_rules_in_every_era(tmp_path):
    # given a dataset whose verdicts disagree on purpose nowhere, and a free tier of service
    # messages small enough to run out every month (per_message_2026_10)
    from dataclasses import replace

    from analytics.config import Settings
    from analytics.db import connect_memory
    from analytics.ingest import ingest_paths
    from analytics.rebuild import rebuild_warehouse

    generate_dataset(
        tmp_path / "inbox",
        15_000,
        seed=42,
        meta_disagreement_share=0,
        free_service_messages_per_month=3,
    )
    settings = replace(
        Settings(temp_directory=str(tmp_path / "tmp"), memory_limit="2GB"),
        free_service_messages_per_month=3,
    )
    con = connect_memory(settings)
    ingest_paths(con, [tmp_path / "inbox", ROOT / "data" / "rate_cards"], settings)
    rebuild_warehouse(con, settings)

    # expect Meta's verdicts to agree with the estimate on every message but the templates
    # logged without a category (priced as marketing; Meta bills their own category)
    disagreements = con.execute(
        "select r.regime, r.disagreement, m.template_category is null "
        "from pricing_reconciliation as r join messages as m using (message_id) "
        "where not r.agrees"
    ).fetchall()
    assert {(disagreement, no_category) for _, disagreement, no_category in disagreements} <= {
        ("category", True)
    }
    # and the tier to have run out: service messages Meta charged, in every month from October
    charged_service = con.execute(
        "select date_trunc('month', sent_at)::date, count(*) from pricing_reconciliation "
        "where meta_category = 'service' and meta_billable group by all order by 1"
    ).fetchall()
    assert [month for month, _ in charged_service] == [date(2026, 10, 1), date(2026, 11, 1)]
    con.close()
