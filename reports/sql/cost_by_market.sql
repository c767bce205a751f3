-- Outbound, chargeable and cost-unknown messages and cost per period, market, category,
-- currency and rate card (both null for the free messages) under the regime in force; the
-- report adds them up per market and category.
with by_day as (
    -- daily_costs (rebuilt with the facts) holds one row per day, business number, market,
    -- category, regime and currency, so this reads days and markets, never messages
    select
        day,
        coalesce(market, 'Unknown market') as market,
        priced_category,
        currency,
        rate_card,
        sum(outbound_messages) as outbound_messages,
        -- what is charged in a market: each delivery to a participant there (a group message
        -- counts once per participant charged, in the participant's market; a 1:1 message is
        -- one delivery), so a market's cost never shows beside 0 chargeable
        sum(chargeable_deliveries) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        sum(cost_unknown_messages) as cost_unknown_messages
    from daily_costs
    where in_force  -- daily_costs holds every regime; the estimate is the one in force
    group by all
),

final as (
    select * exclude (period_kind)
    from day_and_month_periods(
        'by_day', ['market', 'priced_category', 'currency', 'rate_card'], $first_day
    )
)

select * from final
order by period, estimated_cost desc nulls last, market, priced_category, currency, rate_card
