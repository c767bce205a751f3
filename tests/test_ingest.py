"""Loading message logs, opt-in ledgers and rate cards: parsing, quarantine, duplicates, errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rows import LOG_COLUMNS_WITHOUT_BSUID

from analytics.db import connect_memory, fetch_all, fetch_value
from analytics.ingest import IngestError, detect_kind, ingest_file, ingest_paths

HEADER = ",".join(LOG_COLUMNS_WITHOUT_BSUID)
BUSINESS = "31201234567"
CUSTOMER = "31612345678"
MESSAGE_FIELDS = (
    "message_id, direction, sent_at, business_number, contact, type, template_name, "
    "template_category, status, referral_source, waba_id"
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def message_log(folder: Path, name: str, *rows: str) -> Path:
    return write(folder, name, "\n".join([HEADER, *rows]) + "\n")


def stored_messages(con) -> list[tuple]:
    return fetch_all(con, f"select {MESSAGE_FIELDS} from messages order by message_id, direction")


def quarantined(con) -> list[tuple]:
    return fetch_all(con, "select line, reason from quarantine order by line")


def table_counts(con) -> dict[str, int]:
    return {
        table: fetch_value(con, f"select count(*) from {table}")
        for table in ("messages", "quarantine", "load_log", "opt_in_events", "rate_cards")
    }


def assert_counts_add_up(load) -> None:
    assert load.rows_read == (
        load.loaded + load.duplicates + load.conflicts + load.quarantined + load.skipped
    )


# --- message logs -------------------------------------------------------------------------------


def test_csv_message_log_with_aliases_every_column_parsed(con, settings, tmp_path):
    # given an export with other headers, an extra column, and every timestamp form
    settings = replace(settings, source_time_zone="Europe/Amsterdam")
    path = write(
        tmp_path,
        "export.csv",
        "\n".join(
            [
                "wamid,time,dir,business_phone,customer,msg_type,template,category,state,referral,"
                "account_id,note",
                "m1,2025-03-03T10:00:00+01:00,inbound,31201234567,31612345678,text,,,,ad,waba1,x",
                "m2,2025-03-03T09:30:00Z,outbound,+31 20 123-4567,+31 6 1234 5678,template,promo,"
                "Marketing,played,,waba1,y",
                "m3,1741000000,Outbound,31201234567,31612345678,text,,,,,,",
                # 30 March 2025 is the spring DST change in Amsterdam: 03:30 local is CEST (+02:00)
                "m4,2025-03-30 03:30:00,inbound,31201234567,31612345678,image,,,,post,,",
                "m5,2025-01-15 10:00:00,outbound,31201234567,31612345678,text,,,READ,,,",
            ]
        )
        + "\n",
    )

    load = ingest_file(con, path, settings)

    assert (load.kind, load.outcome) == ("message_log", "loaded")
    assert (load.rows_read, load.loaded, load.duplicates, load.quarantined) == (5, 5, 0, 0)
    assert load.detail == "ignored columns: note"
    assert fetch_value(con, "select detail from load_log") == "ignored columns: note"
    assert stored_messages(con) == [
        (
            "m1",
            "inbound",
            utc(2025, 3, 3, 9),
            BUSINESS,
            CUSTOMER,
            "text",
            None,
            None,
            None,
            "ad",
            "waba1",
        ),
        (
            "m2",
            "outbound",
            utc(2025, 3, 3, 9, 30),
            BUSINESS,
            CUSTOMER,
            "template",
            "promo",
            "marketing",
            "read",
            None,
            "waba1",
        ),
        (
            "m3",
            "outbound",
            utc(2025, 3, 3, 11, 6, 40),
            BUSINESS,
            CUSTOMER,
            "text",
            None,
            None,
            None,
            None,
            None,
        ),
        (
            "m4",
            "inbound",
            utc(2025, 3, 30, 1, 30),
            BUSINESS,
            CUSTOMER,
            "image",
            None,
            None,
            None,
            "page",
            None,
        ),
        (
            "m5",
            "outbound",
            utc(2025, 1, 15, 9),
            BUSINESS,
            CUSTOMER,
            "text",
            None,
            None,
            "read",
            None,
            None,
        ),
    ]
    assert fetch_value(con, "select count(*) from quarantine") == 0


def test_naive_timestamps_default_to_utc(con, settings, tmp_path):
    # given the default source time zone (UTC)
    path = message_log(
        tmp_path, "log.csv", "m1,2025-07-01 12:00:00,inbound,31201234567,31612345678,text,,,,,"
    )
    ingest_file(con, path, settings)
    assert fetch_value(con, "select sent_at from messages") == utc(2025, 7, 1, 12)


CLEAN_ROWS = [
    {
        "message_id": "m1",
        "timestamp": "2025-03-03T10:00:00+01:00",
        "direction": "inbound",
        "business_number": BUSINESS,
        "contact": CUSTOMER,
        "type": "text",
        "template_name": None,
        "template_category": None,
        "status": None,
        "referral_source": "ad",
        "waba_id": "waba1",
    },
    {
        "message_id": "m2",
        "timestamp": "2025-03-03T09:30:00Z",
        "direction": "outbound",
        "business_number": "+31 20 123 4567",
        "contact": CUSTOMER,
        "type": "template",
        "template_name": "promo",
        "template_category": "utility",
        "status": "delivered",
        "referral_source": None,
        "waba_id": "waba1",
    },
    {
        "message_id": "m3",
        "timestamp": "1741000000",
        "direction": "outbound",
        "business_number": BUSINESS,
        "contact": CUSTOMER,
        "type": "text",
        "template_name": None,
        "template_category": None,
        "status": None,
        "referral_source": None,
        "waba_id": None,
    },
]


def _csv_text(rows: list[dict]) -> str:
    def cell(value):
        return "" if value is None else value

    lines = [HEADER] + [",".join(cell(row[c]) for c in HEADER.split(",")) for row in rows]
    return "\n".join(lines) + "\n"


def test_parquet_and_json_lines_give_the_same_messages_as_csv(settings, tmp_path):
    # given the same three rows as CSV, Parquet and JSON Lines
    csv_path = write(tmp_path, "log.csv", _csv_text(CLEAN_ROWS))
    parquet_path = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pylist(CLEAN_ROWS), parquet_path)
    jsonl_path = write(tmp_path, "log.jsonl", "\n".join(json.dumps(r) for r in CLEAN_ROWS) + "\n")

    tables = {}
    for path in (csv_path, parquet_path, jsonl_path):
        con = connect_memory(settings)
        load = ingest_file(con, path, settings)
        assert (load.kind, load.rows_read, load.loaded, load.quarantined) == (
            "message_log",
            3,
            3,
            0,
        )
        tables[path.suffix] = stored_messages(con)
        con.close()

    assert tables[".csv"][1] == (
        "m2",
        "outbound",
        utc(2025, 3, 3, 9, 30),
        BUSINESS,
        CUSTOMER,
        "template",
        "promo",
        "utility",
        "delivered",
        None,
        "waba1",
    )
    assert tables[".parquet"] == tables[".csv"]
    assert tables[".jsonl"] == tables[".csv"]


def test_parquet_with_typed_columns_and_aliases(con, settings, tmp_path):
    # given a Parquet export whose timestamp is a real timestamp and contact an integer
    path = tmp_path / "typed.parquet"
    pq.write_table(
        pa.table(
            {
                "wamid": ["p1"],
                "time": pa.array([utc(2025, 5, 1, 8)], pa.timestamp("us", tz="UTC")),
                "dir": ["outbound"],
                "business_phone": pa.array([31201234567], pa.int64()),
                "customer": pa.array([31612345678], pa.int64()),
                "msg_type": ["text"],
            }
        ),
        path,
    )

    load = ingest_file(con, path, settings)

    assert (load.loaded, load.quarantined) == (1, 0)
    assert stored_messages(con) == [
        (
            "p1",
            "outbound",
            utc(2025, 5, 1, 8),
            BUSINESS,
            CUSTOMER,
            "text",
            None,
            None,
            None,
            None,
            None,
        ),
    ]


# --- quarantine -----------------------------------------------------------------------------------

GOOD = "2025-01-15T10:00:00Z,outbound,31201234567,31612345678,text,,,,,"


def test_every_message_log_quarantine_reason_with_line_and_raw(con, settings, tmp_path):
    # given one good row and one bad row per reason (line 1 is the header)
    path = message_log(
        tmp_path,
        "bad.csv",
        "ok1," + GOOD,  # line 2
        ",2025-01-15T10:00:00Z,outbound,31201234567,31612345678,text,,,,,",  # line 3
        "b2,yesterday,outbound,31201234567,31612345678,text,,,,,",  # line 4
        "b3,2025-01-15T10:00:00Z,sideways,31201234567,31612345678,text,,,,,",  # line 5
        "b4,2025-01-15T10:00:00Z,outbound,31201234567,call me,text,,,,,",  # line 6
        "b5,2025-01-15T10:00:00Z,outbound,31201234567,31612345678,template,p,promo,,,",  # 7
        "b6,2025-01-15T10:00:00Z,outbound,31201234567,31612345678,text,,,seen,,",  # line 8
        "b7,2025-01-15T10:00:00Z,inbound,31201234567,31612345678,text,,,,tv,",  # line 9
        "b8,2025-01-15T10:00:00Z,inbound,31201234567,31612345678,text,,,,,,extra,more",  # 10
        "ok2," + GOOD,  # line 11
        "b9,1980-01-01T00:00:00Z,outbound,31201234567,31612345678,text,,,,,",  # line 12
    )

    load = ingest_file(con, path, settings)

    assert (load.rows_read, load.loaded, load.duplicates, load.quarantined) == (11, 2, 0, 9)
    assert_counts_add_up(load)
    reasons = quarantined(con)
    assert reasons[:7] == [
        (3, "message_id is missing"),
        (4, "timestamp is not ISO-8601, Unix time, RFC 2822 or inputs.timestamp_format"),
        (5, "direction must be inbound or outbound"),
        (6, "contact is not a phone number (digits)"),
        (7, "template_category must be marketing, utility or authentication"),
        (8, "status must be sent, delivered, read or failed"),
        (9, "referral_source must be ad or page"),
    ]
    assert reasons[7][0] == 10 and reasons[7][1].startswith("unreadable row")
    assert reasons[8] == (12, "timestamp is outside 2009-2100")
    raw = dict(fetch_all(con, "select line, raw from quarantine"))
    assert json.loads(raw[4])["timestamp"] == "yesterday"
    assert json.loads(raw[6])["contact"] == "call me"
    assert "b8" in raw[10] and "extra" in raw[10]
    assert fetch_all(con, "select distinct file, kind from quarantine") == [
        (str(path), "message_log")
    ]
    assert [row[0] for row in stored_messages(con)] == ["ok1", "ok2"]


def test_invalid_json_lines_are_quarantined(con, settings, tmp_path):
    # given JSON Lines with a good row, a broken line and a line that is not an object
    good = json.dumps(dict(CLEAN_ROWS[0]))
    path = write(tmp_path, "log.jsonl", f'{good}\n{{"message_id": "m9", \n[1, 2]\n')

    load = ingest_file(con, path, settings)

    assert (load.rows_read, load.loaded, load.quarantined) == (3, 1, 2)
    assert fetch_all(con, "select line, raw, reason from quarantine order by line") == [
        (2, '{"message_id": "m9", ', "not valid JSON"),
        (3, "[1, 2]", "line is not a JSON object"),
    ]


def test_missing_required_value_in_json_lines(con, settings, tmp_path):
    # given a JSON Lines row without a contact key, another with a number for a contact
    first = dict(CLEAN_ROWS[0])
    del first["contact"]
    second = dict(CLEAN_ROWS[2], contact=31612345678)
    path = write(tmp_path, "log.jsonl", json.dumps(first) + "\n" + json.dumps(second) + "\n")

    load = ingest_file(con, path, settings)

    assert (load.rows_read, load.loaded, load.quarantined) == (2, 1, 1)
    assert quarantined(con) == [(1, "contact is missing")]
    assert fetch_value(con, "select contact from messages") == CUSTOMER


# --- duplicates, reloads and order --------------------------------------------------------------


def test_same_message_twice_in_a_file_is_one_duplicate(con, settings, tmp_path):
    path = message_log(tmp_path, "log.csv", "m1," + GOOD, "m1," + GOOD, "m2," + GOOD)
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.duplicates, load.quarantined) == (3, 2, 1, 0)
    assert [row[0] for row in stored_messages(con)] == ["m1", "m2"]


def test_message_in_two_files_is_stored_once(con, settings, tmp_path):
    first = message_log(tmp_path, "a.csv", "m1," + GOOD)
    second = message_log(tmp_path, "b.csv", "m2," + GOOD, "m1," + GOOD)
    ingest_file(con, first, settings)
    load = ingest_file(con, second, settings)
    assert (load.loaded, load.duplicates) == (1, 1)
    assert [row[0] for row in stored_messages(con)] == ["m1", "m2"]


@pytest.mark.parametrize(
    ("earlier", "rows", "merged"),
    [
        ([], ["m1", "m2"], False),  # new messages: one pass, straight into messages
        ([], ["m1", "m2", "m1"], True),  # repeated in the file
        (["m2"], ["m1", "m2"], True),  # stored by an earlier load
    ],
)
def test_only_files_repeating_messages_take_the_merging_path(
    con, settings, tmp_path, monkeypatch, earlier, rows, merged
):
    from analytics.ingest import message_logs

    if earlier:
        ingest_file(
            con, message_log(tmp_path, "earlier.csv", *[f"{m},{GOOD}" for m in earlier]), settings
        )
    staged = []
    stage_message_log = message_logs.stage_message_log
    monkeypatch.setattr(
        message_logs, "stage_message_log", lambda *a: staged.append(1) or stage_message_log(*a)
    )
    load = ingest_file(
        con, message_log(tmp_path, "log.csv", *[f"{m},{GOOD}" for m in rows]), settings
    )
    assert bool(staged) == merged
    assert (load.loaded, load.duplicates) == (2 - len(earlier), len(rows) - 2 + len(earlier))
    assert_counts_add_up(load)
    assert [row[0] for row in stored_messages(con)] == ["m1", "m2"]
    assert fetch_value(con, "select count(*) from quarantine") == 0


def test_same_id_inbound_and_outbound_are_two_messages(con, settings, tmp_path):
    path = message_log(
        tmp_path,
        "log.csv",
        "m1,2025-01-15T10:00:00Z,inbound,31201234567,31612345678,text,,,,,",
        "m1,2025-01-15T10:01:00Z,outbound,31201234567,31612345678,text,,,,,",
    )
    load = ingest_file(con, path, settings)
    assert (load.loaded, load.duplicates) == (2, 0)


def _status_log(name: str, status: str, tmp_path: Path) -> Path:
    return message_log(
        tmp_path,
        name,
        f"m1,2025-01-15T10:00:00Z,outbound,31201234567,31612345678,template,promo,utility,"
        f"{status},,",
    )


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (("sent", "delivered"), "delivered"),
        (("delivered", "read"), "read"),
        (("read", "failed"), "failed"),
        (("", "sent"), "sent"),
    ],
)
def test_a_later_status_updates_the_message_in_either_order(settings, tmp_path, statuses, expected):
    # given the same message in two files with different statuses
    first = _status_log("first.csv", statuses[0], tmp_path)
    second = _status_log("second.csv", statuses[1], tmp_path)
    tables = []
    for order in ((first, second), (second, first)):
        con = connect_memory(settings)
        for path in order:
            ingest_file(con, path, settings)
        tables.append(stored_messages(con))
        con.close()
    # expect the furthest status, whatever the load order
    assert tables[0] == tables[1]
    assert tables[0] == [
        (
            "m1",
            "outbound",
            utc(2025, 1, 15, 10),
            BUSINESS,
            CUSTOMER,
            "template",
            "promo",
            "utility",
            expected,
            None,
            None,
        )
    ]


def test_furthest_status_within_one_file(con, settings, tmp_path):
    path = message_log(
        tmp_path,
        "log.csv",
        "m1,2025-01-15T10:00:00Z,outbound,31201234567,31612345678,text,,,read,,",
        "m1,2025-01-15T10:00:00Z,outbound,31201234567,31612345678,text,,,sent,,",
    )
    load = ingest_file(con, path, settings)
    assert (load.loaded, load.duplicates) == (1, 1)
    assert fetch_value(con, "select status from messages") == "read"


def test_order_independence_of_two_overlapping_logs(settings, tmp_path):
    a = message_log(
        tmp_path,
        "a.csv",
        "m1,2025-01-15T10:00:00Z,inbound,31201234567,31612345678,text,,,,ad,",
        "m2,2025-01-15T10:05:00Z,outbound,31201234567,31612345678,text,,,sent,,",
    )
    b = message_log(
        tmp_path,
        "b.csv",
        "m2,2025-01-15T10:05:00Z,outbound,31201234567,31612345678,text,,,read,,",
        "m3,2025-01-15T11:00:00Z,outbound,31201234567,31612345678,template,t,marketing,,,",
    )
    tables = []
    for order in ((a, b), (b, a)):
        con = connect_memory(settings)
        for path in order:
            ingest_file(con, path, settings)
        tables.append(stored_messages(con))
        con.close()
    assert tables[0] == tables[1]
    assert [(row[0], row[8]) for row in tables[0]] == [("m1", None), ("m2", "read"), ("m3", None)]


def test_reloading_the_same_file_changes_nothing(con, settings, tmp_path):
    path = message_log(tmp_path, "log.csv", "m1," + GOOD, "b1,never,outbound,1,2,text,,,,,")
    first = ingest_file(con, path, settings)
    before = (table_counts(con), stored_messages(con))

    again = ingest_file(con, path, settings)

    assert first.outcome == "loaded"
    assert again.outcome == "already_loaded"
    assert (again.rows_read, again.loaded) == (0, 0)
    assert (table_counts(con), stored_messages(con)) == before


def test_same_content_under_another_name_is_already_loaded(con, settings, tmp_path):
    path = message_log(tmp_path, "log.csv", "m1," + GOOD)
    copy = write(tmp_path, "copy.csv", path.read_text())
    ingest_file(con, path, settings)
    assert ingest_file(con, copy, settings).outcome == "already_loaded"


# --- unreadable files ---------------------------------------------------------------------------


def _unreadable_files(folder: Path) -> list[Path]:
    garbage = folder / "garbage.parquet"
    garbage.write_bytes(bytes(range(256)) * 8)
    fake_parquet = folder / "fake.parquet"
    fake_parquet.write_bytes(b"PAR1" + bytes(range(200)) + b"PAR1")
    return [
        write(folder, "empty.csv", ""),
        write(folder, "blank.csv", "\n\n  \n"),
        write(
            folder,
            "truncated.json",
            '{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [',
        ),
        garbage,
        fake_parquet,
        write(folder, "columns.csv", "message_id,timestamp,direction\nm1,2025-01-01,inbound\n"),
        write(folder, "header_only.csv", "id,name\n"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "empty.csv",
        "blank.csv",
        "truncated.json",
        "garbage.parquet",
        "fake.parquet",
        "columns.csv",
        "header_only.csv",
    ],
)
def test_unreadable_file_raises_naming_it_and_changes_nothing(con, settings, tmp_path, name):
    ingest_file(
        con,
        message_log(tmp_path, "good.csv", "m1," + GOOD, "b1,never,outbound,1,2,text,,,,,"),
        settings,
    )
    before = (table_counts(con), stored_messages(con))
    path = {p.name: p for p in _unreadable_files(tmp_path)}[name]

    with pytest.raises(IngestError) as raised:
        ingest_file(con, path, settings)

    assert str(path) in str(raised.value)
    assert (table_counts(con), stored_messages(con)) == before
    # the connection is usable afterwards (no transaction left open)
    assert fetch_value(con, "select count(*) from messages") == 1


def test_missing_columns_error_says_which(con, settings, tmp_path):
    path = write(tmp_path, "log.csv", "message_id,timestamp,direction\nm1,2025-01-01,inbound\n")
    with pytest.raises(IngestError, match="business_number, contact, type"):
        ingest_file(con, path, settings)


def test_other_files_still_load_when_one_is_unreadable(con, settings, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    message_log(inbox, "a.csv", "m1," + GOOD)
    write(inbox, "b.json", '{"entry": [')
    message_log(inbox, "c.csv", "m2," + GOOD)
    write(inbox, "notes.txt", "not a data file")  # .txt is read as CSV (or TSV) now
    write(inbox, "photo.png", "\x89PNG")

    result = ingest_paths(con, [inbox], settings)

    assert [(Path(load.file).name, load.outcome) for load in result.loads] == [
        ("photo.png", "skipped"),
        ("a.csv", "loaded"),
        ("c.csv", "loaded"),
    ]
    assert "not a format carewindow reads" in result.loads[0].detail
    assert len(result.errors) == 2 and "b.json" in result.errors[0]
    assert "notes.txt" in result.errors[1]
    assert [row[0] for row in stored_messages(con)] == ["m1", "m2"]
    # every file has its load_log row: 2 loaded, 2 failed with their errors, 1 skipped
    assert fetch_all(con, "select outcome, count(*) from load_log group by all order by all") == [
        ("failed", 2),
        ("loaded", 2),
        ("skipped", 1),
    ]
    assert fetch_value(con, "select detail from load_log where file like '%b.json'").startswith(
        str(inbox / "b.json")
    )
    assert "2 file(s) failed" in result.summary()


def test_a_path_that_does_not_exist_is_an_error(con, settings, tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        ingest_paths(con, [tmp_path / "missing.csv"], settings)


# --- opt-in ledgers -------------------------------------------------------------------------------

LEDGER_HEADER = "contact,timestamp,event,scope,business_number,source"


def test_opt_in_ledger_good_rows(con, settings, tmp_path):
    path = write(
        tmp_path,
        "ledger.csv",
        "\n".join(
            [
                LEDGER_HEADER,
                "+31 6 1234 5678,2025-01-01T09:00:00Z,opt_in,,,web form",
                "31612345678,2025-02-01T09:00:00Z,Opt-Out,Marketing,+31 20 123 4567,",
                "31698765432,1735722000,optin,all,,",
            ]
        )
        + "\n",
    )

    load = ingest_file(con, path, settings)

    assert (load.kind, load.rows_read, load.loaded, load.duplicates, load.quarantined) == (
        "opt_in_ledger",
        3,
        3,
        0,
        0,
    )
    assert fetch_all(
        con,
        "select contact, event_at, event, scope, business_number, source, "
        "source_line from opt_in_events order by event_at",
    ) == [
        (CUSTOMER, utc(2025, 1, 1, 9), "opt_in", "all", None, "web form", 2),
        ("31698765432", utc(2025, 1, 1, 9), "opt_in", "all", None, None, 4),
        (CUSTOMER, utc(2025, 2, 1, 9), "opt_out", "marketing", BUSINESS, None, 3),
    ]


def test_opt_in_ledger_bad_rows_and_duplicates(con, settings, tmp_path):
    path = write(
        tmp_path,
        "ledger.csv",
        "\n".join(
            [
                LEDGER_HEADER,
                "31612345678,2025-01-01T09:00:00Z,opt_in,,,",  # 2 good
                ",2025-01-01T09:00:00Z,opt_in,,,",  # 3
                "abc,2025-01-01T09:00:00Z,opt_in,,,",  # 4
                "31612345678,,opt_in,,,",  # 5
                "31612345678,soon,opt_in,,,",  # 6
                "31612345678,2025-01-01T09:00:00Z,,,,",  # 7
                "31612345678,2025-01-01T09:00:00Z,maybe,,,",  # 8
                "31612345678,2025-01-01T09:00:00Z,opt_in,sales,,",  # 9
                "31612345678,2025-01-01T09:00:00Z,opt_in,all,x1,",  # 10
                "31612345678,2025-01-01T09:00:00Z,opt_in,,,again",  # 11 duplicate of line 2
                "31612345678,2025-01-01T09:00:00Z,opt_in,all,,,x,y",  # 12 too many columns
            ]
        )
        + "\n",
    )

    load = ingest_file(con, path, settings)

    assert (load.rows_read, load.loaded, load.duplicates, load.quarantined) == (11, 1, 1, 9)
    reasons = quarantined(con)
    assert reasons[:8] == [
        (3, "contact is missing"),
        (4, "contact is not a phone number (digits)"),
        (5, "timestamp is missing"),
        (6, "timestamp is not ISO-8601, Unix time, RFC 2822 or inputs.timestamp_format"),
        (7, "event is missing"),
        (8, "event must be opt_in or opt_out"),
        (9, "scope must be all or marketing"),
        (10, "business_number is not a phone number (digits)"),
    ]
    assert reasons[8][0] == 12 and reasons[8][1].startswith("unreadable row")
    assert (
        json.loads(fetch_value(con, "select raw from quarantine where line = 8"))["event"]
        == "maybe"
    )

    # a second ledger with the same event is a duplicate
    again = write(
        tmp_path,
        "ledger2.csv",
        LEDGER_HEADER + "\n31612345678,2025-01-01T10:00:00+01:00,opt_in,,,\n",
    )
    second = ingest_file(con, again, settings)
    assert (second.loaded, second.duplicates) == (0, 1)


# --- rate cards -----------------------------------------------------------------------------------

RATE_HEADER = "effective_from,market,category,currency,rate,tier_from"


def test_rate_card_good_rows(con, settings, tmp_path):
    path = write(
        tmp_path,
        "rates.csv",
        "\n".join(
            [
                RATE_HEADER,
                "2025-07-01,Netherlands,Marketing,eur,0.1365,",
                "2025-07-01,Netherlands,utility,EUR,0.0456,100000",
            ]
        )
        + "\n",
    )

    load = ingest_file(con, path, settings)

    assert (load.kind, load.loaded, load.quarantined) == ("rate_card", 2, 0)
    assert fetch_all(
        con,
        "select effective_from, market, category, currency, rate, tier_from "
        "from rate_cards order by category",
    ) == [
        (date(2025, 7, 1), "Netherlands", "marketing", "EUR", Decimal("0.136500"), 0),
        (date(2025, 7, 1), "Netherlands", "utility", "EUR", Decimal("0.045600"), 100000),
    ]


def test_rate_card_bad_rows_and_duplicates(con, settings, tmp_path):
    path = write(
        tmp_path,
        "rates.csv",
        "\n".join(
            [
                RATE_HEADER,
                "2025-07-01,NL,marketing,EUR,0.1,",  # 2 good
                ",NL,marketing,EUR,0.1,",  # 3
                "July,NL,marketing,EUR,0.1,",  # 4
                "2025-07-01,,marketing,EUR,0.1,",  # 5
                "2025-07-01,NL,,EUR,0.1,",  # 6
                "2025-07-01,NL,promo,EUR,0.1,",  # 7
                "2025-07-01,NL,marketing,euro,0.1,",  # 8
                "2025-07-01,NL,marketing,EUR,,",  # 9
                "2025-07-01,NL,marketing,EUR,-1,",  # 10
                "2025-07-01,NL,marketing,EUR,0.1,many",  # 11
                "2025-07-01,NL,marketing,EUR,0.2,",  # 12 duplicate key of line 2
            ]
        )
        + "\n",
    )

    load = ingest_file(con, path, settings)

    assert (load.rows_read, load.loaded, load.duplicates, load.quarantined) == (11, 1, 1, 9)
    assert quarantined(con) == [
        (3, "effective_from is missing"),
        (4, "effective_from is not a date (YYYY-MM-DD)"),
        (5, "market is missing"),
        (6, "category is missing"),
        (
            7,
            "category must be marketing, utility, authentication, "
            "authentication_international or service",
        ),
        (8, "currency must be a three-letter code"),
        (9, "rate is missing"),
        (10, "rate is not a number >= 0"),
        (11, "tier_from is not a whole number >= 0"),
    ]
    # the first row of a key wins
    assert fetch_value(con, "select rate from rate_cards") == Decimal("0.1")


# --- kind detection -----------------------------------------------------------------------------


def test_detect_kind_from_content(tmp_path):
    parquet = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pylist(CLEAN_ROWS), parquet)
    samples = {
        "log.csv": (_csv_text(CLEAN_ROWS), "message_log"),
        "ledger.csv": (LEDGER_HEADER + "\n", "opt_in_ledger"),
        "rates.csv": ("Effective From,Market,Category,Currency,Rate\n", "rate_card"),
        "log.jsonl": (json.dumps(CLEAN_ROWS[0]) + "\n", "message_log"),
        "hook.json": ('{"object": "whatsapp_business_account", "entry": []}', "webhook"),
        "hooks.jsonl": ('{"entry": [{"id": "1", "changes": []}]}\n', "webhook"),
        # a file's name does not decide its kind
        "data.txt": (LEDGER_HEADER + "\n", "opt_in_ledger"),
    }
    for name, (text, kind) in samples.items():
        assert detect_kind(write(tmp_path, name, text)) == kind, name
    assert detect_kind(parquet) == "message_log"
    with pytest.raises(IngestError, match="empty"):
        detect_kind(write(tmp_path, "empty.csv", ""))


SAMPLES = Path(__file__).parent / "samples"
SAMPLE_KINDS = {
    "webhooks/message.json": "webhook",
    "graph_api/status_webhooks_2025_2026.jsonl": "webhook",
    "graph_api/pricing_analytics_example.json": "pricing_analytics",
    "graph_api/conversation_analytics_example.json": "conversation_analytics",
    "providers/twilio_messages.csv": "twilio",
    "providers/twilio_messages_api.json": "twilio",
    "providers/gupshup_events.jsonl": "gupshup",
    "providers/infobip_whatsapp_webhooks.json": "infobip",
    "meta_rate_cards/meta_usd_rates_2026-04-01.csv": "rate_card",
    "meta_rate_cards/meta_usd_volume_tiers_2026-04-01.csv": "rate_card",
    "meta_rate_cards/meta_rate_card_layout_2026-10.xlsx": "rate_card",
}


def test_each_sample_is_recognised_by_its_own_kind_alone(tmp_path):
    # the kinds are tried in order, but no two should claim the same file
    from analytics.ingest.files import FileHead
    from analytics.ingest.loading import FILE_KINDS

    parquet = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pylist(CLEAN_ROWS), parquet)
    written = {
        parquet: "message_log",
        write(tmp_path, "ledger.csv", LEDGER_HEADER + "\n"): "opt_in_ledger",
        write(tmp_path, "rates.csv", RATE_HEADER + "\n"): "rate_card",
        write(
            tmp_path,
            "templates.json",
            '{"data": [{"name": "x", "language": "en", "category": "UTILITY", "id": "1"}]}',
        ): "message_templates",
    }
    for path, kind in [*((SAMPLES / n, k) for n, k in SAMPLE_KINDS.items()), *written.items()]:
        head = FileHead.read(path)
        assert [k.name for k in FILE_KINDS if k.recognises(head)] == [kind], path.name


def test_a_file_is_read_for_its_head_once_while_it_is_hashed(con, settings, tmp_path, monkeypatch):
    # given that nothing may read a file's head again once open_input has kept it
    from analytics.ingest import files

    def read_again(*args, **kwargs):
        raise AssertionError("a file's head was read again")

    monkeypatch.setattr(files, "head_bytes", read_again)
    monkeypatch.setattr(files, "compression_of", read_again)
    log = write(tmp_path, "log.csv", _csv_text(CLEAN_ROWS))
    # expect every kind recognised, staged and loaded from the head handed on
    for path in [log, *(SAMPLES / name for name in SAMPLE_KINDS)]:
        load = ingest_file(con, path, settings)
        assert load.outcome == "loaded", (path.name, load)


def test_kind_can_be_forced(con, settings, tmp_path):
    # given a ledger whose headers look like a message log's (it has a direction column)
    path = write(
        tmp_path,
        "ledger.csv",
        "contact,timestamp,event,direction\n31612345678,2025-01-01T09:00:00Z,opt_in,x\n",
    )
    assert detect_kind(path) == "message_log"
    with pytest.raises(IngestError, match="not a message log"):
        ingest_file(con, path, settings)

    load = ingest_file(con, path, settings, kind="opt_in_ledger")

    assert (load.kind, load.loaded) == ("opt_in_ledger", 1)
    assert load.detail == "ignored columns: direction"
    with pytest.raises(IngestError, match="not one of"):
        ingest_file(con, path, settings, kind="spreadsheet")


# --- CSV dialects and conflicting duplicates ----------------------------------------------------


def test_csv_quoting_semicolons_crlf_and_bom(con, settings, tmp_path):
    # given a semicolon export with a BOM, CRLF line ends, and quoted fields holding the
    # delimiter, commas, quotes, a line break and a leading '#'
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffmessage_id;timestamp;direction;business_number;contact;type;template_name;"
        "template_category\r\n"
        '#1;2025-01-15T10:00:00Z;outbound;31201234567;31612345678;template;"sale; 50%, ""now""'
        '\r\nends soon";marketing\r\n'
        "m2;2025-01-15T10:01:00Z;inbound;31201234567;31612345678;text;;\r\n".encode("utf-8")
    )

    load = ingest_file(con, path, settings)

    assert (load.rows_read, load.loaded, load.quarantined) == (2, 2, 0)
    assert fetch_all(con, "select message_id, template_name from messages order by 1") == [
        ("#1", 'sale; 50%, "now"\r\nends soon'),
        ("m2", None),
    ]


def test_a_late_quoted_field_is_read_as_quoted(con, settings, tmp_path):
    # given 25,000 plain rows before the first quoted field (beyond any sniffing sample)
    rows = [f"m{i}," + GOOD for i in range(25_000)]
    rows.append('"late, quoted",2025-01-15T10:00:00Z,outbound,31201234567,31612345678,text,,,,,')
    path = message_log(tmp_path, "long.csv", *rows)
    load = ingest_file(con, path, settings)
    assert (load.loaded, load.quarantined) == (25_001, 0)
    assert fetch_value(con, "select count(*) from messages where message_id = 'late, quoted'") == 1


def test_quarantine_lines_after_a_rejected_row(con, settings, tmp_path):
    path = message_log(
        tmp_path,
        "log.csv",
        "m1," + GOOD,  # line 2
        "m2," + GOOD + ",x",  # line 3 rejected
        "m3," + GOOD + ",x,y",  # line 4 rejected
        "m4,never,outbound,31201234567,31612345678,text,,,,,",  # line 5
        "m5," + GOOD,  # line 6
        "m6,2025-01-15T10:00:00Z,outbound,31201234567,x,text,,,,,",  # line 7
    )
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.quarantined) == (6, 2, 4)
    assert [line for line, _ in quarantined(con)] == [3, 4, 5, 7]


def test_json_lines_line_numbers_count_blank_and_unreadable_lines(con, settings, tmp_path):
    good = json.dumps(dict(CLEAN_ROWS[0]))
    bad = json.dumps(dict(CLEAN_ROWS[2], direction="sideways"))
    path = write(tmp_path, "log.jsonl", f'{good}\n\n{{"a": "\x01"}}\n{bad}\n')
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.quarantined) == (3, 1, 2)
    assert [line for line, _ in quarantined(con)] == [3, 4]
    assert quarantined(con)[1] == (4, "direction must be inbound or outbound")


def test_conflicting_copies_of_a_message_give_the_same_row_in_any_order(settings, tmp_path):
    # given one message reported with different facts, in one file and across two files
    early = "m1,2025-01-15T10:00:00Z,outbound,31201234567,31612345678,text,,,sent,,"
    late = "m1,2025-01-15T10:05:00Z,outbound,31201234567,31612345678,image,,,read,,"
    layouts = {
        "one file": [[early, late]],
        "one file, reversed": [[late, early]],
        "two files": [[early], [late]],
        "two files, reversed": [[late], [early]],
    }
    tables = {}
    for name, files in layouts.items():
        con = connect_memory(settings)
        for number, rows in enumerate(files):
            ingest_file(con, message_log(tmp_path, f"{name}{number}.csv", *rows), settings)
        tables[name] = stored_messages(con)
        con.close()
    # expect the earliest report's facts and the furthest status, whatever the order
    expected = [
        (
            "m1",
            "outbound",
            utc(2025, 1, 15, 10),
            BUSINESS,
            CUSTOMER,
            "text",
            None,
            None,
            "read",
            None,
            None,
        )
    ]
    assert tables == {name: expected for name in layouts}


def test_detect_kind_reads_semicolon_headers(tmp_path):
    path = write(tmp_path, "ledger.csv", "contact;timestamp;event\n31612345678;1741000000;opt_in\n")
    assert detect_kind(path) == "opt_in_ledger"


def test_a_row_longer_than_the_reader_allows_is_loaded(con, settings, tmp_path):
    huge = "x" * 3_000_000
    path = message_log(
        tmp_path,
        "huge.csv",
        "m1," + GOOD,
        f"m2,2025-01-15T10:00:00Z,outbound,31201234567,31612345678,template,{huge},marketing,,,",
        "m3," + GOOD,
    )
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.quarantined) == (3, 3, 0)
    assert fetch_value(
        con, "select length(template_name) from messages where message_id = 'm2'"
    ) == (3_000_000)


def test_a_50_mb_line_is_loaded_or_quarantined_never_lost(con, settings, tmp_path):
    # given a CSV with an extra text column holding 50 MB in one good and one bad row
    body = "y" * 50_000_000
    header = "message_id,timestamp,direction,business_number,contact,type,body"
    row = "{},2025-01-15T10:00:00Z,inbound,31201234567,31612345678,text,{}"
    path = write(
        tmp_path,
        "long.csv",
        "\n".join(
            [
                header,
                row.format("m1", "hi"),
                row.format("m2", body),
                row.format("m3", "hi").replace("inbound", "sideways") + body,
                row.format("m4", "hi"),
            ]
        )
        + "\n",
    )

    load = ingest_file(con, path, settings)

    # expect: 4 rows read, the long good one loaded, the long bad one quarantined (line 4)
    assert (load.rows_read, load.loaded, load.quarantined) == (4, 3, 1)
    assert_counts_add_up(load)
    assert [row[0] for row in stored_messages(con)] == ["m1", "m2", "m4"]
    line, reason, raw = fetch_all(con, "select line, reason, raw from quarantine")[0]
    assert (line, reason) == (4, "direction must be inbound or outbound")
    assert len(raw) < 2_000_000  # the quarantine keeps the row's start, and says so


def test_a_full_disk_is_not_blamed_on_the_input_file(con, settings, tmp_path, monkeypatch):
    import duckdb

    from analytics import ingest

    path = tmp_path / "messages.csv"
    path.write_text(
        "message_id,timestamp,direction,business_number,contact,type\n"
        "m1,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text\n"
    )

    def disk_full(*args, **kwargs):
        raise duckdb.IOException("IO Error: No space left on device")

    # both ways a message log loads: straight into messages, or staged and merged
    monkeypatch.setitem(ingest.loading.FAST_LOADERS, "message_log", disk_full)
    monkeypatch.setitem(ingest.LOADERS, "message_log", disk_full)
    with pytest.raises(ingest.IngestError) as raised:
        ingest.ingest_file(con, path, settings)
    assert "disk is full" in str(raised.value)
    assert "cannot be read" not in str(raised.value)
    assert con.execute("select count(*) from load_log").fetchall() == [(0,)]
