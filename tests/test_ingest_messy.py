"""Messy input as users have it: every way of writing a phone number or a time,
compressed and tab-separated files, other encodings, very long lines, files in folders that are
no data, conflicting copies of a message, lines of every row, and --retry-quarantine."""

from __future__ import annotations

import gzip
import json
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.db import fetch_all, fetch_value
from analytics.ingest import ingest_file, ingest_paths, retry_quarantine
from analytics.ingest.phones import normalise

HEADER = "message_id,timestamp,direction,business_number,contact,type"


def log(folder: Path, name: str, *rows: str, header: str = HEADER) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def stored(con, columns: str = "message_id, business_number, contact") -> list[tuple]:
    return fetch_all(con, f"select {columns} from messages order by message_id, direction")


def adds_up(load) -> None:
    assert load.rows_read == (
        load.loaded + load.duplicates + load.conflicts + load.quarantined + load.skipped
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- phone numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "country", "digits"),
    [
        ("31612345678", "", "31612345678"),
        ("+31 6 1234 5678", "", "31612345678"),
        ("0031612345678", "", "31612345678"),
        ("+31 (0)6 1234 5678", "", "31612345678"),
        ("whatsapp:+31612345678", "", "31612345678"),
        ("31 6 12 34 56 78", "", "31612345678"),
        ("06 1234 5678", "NL", "31612345678"),
        ("06-12345678", "nl", "31612345678"),
        ("+1 (415) 555-0100", "", "14155550100"),
        ("+49 151 23456789", "", "4915123456789"),
    ],
)
def test_phone_number_spellings_become_e164_digits(written, country, digits):
    assert normalise(written, country) == (digits, None)


@pytest.mark.parametrize(
    ("written", "country", "reason"),
    [
        ("06 1234 5678", "", "is a national number (leading 0); set inputs.default_country"),
        ("call me", "", "is not a phone number (digits)"),
        ("+31 6", "", "is not a phone number"),
        ("", "", "is missing"),
    ],
)
def test_what_is_no_phone_number_says_why(written, country, reason):
    digits, why = normalise(written, country)
    assert digits is None and why.startswith(reason)


def test_one_customer_however_the_files_write_the_number(con, settings, tmp_path):
    # given the same customer in three files, written three ways (once taken for three customers)
    ingest_file(
        con,
        log(tmp_path, "a.csv", "m1,2025-03-03T09:00:00Z,inbound,31201234567,+31 6 1234 5678,text"),
        settings,
    )
    ingest_file(
        con,
        log(tmp_path, "b.csv", "m2,2025-03-03T09:05:00Z,outbound,31201234567,0031612345678,text"),
        settings,
    )
    load = ingest_file(
        con,
        log(
            tmp_path,
            "c.csv",
            'm3,2025-03-03T09:10:00Z,outbound,+31 20 123 4567,"+31 (0)6 1234 5678",text',
            "m4,2025-03-03T09:15:00Z,outbound,31201234567,whatsapp:+31612345678,text",
        ),
        settings,
    )

    # expect one customer, 31612345678, and one business number
    assert (load.loaded, load.quarantined) == (2, 0)
    assert set(stored(con, "business_number, contact")) == {("31201234567", "31612345678")}


def test_national_numbers_take_the_default_country(con, settings, tmp_path):
    path = log(tmp_path, "nl.csv", "m1,2025-03-03T09:00:00Z,inbound,020 123 4567,06 1234 5678,text")

    load = ingest_file(con, path, replace(settings, default_country="NL"))

    assert (load.loaded, load.quarantined) == (1, 0)
    assert stored(con) == [("m1", "31201234567", "31612345678")]


def test_a_national_number_without_a_default_country_is_quarantined_with_the_fix(
    con, settings, tmp_path
):
    path = log(
        tmp_path,
        "nl.csv",
        "m1,2025-03-03T09:00:00Z,inbound,31201234567,0612345678,text",
        "m2,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text",
    )
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.quarantined) == (2, 1, 1)
    assert fetch_all(con, "select line, reason from quarantine") == [
        (
            2,
            "contact is a national number (leading 0); set inputs.default_country to its country",
        )
    ]


def test_the_phone_lookup_holds_distinct_spellings_only(con, settings, tmp_path):
    # given 300 rows of one customer written in two non-E.164 ways and one E.164 way
    rows = [
        f"m{i},2025-03-03T09:{i % 60:02d}:00Z,inbound,31201234567,"
        + ["+31 6 1234 5678", "0031612345678", "31612345678"][i % 3]
        + ",text"
        for i in range(300)
    ]
    load = ingest_file(con, log(tmp_path, "many.csv", *rows), settings)
    assert load.loaded == 300
    # expect: the lookup of that load normalised the two spellings, not 200 rows
    assert fetch_value(con, "select count(*) from phone_numbers") == 2


# --- timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1741000000", utc(2025, 3, 3, 11, 6, 40)),  # seconds
        ("1741000000123", utc(2025, 3, 3, 11, 6, 40, 123000)),  # milliseconds
        ("1741000000123456", utc(2025, 3, 3, 11, 6, 40, 123456)),  # microseconds
        ("Mon, 03 Mar 2025 11:06:40 +0000", utc(2025, 3, 3, 11, 6, 40)),  # RFC 2822
        ("Mon, 03 Mar 2025 12:06:40 +0100", utc(2025, 3, 3, 11, 6, 40)),
        ("3 Mar 2025 11:06:40 GMT", utc(2025, 3, 3, 11, 6, 40)),
        ("2025-03-03T11:06:40.000+0000", utc(2025, 3, 3, 11, 6, 40)),  # Infobip
        ("2025-03-03T12:06:40+01:00", utc(2025, 3, 3, 11, 6, 40)),
    ],
)
def test_every_timestamp_form(con, settings, tmp_path, written, expected):
    path = log(tmp_path, "t.csv", f'm1,"{written}",inbound,31201234567,31612345678,text')
    load = ingest_file(con, path, settings)
    assert (load.loaded, load.quarantined) == (1, 0)
    assert fetch_value(con, "select sent_at from messages") == expected


def test_excel_dates_load_with_timestamp_format_in_the_source_time_zone(con, settings, tmp_path):
    path = log(tmp_path, "excel.csv", "m1,01/08/2025 10:00,inbound,31201234567,31612345678,text")
    # without a format every such row is quarantined, with the setting to fix it
    assert ingest_file(con, path, settings).quarantined == 1
    assert "inputs.timestamp_format" in fetch_value(con, "select reason from quarantine")

    fixed = replace(
        settings, timestamp_format="%d/%m/%Y %H:%M", source_time_zone="Europe/Amsterdam"
    )
    result = retry_quarantine(con, fixed)

    assert [(r.outcome, r.rows_read, r.loaded, r.quarantined) for r in result.loads] == [
        ("retried", 1, 1, 0)
    ]
    assert fetch_value(con, "select sent_at from messages") == utc(2025, 8, 1, 8, 0)


# --- files ----------------------------------------------------------------------------------------


def test_gzip_and_zstd_files_load_by_name_and_in_folders(con, settings, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text = HEADER + "\nm1,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text\n"
    (inbox / "a.csv.gz").write_bytes(gzip.compress(text.encode()))
    plain = tmp_path / "b.csv"
    plain.write_text(text.replace("m1", "m2"))
    subprocess.run(["zstd", "-q", str(plain), "-o", str(inbox / "b.csv.zst")], check=True)
    webhook = (Path(__file__).parent / "samples" / "webhooks" / "message_status.json").read_bytes()
    (inbox / "statuses.json.gz").write_bytes(gzip.compress(webhook))

    result = ingest_paths(con, [inbox], settings)

    assert result.errors == []
    assert [(Path(r.file).name, r.kind, r.loaded) for r in result.loads] == [
        ("a.csv.gz", "message_log", 1),
        ("b.csv.zst", "message_log", 1),
        ("statuses.json.gz", "webhook", 1),
    ]
    assert fetch_value(con, "select count(*) from messages where message_id in ('m1', 'm2')") == 2


def test_a_truncated_gzip_file_is_an_error_naming_it(con, settings, tmp_path):
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "\n" + "m1,x,y,z,w,v\n" * 1000).encode())[:60])
    result = ingest_paths(con, [path], settings)
    assert len(result.errors) == 1 and str(path) in result.errors[0]
    assert fetch_value(con, "select count(*) from messages") == 0


def test_tsv_and_txt_files_load_in_folders(con, settings, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    row = "m1\t2025-03-03T09:00:00Z\tinbound\t31201234567\t31612345678\ttext"
    log(inbox, "a.tsv", row, header=HEADER.replace(",", "\t"))
    log(inbox, "b.txt", row.replace("m1", "m2"), header=HEADER.replace(",", "\t"))
    result = ingest_paths(con, [inbox], settings)
    assert [(Path(r.file).name, r.loaded) for r in result.loads] == [("a.tsv", 1), ("b.txt", 1)]


def test_files_in_a_folder_that_are_no_data_are_named_with_the_reason(con, settings, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "report.docx").write_bytes(b"PK\x03\x04")
    (inbox / "backup.tar.gz").write_bytes(gzip.compress(b"x"))
    (inbox / ".hidden.csv").write_text("ignored")  # hidden files stay out of it

    result = ingest_paths(con, [inbox], settings)

    assert [(Path(r.file).name, r.outcome) for r in result.loads] == [
        ("backup.tar.gz", "skipped"),
        ("report.docx", "skipped"),
    ]
    assert "a compressed .tar is not a format" in result.loads[0].detail
    assert "a .docx file is not a format carewindow reads" in result.loads[1].detail
    assert fetch_all(con, "select outcome, count(*) from load_log group by all") == [("skipped", 2)]
    assert "2 file(s) not loaded" in result.summary()


def test_a_windows_1252_file_counts_add_up_and_loads_with_its_encoding(con, settings, tmp_path):
    # given a Windows-1252 export (once counted rows_read = 3, loaded = 1, quarantined = 1)
    header = HEADER + ",template_name"
    rows = [
        "m1,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text,",
        "m2,2025-03-03T09:01:00Z,outbound,31201234567,31612345678,template,café",
        "m3,2025-03-03T09:02:00Z,outbound,31201234567,31612345678,template,€ offer",
    ]
    path = tmp_path / "cp1252.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("cp1252"))

    # read as UTF-8: the two rows that are not UTF-8 are quarantined, saying what to set
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.quarantined) == (3, 1, 2)
    adds_up(load)
    assert all(
        "set inputs.encoding" in reason
        for (reason,) in fetch_all(con, "select reason from quarantine")
    )

    # read with inputs.encoding the same file (another copy: the first is loaded) loads whole
    other = tmp_path / "again.csv"
    other.write_bytes(path.read_bytes() + b"\n")
    load = ingest_file(con, other, replace(settings, encoding="windows-1252"))
    assert (load.rows_read, load.loaded, load.duplicates, load.quarantined) == (3, 2, 1, 0)
    assert "read as windows-1252" in load.detail
    assert fetch_all(
        con, "select template_name from messages where type = 'template' order by 1"
    ) == [("café",), ("€ offer",)]


def test_utf16_json_lines(con, settings, tmp_path):
    rows = [
        {
            "message_id": f"m{i}",
            "timestamp": "2025-03-03T09:00:00Z",
            "direction": "inbound",
            "business_number": "31201234567",
            "contact": "31612345678",
            "type": "text",
        }
        for i in range(3)
    ]
    path = tmp_path / "log.jsonl"
    path.write_bytes("\n".join(json.dumps(r) for r in rows).encode("utf-16"))
    load = ingest_file(con, path, replace(settings, encoding="utf-16"))
    assert (load.rows_read, load.loaded) == (3, 3)


# --- every row accounted for ------------------------------------------------------------------


def test_source_line_on_every_row_of_the_fast_path(con, settings, tmp_path):
    # given a file of new messages (the one-pass path), with an unreadable row among them
    path = log(
        tmp_path,
        "lines.csv",
        "m1,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text",
        "m2,2025-03-03T09:01:00Z,inbound,31201234567,31612345678,text,extra,fields",
        "m3,2025-03-03T09:02:00Z,inbound,31201234567,+31 6 1234 5678,text",
        "m4,2025-03-03T09:03:00Z,inbound,31201234567,31612345678,text",
    )
    load = ingest_file(con, path, settings)
    assert (load.rows_read, load.loaded, load.quarantined) == (4, 3, 1)
    # expect the file's own lines (line 1 is the header), also past the unreadable row
    assert stored(con, "message_id, source_line") == [("m1", 2), ("m3", 4), ("m4", 5)]
    assert fetch_value(con, "select line from quarantine") == 3


def test_conflicting_copies_are_counted_and_listed(con, settings, tmp_path):
    ingest_file(
        con,
        log(tmp_path, "a.csv", "m1,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text"),
        settings,
    )
    # given a second file: the same copy again, and one with another contact and time
    load = ingest_file(
        con,
        log(
            tmp_path,
            "b.csv",
            "m1,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text",
            "m1,2025-03-03T10:00:00Z,inbound,31201234567,31699999999,text",
        ),
        settings,
    )

    assert (load.rows_read, load.loaded, load.duplicates, load.conflicts) == (2, 0, 1, 1)
    adds_up(load)
    assert fetch_value(con, "select conflicts from load_log where file like '%b.csv'") == 1
    row = fetch_all(
        con,
        "select message_id, file, line, other_file, other_line, differs, kept_file, kept_line, "
        "kept_values::json ->> 'contact' from message_conflicts",
    )
    assert row == [
        (
            "m1",
            str(tmp_path / "b.csv"),
            3,
            str(tmp_path / "a.csv"),
            2,
            "contact, sent_at",
            str(tmp_path / "a.csv"),
            2,
            "31612345678",
        )
    ]
    # the stored message keeps its facts (the earliest send time wins)
    assert stored(con, "message_id, contact, sent_at") == [
        ("m1", "31612345678", utc(2025, 3, 3, 9, 0))
    ]


def test_a_failed_file_gets_a_load_log_row_with_its_error(con, settings, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    result = ingest_paths(con, [empty, binary], settings)
    assert len(result.errors) == 2
    assert fetch_all(con, "select file, outcome, detail from load_log order by file") == [
        (str(binary), "failed", result.errors[1]),
        (str(empty), "failed", result.errors[0]),
    ]


# --- --retry-quarantine through the command line ------------------------------------------------


def test_retry_quarantine_on_the_command_line(tmp_path):
    from flows.cli import main

    path = log(
        tmp_path,
        "nl.csv",
        "m1,2025-03-03T09:00:00Z,inbound,31201234567,06 1234 5678,text",
        "m2,2025-03-03T09:00:00Z,inbound,31201234567,call me,text",
    )
    db = str(tmp_path / "w.duckdb")
    config = tmp_path / "carewindow.toml"
    config.write_text(f'[warehouse]\ntemp_directory = "{tmp_path / "tmp"}"\n')
    runner = CliRunner()
    first = runner.invoke(main, ["--config", str(config), "ingest", str(path), "--db", db])
    assert first.exit_code == 0, first.output
    assert "2 quarantined" in first.output

    config.write_text(
        f'[warehouse]\ntemp_directory = "{tmp_path / "tmp"}"\n[inputs]\ndefault_country = "NL"\n'
    )
    again = runner.invoke(
        main, ["--config", str(config), "ingest", "--retry-quarantine", "--db", db]
    )

    assert again.exit_code == 0, again.output
    assert "retried, 2 read, 1 loaded, 0 duplicates, 0 conflicts, 1 quarantined" in again.output
    import duckdb

    with duckdb.connect(db, read_only=True) as warehouse:
        assert warehouse.sql("select message_id, contact from messages").fetchall() == [
            ("m1", "31612345678")
        ]
        assert warehouse.sql(
            "select line, released_load_id is not null, reason from quarantine order by line"
        ).fetchall() == [
            (
                2,
                True,
                "contact is a national number (leading 0); set inputs.default_country "
                "to its country",
            ),
            (3, False, "contact is not a phone number (digits)"),
        ]
    nothing = runner.invoke(main, ["--config", str(config), "ingest", "--db", db])
    assert nothing.exit_code != 0 and "--retry-quarantine" in nothing.output
