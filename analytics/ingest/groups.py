"""Deliveries of outbound group messages (Groups API): one row per participant reached."""

from __future__ import annotations

from analytics.db import fetch_value, sql_text
from analytics.ingest.context import LoadContext


def merge_group_deliveries(ctx: LoadContext) -> None:
    """Store the deliveries among the good rows of `parsed_messages` in group_deliveries.

    Meta reports a group message once per participant under one wamid; the message itself is
    merged into `messages` (so those rows count as its duplicates, as further statuses of a
    message do), and the load's detail says how many deliveries were new or updated."""
    con = ctx.con
    con.execute(
        "create or replace temp table group_delivery_batch as "
        + sql_text("ingest/group_delivery_batch")
    )
    deliveries = fetch_value(con, "select count(*) from group_delivery_batch")
    if deliveries:
        con.execute(sql_text("ingest/merge_group_deliveries_update"))
        inserted = (
            fetch_value(
                con,
                sql_text("ingest/merge_group_deliveries_insert"),
                {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
            )
            or 0
        )
        ctx.stage_detail(
            f"{deliveries:,} delivery(ies) of group messages: {inserted:,} new, "
            f"{deliveries - inserted:,} updated or seen before"
        )
    con.execute("drop table group_delivery_batch")
