-- Messages compared with Meta's pricing, and how many agree and disagree, per period.
with source as (
    select timezone($time_zone, sent_at)::date as day, agrees
    from pricing_reconciliation
),

by_day as (
    select day, count(*) as compared_messages, count_if(agrees) as agreeing_messages
    from source
    group by day
),

periods as (
    select * from day_and_month_periods('by_day', [], $first_day)
),

final as (
    select
        period,
        compared_messages,
        agreeing_messages,
        compared_messages - agreeing_messages as disagreeing_messages
    from periods
)

select * from final order by period
