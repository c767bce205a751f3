-- One row per customer care window: the merged 24-hour intervals of one thread's inbound
-- messages, from the first inbound to the last inbound + 24 hours, with the outbound messages
-- sent inside it.
with inbound_events as (
    select * from int_inbound_events
),

windows as (
    -- window_id names the thread, and int_inbound_events carries the window's bounds
    select
        any_value(business_number) as business_number,
        any_value(contact) as contact,
        window_id,
        any_value(window_opened_at) as opened_at,
        any_value(window_closes_at) as closes_at,
        count(*) as inbound_messages,
        -- the first inbound opened it; a referral (click-to-WhatsApp ad, page button) says how
        arg_min(coalesce(referral_source, type), (sent_at, message_id)) as opened_by
    from inbound_events
    group by window_id
),

-- int_outbound already placed every outbound message in the window that holds it, if any.
outbound_in_windows as (
    select
        window_id,
        count(*) as outbound_messages
    from int_outbound
    where window_id is not null
    group by window_id
),

final as (
    select
        windows.business_number,
        windows.contact,
        windows.window_id,
        windows.opened_at,
        windows.closes_at,
        windows.inbound_messages,
        coalesce(outbound_in_windows.outbound_messages, 0) as outbound_messages,
        windows.opened_by
    from windows
    left join outbound_in_windows using (window_id)
)

select * from final
