-- Opt-in ledger rows read as text (temp table `incoming_ledger`), cleaned, typed and checked.
-- Phone numbers not written as E.164 digits are looked up in `phone_numbers` (see
-- message_log_rows.sql).
with source as (
    select
        i.*,
        c.digits as contact_found,
        c.reason as contact_problem,
        b.digits as business_number_found,
        b.reason as business_number_problem
    from incoming_ledger as i
    left join phone_numbers as c on c.raw = i.contact
    left join phone_numbers as b on b.raw = i.business_number
),

cleaned as (
    select
        line,
        case
            when is_phone_digits(contact) then contact
            -- a business-scoped user ID names the customer as it is
            when is_bsuid(trimmed(contact)) then trimmed(contact)
            else contact_found
        end as contact,
        trimmed(contact) is null as contact_missing,
        contact_problem,
        nullif(trim("timestamp"), '') as timestamp_text,
        replace(replace(lower(nullif(trim(event), '')), '-', '_'), ' ', '_') as event_text,
        coalesce(lower(nullif(trim(scope), '')), 'all') as scope,
        case when is_phone_digits(business_number) then business_number
            else business_number_found end as business_number,
        trimmed(business_number) is null as business_number_missing,
        business_number_problem,
        nullif(trim(source), '') as source
    from source
),

parsed as (
    select
        *,
        instant_from_text(timestamp_text, $source_time_zone, $timestamp_format) as event_at,
        case
            when event_text in ('opt_in', 'optin', 'subscribe') then 'opt_in'
            when event_text in ('opt_out', 'optout', 'unsubscribe') then 'opt_out'
        end as event
    from cleaned
)

select
    line,
    contact,
    event_at,
    event,
    scope,
    business_number,
    source,
    case
        when contact_missing then 'contact is missing'
        when contact is null then 'contact ' || coalesce(contact_problem, 'is not a phone number')
        when timestamp_text is null then 'timestamp is missing'
        when event_at is null
            then 'timestamp is not ISO-8601, Unix time, RFC 2822 or inputs.timestamp_format'
        when event_at < timestamptz '2009-01-01 00:00:00+00'
            or event_at > timestamptz '2100-01-01 00:00:00+00'
            then 'timestamp is outside 2009-2100'
        when event_text is null then 'event is missing'
        when event is null then 'event must be opt_in or opt_out'
        when scope not in ('all', 'marketing') then 'scope must be all or marketing'
        when not business_number_missing and business_number is null
            then 'business_number ' || coalesce(business_number_problem, 'is not a phone number')
    end as reason
from parsed
