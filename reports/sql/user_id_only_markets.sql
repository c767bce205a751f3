-- Outbound messages to customers known only by a business-scoped user ID, per period
-- and market: their market comes from the country in front of the BSUID, and Meta does not
-- document how it prices such a recipient, so the data-quality section counts them.
with source as (
    select timezone($time_zone, sent_at)::date as day, coalesce(market, 'unknown') as market
    from message_facts
    -- phone numbers are digits: the cheap comparison skips them before the pattern is tried
    where contact >= 'A' and regexp_full_match(contact, '[A-Z]{2}\..+')
),

by_day as (
    select day, market, count(*) as messages
    from source
    group by all
),

final as (
    select period, market, messages
    from day_and_month_periods('by_day', ['market'], $first_day)
)

select * from final order by period, messages desc, market
