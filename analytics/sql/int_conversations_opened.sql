-- Conversations are fixed 24-hour periods: the first delivered message of a chain opens one,
-- and the next opens at the first message 24h or more after that start. Chains (one per
-- regime, thread and category): conversation_2022 per thread; conversation_2023 per thread and
-- template category (a template opens its category's conversation unless one is open).
-- conversation_2023 service conversations depend on these and follow in
-- int_conversations_service, walked by the same macro (macros/conversation_chains.sql).
-- Output: one row per delivered message of a chain (message_key from int_pricing_messages),
-- with its conversation (conversation_key = the message key of the message that opened it),
-- whether it opened it, what the conversation takes from its opener (conversation_opener) and
-- its name (conversation_id, the opener's wamid). The conversation regimes' rules
-- (sql/regimes/) join every message to its conversation on the integer message_key.
-- Threads are named by int_pricing_messages' integer thread_key: every window, sort and join
-- here partitions by thread, and integers sort far cheaper than (business number, customer).
-- A new conversation regime adds its chains to `candidates` (sql/regimes/README.md): every
-- regime's chains are walked in the one pass below.
with candidates as (
    select
        'conversation_2022' as regime, thread_key, 'any' as chain,
        message_id, message_key, sent_at,
        -- conversation_2022: the message that opens a conversation gives its kind and the
        -- rate it is charged at (today's rate cards have no user/business-initiated rates:
        -- user-initiated is charged as service, business-initiated as the category of the
        -- template that opened it); the walk hands them to every message of it. Both are
        -- carried as one-byte ENUM values, far cheaper through the walk's two sorted passes
        -- than text (10M messages: 7.0 s to 6.1 s, 2026-12-07); a value outside the lists
        -- fails the cast loudly. `final` gives them back as text.
        {
            'category': case
                when is_free_entry_point_reply then 'referral_conversion'
                when in_window then 'user_initiated'
                else 'business_initiated'
            end::enum('business_initiated', 'user_initiated', 'referral_conversion'),
            'rate_category': case when in_window then 'service'
                else priced_template_category
            end::enum('service', 'marketing', 'utility', 'authentication')
        } as opener
    from int_pricing_messages
    where delivered
    union all
    select
        'conversation_2023', thread_key, priced_template_category,
        message_id, message_key, sent_at,
        -- the chain is the category: nothing else comes from the opener
        null
    from int_pricing_messages
    where delivered and kind = 'template' and not in_free_entry_point
),

final as (
    -- the chain walk itself: macros/conversation_chains.sql
    select
        * replace (
            conversation_opener::struct(category varchar, rate_category varchar)
                as conversation_opener
        )
    from conversation_chains('candidates')
)

select * from final
