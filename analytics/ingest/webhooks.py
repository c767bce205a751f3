"""WhatsApp Cloud API webhook bodies (JSON, JSON Lines): messages, statuses, calls, preferences."""

from __future__ import annotations

from analytics.config import CANONICAL_COLUMNS
from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import IngestError, LoadContext
from analytics.ingest.files import is_json_lines, quoted
from analytics.ingest.ledgers import merge_ledger
from analytics.ingest.message_logs import WEBHOOK_ONLY_COLUMNS, merge_messages, parse_messages
from analytics.ingest.staging import quarantine
from analytics.ingest.templates import load_template_category_updates

# The events of `webhook_events` whose parsed rows (line = event_id) are bad, as quarantine rows.
_BAD_EVENTS = (
    "select w.line, coalesce(w.label || ': ', '') || w.raw as raw, p.reason "
    "from {parsed} as p join webhook_events as w on w.event_id = p.line "
    "where p.reason is not null"
)


def stage_bodies(ctx: LoadContext) -> None:
    """Temp table `incoming_bodies` (line, label, body_text): one row per body in the file."""
    con, path = ctx.con, ctx.stage.path
    if is_json_lines(path):
        ctx.stage.stage_json_lines()
        con.execute(
            "create or replace temp table incoming_bodies as "
            "select line, null::varchar as label, text as body_text from json_lines"
        )
        return
    document = fetch_value(con, "select try(content::json) from read_text(?)", [str(path)])
    if document is None:
        raise IngestError(
            f"{path}: not valid JSON (truncated or damaged?); nothing from it was loaded"
        )
    con.execute(
        """
        create or replace temp table incoming_bodies as
        with document as (select ?::json as j)
        select 1::bigint as line, null::varchar as label, j::varchar as body_text
        from document where json_type(j) = 'OBJECT' and (j -> 'entry') is not null
        union all
        select generate_subscripts(j -> '$[*]', 1)::bigint as line, null as label,
            unnest(j -> '$[*]')::varchar as body_text
        from document where json_type(j) = 'ARRAY'
        union all
        -- a JSON object of named bodies, as in pywa's test data: line = the body's place
        select keys.line, keys.key as label,
            (j -> ('$.' || to_json(keys.key)))::varchar as body_text
        from document, unnest(json_keys(j)) with ordinality as keys(key, line)
        where json_type(j) = 'OBJECT' and (j -> 'entry') is null
        """,
        [document],
    )


def stage_webhooks(ctx: LoadContext) -> None:
    """Temp tables `incoming` (messages, statuses, calls) and `incoming_ledger` (preferences)."""
    con = ctx.con
    stage_bodies(ctx)
    con.execute(
        "create or replace temp table webhook_events as "
        "select row_number() over (order by line, position) as event_id, * from ("
        + sql_text("ingest/webhook_events")
        + ")"
    )
    message_columns = ", ".join(quoted(c) for c in (*CANONICAL_COLUMNS, *WEBHOOK_ONLY_COLUMNS))
    con.execute(
        f"create or replace temp table incoming as select event_id as line, {message_columns}, "
        "origin from webhook_events where event_kind in ('message', 'status', 'call') "
        "and skip_reason is null and reason is null"
    )
    con.execute(
        """
        create or replace temp table incoming_ledger as
        select
            event_id as line,
            contact,
            "timestamp",
            case lower("type") when 'stop' then 'opt_out' when 'resume' then 'opt_in'
                when 'signup' then 'opt_in' else "type" end as event,
            'marketing' as scope,
            business_number,
            'webhook user_preferences: ' || coalesce("type", '') as source
        from webhook_events
        where event_kind = 'preference' and reason is null
        """
    )


def load_webhooks(ctx: LoadContext) -> None:
    con, load, stage = ctx.con, ctx.load, ctx.stage
    stage_webhooks(ctx)
    rejected = stage.quarantine_rejects(ctx)
    quarantine(
        ctx,
        "select line, coalesce(label || ': ', '') || raw as raw, reason "
        "from webhook_events where reason is not null",
    )
    skipped = fetch_all(
        con,
        "select skip_reason, count(*) from webhook_events where skip_reason is not null "
        "group by all order by 2 desc, 1",
    )
    load.skipped = sum(count for _, count in skipped)
    if skipped:
        stage.detail.append("skipped: " + "; ".join(f"{n} x {r}" for r, n in skipped))
    load.rows_read = fetch_value(con, "select count(*) from webhook_events") + rejected
    parse_messages(con, "select * from incoming", {}, ctx.settings)
    quarantine(ctx, _BAD_EVENTS.format(parsed="parsed_messages"))
    merge_messages(ctx)
    merge_ledger(ctx, _BAD_EVENTS.format(parsed="parsed_ledger"))
    load_template_category_updates(ctx)  # the changes of field template_category_update
