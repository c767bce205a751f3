"""Graph API response bodies: Meta's pricing_analytics and conversation_analytics.

A file holds one response body, a JSON array of bodies (pages), or JSON Lines of bodies, as
`GET /{WABA_ID}?fields=pricing_analytics...` returns them (README, "Meta's own figures"). Each
data point becomes one row of meta_pricing_analytics or meta_conversation_analytics, checked in
SQL (analytics/sql/ingest/graph_api_*.sql): a bad point is quarantined with its reason, a point
already stored with the same figures is a duplicate, and one stored with other figures (Meta
revises a day that was not over yet) is replaced by the later export's.
"""

from __future__ import annotations

from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import LoadContext, quarantine, quarantine_rejects
from analytics.ingest.files import FileHead

# kind (the response field) -> (its table, the SQL of its data points, the columns that name a
# data point, its figures)
ANALYTICS = {
    "pricing_analytics": (
        "meta_pricing_analytics",
        "graph_api_pricing_points",
        (
            "waba_id",
            "period_start",
            "period_end",
            "business_number",
            "country",
            "pricing_category",
            "pricing_type",
            "tier",
        ),
        ("volume", "cost"),
    ),
    "conversation_analytics": (
        "meta_conversation_analytics",
        "graph_api_conversation_points",
        (
            "waba_id",
            "period_start",
            "period_end",
            "business_number",
            "country",
            "conversation_category",
            "conversation_type",
            "conversation_direction",
        ),
        ("volume", "cost"),
    ),
}


def recognises_pricing_analytics(head: FileHead) -> bool:
    """A Graph API response holding the field pricing_analytics."""
    return head.is_json and '"pricing_analytics":{' in head.compact


def recognises_conversation_analytics(head: FileHead) -> bool:
    """A Graph API response holding the field conversation_analytics."""
    return head.is_json and '"conversation_analytics":{' in head.compact


def quarantine_bad_pages(ctx: LoadContext, field: str) -> None:
    """Pages that are not a response of `field` (an error body, another response, not JSON)."""
    quarantine(
        ctx,
        """
        select line, raw, null::varchar as staged,
            case
                when page is null then 'not valid JSON'
                when json_type(page) <> 'OBJECT' then 'not a Graph API response body'
                when (page -> 'error') is not null then 'Graph API error: '
                    || coalesce(page -> '$.error' ->> 'message', 'no message')
                    || '; request the page again'
                else 'not a ' || $field || ' response: no ' || $field || '.data[]'
            end as reason
        from incoming_pages
        where page is null or json_type(page) <> 'OBJECT'
            or json_type(page -> ('$.' || $field || '.data')) is distinct from 'ARRAY'
        """,
        {"field": field},
    )


def load_analytics(ctx: LoadContext) -> None:
    """Load a pricing_analytics or conversation_analytics export; the kind names which."""
    con, load = ctx.con, ctx.load
    table, points_sql, keys, figures = ANALYTICS[ctx.kind]
    ctx.stage.stage_pages()
    pages_rejected = quarantine_rejects(ctx)
    quarantine_bad_pages(ctx, ctx.kind)
    con.execute(
        "create or replace temp table incoming_points as " + sql_text(f"ingest/{points_sql}")
    )
    # pages that hold no data point at all are read and skipped, with a count
    empty_pages = fetch_value(
        con,
        "select count(*) from incoming_pages as p anti join incoming_points using (line) "
        "where json_type(p.page -> ('$.' || ? || '.data')) = 'ARRAY'",
        [ctx.kind],
    )
    load.skipped += empty_pages
    if empty_pages:
        ctx.stage.detail.append(f"skipped: {empty_pages} x page without data points")
    bad_pages = load.quarantined - pages_rejected
    quarantine(
        ctx,
        "select line, raw, reason, null::varchar as staged "
        "from incoming_points where reason is not null",
    )
    repeated_in_file(ctx, keys, figures)
    merge_points(ctx, table, keys, figures)
    load.rows_read = (
        fetch_value(con, "select count(*) from incoming_points")
        + pages_rejected
        + bad_pages
        + empty_pages
    )


def _same(columns: tuple[str, ...], left: str, right: str) -> str:
    return " and ".join(f"{left}.{c} is not distinct from {right}.{c}" for c in columns)


def repeated_in_file(ctx: LoadContext, keys: tuple[str, ...], figures: tuple[str, ...]) -> None:
    """A data point given twice in one file: a duplicate when its figures agree, quarantined
    when they do not (which of the two is Meta's is not known). Leaves temp table
    `good_points`, one row per key."""
    con, load = ctx.con, ctx.load
    key_list = ", ".join(keys)
    con.execute(
        f"""
        create or replace temp table ranked_points as
        select *,
            row_number() over (partition by {key_list} order by line, position) as copy,
            first_value(line) over (partition by {key_list} order by line, position) as first_line
        from incoming_points
        where reason is null
        """
    )
    quarantine(
        ctx,
        f"""
        select r.line, r.raw, null::varchar as staged,
            'repeats the data point of line ' || r.first_line || ' with other figures' as reason
        from ranked_points as r
        join ranked_points as f on f.copy = 1 and {_same(keys, "f", "r")}
        where r.copy > 1 and not ({_same(figures, "f", "r")})
        """,
    )
    load.duplicates += fetch_value(
        con,
        f"""
        select count(*) from ranked_points as r
        join ranked_points as f on f.copy = 1 and {_same(keys, "f", "r")}
        where r.copy > 1 and {_same(figures, "f", "r")}
        """,
    )
    con.execute(
        "create or replace temp table good_points as select * from ranked_points where copy = 1"
    )


def merge_points(
    ctx: LoadContext, table: str, keys: tuple[str, ...], figures: tuple[str, ...]
) -> None:
    """Store the file's good data points: new ones inserted, ones stored with other figures
    replaced (counted as revised), ones stored with the same figures counted as duplicates."""
    con, load = ctx.con, ctx.load
    same_key = _same(keys, "s", "g")
    load.duplicates += fetch_value(
        con,
        f"select count(*) from good_points as g semi join {table} as s "
        f"on {same_key} and {_same(figures, 's', 'g')}",
    )
    revised = (
        fetch_value(
            con,
            f"delete from {table} as s using good_points as g "
            f"where {same_key} and not ({_same(figures, 's', 'g')})",
        )
        or 0
    )
    columns = ", ".join((*keys, "granularity", *figures))
    inserted = (
        fetch_value(
            con,
            f"insert into {table} by name "
            f"select {columns}, $source_file as source_file, line as source_line, "
            f"$loaded_at::timestamptz as loaded_at "
            f"from good_points as g anti join {table} as s on {same_key}",
            {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
        )
        or 0
    )
    load.loaded += inserted
    if revised:
        ctx.stage.detail.append(
            f"{revised} data point(s) revised: an earlier export's figures replaced by this one's"
        )
    summary = fetch_all(
        con,
        "select granularity, min(period_start)::date, max(period_end)::date, count(*) "
        "from good_points group by all order by 1",
    )
    for granularity, first, last, count in summary:
        ctx.stage.detail.append(f"{count} {granularity} data point(s) from {first} to {last}")
