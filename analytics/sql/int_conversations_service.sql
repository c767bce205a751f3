-- conversation_2023 service conversations: a delivered non-template message opens one only
-- when no conversation of any category is open. Template conversations (from
-- int_conversations_opened) never depend on service ones, so they come first; the session
-- messages they do not cover then form one service chain per thread, walked exactly like the
-- chains in int_conversations_opened.
-- Output: one row per delivered non-template message outside a free entry point, with its
-- conversation (a service one, or the template conversation that covers it). Threads are
-- int_pricing_messages' integer thread_key, as in int_conversations_opened.
with recursive template_conversations as (
    select
        thread_key, chain as conversation_category, conversation_key, conversation_started_at
    from int_conversations_opened
    where regime = 'conversation_2023' and opens_conversation
),

sessions as (
    select message_id, message_key, thread_key, sent_at
    from int_pricing_messages
    where delivered and kind <> 'template' and not in_free_entry_point
),

coverage as materialized (
    -- the latest template conversation opened at or before the message: all last 24 hours, so
    -- when the latest is closed, every earlier one is too
    select
        sessions.*,
        template_conversations.conversation_key as template_conversation_key,
        template_conversations.conversation_category as template_conversation_category,
        template_conversations.conversation_started_at as template_conversation_started_at,
        coalesce(
            sessions.sent_at
                < template_conversations.conversation_started_at + interval 24 hour,
            false
        ) as covered
    from sessions
    asof left join template_conversations
        on sessions.thread_key = template_conversations.thread_key
        and sessions.sent_at >= template_conversations.conversation_started_at
),

gaps as (
    select
        thread_key, message_id, message_key, sent_at,
        lag(sent_at) over (partition by thread_key order by sent_at, message_id) as previous_at
    from coverage
    where not covered
),

bursts as materialized (
    -- see int_conversations_opened: a gap of 24h or more always opens a conversation, and a
    -- burst's first conversation covers its first 24 hours; one sort for all three
    select
        *,
        count(*) filter (where previous_at is null or sent_at >= previous_at + interval 24 hour)
            over thread_so_far as burst,
        last_value(
            case when previous_at is null or sent_at >= previous_at + interval 24 hour
                then sent_at end
            ignore nulls
        ) over thread_so_far as burst_started_at,
        last_value(
            case when previous_at is null or sent_at >= previous_at + interval 24 hour
                then message_key end
            ignore nulls
        ) over thread_so_far as burst_opened_by
    from gaps
    window thread_so_far as (
        partition by thread_key
        order by sent_at, message_id
        rows between unbounded preceding and current row
    )
),

late_messages as materialized (
    select *
    from bursts
    where sent_at >= burst_started_at + interval 24 hour
),

long_bursts as (
    select distinct thread_key, burst, burst_started_at, burst_opened_by
    from late_messages
),

long_burst_moments as materialized (
    select
        bursts.thread_key, bursts.burst, bursts.sent_at,
        arg_min(bursts.message_key, bursts.message_id) as message_key
    from bursts
    semi join long_bursts using (thread_key, burst)
    group by all
),

next_openings as materialized (
    select
        this.thread_key, this.burst, this.sent_at,
        later.sent_at as next_at,
        later.message_key as next_message_key
    from long_burst_moments as this
    asof join long_burst_moments as later
        on this.thread_key = later.thread_key
        and this.burst = later.burst
        and this.sent_at + interval 24 hour <= later.sent_at
),

openings (thread_key, burst, started_at, opened_by) as (
    select thread_key, burst, burst_started_at, burst_opened_by
    from long_bursts
    union all
    select
        next_openings.thread_key, next_openings.burst, next_openings.next_at,
        next_openings.next_message_key
    from openings
    join next_openings
        on openings.thread_key = next_openings.thread_key
        and openings.burst = next_openings.burst
        and openings.started_at = next_openings.sent_at
),

service_conversations as (
    select
        message_key,
        'service' as conversation_category,
        burst_opened_by as conversation_key,
        burst_started_at as conversation_started_at,
        message_key = burst_opened_by as opens_conversation,
        thread_key
    from bursts
    where sent_at < burst_started_at + interval 24 hour
    union all
    select
        late_messages.message_key,
        'service' as conversation_category,
        openings.opened_by as conversation_key,
        openings.started_at as conversation_started_at,
        late_messages.message_key = openings.opened_by as opens_conversation,
        late_messages.thread_key
    from late_messages
    asof join openings
        on late_messages.thread_key = openings.thread_key
        and late_messages.burst = openings.burst
        and late_messages.sent_at >= openings.started_at
),

service_openings as (
    select thread_key, conversation_key, conversation_started_at
    from service_conversations
    where opens_conversation
),

covered_sessions as (
    -- a session message inside an open template conversation opens nothing; it belongs to
    -- the service conversation if one is open too, else to the latest template conversation
    select
        coverage.*,
        service_openings.conversation_key as service_conversation_key,
        service_openings.conversation_started_at as service_conversation_started_at,
        coalesce(
            coverage.sent_at < service_openings.conversation_started_at + interval 24 hour,
            false
        ) as service_open
    from coverage
    asof left join service_openings
        on coverage.thread_key = service_openings.thread_key
        and coverage.sent_at >= service_openings.conversation_started_at
    where coverage.covered
),

covered as (
    select
        message_key,
        case when service_open then 'service'
            else template_conversation_category end as conversation_category,
        case when service_open then service_conversation_key
            else template_conversation_key end as conversation_key,
        case when service_open then service_conversation_started_at
            else template_conversation_started_at end as conversation_started_at,
        false as opens_conversation
    from covered_sessions
),

final as (
    select
        message_key, conversation_category, conversation_key,
        conversation_started_at, opens_conversation
    from service_conversations
    union all
    select * from covered
)

select * from final
