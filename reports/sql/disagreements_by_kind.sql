-- Messages whose estimated pricing disagrees with Meta's, per period and kind of disagreement.
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        coalesce(disagreement, 'unspecified') as disagreement
    from pricing_reconciliation
    where not agrees
),

by_day as (
    select day, disagreement, count(*) as messages
    from source
    group by all
),

final as (
    select period, disagreement, messages
    from day_and_month_periods('by_day', ['disagreement'], $first_day)
)

select * from final order by period, messages desc, disagreement
