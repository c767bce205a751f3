-- Outbound, chargeable and cost-unknown messages and cost per period, market, category, currency.
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        coalesce(market, 'Unknown market') as market,
        priced_category,
        currency,
        billable,
        estimated_cost
    from message_facts
),

by_day as (
    select
        day,
        market,
        priced_category,
        currency,
        count(*) as outbound_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        count_if(billable and estimated_cost is null) as cost_unknown_messages
    from source
    group by all
),

final as (
    select * exclude (period_kind)
    from day_and_month_periods(
        'by_day', ['market', 'priced_category', 'currency'], $first_day
    )
)

select * from final
order by period, estimated_cost desc nulls last, market, priced_category, currency
