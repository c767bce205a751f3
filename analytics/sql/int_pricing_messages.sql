-- One row per outbound message with everything pricing needs: the business account, the send
-- date and month in the business time zone, the regime in force on that date, the market,
-- the category a template is priced as, and whether it falls in a free entry point period.
-- int_outbound is read in one streaming pass: every lookup below is small (send dates, markets
-- of customers, the few messages of threads with a free entry point), so nothing wide is
-- sorted or held.
with parameters as (
    select * from rebuild_parameters
),

outbound as (
    select
        message_id,
        message_key,
        business_number,
        contact,
        -- free tiers and months belong to the business account; without one, to the number
        coalesce(waba_id, business_number) as account_id,
        sent_at,
        timezone(parameters.business_time_zone, sent_at)::date as send_date,
        kind,
        template_category,
        delivered,
        in_window
    from int_outbound
    cross join parameters
),

regime_by_date as (
    -- a few hundred send dates, not a search per message
    select send_dates.send_date, pricing_regime_calendar.regime
    from (
        select distinct timezone(parameters.business_time_zone, sent_at)::date as send_date
        from int_outbound
        cross join parameters
    ) as send_dates
    asof join pricing_regime_calendar
        on send_dates.send_date >= pricing_regime_calendar.in_force_from
),

-- An integer per thread for the conversation steps, which partition, sort and join by thread:
-- much cheaper than two text columns. Numbered from key_offset, so partitions never share one.
threads as (
    select
        business_number,
        contact,
        row_number() over () + parameters.key_offset as thread_key
    from (select distinct business_number, contact from int_outbound)
    cross join parameters
),

free_entry_point_threads as (
    select distinct business_number, contact
    from int_free_entry_points
),

-- Few threads have a free entry point: only their messages need the ASOF search.
free_entry_point_messages as (
    select
        sends.message_key,
        coalesce(sends.sent_at < free_entry_points.closes_at, false) as in_free_entry_point,
        case
            when sends.sent_at < free_entry_points.closes_at
                then free_entry_points.free_entry_point_id
        end as free_entry_point_id,
        coalesce(sends.message_id = free_entry_points.free_entry_point_id, false)
            as is_free_entry_point_reply
    from (
        select message_key, message_id, business_number, contact, sent_at
        from int_outbound
        semi join free_entry_point_threads using (business_number, contact)
    ) as sends
    asof left join int_free_entry_points as free_entry_points
        on sends.business_number = free_entry_points.business_number
        and sends.contact = free_entry_points.contact
        and sends.sent_at >= free_entry_points.opened_at
),

final as (
    select
        outbound.message_id,
        outbound.message_key,
        outbound.business_number,
        outbound.contact,
        threads.thread_key,
        outbound.account_id,
        outbound.sent_at,
        outbound.send_date,
        date_trunc('month', outbound.send_date)::date as send_month,
        regime_by_date.regime,
        int_market_contacts.market,
        outbound.kind,
        -- a template without a known category is priced as marketing, the most expensive
        case
            when outbound.kind <> 'template' then 'service'
            when lower(outbound.template_category) in ('marketing', 'utility', 'authentication')
                then lower(outbound.template_category)
            else 'marketing'
        end as priced_template_category,
        outbound.kind = 'template'
            and coalesce(lower(outbound.template_category), '')
                not in ('marketing', 'utility', 'authentication') as category_missing,
        outbound.delivered,
        outbound.in_window,
        coalesce(free_entry_point_messages.in_free_entry_point, false) as in_free_entry_point,
        free_entry_point_messages.free_entry_point_id,
        coalesce(free_entry_point_messages.is_free_entry_point_reply, false)
            as is_free_entry_point_reply
    from outbound
    join threads using (business_number, contact)
    join regime_by_date using (send_date)
    left join int_market_contacts using (contact)
    left join free_entry_point_messages using (message_key)
)

select * from final
