{#- A jinja2 macro (not a DuckDB one): the message columns of a Twilio message, the same rules
    for the Messages API (ingest/provider_twilio_api.sql) and the Console's CSV export
    (ingest/provider_twilio_console.sql). It reads the columns sid, twilio_direction
    (lower-cased), sender and recipient (whatsapp:+E164), twilio_status (lower-cased),
    error_code, sent_text and media (the number of media).
    The business is `from` of an outbound message and `to` of an inbound one. Twilio does not
    say whether an outbound-api message was a template: its type is 'unknown'. A reply through
    TwiML (outbound-reply) and a message refused with error 63016 (free-form outside the
    window) were free-form ('text'). -#}
{% macro twilio_message_columns() -%}
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
    end as status
{%- endmacro %}
