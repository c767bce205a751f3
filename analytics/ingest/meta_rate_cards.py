"""Meta's rate-card files as Meta publishes them: the rates CSV and the volume-tiers CSV.

Recognised by their content (the title line "Cost per message in USD on the WhatsApp Business
Platform, effective April 1, 2026", or the header row), read whole as text records and turned
into rate-card rows by SQL (analytics/sql/ingest/meta_rate_card_*.sql), then checked and
stored like the canonical CSV (rate_cards.store_rates).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import IngestError, LoadContext

RATES = "meta_rates"
TIERS = "meta_volume_tiers"
_HEAD_BYTES = 65536
_HEAD_RECORDS = 40
_TITLE = re.compile(r"^\s*cost per message in [A-Z]{3}\b", re.IGNORECASE)


def _head_records(path: Path) -> list[list[str]]:
    """The first records of a CSV file, read by the csv module (quoted line breaks and all)."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= _HEAD_RECORDS:
                break
    except csv.Error:
        pass  # the head cut a quoted cell short, or it is no CSV: keep what was read
    return records


def _words(record: list[str]) -> list[str]:
    return [re.sub(r"\s+", " ", cell).strip().lower() for cell in record]


def meta_card_format(path: Path) -> str | None:
    """RATES or TIERS when the file is one of Meta's rate-card files, else None."""
    records = _head_records(path)
    if not records:
        return None
    titled = bool(records[0]) and _TITLE.match(records[0][0]) is not None
    for record in records:
        words = _words(record)
        if len(words) < 3 or not words[0].startswith("market") or words[1] != "currency":
            continue
        if "rate type" in words:
            return TIERS
        if words[0] == "market" and {"marketing", "utility"} <= set(words):
            return RATES
    if titled:
        return TIERS if "volume tiers" in records[0][0].lower() else RATES
    return None


def _width(path: Path) -> int:
    """The most cells a record of the file's head has: the columns to read."""
    return max((len(record) for record in _head_records(path)), default=1)


def stage_meta_card(
    ctx: LoadContext, card_format: str, effective_from: date | None
) -> tuple[str, date]:
    """Temp table `incoming_rates` from one of Meta's files, one row per rate or tier (n/a ones
    counted as skipped and left out); returns the card's label and first day. Raises
    IngestError when the card's date is neither in its title line nor given."""
    con, stage = ctx.con, ctx.stage
    width = _width(stage.path)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    cells = ", ".join(f"c{i}" for i in range(width))
    con.execute("set preserve_insertion_order = true")  # records are numbered in file order
    try:
        con.execute(
            "create or replace temp table meta_card_read as "
            f"select row_number() over () as record, [{cells}] as cells "
            f"from read_csv($path, auto_detect = false, header = false, columns = {{{columns}}}, "
            "delim = $delim, quote = '\"', escape = '\"', null_padding = true, parallel = false, "
            "compression = $compression, max_line_size = $max_line_size, "
            "buffer_size = $buffer_size, "
            f"ignore_errors = true, store_rejects = true, rejects_table = '{stage.rejects}', "
            f"rejects_scan = '{stage.reject_scans}')",
            stage.parameters,
        )
        con.execute(
            "create or replace temp table meta_card_records as "
            + sql_text("ingest/meta_rate_card_records")
        )
    finally:
        con.execute("set preserve_insertion_order = false")
    stage.renumber("meta_card_records")
    title, title_currency, title_date = fetch_all(con, sql_text("ingest/meta_rate_card_title"))[0]
    card_date = effective_from or title_date
    if card_date is None:
        raise IngestError(
            f"{stage.name}: Meta's rate card names no effective date in its title line "
            f"({title!r}); pass --effective-from YYYY-MM-DD (the first day its rates apply); "
            "nothing from it was loaded"
        )
    currency = title_currency or fetch_value(
        con,
        "select any_value(upper(cells[2])) from meta_card_records "
        "where regexp_full_match(cells[2], '[A-Za-z]{3}') and lower(cells[2]) <> 'currency'",
    )
    card = f"Meta {currency or 'unknown-currency'} card effective {card_date.isoformat()}"
    sql = "ingest/meta_rate_card_tiers" if card_format == TIERS else "ingest/meta_rate_card_rates"
    con.execute(
        "create or replace temp table incoming_rates as " + sql_text(sql),
        {"currency": currency, "card": card},
    )
    if not fetch_value(con, "select count(*) from incoming_rates"):
        raise IngestError(
            f"{stage.name}: looks like Meta's rate card but has no header row "
            "(Market, Currency, ...) followed by markets; check that it is the file as Meta "
            "publishes it; nothing from it was loaded"
        )
    skipped = fetch_all(
        con,
        "select skip_reason, count(*) from incoming_rates where skip_reason is not null "
        "group by all order by 2 desc, 1",
    )
    ctx.load.skipped += sum(count for _, count in skipped)
    if skipped:
        stage.detail.append("skipped: " + "; ".join(f"{n} x {r}" for r, n in skipped))
    header_line = fetch_value(con, "select min(line) - 1 from incoming_rates")
    con.execute("delete from incoming_rates where skip_reason is not null")
    stage.detail.append(
        f"{card}, read as Meta publishes it"
        + (f" (lines 1-{header_line}: title, preamble and header)" if header_line else "")
        + (
            f"; effective date {card_date} given, title says {title_date}"
            if effective_from and title_date and effective_from != title_date
            else ""
        )
    )
    return card, card_date
