-- The template catalogue's category of every template send at its send time, for
-- the sends the catalogue knows: by Meta's template id when the log gives it, else by name and
-- language, else by name alone when every language of that name has the same category then.
-- Templates of another business account never match (an unknown account matches any).
-- One row per matched send, keyed like int_outbound; int_pricing_messages and message_facts
-- take catalogue_category where the log has no category, and template_category_differences
-- lists the sends whose log category is not Meta's.
with parameters as (
    select key_offset from rebuild_parameters
),

sends as (
    select
        messages.rowid + parameters.key_offset as message_key,
        messages.message_id,
        messages.business_number,
        messages.waba_id,
        messages.sent_at,
        messages.template_name,
        messages.template_id,
        messages.template_language,
        lower(messages.template_category) as log_category
    from messages
    cross join parameters
    where messages.direction = 'outbound' and messages.type = 'template'
),

catalogue as (
    select
        waba_id, template_id, name, language, category,
        coalesce(valid_from, '-infinity'::timestamptz) as valid_from,
        coalesce(valid_to, 'infinity'::timestamptz) as valid_to
    from templates
),

by_id as (
    select sends.message_key, catalogue.category, 'template_id' as matched_by
    from sends
    join catalogue
        on catalogue.template_id = sends.template_id
        and sends.sent_at >= catalogue.valid_from and sends.sent_at < catalogue.valid_to
),

by_name_language as (
    select sends.message_key, any_value(catalogue.category) as category,
        'name_language' as matched_by
    from sends
    join catalogue
        on catalogue.name = sends.template_name
        and lower(catalogue.language) = lower(sends.template_language)
        and (catalogue.waba_id is null or sends.waba_id is null
            or catalogue.waba_id = sends.waba_id)
        and sends.sent_at >= catalogue.valid_from and sends.sent_at < catalogue.valid_to
    where sends.template_id is null
    group by sends.message_key
    having count(distinct catalogue.category) = 1
),

by_name as (
    select sends.message_key, any_value(catalogue.category) as category, 'name' as matched_by
    from sends
    join catalogue
        on catalogue.name = sends.template_name
        and (catalogue.waba_id is null or sends.waba_id is null
            or catalogue.waba_id = sends.waba_id)
        and sends.sent_at >= catalogue.valid_from and sends.sent_at < catalogue.valid_to
    where sends.template_id is null and sends.template_language is null
    group by sends.message_key
    having count(distinct catalogue.category) = 1
),

matched as (
    select * from by_id
    union all
    select * from by_name_language
    union all
    select * from by_name
),

final as (
    select
        sends.message_key,
        sends.message_id,
        sends.business_number,
        sends.sent_at,
        sends.template_name,
        sends.log_category,
        matched.category as catalogue_category,
        matched.matched_by
    from sends
    join matched using (message_key)
)

select * from final
