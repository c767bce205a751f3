"""Chunked writes: an account step whose input outgrows memory, written a few months at a time.

The partitioned rebuild keeps a thread step's sorts and hash tables within memory by running it
over one partition of threads at a time (analytics/partitions.py). An account step cannot be cut
by thread: the monthly free tiers and volume tiers count whole accounts and markets. It can be
cut by month, since they never count across months: message_billing_by_regime's rows for one
month depend only on that month's verdicts and deliveries. A step says so in its .toml:

    [step.chunks]
    column = "send_month"               # its rows for one value depend on input rows with it
    rows_from = "int_regime_verdicts"   # the relation whose rows per value size the chunks

When that relation has more rows than the memory limit holds at about ROW_BYTES a row, the
runner renders the step's template with `chunked` true (its inputs then keep the rows whose
column lies between the bound parameters $chunk_first and $chunk_last) and writes it chunk by
chunk, consecutive values in each, one statement per chunk: the first creates the table, the
others insert into it. Below that it runs as one statement, as any step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from analytics.db import fetch_all, fetch_value, memory_limit_bytes
from analytics.steps import Step

# Memory one input row of message_billing_by_regime may take while it is priced: the free tier
# joins, the volume tiers' counted rows (materialised once per volume-tier regime, wamids
# included), their numbering, the hash join of their rates, and the write. Measured at 10
# million messages with the volume tier boundaries and the memory limit a tenth of the real
# ones (as a 100 million message history meets them; docs/performance.md, "Chunks of months"):
# in one statement the step spilled 3.5 GiB under 1,400 MB; in chunks of 2.7 million input rows
# (500 bytes a row) it spilled nothing. 600 leaves a margin.
ROW_BYTES = 600


@dataclass(frozen=True)
class Chunk:
    first: Any  # the chunk's first and last value of the step's chunk column, both included
    last: Any
    rows: int  # input rows (of the step's chunk_rows_from) in the chunk

    @property
    def parameters(self) -> dict[str, Any]:
        return {"chunk_first": self.first, "chunk_last": self.last}


def group_values(counts: list[tuple[Any, int]], budget_rows: int) -> list[Chunk]:
    """Consecutive values (in the order given) gathered into chunks of at most budget_rows
    rows; a value with more rows than that is a chunk of its own."""
    chunks: list[Chunk] = []
    first = last = None
    rows = 0
    for value, count in counts:
        if rows and rows + count > budget_rows:
            chunks.append(Chunk(first, last, rows))
            first, rows = None, 0
        if first is None:
            first = value
        last, rows = value, rows + count
    if rows or first is not None:
        chunks.append(Chunk(first, last, rows))
    return chunks


def plan_chunks(con: duckdb.DuckDBPyConnection, step: Step) -> list[Chunk]:
    """The chunks to write a chunked step in; none when it fits in memory in one statement
    (or is not chunked). A row whose chunk value is null would be in no chunk: then the step
    runs in one statement, whatever its size."""
    if not step.chunk_by:
        return []
    budget_rows = max(memory_limit_bytes(con) // ROW_BYTES, 1)
    total = fetch_value(con, f"select count(*) from {step.chunk_rows_from}")
    if total <= budget_rows:
        return []
    counts = fetch_all(
        con,
        f"select {step.chunk_by}, count(*) from {step.chunk_rows_from} group by all order by 1",
    )
    if any(value is None for value, _ in counts):
        return []
    chunks = group_values(counts, budget_rows)
    return chunks if len(chunks) > 1 else []


def write_chunks(
    con: duckdb.DuckDBPyConnection,
    create: str,
    insert: str,
    body: str,
    parameters: list[dict[str, Any]] | None,
) -> None:
    """`create` (a statement's head, e.g. 'create table x as') with the first chunk's body,
    then `insert` ('insert into x') with each other chunk's; one statement when parameters
    is None (the step is not chunked)."""
    if not parameters:
        con.execute(f"{create} {body}")
        return
    con.execute(f"{create} {body}", parameters[0])
    for chunk in parameters[1:]:
        con.execute(f"{insert} {body}", chunk)
