-- One row per inbound message (any type: text, reaction, call ...), with the bounds of the care
-- window it belongs to (so int_outbound needs no join with care_windows), and, on the window's
-- first inbound only, what opened it. Narrow on purpose: at 100 million messages every column
-- here is sorted twice and stored until daily_summary has read it.
-- Gaps and islands: an inbound starts a new window when the previous inbound of its thread
-- (business number, customer) is 24 hours or more earlier; otherwise it resets the open
-- window, and the two intervals merge into one care window. The customer is resolved
-- (int_customer_contacts): a message naming the customer by BSUID and one naming them by phone are one thread.
-- A message in a group belongs to the group's thread (business number, group): any
-- participant's message opens or refreshes the window of the whole group (Meta, "Groups API
-- Pricing").
with inbound as (
    select
        messages.message_id,
        messages.business_number,
        coalesce(messages.group_id, customers.customer, messages.contact) as contact,
        messages.sent_at,
        -- a referral (click-to-WhatsApp ad, page button) says how the window was opened
        coalesce(messages.referral_source, messages.type) as source,
        messages.group_id is not null as in_group
    from messages
    left join int_customer_contacts as customers on customers.contact = messages.contact
    where messages.direction = 'inbound'
),

-- One sort serves every window function below: the neighbours in the first pass, the window
-- bounds in the second (same partition and order, so DuckDB sorts once per pass).
with_neighbours as (
    select
        *,
        lag(sent_at) over thread_in_time as previous_inbound_at,
        lead(sent_at) over thread_in_time as next_inbound_at
    from inbound
    window thread_in_time as (partition by business_number, contact order by sent_at, message_id)
),

window_edges as (
    select
        business_number,
        contact,
        sent_at,
        message_id,
        source,
        in_group,
        -- the window [t_in, t_in + 24h) is half-open: an inbound at exactly +24h starts anew
        previous_inbound_at is null
            or sent_at >= previous_inbound_at + interval 24 hours as starts_window,
        next_inbound_at is null
            or next_inbound_at >= sent_at + interval 24 hours as ends_window
    from with_neighbours
),

with_window_bounds as (
    select
        *,
        -- window starts only move forward in time, so the latest one so far is this row's
        max(case when starts_window then sent_at end) over (
            thread_in_time rows between unbounded preceding and current row
        ) as window_opened_at,
        -- and the first window end from here on is this row's window's last inbound
        min(case when ends_window then sent_at end) over (
            thread_in_time rows between current row and unbounded following
        ) + interval 24 hours as window_closes_at
    from window_edges
    window thread_in_time as (partition by business_number, contact order by sent_at, message_id)
),

final as (
    select
        business_number,
        contact,
        sent_at,
        window_opened_at,
        window_closes_at,
        -- exactly one row of each window starts it: the first in (sent_at, message_id) order
        case when starts_window then source end as opened_by,
        in_group
    from with_window_bounds
)

select * from final
