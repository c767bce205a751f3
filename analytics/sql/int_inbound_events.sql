-- One row per inbound message (any type: text, reaction, call ...), with the care window it
-- belongs to. Gaps and islands: an inbound starts a new window when the previous inbound of
-- its thread (business number, customer) is 24 hours or more earlier; otherwise it resets the
-- open window, and the two intervals merge into one care window.
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

with_previous as (
    select
        *,
        lag(sent_at) over thread_in_time as previous_inbound_at
    from inbound
    window thread_in_time as (partition by business_number, contact order by sent_at, message_id)
),

window_starts as (
    select
        *,
        -- the window [t_in, t_in + 24h) is half-open: an inbound at exactly +24h starts anew
        previous_inbound_at is null
            or sent_at >= previous_inbound_at + interval 24 hours as starts_window
    from with_previous
),

with_window_start as (
    select
        *,
        -- window starts only move forward in time, so the latest one so far is this row's
        max(case when starts_window then sent_at end) over (
            partition by business_number, contact
            order by sent_at, message_id
            rows between unbounded preceding and current row
        ) as window_opened_at
    from window_starts
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
        -- derived from the thread and its first inbound only, so a late message elsewhere in
        -- the history leaves this id unchanged
        business_number || ':' || contact || ':' || cast(epoch(window_opened_at) as bigint)
            as window_id
    from with_window_start
)

select * from final
