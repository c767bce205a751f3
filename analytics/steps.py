"""A rebuild step: one SQL file, how the runner materialises it, and what it may read across."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analytics.db import sql_text

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
    # a step whose SQL is put together from a registry (every regime's rule) instead of its
    # own file; None = analytics/sql/<name>.sql
    compose: Callable[[], str] | None = None

    @property
    def sql(self) -> str:
        return self.compose() if self.compose else sql_text(self.name)

    def __post_init__(self) -> None:
        if self.materialization not in ("table", "temp", "view"):
            raise ValueError(f"step {self.name}: unknown materialization {self.materialization}")
        if self.scope not in SCOPES:
            raise ValueError(f"step {self.name}: unknown scope {self.scope}")
