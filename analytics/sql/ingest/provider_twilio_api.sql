-- Twilio Messages API resources (temp table `incoming_bodies`): list pages {"messages": [...]}
-- or single message resources, as message rows, by the rules of macros/twilio_messages.sql
-- (the same as the Console's CSV export).
{% from "macros/twilio_messages.sql" import twilio_message_columns -%}
with bodies as (
    select line, label, try(body_text::json) as body from incoming_bodies
),

resources as (
    select b.line, b.label, [m.n] as position, m.resource
    from bodies as b, unnest(b.body -> '$.messages[*]') with ordinality as m(resource, n)
    where json_type(b.body -> '$.messages') = 'ARRAY'
    union all
    select line, label, [1] as position, body as resource
    from bodies
    where (body ->> 'sid') is not null
),

fields as (
    select
        line,
        label,
        position,
        resource::varchar as raw,
        resource ->> 'sid' as sid,
        lower(resource ->> 'direction') as twilio_direction,
        resource ->> 'from' as sender,
        resource ->> 'to' as recipient,
        lower(resource ->> 'status') as twilio_status,
        resource ->> 'error_code' as error_code,
        coalesce(resource ->> 'date_sent', resource ->> 'date_created') as sent_text,
        resource ->> 'date_updated' as updated_text,
        coalesce(try_cast(resource ->> 'num_media' as integer), 0) as media
    from resources
)

select
    line,
    label,
    'message' as event_kind,
    position,
    raw,
    {{ twilio_message_columns() }},
    updated_text as status_timestamp,
    'twilio_api' as origin
from fields
