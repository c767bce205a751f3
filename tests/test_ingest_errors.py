"""Errors a user reads when a file cannot be loaded: one line, saying what to do next."""

from __future__ import annotations

import os

import pytest

from analytics.ingest import IngestError, ingest_file


def test_a_binary_file_is_named_as_such_without_its_bytes(con, settings, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 64 + os.urandom(4096))
    with pytest.raises(IngestError) as raised:
        ingest_file(con, path, settings, kind="message_log")
    message = str(raised.value)
    assert "not text" in message and "inputs.encoding" in message
    assert len(message) < 300
    assert all(character.isprintable() for character in message)


def test_a_ledger_without_its_columns_is_not_sent_to_the_message_log_aliases(
    con, settings, tmp_path
):
    path = tmp_path / "ledger.csv"
    path.write_text("customer,when,what\n31612345678,2025-01-01T00:00:00Z,opt_in\n")
    with pytest.raises(IngestError) as raised:
        ingest_file(con, path, settings, kind="opt_in_ledger")
    message = str(raised.value)
    assert "required column(s)" in message
    assert "column_aliases" not in message
