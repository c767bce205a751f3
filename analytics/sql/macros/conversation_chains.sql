-- conversation_chains(candidates): the chain walk of conversation-based pricing, written once.
-- candidates names a table or CTE of delivered messages with columns
--   regime, chain, thread_key, message_id, message_key, sent_at, opener
-- where each (regime, chain, thread_key) is one chain: conversation_2022 has one per thread,
-- conversation_2023 one per thread and template category, and one of service messages; and
-- opener is what a conversation takes from the message that opens it (any type, null allowed),
-- so that a rule never joins a conversation back to its first message.
-- Conversations are fixed 24-hour periods: the first message of a chain opens one, and the
-- next opens at the first message 24h or more after that start, so where a conversation starts
-- depends on where the previous one started (not gaps-and-islands). Returns one row per
-- candidate: regime, chain, thread_key, message_key, conversation_started_at,
-- conversation_key (the message key of the message that opened it), conversation_id (its
-- wamid: the conversation's name), opens_conversation and conversation_opener (the opener
-- value of that message). The name comes with the walk, where every chain is in order
-- already: looked up afterwards, it was a join of 100 million wamids by key.
create or replace temp macro conversation_chains(candidates) as table
with recursive gaps as (
    select
        *,
        -- a message 24h or more after the previous one of its chain starts a burst
        coalesce(
            sent_at >= lag(sent_at) over (
                partition by regime, thread_key, chain order by sent_at, message_id
            ) + interval 24 hour,
            true
        ) as starts_burst
    from query_table(candidates)
),

burst_starts as (
    -- A message that starts a burst always opens a conversation, so the burst is independent
    -- of everything before it. The burst's first conversation covers its first 24 hours; only
    -- the later messages of a burst (rare) need the chain walk below. One window function
    -- carries the start's time, key, wamid and opener value (one sort, one pass).
    select
        regime, thread_key, chain, message_id, message_key, sent_at,
        count(*) filter (where starts_burst) over chain_so_far as burst,
        -- a struct, so that a null opener value is still the burst's, not an earlier one's
        last_value(
            case when starts_burst then {
                'started_at': sent_at, 'opened_by': message_key, 'opened_id': message_id,
                'opener': {'value': opener}
            } end
            ignore nulls
        ) over chain_so_far as burst_start,
        {'value': opener} as own_opener
    from gaps
    window chain_so_far as (
        partition by regime, thread_key, chain
        order by sent_at, message_id
        rows between unbounded preceding and current row
    )
),

bursts as materialized (
    select
        regime, thread_key, chain, message_id, message_key, sent_at, burst,
        burst_start.started_at as burst_started_at,
        burst_start.opened_by as burst_opened_by,
        burst_start.opened_id as burst_opened_id,
        burst_start.opener as burst_opener,
        own_opener
    from burst_starts
),

late_messages as materialized (
    -- messages 24h or more after their burst started: a later conversation holds them
    select *
    from bursts
    where sent_at >= burst_started_at + interval 24 hour
),

long_bursts as (
    select distinct
        regime, thread_key, chain, burst, burst_started_at, burst_opened_by, burst_opened_id,
        burst_opener
    from late_messages
),

long_burst_moments as materialized (
    -- each instant of a burst longer than 24h, with the first message sent at that instant
    select
        bursts.regime, bursts.thread_key, bursts.chain, bursts.burst, bursts.sent_at,
        arg_min(bursts.message_key, bursts.message_id) as message_key,
        min(bursts.message_id) as message_id,
        arg_min(bursts.own_opener, bursts.message_id) as opener
    from bursts
    semi join long_bursts using (regime, thread_key, chain, burst)
    group by all
),

next_openings as materialized (
    -- if a conversation starts at this moment, the next one starts at next_at
    select
        this.regime, this.thread_key, this.chain, this.burst, this.sent_at,
        later.sent_at as next_at,
        later.message_key as next_message_key,
        later.message_id as next_message_id,
        later.opener as next_opener
    from long_burst_moments as this
    asof join long_burst_moments as later
        on this.regime = later.regime
        and this.thread_key = later.thread_key
        and this.chain = later.chain
        and this.burst = later.burst
        and this.sent_at + interval 24 hour <= later.sent_at
),

openings (regime, thread_key, chain, burst, started_at, opened_by, opened_id, opener) as (
    -- every long burst advances one conversation per step, all at once
    select
        regime, thread_key, chain, burst, burst_started_at, burst_opened_by, burst_opened_id,
        burst_opener
    from long_bursts
    union all
    select
        next_openings.regime, next_openings.thread_key, next_openings.chain,
        next_openings.burst, next_openings.next_at, next_openings.next_message_key,
        next_openings.next_message_id, next_openings.next_opener
    from openings
    join next_openings
        on openings.regime = next_openings.regime
        and openings.thread_key = next_openings.thread_key
        and openings.chain = next_openings.chain
        and openings.burst = next_openings.burst
        and openings.started_at = next_openings.sent_at
),

first_conversations as (
    -- the burst's first 24 hours: the conversation its first message opened
    select
        regime, chain, thread_key, message_key,
        burst_started_at as conversation_started_at,
        burst_opened_by as conversation_key,
        burst_opened_id as conversation_id,
        message_key = burst_opened_by as opens_conversation,
        burst_opener.value as conversation_opener
    from bursts
    where sent_at < burst_started_at + interval 24 hour
),

later_conversations as (
    -- each later message belongs to the latest conversation opened at or before it
    select
        late_messages.regime, late_messages.chain, late_messages.thread_key,
        late_messages.message_key,
        openings.started_at as conversation_started_at,
        openings.opened_by as conversation_key,
        openings.opened_id as conversation_id,
        late_messages.message_key = openings.opened_by as opens_conversation,
        openings.opener.value as conversation_opener
    from late_messages
    asof join openings
        on late_messages.regime = openings.regime
        and late_messages.thread_key = openings.thread_key
        and late_messages.chain = openings.chain
        and late_messages.burst = openings.burst
        and late_messages.sent_at >= openings.started_at
)

select * from first_conversations
union all
select * from later_conversations
