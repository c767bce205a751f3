-- One row per customer care window: the merged 24-hour intervals of one thread's inbound
-- messages, from the first inbound to the last inbound + 24 hours, with the outbound messages
-- sent inside it.
with inbound_events as (
    select * from int_inbound_events
),

windows as (
    select
        business_number,
        contact,
        window_id,
        min(sent_at) as opened_at,
        max(sent_at) + interval 24 hours as closes_at,
        count(*) as inbound_messages,
        -- the first inbound opened it; a referral (click-to-WhatsApp ad, page button) says how
        arg_min(coalesce(referral_source, type), (sent_at, message_id)) as opened_by
    from inbound_events
    group by business_number, contact, window_id
),

outbound as (
    select business_number, contact, sent_at
    from messages
    where direction = 'outbound'
),

-- Windows of a thread never overlap, so the latest window opened at or before a send is the
-- only one that can hold it; an inbound in the same second counts first (>=).
outbound_in_windows as (
    select
        windows.window_id,
        count(*) as outbound_messages
    from outbound
    asof join windows
        on outbound.business_number = windows.business_number
        and outbound.contact = windows.contact
        and outbound.sent_at >= windows.opened_at
    where outbound.sent_at < windows.closes_at
    group by windows.window_id
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
