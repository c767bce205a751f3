-- Messages in force, chargeable, cost-unknown and cost per period, pricing regime and currency,
-- for every regime of the registry (pricing_regimes gives the label and the order).
-- Reads daily_costs (days, not messages).
with by_day as (
    select
        day,
        regime,
        currency,
        sum(outbound_messages) filter (where in_force) as messages_in_force,
        sum(chargeable_messages) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        sum(cost_unknown_messages) as cost_unknown_messages
    from daily_costs
    group by all
),

periods as (
    select * exclude (period_kind)
    from day_and_month_periods('by_day', ['regime', 'currency'], $first_day)
),

final as (
    select
        periods.period,
        periods.regime,
        pricing_regimes.label,
        pricing_regimes.position,
        periods.currency,
        coalesce(periods.messages_in_force, 0) as messages_in_force,
        periods.chargeable_messages,
        periods.estimated_cost,
        periods.cost_unknown_messages
    from periods
    join pricing_regimes using (regime)
)

select * from final order by period, position, currency nulls last
