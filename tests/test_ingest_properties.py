"""Property-based and fuzz tests of the loaders: random and broken input never crashes a load,
every row is accounted for, and no good row is lost."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import phonenumbers
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from analytics.config import CANONICAL_COLUMNS as ALL_COLUMNS
from analytics.config import GROUP_COLUMNS
from analytics.db import connect_memory, fetch_all, fetch_value
from analytics.ingest import IngestError, ingest_file

# The columns of a one-to-one message log (group traffic: tests/test_groups_ingest.py).
CANONICAL_COLUMNS = tuple(column for column in ALL_COLUMNS if column not in GROUP_COLUMNS)

PROPERTY_SETTINGS = hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
STATUSES = {"sent", "delivered", "read", "failed", "played"}
DIRECTIONS = {"inbound", "in", "incoming", "received", "outbound", "out", "outgoing", "sent"}

# Any text a spreadsheet could hold: unicode, quotes, commas, semicolons, newlines, tabs.
any_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
huge_text = st.integers(10_000, 100_000).map(lambda n: 'é,"x\n' * (n // 5))
field_text = st.one_of(
    any_text,
    st.sampled_from(
        ["", " ", '"', '""', ",", "\n", "\r\n", "NULL", "null", "-", "0", "1e999", "🙂"]
    ),
    huge_text,
)
instants = st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2090, 1, 1)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=UTC)
)


def _noisy_case(draw, word: str) -> str:
    spelled = "".join(c.upper() if draw(st.booleans()) else c for c in word)
    return draw(st.sampled_from(["", " "])) + spelled + draw(st.sampled_from(["", " "]))


@st.composite
def timestamps(draw) -> tuple[str, datetime]:
    """A timestamp as text in one of the accepted forms, and the instant it means."""
    moment = draw(instants)
    form = draw(st.sampled_from(["offset", "z", "unix", "naive", "space", "ms", "us", "rfc2822"]))
    if form == "unix":
        return str(int(moment.timestamp())), moment
    if form == "ms":  # 13 digits, the most common export form
        millis = draw(st.integers(0, 999))
        return str(int(moment.timestamp()) * 1000 + millis), moment + timedelta(milliseconds=millis)
    if form == "us":  # 16 digits
        micros = draw(st.integers(0, 999_999))
        return str(int(moment.timestamp()) * 1_000_000 + micros), moment + timedelta(
            microseconds=micros
        )
    if form == "rfc2822":  # Twilio's date_created
        hours = draw(st.integers(-12, 14))
        local = moment + timedelta(hours=hours)
        sign = "+" if hours >= 0 else "-"
        return f"{local:%a, %d %b %Y %H:%M:%S} {sign}{abs(hours):02d}00", moment
    if form == "naive":
        return moment.strftime("%Y-%m-%d %H:%M:%S"), moment
    if form == "z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), moment
    hours = draw(st.integers(-12, 14))
    local = moment + timedelta(hours=hours)
    sign = "+" if hours >= 0 else "-"
    separator = "T" if form == "offset" else " "
    return f"{local:%Y-%m-%d}{separator}{local:%H:%M:%S}{sign}{abs(hours):02d}:00", moment


# Regions whose numbers are written with a national trunk 0 (`+31 (0)6 ...`), and others.
TRUNK_REGIONS = ("NL", "DE", "GB", "FR", "IN", "ZA")
OTHER_REGIONS = ("US", "BR", "MX", "ES", "IT", "SG", "AE", "ID")


@st.composite
def phone_numbers(draw, national_region: str | None = None) -> tuple[str, str]:
    """A real phone number written as people write it, and its E.164 digits. With
    national_region, numbers of that region may be written nationally (a leading 0)."""
    region = draw(st.sampled_from(TRUNK_REGIONS + OTHER_REGIONS))
    example = phonenumbers.example_number_for_type(
        region, phonenumbers.PhoneNumberType.MOBILE
    ) or phonenumbers.example_number(region)
    national = str(example.national_number)
    # vary the last digits: the number stays as long as its country's numbers
    tail = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    national = national[:-3] + tail
    number = phonenumbers.parse(f"+{example.country_code}{national}")
    digits = f"{number.country_code}{national}"
    forms = ["digits", "international", "double_zero", "whatsapp", "punctuated", "spaced"]
    if region in TRUNK_REGIONS and region != "IN":
        forms.append("trunk")
    if region == national_region:
        forms.append("national")
    form = draw(st.sampled_from(forms))
    if form == "digits":
        return digits, digits
    if form == "international":
        return phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ), digits
    if form == "double_zero":
        return "00" + digits, digits
    if form == "whatsapp":
        return "whatsapp:+" + digits, digits
    if form == "trunk":
        return f"+{number.country_code} (0){national[:1]} {national[1:]}", digits
    if form == "national":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), digits
    written = ""
    for digit in digits:
        written += draw(st.sampled_from(["", "", "", " ", "-", "."])) + digit
    prefix = draw(st.sampled_from(["+", " +", ""])) if form == "punctuated" else ""
    return prefix + written.strip(" -."), digits


@st.composite
def good_rows(draw, number: int) -> tuple[dict, tuple]:
    """A valid message-log row (text values) and the message it must become."""
    timestamp_text, moment = draw(timestamps())
    direction = draw(st.sampled_from(sorted(DIRECTIONS)))
    canonical = "inbound" if direction in {"inbound", "in", "incoming", "received"} else "outbound"
    business_text, business = draw(phone_numbers())
    contact_text, contact = draw(phone_numbers())
    kind = draw(st.sampled_from(["text", "image", "template", "interactive", "call"]))
    category = draw(st.sampled_from(["", "marketing", "utility", "authentication"]))
    status = draw(st.sampled_from(["", "sent", "delivered", "read", "failed", "played"]))
    referral = draw(st.sampled_from(["", "ad", "page", "post"]))
    # message ids may hold anything a CSV must quote; trimmed on load, so they end in a mark
    message_id = f"m{number}:{draw(any_text)}."
    row = {
        "message_id": message_id,
        "timestamp": timestamp_text,
        "direction": _noisy_case(draw, direction),
        "business_number": business_text,
        "contact": contact_text,
        "type": _noisy_case(draw, kind),
        "template_name": draw(any_text) if kind == "template" else "",
        "template_category": _noisy_case(draw, category) if category else "",
        "status": _noisy_case(draw, status) if status else "",
        "referral_source": _noisy_case(draw, referral) if referral else "",
        "waba_id": draw(st.sampled_from(["", "waba1", "1234567890"])),
        "contact_user_id": "",
    }
    expected_status = (
        None if canonical == "inbound" or not status else "read" if status == "played" else status
    )
    return row, (message_id, canonical, moment, business, contact, kind, expected_status)


@st.composite
def broken_rows(draw, number: int) -> list[str]:
    """A row that must be quarantined, as a list of fields (its length may be wrong)."""
    row, _ = draw(good_rows(number))
    fields = [row[c] for c in CANONICAL_COLUMNS]
    damage = draw(
        st.sampled_from(["id", "timestamp", "direction", "contact", "status", "extra", "short"])
    )
    if damage == "id":
        fields[0] = draw(st.sampled_from(["", " ", "  "]))
    elif damage == "timestamp":
        fields[1] = (
            draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz:/ ", min_size=1, max_size=20)) + "?"
        )
    elif damage == "direction":
        fields[2] = draw(
            field_text.filter(lambda t: t.strip().lower() not in DIRECTIONS and t.strip() != "")
        )
    elif damage == "contact":
        fields[4] = "x" + draw(field_text)
    elif damage == "status":
        fields[2] = "outbound"
        fields[8] = draw(
            field_text.filter(lambda t: t.strip().lower() not in STATUSES and t.strip() != "")
        )
    elif damage == "extra":
        fields += draw(st.lists(field_text.filter(lambda t: t != ""), min_size=1, max_size=3))
    else:
        fields = fields[: draw(st.integers(1, len(fields) - 1))]
    return fields


@st.composite
def message_logs(draw) -> tuple[list[list[str]], list[tuple], set[int]]:
    """Rows in file order, the messages the good ones must become, and the broken rows' lines."""
    layout = draw(st.lists(st.booleans(), min_size=1, max_size=25))
    rows, expected, broken_lines = [], [], set()
    for number, is_good in enumerate(layout):
        if is_good:
            row, message = draw(good_rows(number))
            rows.append([row[c] for c in CANONICAL_COLUMNS])
            expected.append(message)
        else:
            rows.append(draw(broken_rows(number)))
            broken_lines.add(number + 2)  # line 1 is the header
    return rows, expected, broken_lines


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CANONICAL_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _table_counts(con) -> tuple:
    return tuple(
        fetch_value(con, f"select count(*) from {table}")
        for table in ("messages", "quarantine", "load_log", "opt_in_events", "rate_cards")
    )


def _load(con, path: Path, settings, kind: str | None = None):
    """ingest_file, which may refuse the file (IngestError, warehouse unchanged) or load it."""
    before = _table_counts(con)
    try:
        load = ingest_file(con, path, settings, kind)
    except IngestError as error:
        assert str(path) in str(error)
        assert _table_counts(con) == before
        return None
    assert load.rows_read == (
        load.loaded + load.duplicates + load.conflicts + load.quarantined + load.skipped
    )
    if load.outcome == "already_loaded":
        assert _table_counts(con) == before
        return load
    assert (
        fetch_value(
            con,
            "select count(*) from quarantine where load_id = (select max(load_id) from load_log)",
        )
        == load.quarantined
    )
    return load


def _stored_messages(con) -> set[tuple]:
    return set(
        fetch_all(
            con,
            "select message_id, direction, sent_at, business_number, contact, "
            "type, status from messages",
        )
    )


@PROPERTY_SETTINGS
@given(log=message_logs())
def test_csv_message_log_never_loses_a_good_row(tmp_path, settings, log):
    rows, expected, broken_lines = log
    path = tmp_path / "fuzz.csv"
    path.write_bytes(_csv_bytes(rows))
    con = connect_memory(settings)
    try:
        load = _load(con, path, settings)
        assert load is not None, "a well-formed CSV with the right header must load"
        assert load.rows_read == len(rows)
        assert (load.loaded, load.duplicates) == (len(expected), 0)
        assert load.quarantined == len(broken_lines)
        assert _stored_messages(con) == set(expected)
        if not any("\n" in field or "\r" in field for row in rows for field in row):
            # lines are exact when no field spans lines
            assert set(r[0] for r in fetch_all(con, "select line from quarantine")) == (
                broken_lines
            )
    finally:
        con.close()


@PROPERTY_SETTINGS
@given(log=message_logs(), broken_lines=st.lists(any_text, max_size=3))
def test_json_lines_message_log_never_loses_a_good_row(tmp_path, settings, log, broken_lines):
    rows, expected, _ = log
    lines = [json.dumps(dict(zip(CANONICAL_COLUMNS, row, strict=False))) for row in rows]
    # lines that are not JSON objects go to quarantine too; a blank one (nothing but what
    # DuckDB's trim removes: spaces, no-break spaces, ...) is no row at all, so the blank ones
    # stand for a broken line here
    con = connect_memory(settings)
    for text in broken_lines:
        text = text.replace("\n", " ").replace("\r", " ")
        lines.append(text if fetch_value(con, "select trim(?) <> ''", [text]) else "{")
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load = _load(con, path, settings, kind="message_log")
        assert load is not None
        assert load.rows_read == len(lines)
        # a JSON object has no ragged rows: a cut or padded row may well be a good one
        assert set(expected) <= _stored_messages(con)
    finally:
        con.close()


@PROPERTY_SETTINGS
@given(log=message_logs())
def test_parquet_message_log_never_loses_a_good_row(tmp_path, settings, log):
    rows, expected, _ = log
    # Parquet has no ragged rows: pad or cut them to the columns
    table = {
        column: [(row[i] if i < len(row) else None) for row in rows]
        for i, column in enumerate(CANONICAL_COLUMNS)
    }
    path = tmp_path / "fuzz.parquet"
    pq.write_table(pa.table(table), path)
    con = connect_memory(settings)
    try:
        load = _load(con, path, settings)
        assert load is not None
        assert load.rows_read == len(rows)
        assert set(expected) <= _stored_messages(con)
    finally:
        con.close()


@hypothesis_settings(PROPERTY_SETTINGS, max_examples=20)  # four loads per example
@given(first=message_logs(), second=message_logs())
def test_two_message_logs_load_in_either_order_to_the_same_messages(
    tmp_path, settings, first, second
):
    paths = []
    for name, (rows, _, _) in (("a.csv", first), ("b.csv", second)):
        path = tmp_path / name
        path.write_bytes(_csv_bytes(rows))
        paths.append(path)
    tables = []
    for order in (paths, paths[::-1]):
        con = connect_memory(settings)
        try:
            for path in order:
                assert _load(con, path, settings) is not None
            tables.append(
                fetch_all(
                    con,
                    "select * exclude (source_file, source_line, loaded_at) "
                    "from messages order by message_id, direction",
                )
            )
        finally:
            con.close()
    assert tables[0] == tables[1]


# --- broken files for every loader --------------------------------------------------------------

SAMPLE_BODY = json.dumps(
    {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "W1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "metadata": {
                                "display_phone_number": "31201234567",
                                "phone_number_id": "P1",
                            },
                            "messages": [
                                {
                                    "from": "31612345678",
                                    "id": "i1",
                                    "timestamp": "1741000000",
                                    "type": "text",
                                }
                            ],
                            "statuses": [
                                {
                                    "id": "o1",
                                    "status": "read",
                                    "timestamp": "1741000100",
                                    "recipient_id": "31612345678",
                                    "pricing": {
                                        "billable": True,
                                        "pricing_model": "PMP",
                                        "category": "utility",
                                    },
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
)
SAMPLE_TEXTS = [
    "message_id,timestamp,direction,business_number,contact,type\n"
    "m1,2025-01-01T10:00:00Z,inbound,31201234567,31612345678,text\n",
    "contact,timestamp,event,scope,business_number,source\n"
    "31612345678,2025-01-01T10:00:00Z,opt_in,all,,form\n",
    "effective_from,market,category,currency,rate,tier_from\n2025-07-01,NL,marketing,EUR,0.1,0\n",
    SAMPLE_BODY,
    SAMPLE_BODY + "\n" + SAMPLE_BODY + "\n",
    json.dumps({"case": json.loads(SAMPLE_BODY)}),
    json.dumps([json.loads(SAMPLE_BODY)] * 2),
]


@st.composite
def damaged_files(draw) -> bytes:
    """Random bytes, or a valid sample truncated, re-encoded or with bytes flipped."""
    sample = draw(st.sampled_from(SAMPLE_TEXTS))
    how = draw(st.sampled_from(["bytes", "truncate", "encoding", "flip", "insert", "parquet"]))
    if how == "bytes":
        return draw(st.binary(min_size=0, max_size=400))
    if how == "encoding":
        return (
            sample.replace("text", "tëxt")
            .replace("form", "formulário")
            .encode(draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "utf-8-sig", "cp1252"])))
        )
    data = bytearray(sample.encode("utf-8"))
    if how == "parquet":
        return b"PAR1" + bytes(data[: draw(st.integers(0, len(data)))])
    if how == "truncate":
        return bytes(data[: draw(st.integers(0, len(data)))])
    if how == "flip":
        for _ in range(draw(st.integers(1, 5))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] = draw(st.integers(0, 255))
        return bytes(data)
    position = draw(st.integers(0, len(data)))
    return (
        bytes(data[:position]) + draw(st.binary(min_size=1, max_size=20)) + bytes(data[position:])
    )


@PROPERTY_SETTINGS
@given(
    content=damaged_files(),
    suffix=st.sampled_from([".csv", ".json", ".jsonl", ".parquet", ".txt"]),
    kind=st.sampled_from([None, "message_log", "webhook", "opt_in_ledger", "rate_card"]),
)
def test_damaged_files_never_crash_any_loader(tmp_path, settings, content, suffix, kind):
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(content)
    con = connect_memory(settings)
    try:
        _load(con, path, settings, kind)
        # the warehouse still answers, with no transaction left open
        con.execute("begin transaction")
        con.execute("rollback")
    finally:
        con.close()


@st.composite
def ledger_files(draw) -> tuple[list[list[str]], set[tuple]]:
    rows, expected = [], set()
    for _ in range(draw(st.integers(1, 20))):
        if draw(st.booleans()):
            contact_text, contact = draw(phone_numbers())
            timestamp_text, moment = draw(timestamps())
            event = draw(st.sampled_from(["opt_in", "opt_out", "optin", "unsubscribe"]))
            scope = draw(st.sampled_from(["", "all", "marketing"]))
            rows.append(
                [
                    contact_text,
                    timestamp_text,
                    _noisy_case(draw, event),
                    _noisy_case(draw, scope) if scope else "",
                    "",
                    draw(any_text),
                ]
            )
            expected.add(
                (
                    contact,
                    moment,
                    "opt_out" if event in ("opt_out", "unsubscribe") else "opt_in",
                    scope or "all",
                )
            )
        else:
            rows.append([draw(field_text) for _ in range(draw(st.integers(1, 8)))])
    return rows, expected


@PROPERTY_SETTINGS
@given(ledger=ledger_files())
def test_opt_in_ledger_never_loses_a_good_row(tmp_path, settings, ledger):
    rows, expected = ledger
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["contact", "timestamp", "event", "scope", "business_number", "source"])
    writer.writerows(rows)
    path = tmp_path / "ledger.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    con = connect_memory(settings)
    try:
        load = _load(con, path, settings, kind="opt_in_ledger")
        assert load is not None
        assert load.rows_read == len(rows)
        stored = set(fetch_all(con, "select contact, event_at, event, scope from opt_in_events"))
        assert expected <= stored
    finally:
        con.close()


@PROPERTY_SETTINGS
@given(
    rows=st.lists(st.lists(field_text, min_size=1, max_size=8), min_size=1, max_size=15),
    good=st.lists(
        st.tuples(
            st.dates(min_value=datetime(2020, 1, 1).date(), max_value=datetime(2030, 1, 1).date()),
            st.sampled_from(["NL", "DE", "India"]),
            st.sampled_from(["marketing", "utility", "service"]),
            st.integers(0, 10**6),
        ),
        max_size=5,
        unique_by=lambda g: g[:3],
    ),
)
def test_rate_card_never_loses_a_good_row(tmp_path, settings, rows, good):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["effective_from", "market", "category", "currency", "rate", "tier_from"])
    writer.writerows(
        [
            [f"{d:%Y-%m-%d}", market, category, "EUR", f"{cents / 100:.2f}", "0"]
            for d, market, category, cents in good
        ]
    )
    writer.writerows(rows)
    path = tmp_path / "rates.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    con = connect_memory(settings)
    try:
        load = _load(con, path, settings, kind="rate_card")
        assert load is not None
        assert load.rows_read == len(rows) + len(good)
        stored = set(fetch_all(con, "select effective_from, market, category from rate_cards"))
        assert {g[:3] for g in good} <= stored
    finally:
        con.close()


def test_a_blank_json_lines_line_is_no_row(tmp_path, settings):
    # given a good line, a line of no-break spaces (blank) and a broken line
    path = tmp_path / "blank.jsonl"
    good = {
        "message_id": "wamid.1",
        "timestamp": "2026-11-03T09:00:00Z",
        "direction": "inbound",
        "business_number": "15550783881",
        "contact": "31612345678",
        "type": "text",
    }
    path.write_text(json.dumps(good) + "\n\u00a0\u00a0\n{\n", encoding="utf-8")
    con = connect_memory(settings)
    try:
        load = ingest_file(con, path, settings, "message_log")
        # expect the blank line to be no row, and the broken one quarantined
        assert (load.rows_read, load.loaded, load.quarantined) == (2, 1, 1)
    finally:
        con.close()
