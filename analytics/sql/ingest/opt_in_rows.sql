-- Opt-in ledger rows read as text (temp table `incoming_ledger`), cleaned, typed and checked.
with source as (
    select * from incoming_ledger
),

cleaned as (
    select
        line,
        phone_digits(contact) as contact,
        nullif(trim("timestamp"), '') as timestamp_text,
        replace(replace(lower(nullif(trim(event), '')), '-', '_'), ' ', '_') as event_text,
        coalesce(lower(nullif(trim(scope), '')), 'all') as scope,
        phone_digits(business_number) as business_number,
        nullif(trim(source), '') as source
    from source
),

parsed as (
    select
        *,
        instant_from_text(timestamp_text, $source_time_zone) as event_at,
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
        when contact is null then 'contact is missing'
        when not regexp_full_match(contact, '[0-9]{5,20}')
            then 'contact is not a phone number (digits)'
        when timestamp_text is null then 'timestamp is missing'
        when event_at is null then 'timestamp is not ISO-8601 or Unix seconds'
        when event_at < timestamptz '2009-01-01 00:00:00+00'
            or event_at > timestamptz '2100-01-01 00:00:00+00'
            then 'timestamp is outside 2009-2100'
        when event_text is null then 'event is missing'
        when event is null then 'event must be opt_in or opt_out'
        when scope not in ('all', 'marketing') then 'scope must be all or marketing'
        when business_number is not null and not regexp_full_match(business_number, '[0-9]{5,20}')
            then 'business_number is not a phone number (digits)'
    end as reason
from parsed
