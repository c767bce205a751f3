"""The data dictionary of docs/warehouse.md, generated from the warehouse's own comments.

`python -m analytics.dictionary --write` builds an empty warehouse with every public table (the
rebuild describes it at its end, from the description files analytics/catalog.py reads), and
writes its tables and columns between the page's data-dictionary markers; `--check` says whether
the page is current. A tool for the repository, not part of the runtime.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from analytics.catalog import (
    missing_descriptions,
    public_columns,
    public_relations,
    relation_comments,
    stale_descriptions,
)
from analytics.doc_pages import ROOT, GeneratedPart, end_marker, start_marker, with_part

PAGE = ROOT / "docs" / "warehouse.md"
WRITE = "python -m analytics.dictionary --write"
DICTIONARY = "data-dictionary"
DICTIONARY_START = start_marker(DICTIONARY, WRITE)
DICTIONARY_END = end_marker(DICTIONARY)


def reference_warehouse() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with every public table, rebuilt (empty) and described."""
    from analytics.config import Settings
    from analytics.db import connect_memory
    from analytics.rebuild import rebuild_warehouse

    settings = Settings()
    con = connect_memory(settings)
    rebuild_warehouse(con, settings)  # describes the warehouse at its end
    return con


def _cell(text: str | None) -> str:
    text = (text or "").replace("|", "\\|").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def data_dictionary(con: duckdb.DuckDBPyConnection) -> str:
    """The data dictionary in Markdown, read from the warehouse's own comments."""
    kinds = public_relations(con)
    comments = relation_comments(con)
    by_table: dict[str, list[tuple[str, str, str | None]]] = {}
    for table, column, data_type, comment in public_columns(con):
        by_table.setdefault(table, []).append((column, data_type, comment))
    lines = []
    for table in sorted(kinds):
        kind = "view" if kinds[table] == "VIEW" else "table"
        lines += ["", f"#### `{table}` ({kind})", "", _cell(comments.get(table)), ""]
        lines += ["| column | type | description |", "|---|---|---|"]
        lines += [
            f"| `{column}` | {data_type.lower()} | {_cell(comment)} |"
            for column, data_type, comment in by_table.get(table, [])
        ]
    return "\n".join(lines).strip("\n")


def page_with_dictionary(page_text: str, dictionary: str, page: Path = PAGE) -> str:
    """The page's text with the part between the data-dictionary markers replaced."""
    return with_part(page_text, GeneratedPart(page, DICTIONARY, WRITE, dictionary))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m analytics.dictionary",
        description="The data dictionary of docs/warehouse.md, generated from the warehouse's "
        "own comments.",
        epilog="Example: python -m analytics.dictionary --check",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite it in the page")
    action.add_argument("--check", action="store_true", help="exit 1 if the page is not current")
    action.add_argument("--print", action="store_true", help="print it")
    parser.add_argument(
        "--page", type=Path, default=PAGE, help="the page to read or write (docs/warehouse.md)"
    )
    arguments = parser.parse_args(argv)
    con = reference_warehouse()
    try:
        problems = missing_descriptions(con) + stale_descriptions(con)
        dictionary = data_dictionary(con)
    finally:
        con.close()
    if arguments.print:
        print(dictionary)
        return 0
    current = arguments.page.read_text(encoding="utf-8")
    wanted = page_with_dictionary(current, dictionary, arguments.page)
    if arguments.check:
        if wanted != current or problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            print(
                f"{arguments.page}: the data dictionary is not current; run `{WRITE}`",
                file=sys.stderr,
            )
            return 1
        print(f"{arguments.page}: the data dictionary is current")
        return 0
    if wanted != current:
        arguments.page.write_text(wanted, encoding="utf-8")
    for problem in problems:
        print(problem, file=sys.stderr)
    tables = dictionary.count("#### ")
    print(f"{arguments.page}: data dictionary of {tables} tables and views written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
