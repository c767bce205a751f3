"""WhatsApp Cloud API webhook bodies (JSON, JSON Lines): messages, statuses, calls, preferences."""

from __future__ import annotations

from analytics.config import CANONICAL_COLUMNS
from analytics.db import fetch_all, fetch_value, sql_text
from analytics.ingest.context import LoadContext, quarantine, quarantine_rejects
from analytics.ingest.files import FileHead, quoted
from analytics.ingest.ledgers import merge_ledger
from analytics.ingest.message_logs import WEBHOOK_ONLY_COLUMNS, merge_messages, parse_messages
from analytics.ingest.phones import build_phone_lookup
from analytics.ingest.staging import parsing_parameters
from analytics.ingest.templates import load_template_category_updates

# Every column an event has; an events query leaves out those it does not fill.
_EVENT_COLUMNS = (
    "select null::bigint as line, null::varchar as label, null::varchar as event_kind, "
    "null::bigint[] as position, null::varchar as raw, "
    + ", ".join(
        f"null::varchar as {quoted(c)}" for c in (*CANONICAL_COLUMNS, *WEBHOOK_ONLY_COLUMNS)
    )
    + ", null::varchar as origin, null::varchar as skip_reason, null::varchar as reason, "
    "null::varchar as previous_contact, null::varchar as previous_user_id "
    "where false"
)

# The events of `webhook_events` whose parsed rows (line = event_id) are bad, as quarantine rows.
_BAD_EVENTS = (
    "select w.line, coalesce(w.label || ': ', '') || w.raw as raw, p.reason, "
    "to_json(i)::varchar as staged "
    "from {parsed} as p join {incoming} as i using (line) "
    "join webhook_events as w on w.event_id = p.line where p.reason is not null"
)


def recognises_webhooks(head: FileHead) -> bool:
    """Cloud API webhook bodies (JSON or JSON Lines): an `entry` with `changes`, or an
    `object`."""
    compact = head.compact
    return (
        head.is_json
        and '"entry":' in compact
        and ('"changes":' in compact or '"object":' in compact)
    )


def stage_events(ctx: LoadContext, events_sql: str) -> None:
    """Temp table `webhook_events` from `events_sql` (analytics/sql/ingest/: one row per event,
    in a message log's text shape, or a body or change holding none, with a skip or quarantine
    reason), then `incoming` (messages, statuses, calls) and `incoming_ledger` (preferences)."""
    con = ctx.con
    con.execute(
        "create or replace temp table webhook_events as "
        "select row_number() over (order by line, position) as event_id, * from ("
        + _EVENT_COLUMNS
        + " union all by name select * from ("
        + sql_text(events_sql)
        + "))"
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
    # Meta's system messages that link a customer's identities
    con.execute(
        """
        create or replace temp table incoming_identity_changes as
        select
            event_id as line, message_id, "timestamp", business_number, waba_id, "type",
            previous_contact, contact, previous_user_id, contact_user_id
        from webhook_events
        where event_kind = 'identity' and skip_reason is null and reason is null
        """
    )


def load_webhooks(ctx: LoadContext) -> None:
    """WhatsApp Cloud API webhook bodies (also as forwarded by 360dialog and other providers)."""
    ctx.stage.stage_bodies()
    stage_events(ctx, "ingest/webhook_events")
    load_events(ctx)
    load_template_category_updates(ctx)  # the changes of field template_category_update


def load_events(ctx: LoadContext) -> None:
    """Quarantine, skip, count and merge the events of `webhook_events` (see stage_events)."""
    con, load, stage = ctx.con, ctx.load, ctx.stage
    rejected = quarantine_rejects(ctx)
    quarantine(
        ctx,
        "select line, coalesce(label || ': ', '') || raw as raw, reason, null as staged "
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
    build_phone_lookup(
        con,
        [
            ("incoming", "business_number"),
            ("incoming", "contact"),
            ("incoming", "participant"),
            ("incoming_ledger", "business_number"),
            ("incoming_ledger", "contact"),
            ("incoming_identity_changes", "business_number"),
            ("incoming_identity_changes", "previous_contact"),
            ("incoming_identity_changes", "contact"),
        ],
        ctx.settings,
    )
    parse_messages(ctx)
    quarantine(ctx, _BAD_EVENTS.format(parsed="parsed_messages", incoming="incoming"))
    merge_messages(ctx)
    merge_ledger(ctx, _BAD_EVENTS.format(parsed="parsed_ledger", incoming="incoming_ledger"))
    merge_identity_changes(ctx)


def merge_identity_changes(ctx: LoadContext) -> None:
    """Check temp table `incoming_identity_changes` (system messages), quarantine its bad rows
    and store the new changes in identity_changes; count new ones and duplicates."""
    con, load = ctx.con, ctx.load
    con.execute(
        "create or replace temp table parsed_identity_changes as "
        + sql_text("ingest/identity_change_rows"),
        parsing_parameters(ctx.settings),
    )
    # No staged row: `ingest --retry-quarantine` parses message and ledger rows, and would take
    # a system message for a message; a bad one is Meta's body, not a setting to fix
    quarantine(
        ctx,
        "select w.line, coalesce(w.label || ': ', '') || w.raw as raw, p.reason, "
        "null as staged from parsed_identity_changes as p "
        "join webhook_events as w on w.event_id = p.line where p.reason is not null",
    )
    good_rows = fetch_value(
        con, "select count(*) from parsed_identity_changes where reason is null"
    )
    inserted = (
        fetch_value(
            con,
            sql_text("ingest/merge_identity_changes"),
            {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
        )
        or 0
    )
    load.loaded += inserted
    load.duplicates += good_rows - inserted
