-- conversation_2023 service conversations: a delivered non-template message opens one only
-- when no conversation of any category is open. Template conversations (from
-- int_conversations_opened) never depend on service ones, so they come first; the session
-- messages they do not cover then form one service chain per thread, walked by the same
-- macro as the chains in int_conversations_opened (macros/conversation_chains.sql).
-- Output: one row per delivered non-template message outside a free entry point, with its
-- conversation (a service one, or the template conversation that covers it), named by the
-- wamid of its opener (conversation_id). Threads are
-- int_pricing_messages' integer thread_key, as in int_conversations_opened.
with template_conversations as (
    select
        thread_key, chain as conversation_category, conversation_key, conversation_id,
        conversation_started_at
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
        template_conversations.conversation_id as template_conversation_id,
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

uncovered as (
    -- the session messages no template conversation covers: one service chain per thread
    select
        'conversation_2023' as regime, 'service' as chain, thread_key,
        message_id, message_key, sent_at, null as opener
    from coverage
    where not covered
),

service_conversations as (
    -- walked like every chain (macros/conversation_chains.sql)
    select
        message_key,
        'service' as conversation_category,
        conversation_key,
        conversation_id,
        conversation_started_at,
        opens_conversation,
        thread_key
    from conversation_chains('uncovered')
),

service_openings as (
    select thread_key, conversation_key, conversation_id, conversation_started_at
    from service_conversations
    where opens_conversation
),

covered_sessions as (
    -- a session message inside an open template conversation opens nothing; it belongs to
    -- the service conversation if one is open too, else to the latest template conversation
    select
        coverage.*,
        service_openings.conversation_key as service_conversation_key,
        service_openings.conversation_id as service_conversation_id,
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
        case when service_open then service_conversation_id
            else template_conversation_id end as conversation_id,
        case when service_open then service_conversation_started_at
            else template_conversation_started_at end as conversation_started_at,
        false as opens_conversation
    from covered_sessions
),

final as (
    select
        message_key, conversation_category, conversation_key, conversation_id,
        conversation_started_at, opens_conversation
    from service_conversations
    union all
    select * from covered
)

select * from final
