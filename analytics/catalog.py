"""The warehouse explains itself: table and column descriptions, kept beside the SQL, in DuckDB.

Every public table or view T has a description file analytics/sql/T.toml:

    description = "One row per outbound message: ..."
    # columns_from = "message_facts"   (a view that repeats another table's columns)

    [columns]
    message_id = "The message's id (the WhatsApp wamid)."

    [regime_columns]   (columns <regime>_<field>, one per regime of the registry)
    billable = "chargeable."

describe_warehouse() pushes them into the warehouse with COMMENT ON after every rebuild
(`create or replace` drops a table's comments), so `describe`, `duckdb_columns()` and any SQL
client show them. The README's data dictionary is written from them by analytics/dictionary.py
(`python -m analytics.dictionary --write`, into docs/warehouse.md), a tool apart from the runtime.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics.db import SQL_DIR, fetch_all
from analytics.regimes import regime_names
from analytics.storage import STORAGE_SCHEMA


@dataclass(frozen=True)
class TableDescription:
    """What a description file says about one public table or view."""

    name: str
    description: str
    path: Path
    columns: dict[str, str] = field(default_factory=dict)


def description_path(table: str) -> Path:
    """Where the description of a public table or view lives."""
    return SQL_DIR / f"{table}.toml"


def relative_path(path: Path) -> str:
    """A description file's path as the repository names it (analytics/sql/T.toml)."""
    return path.relative_to(SQL_DIR.parent.parent).as_posix()


def table_descriptions() -> dict[str, TableDescription]:
    """Every description file under analytics/sql/, by table name."""
    raw: dict[str, tuple[Path, dict]] = {}
    for path in sorted(SQL_DIR.glob("*.toml")):
        try:
            raw[path.stem] = (path, tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{relative_path(path)} is not valid TOML: {error}") from error
    found: dict[str, TableDescription] = {}
    for name, (path, data) in raw.items():
        if "description" not in data and "step" in data:
            continue  # an intermediate step's declaration (analytics/plan.py): not public
        if not isinstance(data.get("description"), str) or not data["description"].strip():
            raise ValueError(f'{relative_path(path)} needs a line description = "..."')
        columns: dict[str, str] = {}
        source = data.get("columns_from")
        if source is not None:
            if source not in raw:
                raise ValueError(
                    f"{relative_path(path)}: columns_from = {source!r} names no description file"
                )
            columns.update(raw[source][1].get("columns", {}))
        columns.update(data.get("columns", {}))
        # [regime_columns]: one column per regime of the registry and field, <regime>_<field>
        for field_name, text in data.get("regime_columns", {}).items():
            for regime in regime_names():
                columns[f"{regime}_{field_name}"] = f"Under regime {regime}: {text}"
        found[name] = TableDescription(
            name=name, description=data["description"].strip(), path=path, columns=columns
        )
    return found


def public_relations(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The warehouse's own tables and views (not temporary, not attached): name -> TABLE|VIEW."""
    found = fetch_all(
        con,
        """
        select table_name, 'TABLE' from duckdb_tables()
        where not temporary and not internal
            and database_name = current_database() and schema_name = 'main'
        union all
        select view_name, 'VIEW' from duckdb_views()
        where not temporary and not internal
            and database_name = current_database() and schema_name = 'main'
        order by 1
        """,
    )
    return dict(found)


def public_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str | None]]:
    """(table, column, type, comment) of every public table and view, in column order."""
    return fetch_all(
        con,
        """
        select table_name, column_name, data_type, comment
        from duckdb_columns()
        where not internal and database_name = current_database() and schema_name = 'main'
        order by table_name, column_index
        """,
    )


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    # COMMENT ON takes no bound parameters (DuckDB's parser refuses `is ?`), so the text goes
    # in as a literal quoted by DuckDB itself. It is the repository's own description, not data.
    return str(duckdb.ConstantExpression(text))


def describe_warehouse(con: duckdb.DuckDBPyConnection) -> int:
    """COMMENT ON every public table, view and column that has a description; return how many.

    Tables or columns without one stay uncommented; tests/test_catalog.py fails on them.
    """
    descriptions = table_descriptions()
    relations = public_relations(con)
    statements = []
    for table, kind in relations.items():
        described = descriptions.get(table)
        if described is None:
            continue
        statements.append(
            f"comment on {kind.lower()} {_identifier(table)} is {_literal(described.description)}"
        )
    for table, column, _, _ in public_columns(con):
        text = descriptions[table].columns.get(column) if table in descriptions else None
        if text:
            statements.append(
                f"comment on column {_identifier(table)}.{_identifier(column)} is {_literal(text)}"
            )
    statements += stored_table_comments(con, descriptions)
    for statement in statements:
        con.execute(statement)
    return len(statements)


def stored_table_comments(
    con: duckdb.DuckDBPyConnection, descriptions: dict[str, TableDescription]
) -> list[str]:
    """COMMENT ON the tables stored behind public views (analytics/storage.py), so that an
    analyst listing columns by table name finds them described too, and told where to look. A
    stored table may also hold the columns of another view that reads it (message_facts' in
    message_billing_by_regime's): those are described as that view describes them."""
    statements = []
    stored: dict[str, list[str]] = {}
    for table, column in fetch_all(
        con,
        "select table_name, column_name from duckdb_columns() where not internal"
        " and database_name = current_database() and schema_name = $schema"
        " order by table_name, column_index",
        {"schema": STORAGE_SCHEMA},
    ):
        stored.setdefault(table, []).append(column)
    views = fetch_all(
        con,
        "select view_name, sql from duckdb_views() where not temporary and not internal"
        " and database_name = current_database() and schema_name = 'main' order by view_name",
    )
    for table, columns in stored.items():
        qualified = f"{STORAGE_SCHEMA}.{_identifier(table)}"
        readers = [
            view
            for view, sql in views
            if view != table
            and re.search(rf'\b"?{STORAGE_SCHEMA}"?\."?{re.escape(table)}\b', sql or "")
        ]
        shown = " and ".join(f"main.{name}" for name in [table, *readers])
        noun, are, them = ("views", "are", "them") if readers else ("view", "is", "it")
        statements.append(
            f"comment on table {qualified} is "
            + _literal(f"How the {noun} {shown} {are} stored (short texts as codes): query {them}.")
        )
        described: dict[str, str] = {}
        for name in [table, *readers]:
            if name in descriptions:
                for column, text in descriptions[name].columns.items():
                    described.setdefault(column, text)
        for column, text in ((column, described.get(column)) for column in columns):
            if text:
                statements.append(
                    f"comment on column {qualified}.{_identifier(column)} is {_literal(text)}"
                )
    return statements


def relation_comments(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """Every public table's and view's comment in the warehouse, by name (main schema: what is
    stored behind a view, in schema storage, is not described)."""
    return dict(
        fetch_all(
            con,
            """
            select table_name, comment from duckdb_tables() where not temporary and not internal
                and database_name = current_database() and schema_name = 'main'
            union all
            select view_name, comment from duckdb_views() where not temporary and not internal
                and database_name = current_database() and schema_name = 'main'
            """,
        )
    )


def missing_descriptions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A line for every public table or column the warehouse has no comment on, saying where to
    add it."""
    problems = []
    comments = relation_comments(con)
    for table in public_relations(con):
        if not comments.get(table):
            problems.append(
                f"table {table} has no description: create {relative_path(description_path(table))}"
                ' with description = "..." and a [columns] section'
            )
    for table, column, _, comment in public_columns(con):
        if not comment:
            problems.append(
                f'column {table}.{column} has no description: add {column} = "..." under '
                f"[columns] in {relative_path(description_path(table))}"
            )
    return problems


def stale_descriptions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A line for every description of a column that the warehouse no longer has."""
    columns: dict[str, set[str]] = {}
    for table, column, _, _ in public_columns(con):
        columns.setdefault(table, set()).add(column)
    problems = []
    for table, described in table_descriptions().items():
        if table not in columns:
            problems.append(
                f"{relative_path(described.path)} describes {table}, which the warehouse does not "
                "have: delete the file or rename it after the table"
            )
            continue
        for column in sorted(set(described.columns) - columns[table]):
            problems.append(
                f"{relative_path(described.path)} describes column {table}.{column}, which no "
                "longer exists: remove it"
            )
    return problems
