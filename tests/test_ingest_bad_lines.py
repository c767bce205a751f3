"""Bad lines cannot hang a load or lose their text: a line of many delimiters is
quarantined at a cost linear in its length, with one sentence and its first megabyte; rows
quarantined for their encoding come back with --retry-quarantine once the setting is fixed."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from analytics.db import fetch_all, sql_text
from analytics.ingest import ingest_file, retry_quarantine
from analytics.ingest.files import _scan

HEADER = "message_id,timestamp,direction,business_number,contact,type"
GOOD = "{},2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text"


def write(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def adds_up(load) -> None:
    assert load.rows_read == (
        load.loaded + load.duplicates + load.conflicts + load.quarantined + load.skipped
    )


# --- a line of many delimiters ---------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
def test_a_line_of_300000_delimiters_is_quarantined_with_one_sentence(
    con, settings, tmp_path, compress
):
    # given a message log with one corrupt line of 300,000 delimiters between good rows
    path = write(tmp_path, "corrupt.csv", GOOD.format("m1"), "x," * 300_000, GOOD.format("m2"))
    if compress:
        gz = tmp_path / "corrupt.csv.gz"
        gz.write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
        path = gz

    load = ingest_file(con, path, settings)

    # expect the good rows loaded and the corrupt line quarantined: its line, its text, and
    # one sentence giving its field count against the header's
    assert (load.rows_read, load.loaded, load.quarantined) == (3, 2, 1)
    adds_up(load)
    ((line, raw, reason),) = fetch_all(con, "select line, raw, reason from quarantine")
    assert line == 3
    assert raw == "x," * 300_000
    assert reason == (
        "unreadable row: 300,001 fields where the header has 6 columns (a corrupt line, or "
        "values holding the delimiter without quotes)"
    )


def test_a_short_line_says_its_field_count_once(con, settings, tmp_path):
    # given lines of one field and of two fields too many (DuckDB reports a count per column)
    path = write(tmp_path, "short.csv", GOOD.format("m1"), "lonely", GOOD.format("m2") + ",a,b")

    ingest_file(con, path, settings)

    assert fetch_all(con, "select line, reason from quarantine order by line") == [
        (3, "unreadable row: 1 field(s) where the header has 6 columns"),
        (
            4,
            "unreadable row: 8 fields where the header has 6 columns (a corrupt line, or "
            "values holding the delimiter without quotes)",
        ),
    ]


def test_a_long_bad_line_keeps_its_first_megabyte(con, settings, tmp_path):
    # given a 3 MB line of commas (DuckDB's own record of a bad line keeps 10,000 characters)
    path = write(tmp_path, "long.csv", GOOD.format("m1"), "," * 3_000_000)

    load = ingest_file(con, path, settings)

    assert (load.loaded, load.quarantined) == (1, 1)
    ((raw, reason),) = fetch_all(con, "select raw, reason from quarantine")
    assert raw.startswith("," * 990_000)
    assert raw.endswith("more bytes)")
    assert 990_000 < len(raw) <= 1_000_000
    assert reason.startswith("unreadable row: at least ")


def test_a_long_line_whose_fields_are_quoted_is_a_row_like_any_other(con, settings, tmp_path):
    # given a good row whose last value is long and quoted, holding many commas
    header = HEADER + ",template_name"
    path = tmp_path / "quoted.csv"
    body = "a," * 10_000
    path.write_text(
        f'{header}\n{GOOD.format("m1")},"{body}"\n{GOOD.format("m2")},x\n'.replace(
            "text,", "template,"
        ),
        encoding="utf-8",
    )

    load = ingest_file(con, path, settings)

    assert (load.rows_read, load.loaded, load.quarantined) == (2, 2, 0)
    assert fetch_all(con, "select length(template_name) from messages order by 1") == [
        (1,),
        (20_000,),
    ]


def test_the_scan_notes_each_long_line_with_its_number_start_and_length():
    # given lines split across chunks in every way
    text = b"h\n" + b"a" * 5000 + b"\nb\n" + b"c" * 9000
    chunks = [text[i : i + 3000] for i in range(0, len(text), 3000)]

    longest, lines, long_lines = _scan(chunks)

    assert (longest, lines) == (9000, 4)
    assert [(line.number, line.offset, line.length) for line in long_lines] == [
        (2, 2, 5000),
        (4, 5005, 9000),
    ]


# --- rows quarantined for their encoding come back --------------------------------------------


def cp1252_log(folder: Path) -> Path:
    header = HEADER + ",template_name,waba_id"
    rows = [
        "m1,2025-03-03T09:00:00Z,inbound,31201234567,31612345678,text,,111",
        "m2,2025-03-03T09:01:00Z,outbound,31201234567,31612345678,template,café,111",
        "m3,2025-03-03T09:02:00Z,outbound,31201234567,31612345678,template,€ offer,111",
    ]
    path = folder / "cp1252.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("cp1252"))
    return path


def test_an_undecodable_row_keeps_its_delimiters_in_the_quarantine(con, settings, tmp_path):
    ingest_file(con, cp1252_log(tmp_path), settings)

    # expect every delimiter kept, the bytes that are not UTF-8 written as \xNN
    assert fetch_all(con, "select line, raw from quarantine order by line") == [
        (3, "m2,2025-03-03T09:01:00Z,outbound,31201234567,31612345678,template,caf\\xe9,111"),
        (4, "m3,2025-03-03T09:02:00Z,outbound,31201234567,31612345678,template,\\x80 offer,111"),
    ]


def test_rows_quarantined_for_their_encoding_load_on_retry_once_it_is_set(con, settings, tmp_path):
    # given a windows-1252 file loaded with the default encoding: two rows quarantined
    path = cp1252_log(tmp_path)
    ingest_file(con, path, settings)

    # when inputs.encoding is set and the quarantine retried
    result = retry_quarantine(con, replace(settings, encoding="windows-1252"))

    # expect both rows read again from the file and loaded, and released
    ((load,),) = [result.loads]
    assert (load.outcome, load.rows_read, load.loaded, load.quarantined) == ("retried", 2, 2, 0)
    assert "2 row(s) that could not be read at all read again" in load.detail
    assert fetch_all(
        con, "select message_id, template_name, source_line from messages order by 1"
    ) == [("m1", None, 2), ("m2", "café", 3), ("m3", "€ offer", 4)]
    assert fetch_all(con, "select count(*) from quarantine where released_load_id is null") == [
        (0,)
    ]


def test_a_retry_says_when_the_file_of_unreadable_rows_is_gone(con, settings, tmp_path):
    path = cp1252_log(tmp_path)
    ingest_file(con, path, settings)
    path.unlink()

    ((load,),) = [retry_quarantine(con, replace(settings, encoding="windows-1252")).loads]

    assert load.loaded == 0
    assert (
        f"2 row(s) that could not be read at all stay quarantined: {path} is no longer there; "
        "load a corrected copy of the file to load them" in load.detail
    )
    assert fetch_all(con, "select count(*) from quarantine where released_load_id is null") == [
        (2,)
    ]


def test_lines_are_found_by_number_across_chunks(tmp_path, monkeypatch):
    from analytics.ingest import long_lines
    from analytics.ingest.files import open_input

    path = tmp_path / "lines.csv"
    path.write_bytes(b"h\n" + b"a" * 10 + b"\nb\xe9,c\n" + b"d" * 25)
    monkeypatch.setattr(long_lines, "_COPY_CHUNK", 4)
    source = open_input(path, "utf-8", str(tmp_path))

    assert long_lines.lines_by_number(source, {2, 3, 4}) == {
        2: "a" * 10,
        3: "b\\xe9,c",
        4: "d" * 25,
    }


def test_the_retry_summary_says_it_retried_rather_than_ingested(con, settings, tmp_path):
    ingest_file(con, cp1252_log(tmp_path), settings)

    result = retry_quarantine(con, replace(settings, encoding="windows-1252"))

    assert result.summary().startswith(
        "retried the quarantined rows of 1 file(s): 2 rows read, 2 loaded"
    )


def test_a_long_line_rejected_for_another_reason_keeps_more_than_10000_characters(
    con, settings, tmp_path
):
    # given a 30,000-character line of the header's field count, whose bytes are not UTF-8
    long_value = "caf\xe9 " * 6_000
    path = tmp_path / "long.csv"
    path.write_bytes(
        (f"{HEADER},template_name\n{GOOD.format('m1')},\n").encode()
        + f"{GOOD.format('m2')},{long_value}\n".replace("text,", "template,").encode("cp1252")
    )

    load = ingest_file(con, path, settings)

    assert (load.loaded, load.quarantined) == (1, 1)
    ((raw, reason),) = fetch_all(con, "select raw, reason from quarantine")
    assert reason.startswith("unreadable row: not valid UTF-8 text")
    assert len(raw) > 30_000 and raw.endswith("caf\\xe9 ")


# --- line numbers of a big file ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_every_row_of_a_file_read_in_many_chunks_keeps_its_line(con, settings, tmp_path, kind):
    # given 60,000 messages (DuckDB reads them in many chunks, on every thread) whose
    # message_id is their line number, with a bad row at line 40,001 and a blank line
    # (JSON Lines) or a short line (CSV) at line 50,001
    count = 250_000
    if kind == "csv":
        rows = [GOOD.format(f"m{line}") for line in range(2, count + 2)]
        rows[40_001 - 2] = "m40001,not a time,inbound,31201234567,31612345678,text"
        rows[50_001 - 2] = "lonely"
        path = write(tmp_path, "big.csv", *rows)
    else:
        template = (
            '{{"message_id": "m{}", "timestamp": "2025-03-03T09:00:00Z", "direction": '
            '"inbound", "business_number": "31201234567", "contact": "31612345678", '
            '"type": "text"}}'
        )
        rows = [template.format(line) for line in range(1, count + 1)]
        rows[40_001 - 1] = template.format(40001).replace("2025-03-03T09:00:00Z", "not a time")
        rows[50_001 - 1] = "   "
        path = tmp_path / "big.jsonl"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings = replace(settings, threads=2)

    load = ingest_file(con, path, settings)

    # expect every stored row's line to be the line its message_id names, and the bad rows
    # quarantined at theirs
    adds_up(load)
    assert fetch_all(
        con,
        "select count(*), count_if(source_line = substr(message_id, 2)::bigint) from messages",
    ) == [(count - 2, count - 2)]
    assert [line for (line,) in fetch_all(con, "select line from quarantine order by line")] == (
        [40_001, 50_001] if kind == "csv" else [40_001]
    )


# --- a file of many CSV buffers --------------------------------------------------------------


@pytest.mark.parametrize("direct", [True, False])
def test_rows_keep_their_lines_across_the_readers_buffers(
    con, settings, tmp_path, monkeypatch, direct
):
    # given a message log of 150,000 rows (about 9 MB) read in 3 MB buffers (a big log's 128
    # MB buffers, scaled down), with bad rows of both kinds on either side of the buffers'
    # edges: rows the CSV reader rejects (a field too many) and rows the checks refuse (no
    # timestamp); message m<n> is on line n
    from analytics.ingest import staging

    monkeypatch.setattr(staging, "buffer_size", lambda *_: 3 * 1024 * 1024)
    rejected = set(range(5_003, 150_000, 9_973))
    refused = set(range(7_001, 150_000, 12_007))
    lines = []
    for n in range(2, 150_002):
        if n in rejected:
            lines.append(GOOD.format(f"m{n}") + ",extra")
        elif n in refused:
            lines.append(f"m{n},,inbound,31201234567,31612345678,text")
        else:
            lines.append(GOOD.format(f"m{n}"))
    path = write(tmp_path, "big.csv", *lines)
    if not direct:
        # a message stored already sends the file down the merging path
        ingest_file(con, write(tmp_path, "first.csv", GOOD.format("m2")), settings)

    load = ingest_file(con, path, settings)

    # expect every stored message on its line, and every bad row quarantined with its own
    adds_up(load)
    assert load.quarantined == len(rejected) + len(refused)
    assert fetch_all(
        con,
        "select count(*), count_if(message_id <> 'm' || source_line) from messages "
        "where source_file = ?",
        [str(path)],
    ) == [(150_000 - len(rejected) - len(refused) - (0 if direct else 1), 0)]
    assert fetch_all(
        con, "select line from quarantine where file = ? order by line", [str(path)]
    ) == [(n,) for n in sorted(rejected | refused)]


def test_the_readers_buffers_grow_with_the_memory_limit_and_the_longest_line():
    from analytics.ingest.files import buffer_size

    mib = 1024 * 1024
    # given ordinary lines (2 MiB at most): DuckDB's 32 MiB, up to 128 MiB as memory allows
    assert buffer_size(2 * mib) == 32 * mib
    assert buffer_size(2 * mib, 512 * mib) == 32 * mib
    assert buffer_size(2 * mib, 2048 * mib) == 64 * mib
    assert buffer_size(2 * mib, 14 * 1024 * mib) == 128 * mib
    # a 50 MiB line: twice its length, whatever the memory
    assert buffer_size(50 * mib, 14 * 1024 * mib) == 100 * mib


@pytest.mark.parametrize("bucket_rows", [1, 2, 3, 16])
def test_numbered_rows_are_put_back_on_their_lines_past_the_rejected_ones(con, bucket_rows):
    # given a file of 13 lines, the header on line 1, whose lines 2, 5, 6 and 10 the CSV
    # reader rejected: the 8 rows it gave are numbered 2 to 9 in file order
    con.execute(sql_text("ingest/macros"))
    con.execute("create temp table rejects as select * from (values (2), (5), (6), (10)) t(line)")
    con.execute(
        "create temp table buckets as select * from "
        f"rejected_line_buckets('rejects', {bucket_rows}, 9)"
    )

    lines = fetch_all(
        con,
        "select shifted_line(n, b.base, b.starts, b.shifts) from range(2, 10) as r(n) "
        f"join buckets as b on b.bucket = n // {bucket_rows} order by n",
    )

    # expect each row on its line, whatever the buckets' size
    assert lines == [(3,), (4,), (7,), (8,), (9,), (11,), (12,), (13,)]
