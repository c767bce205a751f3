-- The data points of a pricing_analytics export (temp table `incoming_pages`: line, page, raw),
-- one row each, typed, with the reason a bad one is quarantined. Meta's words (pricing
-- category and type) are kept, lower-cased; the granularity follows from the period's length
-- (Meta's response does not repeat it): 30 minutes, a UTC day, or a UTC calendar month.
{% from "macros/graph_api_points.sql" import data_points, granularity, point_reasons -%}
with {{ data_points("pricing_analytics") }},

fields as (
    select
        line,
        waba_id,
        position,
        point::varchar as raw,
        from_json(
            point,
            '{"start": "VARCHAR", "end": "VARCHAR", "phone_number": "VARCHAR",
              "country": "VARCHAR", "pricing_category": "VARCHAR", "pricing_type": "VARCHAR",
              "tier": "VARCHAR", "volume": "VARCHAR", "cost": "VARCHAR"}'
        ) as f
    from points
),

typed as (
    select
        line,
        waba_id,
        position,
        raw,
        f,
        try(to_timestamp(try_cast(f.start as bigint))) as period_start,
        try(to_timestamp(try_cast(f."end" as bigint))) as period_end,
        regexp_replace(f.phone_number, '[^0-9]', '', 'g') as business_number,
        upper(trim(f.country)) as country,
        lower(trim(f.pricing_category)) as pricing_category,
        lower(trim(f.pricing_type)) as pricing_type,
        nullif(trim(f.tier), '') as tier,
        try_cast(f.volume as bigint) as volume,
        try_cast(f.cost as decimal(18, 6)) as cost
    from fields
),

with_granularity as (
    select
        *,
        {{ granularity("period_start", "period_end") }} as granularity
    from typed
)

select
    line,
    position,
    raw,
    waba_id,
    period_start,
    period_end,
    granularity,
    business_number,
    country,
    pricing_category,
    pricing_type,
    tier,
    volume,
    cost,
    case
        {{ point_reasons() }}
        when f.pricing_category is null
            then 'no pricing_category: export with the PRICING_CATEGORY dimension'
        when f.pricing_type is null
            then 'no pricing_type: export with the PRICING_TYPE dimension'
        when not regexp_full_match(pricing_category, '[a-z_]+')
            or not regexp_full_match(pricing_type, '[a-z_]+')
            then 'pricing_category and pricing_type must be words'
        when f.volume is null and f.cost is null
            then 'neither volume nor cost: export with metric_types([COST,VOLUME])'
        when f.volume is not null and (volume is null or volume < 0)
            then 'volume is not a whole number of messages'
        when f.cost is not null and (cost is null or cost < 0)
            then 'cost is not an amount of money'
    end as reason
from with_granularity
