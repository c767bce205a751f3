-- The data points of a conversation_analytics export (temp table `incoming_pages`), one row
-- each, typed, with the reason a bad one is quarantined; as graph_api_pricing_points.sql, with
-- conversation category, type and direction, and `conversation` (the count) as the volume.
{% from "macros/graph_api_points.sql" import data_points, granularity, point_reasons -%}
with {{ data_points("conversation_analytics") }},

fields as (
    select
        line,
        waba_id,
        position,
        point::varchar as raw,
        from_json(
            point,
            '{"start": "VARCHAR", "end": "VARCHAR", "phone_number": "VARCHAR",
              "country": "VARCHAR", "conversation_category": "VARCHAR",
              "conversation_type": "VARCHAR", "conversation_direction": "VARCHAR",
              "conversation": "VARCHAR", "cost": "VARCHAR"}'
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
        lower(trim(f.conversation_category)) as conversation_category,
        lower(trim(f.conversation_type)) as conversation_type,
        lower(nullif(trim(f.conversation_direction), '')) as conversation_direction,
        try_cast(f.conversation as bigint) as volume,
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
    conversation_category,
    conversation_type,
    conversation_direction,
    volume,
    cost,
    case
        {{ point_reasons() }}
        when f.conversation_category is null
            then 'no conversation_category: export with the CONVERSATION_CATEGORY dimension'
        when f.conversation_type is null
            then 'no conversation_type: export with the CONVERSATION_TYPE dimension'
        when not regexp_full_match(conversation_category, '[a-z_]+')
            or not regexp_full_match(conversation_type, '[a-z_]+')
            or not coalesce(regexp_full_match(conversation_direction, '[a-z_]+'), true)
            then 'conversation category, type and direction must be words'
        when f.conversation is null and f.cost is null
            then 'neither conversation nor cost: export with metric_types([COST,CONVERSATION])'
        when f.conversation is not null and (volume is null or volume < 0)
            then 'conversation is not a whole number of conversations'
        when f.cost is not null and (cost is null or cost < 0)
            then 'cost is not an amount of money'
    end as reason
from with_granularity
