-- Twilio Messages API resources (temp table `incoming_bodies`): list pages {"messages": [...]}
-- or single message resources, as message rows (SPEC 2.4). `from`/`to` are whatsapp:+E164;
-- the business is `from` of an outbound message and `to` of an inbound one. Twilio does not say
-- whether an outbound-api message was a template: its type is 'unknown'. A reply through TwiML
-- (outbound-reply) and a message refused with error 63016 (free-form outside the window) were
-- free-form ('text').
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
    sid as message_id,
    sent_text as "timestamp",
    case
        when twilio_direction = 'inbound' then 'inbound'
        when starts_with(twilio_direction, 'outbound') then 'outbound'
        else twilio_direction
    end as direction,
    case when twilio_direction = 'inbound' then recipient else sender end as business_number,
    case when twilio_direction = 'inbound' then sender else recipient end as contact,
    case
        when twilio_direction = 'inbound' then case when media > 0 then 'image' else 'text' end
        when twilio_direction = 'outbound-reply' or error_code = '63016' then 'text'
        else 'unknown'
    end as "type",
    case
        when twilio_direction = 'inbound' then null
        when twilio_status in ('accepted', 'scheduled', 'queued', 'sending', 'sent') then 'sent'
        when twilio_status in ('undelivered', 'failed', 'canceled') then 'failed'
        else twilio_status
    end as status,
    updated_text as status_timestamp,
    'twilio_api' as origin
from fields
