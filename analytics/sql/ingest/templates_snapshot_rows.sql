-- The templates of a message-templates list (temp table `incoming_pages`: line, page, raw), one
-- row each, with the reason a bad one is quarantined. A page is either the edge's own response,
-- GET /{WABA_ID}/message_templates ({"data": [...], "paging": ...}, no account id), or the
-- field expansion GET /{WABA_ID}?fields=message_templates{...} ({"message_templates":
-- {"data": [...]}, "id": WABA_ID}), which names the account.
with pages as (
    select
        line,
        coalesce(page -> '$.message_templates.data', page -> '$.data') as data,
        page ->> 'id' as waba_id
    from incoming_pages
    where json_type(coalesce(page -> '$.message_templates.data', page -> '$.data')) = 'ARRAY'
),

listed as (
    select pages.line, pages.waba_id, t.position, t.template
    from pages, unnest(pages.data -> '$[*]') with ordinality as t(template, position)
),

fields as (
    select
        line,
        position,
        waba_id,
        template::varchar as raw,
        from_json(
            template,
            '{"id": "VARCHAR", "name": "VARCHAR", "language": "VARCHAR", "status": "VARCHAR",
              "category": "VARCHAR", "previous_category": "VARCHAR"}'
        ) as f
    from listed
),

typed as (
    select
        line,
        position,
        raw,
        waba_id,
        trim(f.id) as template_id,
        trim(f.name) as name,
        trim(f.language) as language,
        lower(trim(f.category)) as category,
        lower(nullif(trim(f.status), '')) as status,
        lower(nullif(trim(f.previous_category), '')) as previous_category
    from fields
)

select
    *,
    case
        when template_id is null or template_id = '' then 'no template id'
        when name is null or name = '' then 'no template name'
        when language is null or language = '' then 'no template language'
        when category is null then 'no template category'
        when category not in ('marketing', 'utility', 'authentication')
            then 'category ' || category || ' is not marketing, utility or authentication'
    end as reason
from typed
