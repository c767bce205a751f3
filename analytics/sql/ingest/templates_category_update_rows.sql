-- template_category_update changes of webhook bodies (temp table `incoming_bodies`: line, label,
-- body_text), one row each, with the reason a bad one is quarantined. Meta sends two notices
-- (template_category_update webhook reference, 2025): a completed change (previous_category,
-- new_category) and an impending one (correct_category, new_category = the current category,
-- category_update_timestamp). The change's time is its entry's `time`.
with bodies as (
    select line, label, try(body_text::json) as body
    from incoming_bodies
),

changes as (
    select
        b.line,
        b.label,
        e.entry ->> 'id' as waba_id,
        e.entry ->> 'time' as entry_time,
        c.change -> 'value' as value
    from bodies as b,
        unnest(b.body -> '$.entry[*]') with ordinality as e(entry, entry_number),
        unnest(e.entry -> '$.changes[*]') with ordinality as c(change, change_number)
    where json_type(b.body) = 'OBJECT' and c.change ->> 'field' = 'template_category_update'
),

fields as (
    select
        line,
        coalesce(label || ': ', '') || value::varchar as raw,
        waba_id,
        entry_time,
        from_json(
            value,
            '{"message_template_id": "VARCHAR", "message_template_name": "VARCHAR",
              "message_template_language": "VARCHAR", "previous_category": "VARCHAR",
              "new_category": "VARCHAR", "correct_category": "VARCHAR",
              "category_update_timestamp": "VARCHAR"}'
        ) as f
    from changes
),

typed as (
    select
        line,
        raw,
        waba_id,
        trim(f.message_template_id) as template_id,
        nullif(trim(f.message_template_name), '') as name,
        nullif(trim(f.message_template_language), '') as language,
        case when f.correct_category is not null then 'impending' else 'completed' end as notice,
        lower(nullif(trim(f.previous_category), '')) as previous_category,
        lower(nullif(trim(f.new_category), '')) as new_category,
        lower(nullif(trim(f.correct_category), '')) as correct_category,
        try(to_timestamp(try_cast(f.category_update_timestamp as bigint))) as category_update_at,
        try(to_timestamp(try_cast(entry_time as bigint))) as changed_at,
        f.category_update_timestamp as category_update_text
    from fields
)

select
    * exclude (category_update_text),
    case
        when template_id is null or template_id = '' then 'no message_template_id'
        when changed_at is null then 'the entry has no time (Unix seconds)'
        when new_category is null then 'no new_category'
        when notice = 'completed' and previous_category is null then 'no previous_category'
        when not list_has_all(
            ['marketing', 'utility', 'authentication'],
            list_filter(
                [previous_category, new_category, correct_category], lambda c: c is not null
            )
        )
            then 'a category is not marketing, utility or authentication'
        when category_update_text is not null and category_update_at is null
            then 'category_update_timestamp is not Unix seconds'
    end as reason
from typed
