-- The Twilio Console's message-log CSV (temp table `incoming_twilio`: line and the columns
-- From, To, Body, Status, SentDate, ErrorCode, AccountSid, Sid, Direction as text), as message
-- rows; the same rules as provider_twilio_api.sql. A media message's sid starts with MM.
with fields as (
    select
        line,
        to_json(i)::varchar as raw,
        sid,
        lower(trim(direction)) as twilio_direction,
        "from" as sender,
        "to" as recipient,
        lower(trim(status)) as twilio_status,
        trim(errorcode) as error_code,
        sentdate as sent_text,
        case when starts_with(sid, 'MM') then 1 else 0 end as media
    from incoming_twilio as i
)

select
    line,
    null as label,
    'message' as event_kind,
    [line] as position,
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
    'twilio_console' as origin
from fields
