-- Estimated cost per day, currency and rate card under the regime in force, every day of the
-- data. Free messages have no currency and cost nothing, so they make no row: a currency
-- appears only where something was priced.
with source as (
    select day, currency, rate_card, estimated_cost
    from daily_costs
    where in_force and currency is not null and estimated_cost is not null
),

final as (
    select day, currency, rate_card, sum(estimated_cost) as estimated_cost
    from source
    group by all
)

select * from final order by day, currency, rate_card
