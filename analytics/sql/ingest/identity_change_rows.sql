-- Meta's system messages that change who a customer is (temp table `incoming_identity_changes`,
-- from webhook_events.sql's identity_events), cleaned, typed and checked. Phone
-- numbers not written as E.164 digits are looked up in `phone_numbers` (see
-- message_log_rows.sql); BSUIDs are kept whole.
with source as (
    select
        i.*,
        p.digits as previous_contact_found,
        p.reason as previous_contact_problem,
        c.digits as contact_found,
        c.reason as contact_problem,
        b.digits as business_number_found
    from incoming_identity_changes as i
    left join phone_numbers as p on p.raw = i.previous_contact
    left join phone_numbers as c on c.raw = i.contact
    left join phone_numbers as b on b.raw = i.business_number
),

cleaned as (
    select
        line,
        trimmed(message_id) as message_id,
        instant_from_text(trimmed("timestamp"), $source_time_zone, $timestamp_format)
            as changed_at,
        case when is_phone_digits(business_number) then business_number
            else business_number_found end as business_number,
        nullif(waba_id, '') as waba_id,
        "type" as change,
        trimmed(previous_contact) as previous_contact_text,
        case when is_phone_digits(previous_contact) then previous_contact
            else previous_contact_found end as previous_contact,
        previous_contact_problem,
        trimmed(contact) as contact_text,
        case when is_phone_digits(contact) then contact else contact_found end as contact,
        contact_problem,
        trimmed(previous_user_id) as previous_user_id,
        trimmed(contact_user_id) as user_id
    from source
)

select
    line,
    message_id,
    changed_at,
    business_number,
    waba_id,
    change,
    previous_contact,
    contact,
    previous_user_id,
    user_id,
    case
        when message_id is null then 'message_id is missing'
        when changed_at is null then 'timestamp is missing or not Unix time'
        when business_number is null then 'business_number is missing or not a phone number'
        when previous_contact_text is not null and previous_contact is null
            then 'from ' || coalesce(previous_contact_problem, 'is not a phone number')
        when contact_text is not null and contact is null
            then 'system.wa_id ' || coalesce(contact_problem, 'is not a phone number')
        when not coalesce(is_bsuid(previous_user_id), true)
            then 'system.previous_user_id is not a business-scoped user ID'
        when not coalesce(is_bsuid(user_id), true)
            then 'system.user_id is not a business-scoped user ID'
        -- a change links an identity before to one after; with one side missing it says nothing
        when coalesce(previous_contact, previous_user_id) is null
            or coalesce(contact, user_id) is null
            then 'system message ' || change || ' names no identity before or after the change'
    end as reason
from cleaned
