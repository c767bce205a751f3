-- The Twilio Console's message-log CSV (temp table `incoming_twilio`: line and the columns
-- From, To, Body, Status, SentDate, ErrorCode, AccountSid, Sid, Direction as text), as message
-- rows, by the rules of macros/twilio_messages.sql (the same as the Messages API's). A media
-- message's sid starts with MM.
{% from "macros/twilio_messages.sql" import twilio_message_columns -%}
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
    {{ twilio_message_columns() }},
    'twilio_console' as origin
from fields
