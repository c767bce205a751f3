"""One customer whatever Meta calls them: phone numbers and business-scoped user IDs.

A customer is named by a phone number, a BSUID, or both. The rebuild resolves every identity to
one customer (analytics/sql/macros/customer_identities.sql) before any window is built, so each
step's thread is (business number, resolved customer); `customer_identities` publishes the links.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from analytics.config import Settings
from analytics.db import sql_text


def create_identity_macros(
    con: duckdb.DuckDBPyConnection, settings: Settings | None = None
) -> None:
    """The macro resolved_identities(), read by int_customer_contacts and customer_identities
    (a rebuild preparation: settings are not needed)."""
    del settings
    con.execute(sql_text("macros/customer_identities"))
    write_region_calling_codes(con)


def write_region_calling_codes(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table `region_calling_codes` (region, prefix): each ISO region's calling code, for a
    customer known only by BSUID, whose prefix names the region (int_market_contacts)."""
    pairs = sorted(
        (region, str(code))
        for code, regions in COUNTRY_CODE_TO_REGION_CODE.items()
        for region in regions
        if region.isalpha() and len(region) == 2
    )
    table = pa.table(
        {
            "region": pa.array([region for region, _ in pairs], pa.string()),
            "prefix": pa.array([prefix for _, prefix in pairs], pa.string()),
        }
    )
    con.register("region_calling_codes_found", table)
    try:
        con.execute(
            "create or replace temp table region_calling_codes as from region_calling_codes_found"
        )
    finally:
        con.unregister("region_calling_codes_found")
