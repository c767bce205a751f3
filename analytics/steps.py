"""A rebuild step: one SQL file and how the runner materialises it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str  # analytics/sql/<name>.sql, and the table or view it creates
    materialization: str  # "table" (public), "temp" (intermediate) or "view"
