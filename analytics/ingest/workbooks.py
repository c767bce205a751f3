"""Excel workbooks as text records: Meta's rate card since October 2026 comes as one.

A workbook is a zip archive holding `xl/workbook.xml`, whatever its file name (Meta's download
is often named `.csv`). Each sheet is read whole by pandas (openpyxl as its engine; a rate card
is a few hundred rows) into records of text cells, so that the same SQL reads a sheet and a
CSV file: numbers become their shortest decimal text (0.0618, 100001), empty cells null.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import pandas as pd

from analytics.ingest.errors import IngestError

_ZIP_MAGIC = b"PK\x03\x04"


def is_zip(head: bytes) -> bool:
    return head.startswith(_ZIP_MAGIC)


def is_workbook(path: Path) -> bool:
    """True when the file is a zip archive holding an Excel workbook (xl/workbook.xml)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def cell_text(value: object) -> str | None:
    """A cell as text: None for an empty cell, whole numbers without a decimal point, other
    numbers as their shortest round-trip decimal, dates in ISO form."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is pd.NaT:
        return None
    text = str(value)
    return text if text.strip() else None


def workbook_sheets(path: Path, name: str | Path) -> dict[str, list[list[str | None]]]:
    """Every sheet of the workbook at `path` as rows of text cells, in the workbook's order.

    Raises IngestError (naming the file as `name`) when it is not a readable workbook.
    """
    try:
        # keep_default_na=False: Meta's "n/a" (no rate) is a cell's text, not a missing value
        frames = pd.read_excel(
            path,
            sheet_name=None,
            header=None,
            dtype=object,
            keep_default_na=False,
            engine="openpyxl",
        )
    except Exception as error:  # openpyxl raises many kinds for a damaged archive
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise IngestError(
            f"{name}: looks like an Excel workbook but cannot be read ({reason[:200]}); "
            "download it again or save it as .xlsx; nothing from it was loaded"
        ) from error
    return {
        sheet: [[cell_text(value) for value in row] for row in frame.itertuples(index=False)]
        for sheet, frame in frames.items()
    }
