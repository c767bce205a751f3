"""One customer whatever Meta calls them (issue 30): phone numbers and business-scoped user IDs.

A customer is named by a phone number, a BSUID, or both. The rebuild resolves every identity to
one customer (analytics/sql/macros/customer_identities.sql) before any window is built, so each
step's thread is (business number, resolved customer); `customer_identities` publishes the links.
"""

from __future__ import annotations

import duckdb

from analytics.config import Settings
from analytics.db import sql_text
from analytics.steps import Step

# Before every step that reads messages: the identities shown under another name.
RESOLUTION_STEPS: tuple[Step, ...] = (Step("int_customer_contacts", "temp"),)
# The public record of the links; whole-warehouse, so it runs with the account steps.
IDENTITY_STEPS: tuple[Step, ...] = (Step("customer_identities", "table", scope="account"),)


def create_identity_macros(
    con: duckdb.DuckDBPyConnection, settings: Settings | None = None
) -> None:
    """The macro resolved_identities(), read by int_customer_contacts and customer_identities
    (a rebuild preparation: settings are not needed)."""
    del settings
    con.execute(sql_text("macros/customer_identities"))
