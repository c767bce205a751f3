-- Gupshup v2 callbacks (temp table `incoming_bodies`, one JSON Lines body per line) as message
-- rows. Gupshup names the app, not the business number: the app stands for it as
-- 'gupshup-app:<app>' (kept as it is by the phone lookup). `timestamp` is in milliseconds.
-- - message: an inbound message from payload.source.
-- - message-event: the lifecycle of an outbound message. The enqueued event links Gupshup's id
--   to the wamid and says `type: session | template`; later events name the wamid (or, when
--   it never had one, Gupshup's id). A failure with code 131047 (re-engagement, more than 24
--   hours) was a free-form message. Other events cannot say whether it was a template:
--   'unknown', settled by the enqueued event or a message log.
-- - billing-event: Meta's pricing (deductions) for references.id; in the per-message era its
--   category is the template's, given to the message's other events in the file too.
-- - user-event and anything else: skipped with a count.
with bodies as (
    select line, label, body_text, try(body_text::json) as body from incoming_bodies
),

events as (
    select
        line,
        label,
        body_text as raw,
        body ->> 'type' as gupshup_type,
        body ->> 'timestamp' as "timestamp",
        'gupshup-app:' || (body ->> 'app') as business_number,
        body -> 'payload' as payload
    from bodies
    where body is not null
),

messages as (
    select
        line, label, 'message' as event_kind, [1] as position, raw,
        payload ->> 'id' as message_id,
        "timestamp",
        'inbound' as direction,
        business_number,
        coalesce(payload ->> 'source', payload -> '$.sender' ->> 'phone') as contact,
        -- the customer's BSUID, where the app enabled it
        coalesce(payload -> '$.sender' ->> 'userId', payload ->> 'userId') as contact_user_id,
        lower(payload ->> 'type') as "type",
        'gupshup_message' as origin
    from events
    where gupshup_type = 'message'
),

message_events as (
    select
        line, label, 'status' as event_kind, [2] as position, raw,
        case
            when payload ->> 'type' = 'enqueued'
                then coalesce(payload -> '$.payload' ->> 'whatsappMessageId', payload ->> 'id')
            else payload ->> 'id'
        end as message_id,
        "timestamp",
        'outbound' as direction,
        business_number,
        payload ->> 'destination' as contact,
        payload ->> 'userId' as contact_user_id,  -- the customer's BSUID
        case
            when payload -> '$.payload' ->> 'type' = 'template' then 'template'
            when payload -> '$.payload' ->> 'type' = 'session' then 'text'
            when payload -> '$.payload' ->> 'code' = '131047' then 'text'
            else 'unknown'
        end as "type",
        case payload ->> 'type'
            when 'enqueued' then 'sent'
            when 'deleted' then 'failed'
            else payload ->> 'type'
        end as status,
        "timestamp" as status_timestamp,
        'gupshup_status' as origin
    from events
    where gupshup_type = 'message-event'
),

billing_events as (
    select
        line, label, 'status' as event_kind, [3] as position, raw,
        payload -> '$.references' ->> 'id' as message_id,
        "timestamp",
        'outbound' as direction,
        business_number,
        payload -> '$.references' ->> 'destination' as contact,
        coalesce(payload ->> 'userId', payload -> '$.references' ->> 'userId')
            as contact_user_id,  -- the customer's BSUID
        -- in the per-message era Meta names a template's category; 'service' is a non-template
        case
            when payload -> '$.deductions' ->> 'model' = 'PMP'
                and payload -> '$.deductions' ->> 'category' in (
                    'marketing', 'utility', 'authentication', 'authentication_international',
                    'marketing_lite'
                )
                then 'template'
            else 'unknown'
        end as "type",
        case
            when payload -> '$.deductions' ->> 'model' = 'PMP'
                then case payload -> '$.deductions' ->> 'category'
                    when 'authentication_international' then 'authentication'
                    when 'marketing_lite' then 'marketing'
                    when 'service' then null
                    else payload -> '$.deductions' ->> 'category'
                end
        end as template_category,
        "timestamp" as status_timestamp,
        payload -> '$.deductions' ->> 'billable' as meta_billable,
        payload -> '$.deductions' ->> 'type' as meta_pricing_type,
        payload -> '$.deductions' ->> 'category' as meta_category,
        payload -> '$.deductions' ->> 'model' as meta_pricing_model,
        'gupshup_status' as origin
    from events
    where gupshup_type = 'billing-event'
),

other_events as (
    select
        line, label, 'other' as event_kind, [4] as position, raw,
        'Gupshup ' || coalesce(gupshup_type, 'event without a type') || ' event' as skip_reason
    from events
    where gupshup_type is null
        or gupshup_type not in ('message', 'message-event', 'billing-event')
),

unreadable as (
    select
        line, label, 'body' as event_kind, [] as position, left(body_text, 10000) as raw,
        'not valid JSON' as reason
    from bodies
    where body is null
),

-- the category Meta billed a template under, for the message's other events in this file
billed as (
    select message_id, any_value(template_category) as billed_category
    from billing_events
    where "type" = 'template'
    group by message_id
)

select * from messages
union all by name
select
    e.*,
    case when e."type" = 'template' then b.billed_category end as template_category
from message_events as e
left join billed as b using (message_id)
union all by name
select * from billing_events
union all by name
select * from other_events
union all by name
select * from unreadable
