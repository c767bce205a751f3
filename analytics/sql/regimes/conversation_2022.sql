-- conversation_2022 (Meta, 2022-02-01 to 2023-05-31): per 24-hour conversation of a thread.
-- The first delivered business message in a thread with no open conversation opens one
-- (user-initiated if a customer service window is open, business-initiated if not) and
-- carries its charge; later messages in it are free. The first
-- business.free_conversations_per_month conversations of a business account a month are free;
-- the conversation opened by the reply to an ad or page-button referral is free.
-- The conversations themselves come from int_conversations_opened (the chain walk), with the
-- kind and rate category of the message that opened each: this rule reads the messages once.
with messages as not materialized (
    select * from int_pricing_messages
),

parameters as (
    select free_conversations_per_month from rebuild_parameters
),

covered as (
    -- every message of a conversation, with what its opener gave it (int_conversations_opened
    -- carries the opener's kind and rate category to each message of the conversation)
    select
        message_key,
        conversation_key,
        conversation_id,
        opens_conversation,
        conversation_opener.category as conversation_category,
        conversation_opener.rate_category
    from int_conversations_opened
    where regime = 'conversation_2022'
),

final as (
    select
        messages.*,
        'conversation_2022' as regime,
        covered.conversation_key,
        covered.conversation_id,
        coalesce(covered.conversation_category, messages.priced_template_category)
            as priced_category,
        coalesce(
            covered.rate_category,
            case when messages.in_window then 'service'
                else messages.priced_template_category end
        ) as rate_category,
        coalesce(
            covered.opens_conversation
                and covered.conversation_category <> 'referral_conversion',
            false
        ) as charge_candidate,
        case
            when covered.opens_conversation
                and covered.conversation_category <> 'referral_conversion'
                then messages.account_id
        end as free_tier_owner,
        parameters.free_conversations_per_month as free_tier_size,
        case
            when not messages.delivered then 'not_delivered'
            when covered.conversation_category = 'referral_conversion' then 'free_entry_point'
            when not covered.opens_conversation then 'in_open_conversation'
            else 'chargeable'
        end as billing_reason,
        -- Meta marks every message of a conversation billable unless it is free by kind,
        -- even inside the monthly free tier
        coalesce(covered.conversation_category <> 'referral_conversion', false)
            as expected_meta_billable
    from messages
    cross join parameters
    -- integer keys: cheaper to hash and compare than wamid strings
    left join covered using (message_key)
)

select * from final
