-- One row per customer care window: the merged 24-hour intervals of one thread's inbound
-- messages, from the first inbound to the last inbound + 24 hours, with the outbound messages
-- sent inside it.
{% from "macros/window_id.sql" import window_id -%}
with inbound_events as (
    select * from int_inbound_events
),

windows as (
    -- int_inbound_events carries each inbound's window bounds, and what opened the window on
    -- its first inbound alone
    select
        business_number,
        contact,
        window_opened_at as opened_at,
        any_value(window_closes_at) as closes_at,
        count(*) as inbound_messages,
        max(opened_by) as opened_by,
        -- a group's window: its thread's party is the group
        bool_or(in_group) as in_group
    from inbound_events
    group by business_number, contact, window_opened_at
),

with_ids as (
    select
        *,
        -- the thread and its first inbound (macros/window_id.sql, as message_facts names it)
        {{ window_id("business_number", "contact", "opened_at") }} as window_id
    from windows
),

-- int_outbound already placed every outbound message in the window that holds it, if any;
-- a window is its thread and opening instant (its id is text built from them, left to the
-- tables that show it)
outbound_in_windows as (
    select
        business_number,
        contact,
        window_opened_at as opened_at,
        count(*) as outbound_messages
    from int_outbound
    where window_opened_at is not null
    group by business_number, contact, window_opened_at
),

final as (
    select
        with_ids.business_number,
        with_ids.contact,
        with_ids.window_id,
        with_ids.opened_at,
        with_ids.closes_at,
        with_ids.inbound_messages,
        coalesce(outbound_in_windows.outbound_messages, 0) as outbound_messages,
        with_ids.opened_by,
        case when with_ids.in_group then with_ids.contact end as group_id
    from with_ids
    left join outbound_in_windows using (business_number, contact, opened_at)
)

select * from final
