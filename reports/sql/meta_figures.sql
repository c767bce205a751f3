-- Meta's figures beside the estimate, per UTC month and charge unit (messages in the
-- per-message era, conversations before): totals of cost_reconciliation.
with source as (
    select
        strftime(day, '%Y-%m') as period,
        charge_unit,
        day,
        granularity,
        estimated_volume,
        meta_volume,
        estimated_cost,
        meta_cost,
        estimated_cost_unknown,
        currency
    from cost_reconciliation
),

final as (
    select
        period,
        charge_unit,
        min(day) as first_day,
        max(day) as last_day,
        bool_or(granularity = 'monthly') as has_monthly,
        sum(estimated_volume) as estimated_volume,
        sum(meta_volume) as meta_volume,
        sum(meta_volume) - sum(estimated_volume) as volume_difference,
        -- an unknown estimate (a rate missing) leaves the total unknown, never a partial sum
        case when count(*) = count(estimated_cost) then sum(estimated_cost) end
            as estimated_cost,
        case when count(*) = count(meta_cost) then sum(meta_cost) end as meta_cost,
        sum(estimated_cost_unknown) as estimated_cost_unknown,
        max(currency) as currency
    from source
    group by period, charge_unit
)

select
    *,
    meta_cost - estimated_cost as cost_difference
from final
order by period, charge_unit
