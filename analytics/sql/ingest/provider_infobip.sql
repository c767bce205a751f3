-- Infobip WhatsApp webhooks (temp table `incoming_bodies`: bodies {"results": [...]}) as
-- message rows: inbound messages (receivedAt), delivery reports (doneAt, status
-- group) and seen reports (seenAt). Reports name the customer (`to`) but not the business
-- number: it is taken from the inbound messages of the file, the number that customer wrote
-- to, else the file's only business number; with neither the report is quarantined. Reports
-- cannot say whether a message was a template ('unknown'), except a refusal for re-engagement
-- (error EC_RE_ENGAGEMENT_MESSAGE, more than 24 hours): a free-form message.
with bodies as (
    select line, label, body_text, try(body_text::json) as body from incoming_bodies
),

results as (
    select b.line, b.label, r.n, r.result
    from bodies as b, unnest(b.body -> '$.results[*]') with ordinality as r(result, n)
    where json_type(b.body -> '$.results') = 'ARRAY'
),

inbound as (
    select
        line, label, 'message' as event_kind, [n] as position, result::varchar as raw,
        result ->> 'messageId' as message_id,
        result ->> 'receivedAt' as "timestamp",
        'inbound' as direction,
        result ->> 'to' as business_number,
        result ->> 'from' as contact,
        -- the customer's BSUID, where Infobip passes it on
        coalesce(result -> '$.contact' ->> 'userId', result ->> 'userId') as contact_user_id,
        lower(result -> '$.message' ->> 'type') as "type",
        'infobip_message' as origin
    from results
    where (result ->> 'receivedAt') is not null
),

senders as (
    select contact, any_value(business_number) as business_number from inbound group by contact
),

only_sender as (
    select any_value(business_number) as business_number
    from inbound
    having count(distinct business_number) = 1
),

reports as (
    select
        r.line, r.label, 'status' as event_kind, [r.n] as position, r.result::varchar as raw,
        r.result ->> 'messageId' as message_id,
        coalesce(r.result ->> 'sentAt', r.result ->> 'doneAt', r.result ->> 'seenAt')
            as "timestamp",
        'outbound' as direction,
        coalesce(s.business_number, o.business_number) as business_number,
        r.result ->> 'to' as contact,
        coalesce(r.result -> '$.contact' ->> 'userId', r.result ->> 'userId')
            as contact_user_id,  -- the customer's BSUID
        case
            when r.result -> '$.error' ->> 'name' = 'EC_RE_ENGAGEMENT_MESSAGE' then 'text'
            else 'unknown'
        end as "type",
        case
            when (r.result ->> 'seenAt') is not null then 'read'
            else case upper(r.result -> '$.status' ->> 'groupName')
                when 'PENDING' then 'sent'
                when 'DELIVERED' then 'delivered'
                when 'UNDELIVERABLE' then 'failed'
                when 'REJECTED' then 'failed'
                when 'EXPIRED' then 'failed'
                else lower(r.result -> '$.status' ->> 'groupName')
            end
        end as status,
        coalesce(r.result ->> 'seenAt', r.result ->> 'doneAt') as status_timestamp,
        'infobip_status' as origin,
        case
            when coalesce(s.business_number, o.business_number) is null
                then 'delivery report names no business number and the file has no inbound '
                    || 'message that would; load it with the inbound messages'
        end as reason
    from results as r
    left join senders as s on s.contact = r.result ->> 'to'
    left join only_sender as o on true
    where (r.result ->> 'receivedAt') is null
),

unreadable as (
    select
        line, label, 'body' as event_kind, [] as position, left(body_text, 10000) as raw,
        case
            when body is null then 'not valid JSON'
            when json_type(body) in ('OBJECT', 'ARRAY')
                then 'not an Infobip webhook body: no results[]'
        end as reason,
        -- a note beside the bodies, such as a "_comment"
        case
            when body is not null and json_type(body) not in ('OBJECT', 'ARRAY')
                then 'a ' || lower(json_type(body)) || ' value, not a webhook body'
        end as skip_reason
    from bodies
    where body is null or json_type(body -> '$.results') is distinct from 'ARRAY'
)

select * from inbound
union all by name
select * from reports
union all by name
select * from unreadable
