-- The cells of cost_reconciliation summed over each UTC month per charge unit, country,
-- pricing category and type, with Meta's and the estimate's figures; every cell that differs.
with source as (
    select
        strftime(day, '%Y-%m') as period,
        charge_unit,
        coalesce(country, '') as country,
        pricing_category,
        pricing_type,
        estimated_volume,
        meta_volume,
        estimated_cost,
        meta_cost
    from cost_reconciliation
),

by_cell as (
    select
        period,
        charge_unit,
        country,
        pricing_category,
        pricing_type,
        sum(estimated_volume) as estimated_volume,
        sum(meta_volume) as meta_volume,
        case when count(*) = count(estimated_cost) then sum(estimated_cost) end
            as estimated_cost,
        case when count(*) = count(meta_cost) then sum(meta_cost) end as meta_cost
    from source
    group by all
),

final as (
    select
        *,
        meta_volume - estimated_volume as volume_difference,
        meta_cost - estimated_cost as cost_difference
    from by_cell
)

select *
from final
where volume_difference <> 0 or cost_difference is distinct from 0
order by
    period,
    abs(coalesce(cost_difference, 0)) desc,
    abs(volume_difference) desc,
    country,
    pricing_category,
    pricing_type
