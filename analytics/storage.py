"""Coded storage: a public table stored with its short texts as one-byte codes, behind a view.

A public table keeps its name, columns, types and values; how it is stored is ours. Writing
a text column costs the rebuild far more than writing a small integer (at 10 million messages,
the regime columns' reasons, categories and rate card names were a third of the time spent
writing message_billing_by_regime). So a step may declare, in its .toml, which columns hold
a short text from a known vocabulary:

    [step]
    stored_only = ["message_key"]                # stored, not published: later steps join on it
    [step.codes]
    billing_reason = "billing_reason"            # column = vocabulary (analytics/data/codes.toml)
    "<regime>_rate_card" = "rate_card"           # one column per regime of the registry

Such a step is stored as the table storage.<name>, those columns as DuckDB ENUMs (one byte
each), and published as the view main.<name>, which casts them back to text: an analyst's
query returns the same rows, values and types. A text the table would only repeat from its
other columns (an id built from them) need not be stored at all: `[step.derived]` names it
with its expression over the public columns; the step's SQL keeps the column's place and type
(a typed null) and the view computes it when it is read. A value outside its vocabulary stops the
rebuild with the column's name and what to add (never a wrong or missing value).
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any

import duckdb

from analytics.chunks import write_chunks
from analytics.db import fetch_all, fetch_value

STORAGE_SCHEMA = "storage"
VOCABULARIES_FILE = Path(__file__).with_name("data") / "codes.toml"
REGIME_PLACEHOLDER = "<regime>"


class VocabularyError(ValueError):
    """A coded column met a value its vocabulary does not list; the message says what to add."""


@functools.cache
def vocabularies(path: Path = VOCABULARIES_FILE) -> dict[str, dict]:
    """Each vocabulary of codes.toml: fixed `values`, or a `query` over small tables that the
    rebuild has written before the step runs."""
    entries = tomllib.loads(path.read_text(encoding="utf-8"))
    for name, entry in entries.items():
        if set(entry) not in ({"values"}, {"query"}, {"values", "note"}, {"query", "note"}):
            raise ValueError(f"{path}: vocabulary {name} takes values or query (and a note)")
    return entries


def coded_columns(codes: dict[str, str], regimes: tuple[str, ...]) -> dict[str, str]:
    """Each coded column by name, <regime> spelled out for every regime: column -> vocabulary."""
    known = vocabularies()
    columns: dict[str, str] = {}
    for column, vocabulary in codes.items():
        if vocabulary not in known:
            raise ValueError(f"column {column}: no vocabulary {vocabulary} in {VOCABULARIES_FILE}")
        names = (
            [column.replace(REGIME_PLACEHOLDER, regime) for regime in regimes]
            if REGIME_PLACEHOLDER in column
            else [column]
        )
        for name in names:
            columns[name] = vocabulary
    return columns


def type_name(step: str, vocabulary: str) -> str:
    return f"{STORAGE_SCHEMA}.{step}__{vocabulary}"


def create_types(con: duckdb.DuckDBPyConnection, step: str, columns: dict[str, str]) -> None:
    """The step's ENUM types, one per vocabulary it uses, from the vocabulary's values as of
    now (a query vocabulary reads the small tables the rebuild wrote before this step)."""
    for vocabulary in sorted(set(columns.values())):
        entry = vocabularies()[vocabulary]
        name = type_name(step, vocabulary)
        con.execute(f"drop type if exists {name}")
        if "values" in entry:
            values = ", ".join("'" + value.replace("'", "''") + "'" for value in entry["values"])
            con.execute(f"create type {name} as enum ({values})")
        else:
            # an empty vocabulary (no rate card loaded) is an ENUM of nothing: every value null
            con.execute(
                f"create type {name} as enum (select distinct value from ({entry['query']})"
                " as vocabulary(value) where value is not null order by value)"
            )


def drop_stored(con: duckdb.DuckDBPyConnection, step: str, columns: dict[str, str]) -> None:
    """The stored table and its types, before they are made again: types go after the table
    that uses them."""
    con.execute(f"drop table if exists {STORAGE_SCHEMA}.{step}")
    for vocabulary in sorted(set(columns.values())):
        con.execute(f"drop type if exists {type_name(step, vocabulary)}")


def drop_leftovers(con: duckdb.DuckDBPyConnection, step: str) -> None:
    """A step stored coded by an earlier release and plain now: its stored table and types."""
    stored = fetch_value(
        con,
        "select count(*) from duckdb_tables() where schema_name = $schema and table_name = $name"
        " and database_name = current_database()",
        {"schema": STORAGE_SCHEMA, "name": step},
    )
    if not stored:
        return
    con.execute(f"drop table {STORAGE_SCHEMA}.{step}")
    types = fetch_all(
        con,
        "select type_name from duckdb_types() where schema_name = $schema"
        " and database_name = current_database() and starts_with(type_name, $prefix)",
        {"schema": STORAGE_SCHEMA, "prefix": f"{step}__"},
    )
    for (name,) in types:
        con.execute(f'drop type {STORAGE_SCHEMA}."{name}"')


def materialize_coded(
    con: duckdb.DuckDBPyConnection,
    step: str,
    body: str,
    columns: dict[str, str],
    stored_only: tuple[str, ...] = (),
    derived: dict[str, str] | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> None:
    """storage.<step> from the step's SQL with the coded columns as ENUMs, and the view
    main.<step> that casts them back to text (same names, order and types as the SQL's).
    stored_only columns (an integer key that later steps join on) are kept out of the view;
    derived columns are left out of the table and computed by the view (column -> SQL
    expression over the public columns), cast to the type the SQL gives them. parameters: one
    set of bound values per chunk of a step written in chunks (analytics/chunks.py)."""
    derived = derived or {}
    con.execute(f"create schema if not exists {STORAGE_SCHEMA}")
    # the public relation was a table in an older release, or is the view of the last rebuild
    kind = fetch_value(
        con,
        "select any_value(kind) from (select 'table' as kind from duckdb_tables() where"
        " table_name = $name and schema_name = 'main' and not temporary and database_name ="
        " current_database() union all select 'view' from duckdb_views() where view_name ="
        " $name and schema_name = 'main' and not temporary and database_name ="
        " current_database())",
        {"name": step},
    )
    if kind:
        con.execute(f"drop {kind} main.{step}")
    drop_stored(con, step, columns)
    create_types(con, step, columns)
    public = fetch_all(
        con, f"describe select * from ({body}) as result", parameters[0] if parameters else None
    )
    missing = set(derived) - {name for name, *_ in public}
    if missing:
        raise ValueError(
            f"step {step}: [step.derived] names {', '.join(sorted(missing))}, which its SQL "
            "does not select (it keeps the column's place: a typed null)"
        )
    encode = ", ".join(
        f'"{column}"::{type_name(step, vocabulary)} as "{column}"'
        for column, vocabulary in columns.items()
    )
    left_out = ", ".join(f'"{column}"' for column in derived)
    select = (
        "select *"
        + (f" exclude ({left_out})" if left_out else "")
        + (f" replace ({encode})" if encode else "")
        + f" from ({body}) as result"
    )
    table = f"{STORAGE_SCHEMA}.{step}"
    try:
        write_chunks(con, f"create table {table} as", f"insert into {table}", select, parameters)
    except duckdb.ConversionException as error:
        raise VocabularyError(unlisted_value(step, columns, str(error))) from error
    decode = ", ".join(f'"{column}"::varchar as "{column}"' for column in columns)
    published = ", ".join(
        f'({derived[name]})::{column_type} as "{name}"' if name in derived else f'"{name}"'
        for name, column_type, *_ in public
        if name not in stored_only
    )
    con.execute(
        f"create view main.{step} as select {published} from (select *"
        + (f" replace ({decode})" if decode else "")
        + f" from {STORAGE_SCHEMA}.{step}) as stored"
    )


def unlisted_value(step: str, columns: dict[str, str], error: str) -> str:
    """What to do when a value is not in its vocabulary, naming it where DuckDB's error does."""
    value = re.search(r"string '([^']*)'", error)
    column = re.search(r"source column (\w+)", error)
    shown = f" {value.group(1)!r}" if value else ""
    if column and column.group(1) in columns:
        where = f"column {column.group(1)}: vocabulary {columns[column.group(1)]}"
    else:
        where = "vocabularies " + ", ".join(sorted(set(columns.values())))
    return (
        f"step {step}: a value{shown} is not in the vocabulary of its column ({where}): "
        f"add it to {VOCABULARIES_FILE} and rebuild. DuckDB said: {error.splitlines()[0]}"
    )
