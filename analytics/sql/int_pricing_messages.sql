-- One row per outbound message with everything pricing needs: the business account, the send
-- date and month in the business time zone, the regime in force on that date, the market,
-- the category a template is priced as, and whether it falls in a free entry point period.
with outbound as (
    select * from int_outbound
),

parameters as (
    select * from rebuild_parameters
),

local_times as (
    select
        outbound.*,
        -- free tiers and months belong to the business account; without one, to the number
        coalesce(outbound.waba_id, outbound.business_number) as account_id,
        timezone(parameters.business_time_zone, outbound.sent_at)::date as send_date
    from outbound
    cross join parameters
),

regime_by_date as (
    -- a few hundred send dates, not a search per message
    select send_dates.send_date, pricing_regime_calendar.regime
    from (select distinct send_date from local_times) as send_dates
    asof join pricing_regime_calendar
        on send_dates.send_date >= pricing_regime_calendar.in_force_from
),

with_regime as (
    select
        local_times.*,
        date_trunc('month', local_times.send_date)::date as send_month,
        regime_by_date.regime
    from local_times
    join regime_by_date using (send_date)
),

with_category as (
    select
        with_regime.*,
        -- a template without a known category is priced as marketing, the most expensive
        case
            when kind <> 'template' then 'service'
            when lower(template_category) in ('marketing', 'utility', 'authentication')
                then lower(template_category)
            else 'marketing'
        end as priced_template_category,
        kind = 'template'
            and coalesce(lower(template_category), '')
                not in ('marketing', 'utility', 'authentication') as category_missing
    from with_regime
),

free_entry_point_threads as (
    select distinct business_number, contact
    from int_free_entry_points
),

-- Few threads have a free entry point: only their messages need the ASOF search.
with_free_entry_point as (
    select
        with_category.*,
        false as in_free_entry_point,
        null::varchar as free_entry_point_id,
        false as is_free_entry_point_reply
    from with_category
    anti join free_entry_point_threads using (business_number, contact)
    union all by name
    select
        with_category.*,
        coalesce(with_category.sent_at < free_entry_points.closes_at, false)
            as in_free_entry_point,
        case
            when with_category.sent_at < free_entry_points.closes_at
                then free_entry_points.free_entry_point_id
        end as free_entry_point_id,
        coalesce(with_category.message_id = free_entry_points.free_entry_point_id, false)
            as is_free_entry_point_reply
    from with_category
    semi join free_entry_point_threads using (business_number, contact)
    asof left join int_free_entry_points as free_entry_points
        on with_category.business_number = free_entry_points.business_number
        and with_category.contact = free_entry_points.contact
        and with_category.sent_at >= free_entry_points.opened_at
),

final as (
    select
        with_free_entry_point.message_id,
        with_free_entry_point.message_key,
        with_free_entry_point.business_number,
        with_free_entry_point.contact,
        with_free_entry_point.account_id,
        with_free_entry_point.sent_at,
        with_free_entry_point.send_date,
        with_free_entry_point.send_month,
        with_free_entry_point.regime,
        int_market_contacts.market,
        with_free_entry_point.kind,
        with_free_entry_point.priced_template_category,
        with_free_entry_point.category_missing,
        with_free_entry_point.delivered,
        with_free_entry_point.in_window,
        with_free_entry_point.in_free_entry_point,
        with_free_entry_point.free_entry_point_id,
        with_free_entry_point.is_free_entry_point_reply
    from with_free_entry_point
    left join int_market_contacts using (contact)
)

select * from final
