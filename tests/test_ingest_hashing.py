"""The file hash computed beside the line scan (analytics/ingest/hashing.py), given / expect."""

from __future__ import annotations

import hashlib
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.ingest.files import file_sha256, open_input
from analytics.ingest.hashing import hashed_beside


@given(st.lists(st.binary(max_size=5000), max_size=40))
def test_the_chunks_handed_make_the_digest_of_their_concatenation(chunks):
    digest = hashlib.sha256()
    with hashed_beside(digest) as hash_chunk:
        for chunk in chunks:
            hash_chunk(chunk)
    assert digest.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_an_error_in_the_block_ends_the_thread_with_what_was_handed_hashed():
    digest = hashlib.sha256()
    before = threading.active_count()
    with pytest.raises(RuntimeError), hashed_beside(digest) as hash_chunk:
        hash_chunk(b"first")
        raise RuntimeError("the scan failed")
    assert threading.active_count() == before
    assert digest.hexdigest() == hashlib.sha256(b"first").hexdigest()


def test_an_opened_file_has_the_hash_of_its_bytes(tmp_path):
    # given: a log bigger than many chunks of the scan, with a long line in it
    path = tmp_path / "messages.csv"
    lines = [b"message_id,timestamp,direction"] + [
        b"wamid.%d,2026-12-01T10:00:00Z,inbound" % n for n in range(120_000)
    ]
    lines.insert(5000, b"wamid.long," + b"x" * 10_000 + b",inbound")
    path.write_bytes(b"\n".join(lines) + b"\n")

    opened = open_input(path, "utf-8", str(tmp_path))

    # expect: the digest is the file's, and the long line was still measured
    assert opened.digest == file_sha256(path)
    assert [line.number for line in opened.long_lines] == [5001]
