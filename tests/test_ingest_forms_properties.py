"""Property tests for the forms people write: phone numbers in every spelling with
a default country, timestamps in every form, and files in other encodings: no row is lost and
every file's counts add up."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_ingest_properties import PROPERTY_SETTINGS, phone_numbers, timestamps

from analytics.db import connect_memory, fetch_all
from analytics.ingest import ingest_file

HEADER = [
    "message_id",
    "timestamp",
    "direction",
    "business_number",
    "contact",
    "type",
    "template_name",
]
# Text every encoding below can write: ASCII and Western European letters.
WESTERN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ 0123456789éèêëüöäßçñåøÉÜ,;\"'", max_size=20
)
ENCODINGS = ("utf-8", "windows-1252", "latin-1", "utf-16")


def adds_up(load) -> None:
    assert load.rows_read == (
        load.loaded + load.duplicates + load.conflicts + load.quarantined + load.skipped
    )


@st.composite
def rows(draw, national_region: str | None = None) -> tuple[list[list[str]], set[tuple]]:
    """Message-log rows with numbers and times in any accepted form, and the messages due."""
    written, expected = [], set()
    for number in range(draw(st.integers(1, 20))):
        time_text, moment = draw(timestamps())
        business_text, business = draw(phone_numbers(national_region))
        contact_text, contact = draw(phone_numbers(national_region))
        name = draw(WESTERN)
        written.append(
            [f"m{number}", time_text, "outbound", business_text, contact_text, "template", name]
        )
        expected.add((f"m{number}", moment, business, contact))
    return written, expected


def _csv(written: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(written)
    return buffer.getvalue()


def _stored(con) -> set[tuple]:
    return set(fetch_all(con, "select message_id, sent_at, business_number, contact from messages"))


@PROPERTY_SETTINGS
@given(log=rows(national_region="NL"))
def test_every_phone_and_time_form_loads_to_the_same_message(tmp_path, settings, log):
    written, expected = log
    path = tmp_path / "forms.csv"
    path.write_text(_csv(written), encoding="utf-8")
    con = connect_memory(settings)
    try:
        load = ingest_file(con, path, replace(settings, default_country="NL"))
        adds_up(load)
        assert (load.rows_read, load.loaded, load.quarantined) == (len(written), len(written), 0)
        assert _stored(con) == expected
    finally:
        con.close()


@hypothesis_settings(PROPERTY_SETTINGS, max_examples=25)
@given(log=rows(), encoding=st.sampled_from(ENCODINGS))
def test_a_file_in_any_encoding_loads_whole_with_inputs_encoding(tmp_path, settings, log, encoding):
    written, expected = log
    path = tmp_path / "encoded.csv"
    path.write_bytes(_csv(written).encode(encoding))
    con = connect_memory(settings)
    try:
        load = ingest_file(con, path, replace(settings, encoding=encoding))
        adds_up(load)
        assert (load.rows_read, load.loaded) == (len(written), len(written))
        assert _stored(con) == expected
        assert sorted(fetch_all(con, "select message_id, template_name from messages")) == sorted(
            (row[0], row[6] or None) for row in written
        )
    finally:
        con.close()


@hypothesis_settings(PROPERTY_SETTINGS, max_examples=25)
@given(log=rows(), encoding=st.sampled_from(("windows-1252", "latin-1")))
def test_a_file_read_in_the_wrong_encoding_loses_no_row(tmp_path, settings, log, encoding):
    # given a Western European file read as UTF-8 (the default): rows that are not UTF-8 are
    # quarantined, the others load; none disappears
    written, _ = log
    path = tmp_path / "wrong.csv"
    path.write_bytes(_csv(written).encode(encoding))
    con = connect_memory(settings)
    try:
        load = ingest_file(con, path, settings)
        adds_up(load)
        assert load.rows_read == len(written)
        assert load.loaded + load.quarantined == len(written)
    finally:
        con.close()
