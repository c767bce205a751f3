-- One row per outbound message with everything pricing needs: the business account, the send
-- date and month in the business time zone, the regime in force on that date
-- (regime_in_force), the market,
-- the category a template is priced as, and whether it falls in a free entry point period.
-- int_outbound is read streaming: every lookup below is small (send dates, markets of
-- customers, the threads with a free entry point), so nothing wide is sorted or held.
with parameters as (
    select * from rebuild_parameters
),

outbound as not materialized (
    select
        message_id,
        message_key,
        thread_key,
        business_number,
        contact,
        -- free tiers and months belong to the business account; without one, to the number
        coalesce(waba_id, business_number) as account_id,
        sent_at,
        timezone(parameters.business_time_zone, sent_at)::date as send_date,
        kind,
        -- the template catalogue's category at send time where the log has none
        coalesce(template_category, catalogue_category) as template_category,
        delivered,
        in_window,
        -- sent to a group: in the group's window (in_window) templates are free until
        -- per_message_2026_10 (Meta, "Groups API Pricing")
        group_id is not null as to_group
    from int_outbound
    left join (select message_key, catalogue_category from int_template_categories)
        using (message_key)
    cross join parameters
),

regime_by_date as (
    -- a few hundred send dates, not a search per message; the calendar of the enabled
    -- regimes comes from the registry (pricing_regimes)
    select send_dates.send_date, calendar.regime as regime_in_force
    from (
        select distinct timezone(parameters.business_time_zone, sent_at)::date as send_date
        from int_outbound
        cross join parameters
    ) as send_dates
    asof join (select regime, in_force_from from pricing_regimes where enabled) as calendar
        on send_dates.send_date >= calendar.in_force_from
),

-- The market of every prefix on every send date that occurs: a few prefixes x a few hundred
-- days, so each message finds its market by a hash join on (prefix, send_date).
market_by_prefix_and_date as (
    select markets.prefix, regime_by_date.send_date, markets.market
    from regime_by_date
    join markets
        on regime_by_date.send_date >= markets.valid_from
        and (markets.valid_to is null or regime_by_date.send_date < markets.valid_to)
),

free_entry_point_threads as (
    select distinct thread_key
    from int_free_entry_points
),

-- Few threads have a free entry point: only their messages need the ASOF search. The others
-- pass straight through, so no message has to be joined back by key.
with_free_entry_points as (
    select
        outbound.*,
        false as in_free_entry_point,
        null::bigint as free_entry_point_key,
        null::varchar as free_entry_point_id,
        false as is_free_entry_point_reply
    from outbound
    anti join free_entry_point_threads using (thread_key)
    union all
    select
        sends.*,
        coalesce(sends.sent_at < free_entry_points.closes_at, false),
        case
            when sends.sent_at < free_entry_points.closes_at
                then free_entry_points.free_entry_point_key
        end,
        case
            when sends.sent_at < free_entry_points.closes_at
                then free_entry_points.free_entry_point_id
        end,
        coalesce(sends.message_key = free_entry_points.free_entry_point_key, false)
    from (
        select *
        from outbound
        semi join free_entry_point_threads using (thread_key)
    ) as sends
    asof left join int_free_entry_points as free_entry_points
        on sends.thread_key = free_entry_points.thread_key
        and sends.sent_at >= free_entry_points.opened_at
),

final as (
    select
        messages.message_id,
        messages.message_key,
        messages.business_number,
        messages.contact,
        messages.thread_key,
        messages.account_id,
        messages.sent_at,
        messages.send_date,
        date_trunc('month', messages.send_date)::date as send_month,
        regime_by_date.regime_in_force,
        market_by_prefix_and_date.market,
        messages.kind,
        -- a template without a known category is priced as marketing, the most expensive
        case
            when messages.kind <> 'template' then 'service'
            when lower(messages.template_category) in ('marketing', 'utility', 'authentication')
                then lower(messages.template_category)
            else 'marketing'
        end as priced_template_category,
        messages.kind = 'template'
            and coalesce(lower(messages.template_category), '')
                not in ('marketing', 'utility', 'authentication') as category_missing,
        messages.delivered,
        messages.in_window,
        messages.to_group,
        messages.in_free_entry_point,
        messages.free_entry_point_key,
        messages.free_entry_point_id,
        messages.is_free_entry_point_reply,
        -- a group message whose deliveries are known is priced per delivery, at each
        -- participant's market (int_group_delivery_billing); one without is priced as one
        -- message of unknown market
        group_messages.message_key is not null as priced_per_delivery
    from with_free_entry_points as messages
    join regime_by_date using (send_date)
    left join (select distinct message_key from int_group_deliveries) as group_messages
        using (message_key)
    left join int_market_contacts using (contact)
    left join market_by_prefix_and_date
        on int_market_contacts.prefix = market_by_prefix_and_date.prefix
        and messages.send_date = market_by_prefix_and_date.send_date
)

select * from final
