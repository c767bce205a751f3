-- Message rows read as text (temp table `incoming`: a message log, or messages, statuses and
-- calls taken out of webhook bodies), cleaned, typed and checked.
-- A good row has reason = null; a bad one keeps its line and says what is wrong with it.
-- Phone numbers not written as E.164 digits are looked up in `phone_numbers` (raw, digits,
-- reason), the file's distinct other spellings normalised by analytics/ingest/phones.py.
-- The customer may be named by a business-scoped user ID (BSUID, `US.13491208655302741918`) in
-- `contact`, or beside a phone number in `contact_user_id`: kept whole. `contact`
-- holds the phone number when the row names one, else the BSUID.
-- Groups: a row with a `group_id` belongs to the thread (business number, group). An inbound
-- one names its sender, a participant, in `contact`; an outbound one is the group's: its
-- `contact` is the group ID (whatever the row says there: no phone-number check), and a row
-- naming a `participant` is one delivery of it (group_deliveries). A group ID is checked as one
-- (is_group_id), never as a phone number.
with source as (
    select
        i.*,
        b.digits as business_number_found,
        b.reason as business_number_problem,
        c.digits as contact_found,
        c.reason as contact_problem,
        p.digits as participant_found,
        p.reason as participant_problem
    from incoming as i
    left join phone_numbers as b on b.raw = i.business_number
    left join phone_numbers as c on c.raw = i.contact
    left join phone_numbers as p on p.raw = i.participant
),

cleaned as (
    -- the macros (ingest/macros.sql) take clean values through a cheap test; only fields
    -- compared or parsed are cleaned at all
    select
        line,
        trimmed(message_id) as message_id,
        trimmed("timestamp") as timestamp_text,
        code_word(direction, ['inbound', 'outbound']) as direction_text,
        -- a clean number is checked once here; only the others are cleaned and checked again
        is_phone_digits(business_number) as business_number_clean,
        case when business_number_clean then business_number
            else business_number_found end as business_number_digits,
        trimmed(business_number) is null as business_number_missing,
        business_number_problem,
        is_phone_digits(contact) as contact_clean,
        -- a BSUID is used whole; a provider may write it as an address (Twilio's whatsapp:US.…)
        case
            when contact_clean then contact
            when lower(left(trimmed(contact), 9)) = 'whatsapp:'
                and is_bsuid(substr(trimmed(contact), 10)) then substr(trimmed(contact), 10)
            else trimmed(contact)
        end as contact_text,
        -- clean phone numbers skip the pattern: at a hundred million rows it costs
        case when contact_clean then false
            else coalesce(is_bsuid(contact_text), false) end as contact_is_user_id,
        trimmed(contact_user_id) as user_id_text,
        case
            when contact_clean then contact
            when contact_is_user_id then contact_text
            else contact_found
        end as contact_found_or_user_id,
        -- a row without a phone number is named by its BSUID alone
        coalesce(contact_found_or_user_id, case when contact_text is null
            and is_bsuid(user_id_text) then user_id_text end) as contact_digits,
        contact_text is null and user_id_text is null as contact_missing,
        contact_problem,
        case when contact_is_user_id then contact_text else user_id_text end as user_id,
        trimmed(contact_parent_user_id) as parent_user_id,
        trimmed(contact_username) as username,
        -- groups: the group, and the participant a delivery went to (a phone number, written as
        -- any contact may be, or a BSUID); a webhook may give the BSUID beside the number
        trimmed(group_id) as group_text,
        trimmed(participant) as participant_text,
        case
            when is_phone_digits(participant) then participant
            when is_bsuid(trimmed(participant)) then trimmed(participant)
            else participant_found
        end as participant_key,
        participant_problem,
        trimmed(participant_user_id) as participant_user_id_text,
        trimmed(participant_parent_user_id) as participant_parent_user_id,
        code_word("type", ['text', 'image', 'audio', 'video', 'document', 'sticker',
            'location', 'contacts', 'interactive', 'button', 'reaction', 'template', 'call',
            'unknown']) as type,
        nullif(template_name, '') as template_name,
        code_word(template_category, ['marketing', 'utility', 'authentication'])
            as template_category,
        code_word(status, ['sent', 'delivered', 'read', 'failed']) as status_text,
        code_word(referral_source, ['ad', 'page']) as referral_text,
        nullif(waba_id, '') as waba_id,
        nullif(phone_number_id, '') as phone_number_id,
        status_timestamp,
        lower(meta_billable) as meta_billable_text,
        meta_pricing_type,
        meta_category,
        meta_pricing_model,
        meta_pricing_subtype,
        meta_conversation_id,
        meta_conversation_origin,
        origin
    from source
),

parsed as (
    select
        *,
        instant_from_text(timestamp_text, $source_time_zone, $timestamp_format) as sent_at,
        case
            when direction_text in ('inbound', 'in', 'incoming', 'received') then 'inbound'
            when direction_text in ('outbound', 'out', 'outgoing', 'sent') then 'outbound'
        end as direction,
        case status_text when 'played' then 'read' else status_text end as status,
        case referral_text when 'post' then 'page' else referral_text end as referral_source,
        -- an outbound group message: the group is the other party of its thread
        group_text is not null and direction_text in ('outbound', 'out', 'outgoing', 'sent')
            as is_group_send
    from cleaned
),

checked as (
    -- DuckDB inlines the steps above into every expression that uses them, so each condition
    -- below would parse its inputs again. A good row passes one short-circuited test instead,
    -- and only the rows failing it get the full list that names their problem.
    select
        *,
        case
            when message_id is not null
                and sent_at between timestamptz '2009-01-01 00:00:00+00'
                    and timestamptz '2100-01-01 00:00:00+00'
                and direction is not null
                and business_number_digits is not null
                and group_text is null
                and participant_text is null
                and contact_digits is not null
                and (user_id is null or is_bsuid(user_id))
                and (contact_text is null or user_id_text is null or not contact_is_user_id
                    or contact_text = user_id_text)
                and type is not null
                and (type <> 'template' or template_category is null
                    or template_category in ('marketing', 'utility', 'authentication'))
                and (direction <> 'outbound' or status is null
                    or status in ('sent', 'delivered', 'read', 'failed'))
                and (direction <> 'inbound' or referral_source is null
                    or referral_source in ('ad', 'page'))
                then null
            -- a group's row: the same tests, its group ID checked as one and the contact of
            -- an outbound one not at all (the group is the thread's party)
            when group_text is not null
                and is_group_id(group_text)
                and message_id is not null
                and sent_at between timestamptz '2009-01-01 00:00:00+00'
                    and timestamptz '2100-01-01 00:00:00+00'
                and direction is not null
                and business_number_digits is not null
                and (is_group_send or (contact_digits is not null
                    and (user_id is null or is_bsuid(user_id))
                    and (contact_text is null or user_id_text is null or not contact_is_user_id
                        or contact_text = user_id_text)))
                and (participant_text is null or not is_group_send or participant_key is not null)
                and (participant_user_id_text is null or is_bsuid(participant_user_id_text))
                and type is not null
                and (type <> 'template' or template_category is null
                    or template_category in ('marketing', 'utility', 'authentication'))
                and (direction <> 'outbound' or status is null
                    or status in ('sent', 'delivered', 'read', 'failed'))
                and (direction <> 'inbound' or referral_source is null
                    or referral_source in ('ad', 'page'))
                then null
            when message_id is null then 'message_id is missing'
            when timestamp_text is null then 'timestamp is missing'
            when sent_at is null then 'timestamp is not ISO-8601, Unix time, RFC 2822 or '
                || 'inputs.timestamp_format'
            when sent_at < timestamptz '2009-01-01 00:00:00+00'
                or sent_at > timestamptz '2100-01-01 00:00:00+00'
                then 'timestamp is outside 2009-2100'
            when direction_text is null then 'direction is missing'
            when direction is null then 'direction must be inbound or outbound'
            when business_number_missing then 'business_number is missing'
            when business_number_digits is null then 'business_number '
                || coalesce(business_number_problem, 'is not a phone number')
            when group_text is not null and not is_group_id(group_text)
                then 'group_id is not a WhatsApp group ID (6 to 256 letters, digits and '
                || '_ - = + /, e.g. Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAz)'
            when participant_text is not null and group_text is null
                then 'participant is given but group_id is not (a participant belongs to a group)'
            when is_group_send and participant_text is not null and participant_key is null
                then 'participant ' || coalesce(participant_problem, 'is not a phone number')
            when is_group_send and participant_user_id_text is not null
                and not is_bsuid(participant_user_id_text)
                then 'participant_user_id is not a business-scoped user ID'
            -- the contact of an outbound group message is the group: not checked
            when not is_group_send and contact_missing then 'contact is missing'
            when not is_group_send and contact_digits is null then 'contact '
                || coalesce(contact_problem, 'is not a phone number')
            when not is_group_send and not is_bsuid(user_id)
                then 'contact_user_id is not a business-scoped user ID '
                || '(BSUID: a country code, a period, letters and digits, e.g. US.1349120865)'
            when not is_group_send and contact_is_user_id and contact_text <> user_id_text
                then 'contact and contact_user_id name two different BSUIDs'
            when type is null then 'type is missing'
            when type = 'template' and template_category is not null
                and template_category not in ('marketing', 'utility', 'authentication')
                then 'template_category must be marketing, utility or authentication'
            when direction = 'outbound' and status is not null
                and status not in ('sent', 'delivered', 'read', 'failed')
                then 'status must be sent, delivered, read or failed'
            when direction = 'inbound' and referral_source is not null
                and referral_source not in ('ad', 'page')
                then 'referral_source must be ad or page'
        end as reason
    from parsed
)

select
    line,
    message_id,
    direction,
    sent_at,
    business_number_digits as business_number,
    -- an outbound group message's party is its group; the customer identities are the
    -- participants' (group_deliveries), never the group's
    case when is_group_send then group_text else contact_digits end as contact,
    case when not is_group_send then user_id end as contact_user_id,
    case when not is_group_send then parent_user_id end as contact_parent_user_id,
    case when not is_group_send then username end as contact_username,
    group_text as group_id,
    case when is_group_send then participant_key end as participant,
    case when is_group_send and participant_key is not null
        then coalesce(participant_user_id_text,
            case when is_bsuid(participant_key) then participant_key end)
    end as participant_user_id,
    case when is_group_send and participant_key is not null
        then participant_parent_user_id end as participant_parent_user_id,
    type,
    case when type = 'template' then template_name end as template_name,
    case when type = 'template' then template_category end as template_category,
    -- a delivery's own status goes to group_deliveries; for the message, a participant it
    -- failed to reach makes it no less sent (the group message failed only when Meta says so
    -- for the group itself, in a status naming no participant)
    case
        when direction <> 'outbound' then null
        when is_group_send and participant_key is not null and status = 'failed' then 'sent'
        else status
    end as status,
    case when is_group_send and participant_key is not null then status end
        as participant_status,
    case
        when regexp_full_match(status_timestamp, '[0-9]{1,12}')
            then try(to_timestamp(status_timestamp::double))
        when status_timestamp is not null
            then instant_from_text(status_timestamp, $source_time_zone, $timestamp_format)
    end as status_at,
    case when direction = 'inbound' then referral_source end as referral_source,
    waba_id,
    phone_number_id,
    try_cast(meta_billable_text as boolean) as meta_billable,
    meta_pricing_type,
    meta_category,
    meta_pricing_model,
    meta_pricing_subtype,
    meta_conversation_id,
    meta_conversation_origin,
    origin,
    reason
from checked
