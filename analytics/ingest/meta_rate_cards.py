"""Meta's rate-card files as Meta publishes them: the rates CSV, the volume-tiers CSV, and
(since the card effective 2026-10-01) the workbook holding both as sheets.

Recognised by their content (the title "Cost per message in USD on the WhatsApp Business
Platform, effective April 1, 2026", the header row, or a zip archive holding a workbook), read
whole as text records and turned into rate-card rows by SQL
(analytics/sql/ingest/meta_rate_card_*.sql), then checked and stored like the canonical CSV
(rate_cards.store_rates).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import LoadContext
from analytics.ingest.errors import IngestError
from analytics.ingest.files import FileHead
from analytics.ingest.workbooks import is_workbook, workbook_sheets

RATES = "meta_rates"
TIERS = "meta_volume_tiers"
WORKBOOK = "meta_workbook"
_HEAD_RECORDS = 40
_TITLE = re.compile(r"^\s*cost per message in [A-Z]{3}\b", re.IGNORECASE)


def _head_records(head: FileHead) -> list[list[str]]:
    """The first records of a CSV file, read by the csv module (quoted line breaks and all)."""
    text = head.content.decode("utf-8", errors="replace").lstrip("\ufeff")
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


def _name(cell: str | None) -> str:
    """A column name as compared: line breaks, spaces, hyphens, underscores and case aside."""
    return re.sub(r"[\s_\-]+", "", cell or "").lower()


def records_format(records: list[list[str | None]]) -> str | None:
    """RATES or TIERS when the records (a CSV file's head, or a sheet) hold one of Meta's
    rate-card tables, by their header row or, failing that, their title; else None."""
    if not records:
        return None
    for record in records[:_HEAD_RECORDS]:
        names = [_name(cell) for cell in record]
        if len(names) < 3 or not names[0].startswith("market") or names[1] != "currency":
            continue
        if "ratetype" in names:
            return TIERS
        if names[0] == "market" and {"marketing", "utility"} <= set(names):
            return RATES
    title = next((cell for cell in records[0] if cell), "") if records[0] else ""
    if _TITLE.match(title or ""):
        return TIERS if "volume tiers" in title.lower() else RATES
    return None


def meta_card_format(head: FileHead) -> str | None:
    """RATES, TIERS or WORKBOOK when the file is one of Meta's rate-card files, else None.
    Any workbook counts: Meta's is the only one carewindow reads, and load_rate_card says
    what a workbook lacks."""
    if head.is_zip:
        return WORKBOOK if is_workbook(head.path) else None
    return records_format(_head_records(head))


def stage_meta_card(
    ctx: LoadContext, card_format: str, effective_from: date | None
) -> tuple[str, date]:
    """Temp table `incoming_rates` from one of Meta's files, one row per rate or tier (n/a and
    blank ones counted as skipped and left out); returns the card's label and first day.
    Raises IngestError when the card's date is neither in its title nor given."""
    if card_format == WORKBOOK:
        return _stage_workbook(ctx, effective_from)
    _read_csv_records(ctx)
    title = _title(ctx)
    card, card_date, currency = _card(ctx, title, effective_from)
    _card_rows(ctx, card_format, currency, card)
    _finish(ctx, card, card_date, title, effective_from)
    return card, card_date


def _read_csv_records(ctx: LoadContext) -> None:
    """Temp table `meta_card_records` from a CSV file, every record with its first line."""
    con, stage = ctx.con, ctx.stage
    width = max((len(record) for record in _head_records(stage.head)), default=1)
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    cells = ", ".join(f"c{i}" for i in range(width))
    con.execute("set preserve_insertion_order = true")  # records are numbered in file order
    try:
        con.execute(
            "create or replace temp table meta_card_read as "
            f"select row_number() over () as record, null::varchar as sheet, [{cells}] as cells "
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


def _read_sheet_records(ctx: LoadContext, sheet: str, rows: list[list[str | None]]) -> None:
    """Temp table `meta_card_records` from one sheet of a workbook (line = the sheet's row)."""
    width = max((len(row) for row in rows), default=1)
    ctx.con.execute(
        "create or replace temp table meta_card_read as "
        "select unnest(range(1, len($cells) + 1)) as record, $sheet::varchar as sheet, "
        "unnest($cells)::varchar[] as cells",
        {"sheet": sheet, "cells": [row + [None] * (width - len(row)) for row in rows]},
    )
    ctx.con.execute(
        "create or replace temp table meta_card_records as "
        + sql_text("ingest/meta_rate_card_records")
    )


def _title(ctx: LoadContext) -> tuple[str | None, str | None, date | None]:
    """(title, currency, effective date) from the title of `meta_card_records`."""
    return tuple(fetch_all(ctx.con, sql_text("ingest/meta_rate_card_title"))[0])


def _card(
    ctx: LoadContext, title: tuple[str | None, str | None, date | None], effective_from: date | None
) -> tuple[str, date, str | None]:
    """The card's label, first day and currency, from its title or --effective-from."""
    text, title_currency, title_date = title
    card_date = effective_from or title_date
    if card_date is None:
        raise IngestError(
            f"{ctx.stage.name}: Meta's rate card names no effective date in its title "
            f"({text!r}); pass --effective-from YYYY-MM-DD (the first day its rates apply); "
            "nothing from it was loaded"
        )
    currency = title_currency or fetch_value(
        ctx.con,
        "select any_value(upper(cells[2])) from meta_card_records "
        "where regexp_full_match(cells[2], '[A-Za-z]{3}') and lower(cells[2]) <> 'currency'",
    )
    card = f"Meta {currency or 'unknown-currency'} card effective {card_date.isoformat()}"
    return card, card_date, currency


def _card_rows(
    ctx: LoadContext,
    card_format: str,
    currency: str | None,
    card: str,
    table: str = "incoming_rates",
) -> None:
    """Temp table `table`: the rate-card rows of `meta_card_records` (a rates or tiers table),
    with the columns the table has but carewindow does not price named in the load's notes."""
    con = ctx.con
    sql = "ingest/meta_rate_card_tiers" if card_format == TIERS else "ingest/meta_rate_card_rates"
    if card_format == RATES:
        con.execute(
            "create or replace temp table meta_card_header as "
            + sql_text("ingest/meta_rate_card_header")
        )
    con.execute(
        f"create or replace temp table {table} as " + sql_text(sql),
        {"currency": currency, "card": card},
    )
    if card_format == RATES:
        unread = [row[0] for row in fetch_all(con, sql_text("ingest/meta_rate_card_other_columns"))]
        if unread:
            ctx.stage.detail.append(
                "not read as rates (no per-message rate category carewindow prices): "
                + ", ".join(f"column {name!r}" for name in unread)
            )
    if not fetch_value(con, f"select count(*) from {table}"):
        what = "rates" if card_format == RATES else "volume tiers"
        raise IngestError(
            f"{ctx.stage.name}: looks like Meta's rate card but its {what} have no header row "
            "(Market, Currency, ...) followed by markets; check that it is the file as Meta "
            "publishes it; nothing from it was loaded"
        )


def _finish(
    ctx: LoadContext,
    card: str,
    card_date: date,
    title: tuple,
    effective_from: date | None,
    workbook: bool = False,
) -> None:
    """Count and drop the rows `incoming_rates` skips (n/a, blank); note what was read."""
    con, stage = ctx.con, ctx.stage
    skipped = fetch_all(
        con,
        "select skip_reason, count(*) from incoming_rates where skip_reason is not null "
        "group by all order by 2 desc, 1",
    )
    ctx.load.skipped += sum(count for _, count in skipped)
    if skipped:
        stage.detail.append("skipped: " + "; ".join(f"{n} x {r}" for r, n in skipped))
    header_line = None if workbook else fetch_value(con, "select min(line) - 1 from incoming_rates")
    con.execute("delete from incoming_rates where skip_reason is not null")
    title_date = title[2]
    stage.detail.insert(
        0,
        f"{card}, read as Meta publishes it"
        + (f" (lines 1-{header_line}: title, preamble and header)" if header_line else "")
        + (
            f"; effective date {card_date} given, title says {title_date}"
            if effective_from and title_date and effective_from != title_date
            else ""
        ),
    )


def _stage_workbook(ctx: LoadContext, effective_from: date | None) -> tuple[str, date]:
    """Meta's workbook: rates from the sheet holding the rates table ("List rates"), tiers
    from the one holding the tier table ("Volume tiers"); other sheets are noted, not read."""
    con, stage = ctx.con, ctx.stage
    sheets = workbook_sheets(stage.path, stage.name)
    tables = {name: records_format(rows) for name, rows in sheets.items()}
    rates = [name for name, found in tables.items() if found == RATES]
    tiers = [name for name, found in tables.items() if found == TIERS]
    if len(rates) != 1 or len(tiers) > 1:
        found = ", ".join(f"{name!r}" for name in sheets) or "none"
        raise IngestError(
            f"{stage.name}: an Excel workbook, but not Meta's rate card: "
            + (
                "no sheet holds the rates table (a header row Market, Currency, Marketing, "
                "Utility, ...)"
                if not rates
                else "several sheets hold a rates or tiers table"
            )
            + f" (sheets: {found}); nothing from it was loaded"
        )
    _read_sheet_records(ctx, rates[0], sheets[rates[0]])
    title = _title(ctx)
    card, card_date, currency = _card(ctx, title, effective_from)
    _card_rows(ctx, RATES, currency, card)
    if tiers:
        _read_sheet_records(ctx, tiers[0], sheets[tiers[0]])
        tiers_title = _title(ctx)
        if tiers_title[2] is not None and tiers_title[2] != title[2]:
            raise IngestError(
                f"{stage.name}: sheet {tiers[0]!r} is effective {tiers_title[2]}, sheet "
                f"{rates[0]!r} {title[2]}: not one card; nothing from it was loaded"
            )
        _card_rows(ctx, TIERS, currency, card, table="incoming_tiers")
        con.execute("insert into incoming_rates by name select * from incoming_tiers")
        con.execute("drop table incoming_tiers")
    _finish(ctx, card, card_date, title, effective_from, workbook=True)
    stage.detail.append(
        f"sheet {rates[0]!r}: rates"
        + (f"; sheet {tiers[0]!r}: volume tiers" if tiers else "; no volume-tiers sheet")
        + "".join(
            f"; sheet {name!r} skipped (no rate-card table)"
            for name, found in tables.items()
            if found is None
        )
    )
    return card, card_date
