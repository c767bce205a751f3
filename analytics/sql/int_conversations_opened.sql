-- Conversations are fixed 24-hour periods: the first delivered message of a chain opens one,
-- and the next opens at the first message 24h or more after that start. Chains (one per
-- regime, thread and category): conversation_2022 per thread; conversation_2023 per thread and
-- template category (a template opens its category's conversation unless one is open).
-- conversation_2023 service conversations depend on these and follow in
-- int_conversations_service, with the same chain logic.
-- Output: one row per delivered message of a chain, with its conversation (id = the message
-- that opened it) and whether it opened it.
with recursive candidates as (
    select
        'conversation_2022' as regime, business_number, contact, 'any' as chain,
        message_id, sent_at
    from int_pricing_messages
    where delivered
    union all
    select
        'conversation_2023', business_number, contact, priced_template_category,
        message_id, sent_at
    from int_pricing_messages
    where delivered and kind = 'template' and not in_free_entry_point
),

gaps as (
    select
        *,
        lag(sent_at) over (
            partition by regime, business_number, contact, chain order by sent_at, message_id
        ) as previous_at
    from candidates
),

bursts as materialized (
    -- A message 24h or more after the previous one of its chain always opens a conversation,
    -- so it starts a burst that is independent of everything before it. Most bursts last less
    -- than 24h and hold exactly one conversation; only the others need the chain walk below.
    select
        *,
        previous_at is null or sent_at >= previous_at + interval 24 hour as starts_burst,
        count(*) filter (where previous_at is null or sent_at >= previous_at + interval 24 hour)
            over (
                partition by regime, business_number, contact, chain
                order by sent_at, message_id
                rows between unbounded preceding and current row
            ) as burst
    from gaps
),

burst_spans as materialized (
    select
        regime, business_number, contact, chain, burst,
        min(sent_at) as first_at,
        max(sent_at) as last_at,
        any_value(message_id) filter (where starts_burst) as first_message_id
    from bursts
    group by all
),

long_burst_moments as materialized (
    -- each instant of a burst longer than 24h, with the first message sent at that instant
    select
        bursts.regime, bursts.business_number, bursts.contact, bursts.chain, bursts.burst,
        bursts.sent_at,
        min(bursts.message_id) as message_id
    from bursts
    join burst_spans using (regime, business_number, contact, chain, burst)
    where burst_spans.last_at >= burst_spans.first_at + interval 24 hour
    group by all
),

next_openings as materialized (
    -- if a conversation starts at this moment, the next one starts at next_at
    select
        this.regime, this.business_number, this.contact, this.chain, this.burst,
        this.sent_at,
        later.sent_at as next_at,
        later.message_id as next_message_id
    from long_burst_moments as this
    asof join long_burst_moments as later
        on this.regime = later.regime
        and this.business_number = later.business_number
        and this.contact = later.contact
        and this.chain = later.chain
        and this.burst = later.burst
        and this.sent_at + interval 24 hour <= later.sent_at
),

openings (regime, business_number, contact, chain, burst, started_at, opened_by) as (
    -- every chain advances one conversation per step, all chains at once
    select regime, business_number, contact, chain, burst, first_at, first_message_id
    from burst_spans
    union all
    select
        next_openings.regime, next_openings.business_number, next_openings.contact,
        next_openings.chain, next_openings.burst, next_openings.next_at,
        next_openings.next_message_id
    from openings
    join next_openings
        on openings.regime = next_openings.regime
        and openings.business_number = next_openings.business_number
        and openings.contact = next_openings.contact
        and openings.chain = next_openings.chain
        and openings.burst = next_openings.burst
        and openings.started_at = next_openings.sent_at
),

final as (
    -- each message belongs to the latest conversation opened at or before it in its chain
    select
        bursts.regime, bursts.business_number, bursts.contact, bursts.chain,
        bursts.message_id, bursts.sent_at,
        openings.started_at as conversation_started_at,
        openings.opened_by as conversation_id,
        bursts.message_id = openings.opened_by as opens_conversation
    from bursts
    asof join openings
        on bursts.regime = openings.regime
        and bursts.business_number = openings.business_number
        and bursts.contact = openings.contact
        and bursts.chain = openings.chain
        and bursts.burst = openings.burst
        and bursts.sent_at >= openings.started_at
)

select * from final
