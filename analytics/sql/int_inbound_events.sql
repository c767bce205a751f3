-- One row per inbound message (any type: text, reaction, call ...), with the care window it
-- belongs to and that window's bounds (so int_outbound needs no join with care_windows).
-- Gaps and islands: an inbound starts a new window when the previous inbound of its thread
-- (business number, customer) is 24 hours or more earlier; otherwise it resets the open
-- window, and the two intervals merge into one care window.
with inbound as (
    select
        message_id,
        business_number,
        contact,
        waba_id,
        sent_at,
        type,
        referral_source
    from messages
    where direction = 'inbound'
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
        *,
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
        message_id,
        business_number,
        contact,
        waba_id,
        sent_at,
        type,
        referral_source,
        window_opened_at,
        window_closes_at,
        -- derived from the thread and its first inbound only, so a late message elsewhere in
        -- the history leaves this id unchanged
        business_number || ':' || contact || ':' || cast(epoch(window_opened_at) as bigint)
            as window_id
    from with_window_bounds
)

select * from final
