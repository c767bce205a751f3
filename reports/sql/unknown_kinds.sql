-- Outbound messages of unknown kind (a provider's format could not say whether they were
-- templates), per period: priced as service messages, so said in the data-quality section.
with source as (
    select timezone($time_zone, sent_at)::date as day
    from message_facts
    where kind = 'unknown'
),

by_day as (
    select day, count(*) as messages
    from source
    group by all
),

final as (
    select period, messages
    from day_and_month_periods('by_day', [], $first_day)
)

select * from final order by period
