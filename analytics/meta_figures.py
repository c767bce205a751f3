"""Meta's own figures beside the estimate: the steps that compare them, and the lookup they need.

Meta reports volume and cost per recipient country (ISO 3166 alpha-2). A customer's country
comes from the calling code of their number: the public table `calling_codes` (prefix, country)
written here before the rebuild's steps, from `phonenumbers` metadata. A calling code shared by
several countries takes its main country, except where a country of it is told apart by its
leading digits in that metadata (+1 787 Puerto Rico, +7 7 Kazakhstan).
"""

from __future__ import annotations

import functools
import itertools
import re

import duckdb
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from analytics.config import Settings
from analytics.steps import Step

NON_GEOGRAPHIC = "001"
# Leading-digit patterns name at most four digits after the calling code.
_LONGEST_LEADING_DIGITS = 4

# Run after daily_costs: public tables (message_facts, the meta_* tables), and the template
# categories of int_template_categories.
RECONCILIATION_STEPS: tuple[Step, ...] = (
    # the template sends whose log category is not Meta's (from int_template_categories)
    Step("template_category_differences", "table", scope="account"),
    Step("cost_reconciliation", "table", scope="account"),
    # the messages behind a cell, with Meta's per-message verdict where a status carried it
    Step("cost_reconciliation_messages", "view", scope="account"),
)


@functools.cache
def calling_code_countries() -> tuple[tuple[str, str], ...]:
    """(digits prefix, ISO country) pairs: every calling code, and the leading digits that
    tell a shared code's other countries apart."""
    prefixes: dict[str, str] = {}
    for calling_code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        if regions[0] != NON_GEOGRAPHIC:
            prefixes[str(calling_code)] = regions[0]
        for region in regions[1:]:
            leading_digits = PhoneMetadata.metadata_for_region(region).leading_digits
            if not leading_digits:
                continue
            pattern = re.compile(leading_digits)
            for length in range(1, _LONGEST_LEADING_DIGITS + 1):
                for digits in itertools.product("0123456789", repeat=length):
                    candidate = "".join(digits)
                    if pattern.fullmatch(candidate):
                        prefixes[f"{calling_code}{candidate}"] = region
    return tuple(sorted(prefixes.items()))


def write_calling_codes(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The public lookup table `calling_codes` the reconciliation steps read."""
    prefixes = calling_code_countries()
    con.execute(
        "create or replace table calling_codes as "
        "select unnest($prefixes)::varchar as prefix, unnest($countries)::varchar as country",
        {"prefixes": [p for p, _ in prefixes], "countries": [c for _, c in prefixes]},
    )
