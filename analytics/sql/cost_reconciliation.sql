-- Meta's bill beside carewindow's estimate (docs/rules.md, Reconciliation with Meta's own
-- pricing), in Meta's buckets: one row per UTC day (or month, where Meta's figures are monthly),
-- business number, country, pricing category and pricing type, for the periods Meta's loaded
-- figures cover. Per-message era: Meta's pricing_analytics against every delivered message priced
-- per message; conversation eras: conversation_analytics against the conversations the estimate
-- opened (category and type of the conversation; Meta's directions summed). Differences are Meta
-- minus estimate.
--   * Meta's half-hourly figures are summed to days; where a day has daily figures too, the
--     daily ones count. Monthly figures count for a month without any daily or half-hourly
--     ones, against the month's estimate.
--   * A period counts as covered from the first to the last data point of each loaded file
--     (a file whose day had no traffic has no data point for it): estimated traffic in it that
--     Meta did not report shows with meta_volume 0.
--   * Meta's words: the estimate's categories are marketing, utility, authentication and
--     service; Meta's own variants (authentication_international, marketing_lite) show as
--     their own cells, with no estimate.
{% from "macros/contact_countries.sql" import contact_countries -%}
with regimes as (
    select regime, charge_unit from pricing_regimes
),

meta_points as (
    select
        'message' as charge_unit, source_file, period_start, period_end, granularity,
        business_number, country, pricing_category, pricing_type, volume, cost
    from meta_pricing_analytics
    union all
    select
        'conversation', source_file, period_start, period_end, granularity,
        business_number, country, conversation_category, conversation_type, volume, cost
    from meta_conversation_analytics
),

-- day-level figures: per number and day, daily beats half-hourly
meta_day_points as (
    select
        *,
        timezone('UTC', period_start)::date as day,
        min(case granularity when 'daily' then 0 else 1 end) over (
            partition by charge_unit, business_number, timezone('UTC', period_start)::date
        ) as best_rank,
        case granularity when 'daily' then 0 else 1 end as rank
    from meta_points
    where granularity in ('daily', 'half_hour')
),

meta_months_with_days as (
    select distinct charge_unit, business_number, date_trunc('month', day)::date as month
    from meta_day_points
),

meta_cells as (
    select
        charge_unit, 'daily' as granularity, day, business_number, country,
        pricing_category, pricing_type, sum(volume) as meta_volume, sum(cost) as meta_cost
    from meta_day_points
    where rank = best_rank
    group by all
    union all
    select
        points.charge_unit, 'monthly', timezone('UTC', points.period_start)::date,
        points.business_number, points.country, points.pricing_category, points.pricing_type,
        sum(points.volume), sum(points.cost)
    from meta_points as points
    anti join meta_months_with_days as days
        on days.charge_unit = points.charge_unit
        and days.business_number = points.business_number
        and days.month = timezone('UTC', points.period_start)::date
    where points.granularity = 'monthly'
    group by all
),

-- which days (and months) the loaded figures cover, file by file
coverage_spans as (
    select
        charge_unit,
        case when granularity = 'monthly' then 'monthly' else 'daily' end as granularity,
        timezone('UTC', min(period_start))::date as first_day,
        -- the day of the last instant covered (a period ends where the next begins)
        timezone('UTC', max(period_end) - interval 1 second)::date as last_day
    from meta_points
    group by charge_unit, source_file, 2
),

covered_days as (
    -- a day covered by day-level figures is compared per day, otherwise per month
    select charge_unit, day, min(granularity) as granularity  -- 'daily' < 'monthly'
    from (
        select charge_unit, granularity, unnest(
            generate_series(first_day, last_day, interval 1 day)
        )::date as day
        from coverage_spans
    )
    group by charge_unit, day
),

-- the estimate, message by message, in Meta's words
facts as (
    select
        facts.message_id,
        facts.business_number,
        facts.contact,
        facts.sent_at,
        timezone('UTC', facts.sent_at)::date as day,
        regimes.charge_unit,
        facts.conversation_id,
        facts.billing_reason,
        facts.billable,
        facts.priced_category,
        facts.estimated_cost,
        facts.currency,
        facts.cost_known,
        facts.deliveries
    from message_facts as facts
    join regimes using (regime)
    -- only the days Meta's figures cover: without them this reads no message at all
    semi join covered_days
        on covered_days.charge_unit = regimes.charge_unit
        and covered_days.day = timezone('UTC', facts.sent_at)::date
    where facts.delivered
),

message_units as (
    select
        'message' as charge_unit,
        facts.day,
        facts.business_number,
        facts.contact,
        facts.priced_category as pricing_category,
        case
            when facts.billing_reason = 'free_entry_point' then 'free_entry_point'
            when facts.billable then 'regular'
            else 'free_customer_service'
        end as pricing_type,
        facts.estimated_cost,
        facts.currency,
        facts.cost_known
    from facts
    where facts.charge_unit = 'message' and facts.deliveries is null
    union all
    -- a group message counts once per participant it reached, in that participant's country
    -- (Meta charges and counts each delivery: docs/rules.md, Groups)
    select
        'message',
        facts.day,
        facts.business_number,
        billing.participant,
        billing.priced_category,
        case
            when billing.billing_reason = 'free_entry_point' then 'free_entry_point'
            when billing.billable then 'regular'
            else 'free_customer_service'
        end,
        billing.estimated_cost,
        case when billing.billable and billing.estimated_cost is not null
            then billing.currency end,
        billing.cost_known
    from facts
    join group_delivery_billing as billing using (message_id)
    where facts.charge_unit = 'message' and facts.deliveries is not null and billing.delivered
),

-- a conversation counts once, on the day its first message was sent, in its opener's category
conversation_units as (
    select
        'conversation' as charge_unit,
        arg_min(day, sent_at) as day,
        any_value(business_number) as business_number,
        any_value(contact) as contact,
        arg_min(priced_category, sent_at) as pricing_category,
        case arg_min(billing_reason, sent_at)
            when 'free_tier' then 'free_tier'
            when 'free_entry_point' then 'free_entry_point'
            else 'regular'
        end as pricing_type,
        sum(estimated_cost) as estimated_cost,
        any_value(currency) as currency,
        bool_and(cost_known) as cost_known
    from facts
    where charge_unit = 'conversation' and conversation_id is not null
    group by conversation_id
),

units as (
    select * from message_units
    union all
    select * from conversation_units
),

-- the country of every contact, as Meta names it (macros/contact_countries.sql): a group
-- delivery's is its participant's
{{ contact_countries("units") }},

estimate_cells as (
    select
        units.charge_unit,
        covered_days.granularity,
        case
            when covered_days.granularity = 'monthly' then date_trunc('month', units.day)::date
            else units.day
        end as day,
        units.business_number,
        coalesce(contact_countries.country, '') as country,
        units.pricing_category,
        units.pricing_type,
        count(*) as estimated_volume,
        -- an unknown rate leaves the cell's cost unknown, never a partial sum
        case when bool_and(units.cost_known) then sum(units.estimated_cost) end
            as estimated_cost,
        count_if(not units.cost_known) as cost_unknown,
        any_value(units.currency) as currency
    from units
    join covered_days using (charge_unit, day)
    left join contact_countries using (contact)
    group by all
),

final as (
    select
        coalesce(e.day, m.day) as day,
        coalesce(e.granularity, m.granularity) as granularity,
        coalesce(e.charge_unit, m.charge_unit) as charge_unit,
        coalesce(e.business_number, m.business_number) as business_number,
        nullif(coalesce(e.country, m.country), '') as country,
        coalesce(e.pricing_category, m.pricing_category) as pricing_category,
        coalesce(e.pricing_type, m.pricing_type) as pricing_type,
        coalesce(e.estimated_volume, 0) as estimated_volume,
        coalesce(m.meta_volume, 0) as meta_volume,
        case when e.charge_unit is null then 0 else e.estimated_cost end as estimated_cost,
        case when m.charge_unit is null then 0 else m.meta_cost end as meta_cost,
        coalesce(m.meta_volume, 0) - coalesce(e.estimated_volume, 0) as volume_difference,
        (case when m.charge_unit is null then 0 else m.meta_cost end)
            - (case when e.charge_unit is null then 0 else e.estimated_cost end)
            as cost_difference,
        coalesce(e.cost_unknown, 0) as estimated_cost_unknown,
        e.currency
    from estimate_cells as e
    full join meta_cells as m
        on e.charge_unit = m.charge_unit and e.granularity = m.granularity and e.day = m.day
        and e.business_number = m.business_number and e.country = m.country
        and e.pricing_category = m.pricing_category and e.pricing_type = m.pricing_type
)

select * from final
