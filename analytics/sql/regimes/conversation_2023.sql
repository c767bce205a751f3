-- conversation_2023 (Meta, 2023-06-01 to 2025-06-30): per 24-hour conversation of a category.
-- A delivered template opens a conversation of its category (marketing, utility,
-- authentication) unless one of that category is open; a delivered non-template message opens
-- a service conversation only when no conversation of any category is open. The first
-- business.free_conversations_per_month service conversations of a business account a month
-- are free, and from 2024-11-01 every service conversation is. A free entry point (the reply
-- within 24h to an ad or page-button referral) opens a 72-hour conversation in which
-- everything is free. Conversations come from int_conversations_opened (templates) and
-- int_conversations_service (the chain walks).
with rules as (
    select date '2024-11-01' as service_free_from  -- Meta: service conversations free
),

messages as not materialized (
    select * from int_pricing_messages
),

parameters as (
    select free_conversations_per_month from rebuild_parameters
),

conversations as (
    select
        message_key, conversation_key, opens_conversation,
        chain as conversation_category
    from int_conversations_opened
    where regime = 'conversation_2023'
    union all
    select message_key, conversation_key, opens_conversation, conversation_category
    from int_conversations_service
    union all
    select
        message_key, free_entry_point_key, is_free_entry_point_reply,
        'referral_conversion'
    from messages
    where delivered and in_free_entry_point
),

openers as (
    select
        conversations.conversation_key,
        conversations.conversation_category <> 'referral_conversion'
            and not (
                conversations.conversation_category = 'service'
                and messages.send_date >= rules.service_free_from
            ) as chargeable_kind,
        conversations.conversation_category = 'service'
            and messages.send_date >= rules.service_free_from as service_free
    from conversations
    join messages using (message_key)
    cross join rules
    where conversations.opens_conversation
),

covered as (
    select
        conversations.message_key,
        conversations.conversation_key,
        conversations.opens_conversation,
        conversations.conversation_category,
        openers.chargeable_kind,
        openers.service_free
    from conversations
    join openers using (conversation_key)
),

final as (
    select
        messages.*,
        'conversation_2023' as regime,
        covered.conversation_key,
        coalesce(covered.conversation_category, messages.priced_template_category)
            as priced_category,
        coalesce(covered.conversation_category, messages.priced_template_category)
            as rate_category,
        coalesce(covered.opens_conversation and covered.chargeable_kind, false)
            as charge_candidate,
        -- the free tier counts service conversations only
        case
            when covered.opens_conversation and covered.conversation_category = 'service'
                then messages.account_id
        end as free_tier_owner,
        parameters.free_conversations_per_month as free_tier_size,
        case
            when not messages.delivered then 'not_delivered'
            when covered.conversation_category = 'referral_conversion' then 'free_entry_point'
            when covered.service_free then 'service_free'
            when not covered.opens_conversation then 'in_open_conversation'
            else 'chargeable'
        end as billing_reason,
        coalesce(covered.chargeable_kind, false) as expected_meta_billable
    from messages
    cross join parameters
    left join covered using (message_key)
)

select * from final
