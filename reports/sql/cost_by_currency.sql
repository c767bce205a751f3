-- Estimated cost per period and currency, every day included (for the monthly trend).
with source as (
    select day, currency, estimated_cost
    from daily_summary
    where estimated_cost is not null
),

by_day as (
    select day, currency, sum(estimated_cost) as estimated_cost
    from source
    group by all
),

final as (
    select period, currency, estimated_cost
    from day_and_month_periods('by_day', ['currency'], date '-infinity')
)

select * from final order by period, estimated_cost desc, currency
