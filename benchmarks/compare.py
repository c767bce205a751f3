"""Are two warehouses' public tables the same? Every table and view of the main schema: same
names, same columns and types in the same order, and the same rows (`except all` both ways, so
duplicates count). For a change of how the rebuild stores or computes its tables, which must not
change what an analyst's query returns.

    python benchmarks/compare.py before.duckdb after.duckdb

--shared-columns compares a release that adds tables or columns with the one before: the old
columns of every old table must hold the same rows. Tables written at load or run time (when
each file was loaded, each run's record) differ between two warehouses built apart and are left
out by default, and so is every table's loaded_at; --all compares those tables too. Exit status
1 when anything differs, with one line per difference.
"""

from __future__ import annotations

import argparse
import sys
import time

import duckdb

# Written when a file is loaded or a run happens: their times differ between two builds.
RUN_RECORDS = ("load_log", "pipeline_runs", "quarantine", "schema_version")
# Columns that stamp when a row was loaded, in the loaded tables (messages, rate_cards, ...).
RUN_COLUMNS = ("loaded_at",)


def relations(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple[str, str]]]:
    """Each public relation of an attached database: its (column, type) list in order."""
    rows = con.execute(
        """
        select table_name, column_name, data_type
        from duckdb_columns()
        where database_name = ? and schema_name = 'main' and not internal
        order by table_name, column_index
        """,
        [database],
    ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        if column not in RUN_COLUMNS:
            found.setdefault(table, []).append((column, data_type))
    return found


def differences(
    before: str, after: str, skip: tuple[str, ...] = RUN_RECORDS, shared_columns: bool = False
) -> list[str]:
    con = duckdb.connect()
    con.execute("attach ? as old_warehouse (read_only)", [before])
    con.execute("attach ? as new_warehouse (read_only)", [after])
    old, new = relations(con, "old_warehouse"), relations(con, "new_warehouse")
    problems = [f"{name}: only in {before}" for name in sorted(set(old) - set(new))]
    for name in sorted(set(new) - set(old)):
        if shared_columns:  # a release that adds a table: nothing to compare it with
            print(f"  {name}: a new table, only in {after}", file=sys.stderr)
        else:
            problems.append(f"{name}: only in {after}")
    for name in sorted(set(old) & set(new)):
        if name in skip:
            continue
        columns = ", ".join(f'"{column}"' for column, _ in old[name])
        if old[name] != new[name]:
            kept = [column for column in old[name] if column in new[name]]
            added = [column for column, _ in new[name] if column not in dict(old[name])]
            if not shared_columns or len(kept) < len(old[name]):
                problems.append(f"{name}: columns differ: {old[name]} != {new[name]}")
                continue
            # a release that adds columns: the old ones must hold the same rows
            print(f"  {name}: new columns {', '.join(added)} left out", file=sys.stderr)
            columns = ", ".join(f'"{column}"' for column, _ in kept)
        started = time.perf_counter()
        quoted = f'"{name}"'
        extra = con.execute(
            f"select count(*) from (select {columns} from new_warehouse.{quoted}"
            f" except all select {columns} from old_warehouse.{quoted})"
        ).fetchall()[0][0]
        missing = con.execute(
            f"select count(*) from (select {columns} from old_warehouse.{quoted}"
            f" except all select {columns} from new_warehouse.{quoted})"
        ).fetchall()[0][0]
        if extra or missing:
            problems.append(f"{name}: {missing:,} row(s) only before, {extra:,} only after")
        print(
            f"  {name}: {'differs' if extra or missing else 'same'}"
            f" ({time.perf_counter() - started:.1f} s)",
            file=sys.stderr,
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="warehouse file built by the old code")
    parser.add_argument("after", help="warehouse file built by the new code")
    parser.add_argument("--all", action="store_true", help=f"compare {', '.join(RUN_RECORDS)} too")
    parser.add_argument(
        "--shared-columns",
        action="store_true",
        help="where the new warehouse's tables have new columns, compare the old ones",
    )
    arguments = parser.parse_args(argv)
    problems = differences(
        arguments.before,
        arguments.after,
        () if arguments.all else RUN_RECORDS,
        shared_columns=arguments.shared_columns,
    )
    for problem in problems:
        print(problem)
    compared = (
        "every public table"
        if arguments.all
        else f"every public table but {', '.join(RUN_RECORDS)}"
    )
    print(
        f"compared {compared}: "
        + (f"{len(problems)} difference(s)" if problems else "identical, row for row")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
