"""Meta's own figures beside the estimate: the steps that compare them, and the lookup they need.

Meta reports volume and cost per recipient country (ISO 3166 alpha-2). A customer's country
comes from the calling code of their number: the public table `calling_codes` (prefix, country)
written here before the rebuild's steps, from `phonenumbers` metadata. A calling code shared by
several countries takes its main country, except where a country of it is told apart by its
leading digits in that metadata (+1 787 Puerto Rico, +7 7 Kazakhstan).
"""

from __future__ import annotations

import duckdb

from analytics.config import Settings
from analytics.markets import calling_code_prefixes

NON_GEOGRAPHIC = "001"


def calling_code_countries() -> tuple[tuple[str, str], ...]:
    """(digits prefix, ISO country) pairs: every geographic calling code, and the leading
    digits that tell a shared code's other countries apart (markets.calling_code_prefixes)."""
    return tuple(pair for pair in calling_code_prefixes() if pair[1] != NON_GEOGRAPHIC)


def write_calling_codes(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The public lookup table `calling_codes` the reconciliation steps read."""
    prefixes = calling_code_countries()
    con.execute(
        "create or replace table calling_codes as "
        "select unnest($prefixes)::varchar as prefix, unnest($countries)::varchar as country",
        {"prefixes": [p for p, _ in prefixes], "countries": [c for _, c in prefixes]},
    )
