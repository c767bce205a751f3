-- The pricing regime in force on every day of the data, with when it came into force and what
-- changed then (pricing_regimes.change): a report names the change beside a headline that
-- jumps because of it.
with in_force as (
    select day, any_value(regime) as regime
    from daily_costs
    where in_force
    group by day
),

final as (
    select
        in_force.day,
        in_force.regime,
        pricing_regimes.label,
        pricing_regimes.in_force_from,
        pricing_regimes.change,
        pricing_regimes.charge_unit,
        -- its monthly free tier counts each business number's service messages
        list_contains(pricing_regimes.settings, 'business.free_service_messages_per_month')
            as free_tier_per_number
    from in_force
    left join pricing_regimes using (regime)
)

select * from final order by day
