"""A rebuild step: one SQL file, how the runner materialises it, and what it may read across."""

from __future__ import annotations

from dataclasses import dataclass

from analytics.db import sql_source, sql_text
from analytics.regimes import render_sql

# A "thread" step's rows for one thread (business number, customer) depend only on that thread's
# messages and ledger events and on small lookup tables, so it can run per partition of threads.
# An "account" step needs whole business accounts or the whole warehouse (monthly free tiers,
# volume tiers, daily totals) and runs once, over every partition's results.
SCOPES = ("thread", "account")


@dataclass(frozen=True)
class Step:
    name: str  # analytics/sql/<name>.sql, and the table or view it creates
    materialization: str  # "table" (public), "temp" (intermediate) or "view"
    scope: str = "thread"
    # the file is a jinja2 template over the regime registry (one column per regime and
    # field, every regime's rule): rendered by analytics.regimes.render_sql
    per_regime: bool = False
    # columns stored as one-byte codes behind a view (analytics/storage.py): column ->
    # vocabulary of analytics/data/codes.toml; "<regime>_x" names one column per regime
    codes: tuple[tuple[str, str], ...] = ()
    # columns the stored table keeps and its view leaves out (a key later steps join on)
    stored_only: tuple[str, ...] = ()
    # columns the view computes from the stored ones instead of storing them: column -> SQL
    # expression over the public columns (a text built from others, such as an id)
    derived: tuple[tuple[str, str], ...] = ()
    # an account step whose rows for one value of this column (a month) depend only on input
    # rows with that value: written a few values at a time when its input outgrows memory
    # (analytics/chunks.py); chunk_rows_from is the relation whose rows per value size chunks
    chunk_by: str = ""
    chunk_rows_from: str = ""

    @property
    def sql(self) -> str:
        return self.render(chunked=False)

    def render(self, chunked: bool) -> str:
        """The step's SQL; chunked: the text of one chunk, whose inputs keep the rows with
        chunk_by between the bound parameters $chunk_first and $chunk_last."""
        if not self.per_regime:
            return sql_text(self.name, chunked=chunked)
        return render_sql(sql_source(self.name), chunked=chunked)

    def __post_init__(self) -> None:
        if self.materialization not in ("table", "temp", "view"):
            raise ValueError(f"step {self.name}: unknown materialization {self.materialization}")
        if self.scope not in SCOPES:
            raise ValueError(f"step {self.name}: unknown scope {self.scope}")
        if self.stored_only and not self.stored:
            raise ValueError(
                f"step {self.name}: stored_only needs [step.codes] or [step.derived] (a stored "
                "table behind a view)"
            )
        if self.stored and self.materialization != "table":
            raise ValueError(
                f"step {self.name}: only a table can be stored behind a view ([step.codes], "
                "[step.derived])"
            )
        if self.stored and self.scope != "account":
            # the partitioned rebuild unions a thread step's partitions into a plain table
            raise ValueError(
                f"step {self.name}: only an account step can be stored behind a view "
                "([step.codes], [step.derived])"
            )

        if bool(self.chunk_by) != bool(self.chunk_rows_from):
            raise ValueError(f"step {self.name}: [step.chunks] takes both column and rows_from")
        if self.chunk_by and (self.scope != "account" or self.materialization == "view"):
            # a thread step is split by partitions of threads instead (analytics/partitions.py)
            raise ValueError(
                f"step {self.name}: only an account step written as a table can be written in "
                "chunks ([step.chunks])"
            )

    @property
    def stored(self) -> bool:
        """Stored as storage.<name> behind the view main.<name> (analytics/storage.py)."""
        return bool(self.codes or self.derived)
