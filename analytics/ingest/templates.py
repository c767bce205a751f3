"""The template catalogue: message-templates lists and template_category_update webhooks.

A list (GET /{WABA_ID}/message_templates, or the field expansion that names the account) is a
snapshot: it gives each template's category as of the moment it is loaded. A category-update
webhook gives a change at its entry's time. Both are kept as loaded (template_snapshots,
template_category_updates) and `templates`, one row per category period, is derived from them
in full at every load of either (analytics/sql/ingest/templates_periods.sql says how they
combine), so it never depends on the order the files came in.
"""

from __future__ import annotations

from analytics.db import fetch_value, sql_text
from analytics.ingest.context import LoadContext, quarantine, quarantine_rejects
from analytics.ingest.files import FileHead


def recognises_templates_list(head: FileHead) -> bool:
    """A message-templates list: the account's field expansion, or GET message_templates's own
    page (data[] of templates with a name, language, category and id)."""
    compact = head.compact
    return head.is_json and (
        '"message_templates":{' in compact
        or (
            '"data":[{' in compact
            and all(f'"{key}":' in compact for key in ("name", "language", "category", "id"))
        )
    )


def refresh_templates(ctx: LoadContext) -> None:
    """Derive `templates` again from everything loaded (a few rows per template)."""
    ctx.con.execute("delete from templates")
    ctx.con.execute("insert into templates by name " + sql_text("ingest/templates_periods"))


def load_message_templates(ctx: LoadContext) -> None:
    """Load a message-templates list: one snapshot row per template, as of the load."""
    con, load = ctx.con, ctx.load
    ctx.stage.stage_pages()
    rejected = quarantine_rejects(ctx)
    con.execute(
        "create or replace temp table incoming_templates as "
        + sql_text("ingest/templates_snapshot_rows")
    )
    bad_pages = quarantine(
        ctx,
        """
        select line, raw, null::varchar as staged,
            case
                when page is null then 'not valid JSON'
                when (page -> 'error') is not null then 'Graph API error: '
                    || coalesce(page -> '$.error' ->> 'message', 'no message')
                    || '; request the page again'
                else 'not a message-templates list: no data[]'
            end as reason
        from incoming_pages
        where json_type(coalesce(page -> '$.message_templates.data', page -> '$.data'))
            is distinct from 'ARRAY'
        """,
    )
    empty_pages = fetch_value(
        con,
        "select count(*) from incoming_pages as p anti join incoming_templates using (line) "
        "where json_type(coalesce(page -> '$.message_templates.data', page -> '$.data')) "
        "= 'ARRAY'",
    )
    load.skipped += empty_pages
    if empty_pages:
        ctx.stage.detail.append(f"skipped: {empty_pages} x page without templates")
    quarantine(
        ctx,
        "select line, raw, reason, null::varchar as staged "
        "from incoming_templates where reason is not null",
    )
    # a template listed twice (overlapping pages): once, unless the copies disagree
    con.execute(
        """
        create or replace temp table ranked_templates as
        select *,
            row_number() over (partition by template_id order by line, position) as copy,
            first_value(line) over (partition by template_id order by line, position)
                as first_line
        from incoming_templates
        where reason is null
        """
    )
    quarantine(
        ctx,
        """
        select r.line, r.raw, null::varchar as staged,
            'lists template ' || r.template_id || ' again (line ' || r.first_line
            || ') with another name, language or category' as reason
        from ranked_templates as r
        join ranked_templates as f on f.copy = 1 and f.template_id = r.template_id
        where r.copy > 1 and (f.name, f.language, f.category)
            is distinct from (r.name, r.language, r.category)
        """,
    )
    load.duplicates += fetch_value(
        con,
        """
        select count(*) from ranked_templates as r
        join ranked_templates as f on f.copy = 1 and f.template_id = r.template_id
        where r.copy > 1 and (f.name, f.language, f.category)
            is not distinct from (r.name, r.language, r.category)
        """,
    )
    load.loaded += (
        fetch_value(
            con,
            """
            insert into template_snapshots by name
            select waba_id, template_id, name, language, category, status, previous_category,
                $loaded_at::timestamptz as observed_at, $source_file as source_file,
                line as source_line, $loaded_at::timestamptz as loaded_at
            from ranked_templates
            where copy = 1
            """,
            {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
        )
        or 0
    )
    load.rows_read = (
        fetch_value(con, "select count(*) from incoming_templates")
        + rejected
        + bad_pages
        + empty_pages
    )
    refresh_templates(ctx)


def load_template_category_updates(ctx: LoadContext) -> int:
    """Store the template_category_update changes of the webhook bodies staged in
    `incoming_bodies`; count them into the load and return how many there were."""
    con, load = ctx.con, ctx.load
    con.execute(
        "create or replace temp table incoming_category_updates as "
        + sql_text("ingest/templates_category_update_rows")
    )
    found = fetch_value(con, "select count(*) from incoming_category_updates")
    if not found:
        return 0
    quarantine(
        ctx,
        "select line, raw, reason, null::varchar as staged "
        "from incoming_category_updates where reason is not null",
    )
    good = fetch_value(con, "select count(*) from incoming_category_updates where reason is null")
    inserted = (
        fetch_value(
            con,
            """
            insert into template_category_updates by name
            with good as (
                select distinct on (template_id, changed_at, notice, previous_category,
                    new_category, correct_category)
                    *
                from incoming_category_updates
                where reason is null
                order by template_id, changed_at, notice, previous_category, new_category,
                    correct_category, line
            )
            select g.* exclude (line, raw, reason), $source_file as source_file,
                g.line as source_line, $loaded_at::timestamptz as loaded_at
            from good as g
            anti join template_category_updates as s
                on s.template_id = g.template_id and s.changed_at = g.changed_at
                and s.notice = g.notice and s.new_category = g.new_category
                and s.previous_category is not distinct from g.previous_category
                and s.correct_category is not distinct from g.correct_category
            """,
            {"source_file": ctx.file, "loaded_at": ctx.loaded_at},
        )
        or 0
    )
    load.loaded += inserted
    load.duplicates += good - inserted
    load.rows_read += found
    ctx.stage.detail.append(f"{found} template category update(s)")
    refresh_templates(ctx)
    return found
