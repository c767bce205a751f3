-- conversation_2023 (Meta, 2023-06-01 to 2025-06-30): per 24-hour conversation of a category.
-- A delivered template opens a conversation of its category (marketing, utility,
-- authentication) unless one of that category is open; a delivered non-template message opens
-- a service conversation only when no conversation of any category is open. The first
-- business.free_conversations_per_month service conversations of a business account a month
-- are free, and from 2024-11-01 every service conversation is. A free entry point (the reply
-- within 24h to an ad or page-button referral) opens a 72-hour conversation in which
-- everything is free. Conversations come from int_conversations_opened (templates) and
-- int_conversations_service (the chain walks); the rule reads the messages once.
with rules as (
    select date '2024-11-01' as service_free_from  -- Meta: service conversations free
),

messages as not materialized (
    select * from int_pricing_messages
),

parameters as (
    select free_conversations_per_month, business_time_zone from rebuild_parameters
),

conversations as (
    -- every template and service conversation's messages, with the day (business time zone)
    -- its opener was sent: the conversation starts at that message, so the rule needs no look
    -- at the opener itself and reads the messages once
    select
        message_key, conversation_key, conversation_id, opens_conversation,
        chain as conversation_category, conversation_started_at
    from int_conversations_opened
    where regime = 'conversation_2023'
    union all
    select
        message_key, conversation_key, conversation_id, opens_conversation,
        conversation_category, conversation_started_at
    from int_conversations_service
),

covered as (
    -- a delivered message in a free entry point belongs to its 72-hour conversation, opened
    -- by the reply to the referral; the others to their template or service conversation
    select
        messages.*,
        messages.delivered and messages.in_free_entry_point as in_referral_conversation,
        case when in_referral_conversation then messages.free_entry_point_key
            else conversations.conversation_key end as covered_conversation_key,
        case when in_referral_conversation then messages.free_entry_point_id
            else conversations.conversation_id end as covered_conversation_id,
        case when in_referral_conversation then messages.is_free_entry_point_reply
            else conversations.opens_conversation end as covered_opens_conversation,
        case when in_referral_conversation then 'referral_conversion'
            else conversations.conversation_category end as covered_category,
        not in_referral_conversation
            and conversations.conversation_category = 'service'
            and timezone(parameters.business_time_zone, conversations.conversation_started_at)
                ::date >= rules.service_free_from as covered_service_free
    from messages
    cross join parameters
    cross join rules
    left join conversations using (message_key)
),

final as (
    select
        covered.* exclude (
            in_referral_conversation, covered_conversation_key, covered_conversation_id,
            covered_opens_conversation, covered_category, covered_service_free
        ),
        'conversation_2023' as regime,
        covered_conversation_key as conversation_key,
        covered_conversation_id as conversation_id,
        coalesce(covered_category, priced_template_category) as priced_category,
        coalesce(covered_category, priced_template_category) as rate_category,
        -- a conversation is chargeable by kind unless it is a free entry point's or a free
        -- service conversation; only its opener carries the charge
        coalesce(
            covered_opens_conversation
                and covered_category <> 'referral_conversion'
                and not covered_service_free,
            false
        ) as charge_candidate,
        -- the free tier counts service conversations only
        case
            when covered_opens_conversation and covered_category = 'service'
                then account_id
        end as free_tier_owner,
        parameters.free_conversations_per_month as free_tier_size,
        case
            when not delivered then 'not_delivered'
            when covered_category = 'referral_conversion' then 'free_entry_point'
            when covered_service_free then 'service_free'
            when not covered_opens_conversation then 'in_open_conversation'
            else 'chargeable'
        end as billing_reason,
        coalesce(
            covered_category <> 'referral_conversion' and not covered_service_free, false
        ) as expected_meta_billable
    from covered
    cross join parameters
)

select * from final
