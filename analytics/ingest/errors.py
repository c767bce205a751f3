"""The error a file that cannot be loaded raises, naming the file and what to do."""

from __future__ import annotations

from pathlib import Path

import duckdb


class IngestError(RuntimeError):
    """A file cannot be loaded at all; the message names the file and what to do."""


def read_error(path: Path, error: Exception) -> IngestError:
    """The IngestError for a file DuckDB or the OS could not read."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    # DuckDB quotes the offending bytes: keep the message one printable line of some length
    message = "".join(c if c.isprintable() and c != "\ufffd" else "?" for c in message)
    if len(message) > 200:
        message = message[:199] + "…"
    if "No space left on device" in str(error) or isinstance(error, duckdb.FatalException):
        # The warehouse's own storage failed, not the input file: say so.
        return IngestError(
            f"{path}: not loaded, the warehouse's disk is full or failing ({message}). Free "
            "space beside the warehouse and its spill folder (warehouse.temp_directory), then "
            "load the file again; nothing from it was loaded"
        )
    return IngestError(
        f"{path}: cannot be read ({message}). Check that it is a complete CSV, Parquet, JSON or "
        "JSON Lines file; nothing from it was loaded"
    )
