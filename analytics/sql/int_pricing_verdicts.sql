-- Free or chargeable under every regime, one row per outbound message. Per regime:
-- billable_<regime> (only a delivered message can be) and, for the conversation regimes, the
-- conversation that covers it, the category Meta would report (category_<regime>, null when no
-- conversation covers the message), the rate-card category it is charged at and
-- expected_meta_billable_*: what Meta's status webhook says, which for conversations marks every
-- message of a conversation that is not free by kind (free-tier conversations still say
-- billable), so it is compared with Meta's verdict in pricing_reconciliation. The per-message
-- regimes and session_2019 need nothing beyond billable_*: they price at
-- priced_template_category, which message_facts reads here too.
-- Narrow on purpose: message_facts joins it with the wide int_outbound, which carries the
-- message's own columns (message_id, sent_at, delivered ...).
-- Read where it lies, by each of its five readers with only the columns that one needs: a
-- materialised copy would hold every column of every message uncompressed (at 100 million
-- messages, most of this step's spill).
-- Monthly free tiers ("the first 1,000 a month are free") are not numbered with a window over
-- every message of the month, which sorts them all: each month's 1,000th (sent_at, id) is found
-- by a top-N aggregate (a small heap per month), and what comes after it is charged.
with messages as not materialized (
    select * from int_pricing_messages
),

parameters as (
    select * from rebuild_parameters
),

-- conversation_2022: per thread; the first 1,000 a month per business account are free;
-- the conversation opened by the reply to an ad or page-button referral is free.
conversations_2022 as (
    select message_key, conversation_key, opens_conversation
    from int_conversations_opened
    where regime = 'conversation_2022'
),

openers_2022 as (
    select
        conversations_2022.conversation_key,
        -- a conversation is named by the wamid of the message that opened it
        messages.message_id as conversation_id,
        messages.account_id,
        messages.send_month,
        messages.sent_at,
        case
            when messages.is_free_entry_point_reply then 'referral_conversion'
            when messages.in_window then 'user_initiated'
            else 'business_initiated'
        end as conversation_category,
        -- today's rate cards have no user/business-initiated rates: user-initiated is charged
        -- as service, business-initiated as the category of the template that opened it
        case
            when messages.in_window then 'service'
            else messages.priced_template_category
        end as rate_category
    from conversations_2022
    join messages using (message_key)
    where conversations_2022.opens_conversation
),

last_free_2022 as (
    -- per account and month, the last conversation of the free tier (null if none is free)
    select
        account_id,
        send_month,
        list_max(
            min({'sent_at': sent_at, 'id': conversation_id},
                greatest(parameters.free_conversations_per_month, 1))
        ) as last_free,
        any_value(parameters.free_conversations_per_month) > 0 as has_free_tier
    from openers_2022
    cross join parameters
    where conversation_category <> 'referral_conversion'
    group by account_id, send_month
),

priced_openers_2022 as (
    select
        openers_2022.*,
        conversation_category <> 'referral_conversion' as chargeable_kind,
        not coalesce(last_free_2022.has_free_tier, false)
            or {'sent_at': sent_at, 'id': conversation_id} > last_free_2022.last_free
            as past_free_tier
    from openers_2022
    left join last_free_2022 using (account_id, send_month)
),

verdicts_2022 as (
    select
        conversations_2022.message_key,
        priced_openers_2022.conversation_id,
        priced_openers_2022.conversation_category,
        priced_openers_2022.rate_category,
        priced_openers_2022.chargeable_kind as expected_meta_billable,
        conversations_2022.opens_conversation
            and priced_openers_2022.chargeable_kind
            and priced_openers_2022.past_free_tier
            as billable
    from conversations_2022
    join priced_openers_2022 using (conversation_key)
),

-- conversation_2023: per category; service conversations free up to 1,000 a month per
-- business account, and every one from 2024-11-01; a free entry point is one free
-- 72-hour conversation.
conversations_2023 as (
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

openers_2023 as (
    select
        conversations_2023.conversation_key,
        messages.message_id as conversation_id,
        conversations_2023.conversation_category,
        messages.account_id,
        messages.send_month,
        messages.send_date,
        messages.sent_at
    from conversations_2023
    join messages using (message_key)
    where conversations_2023.opens_conversation
),

last_free_service_2023 as (
    -- per account and month, the last service conversation of the free tier
    select
        account_id,
        send_month,
        list_max(
            min({'sent_at': sent_at, 'id': conversation_id},
                greatest(parameters.free_conversations_per_month, 1))
        ) as last_free,
        any_value(parameters.free_conversations_per_month) > 0 as has_free_tier
    from openers_2023
    cross join parameters
    where conversation_category = 'service'
    group by account_id, send_month
),

priced_openers_2023 as (
    select
        openers_2023.*,
        conversation_category <> 'referral_conversion'
            and not (conversation_category = 'service' and send_date >= date '2024-11-01')
            as chargeable_kind,
        conversation_category <> 'service'
            or not coalesce(last_free_service_2023.has_free_tier, false)
            or {'sent_at': sent_at, 'id': conversation_id} > last_free_service_2023.last_free
            as past_free_tier
    from openers_2023
    left join last_free_service_2023 using (account_id, send_month)
),

verdicts_2023 as (
    select
        conversations_2023.message_key,
        priced_openers_2023.conversation_id,
        conversations_2023.conversation_category,
        priced_openers_2023.chargeable_kind as expected_meta_billable,
        conversations_2023.opens_conversation
            and priced_openers_2023.chargeable_kind
            and priced_openers_2023.past_free_tier
            as billable
    from conversations_2023
    join priced_openers_2023 using (conversation_key)
),

-- per_message_2026_10: non-template messages beyond the first 1,000 a month per business
-- number are charged at the utility rate.
service_messages_2026_10 as (
    select business_number, send_month, sent_at, message_id
    from messages
    where delivered and kind <> 'template' and not in_free_entry_point
),

last_free_service_2026_10 as (
    -- per business number and month, the last service message of the free tier
    select
        business_number,
        send_month,
        list_max(
            min({'sent_at': sent_at, 'id': message_id},
                greatest(parameters.free_service_messages_per_month, 1))
        ) as last_free,
        any_value(parameters.free_service_messages_per_month) > 0 as has_free_tier
    from service_messages_2026_10
    cross join parameters
    group by business_number, send_month
),

final as (
    select
        messages.message_key,
        messages.regime,
        messages.market,
        messages.send_date,
        messages.kind,
        messages.priced_template_category,
        messages.in_free_entry_point,
        messages.category_missing,

        -- session_2019: a template delivered outside a window; everything inside is free
        messages.delivered and messages.kind = 'template' and not messages.in_window
            as billable_session_2019,

        coalesce(verdicts_2022.billable, false) as billable_conversation_2022,
        verdicts_2022.conversation_id as conversation_id_conversation_2022,
        verdicts_2022.conversation_category as category_conversation_2022,
        verdicts_2022.rate_category as rate_category_conversation_2022,
        coalesce(verdicts_2022.expected_meta_billable, false)
            as expected_meta_billable_conversation_2022,

        coalesce(verdicts_2023.billable, false) as billable_conversation_2023,
        verdicts_2023.conversation_id as conversation_id_conversation_2023,
        verdicts_2023.conversation_category as category_conversation_2023,
        coalesce(verdicts_2023.expected_meta_billable, false)
            as expected_meta_billable_conversation_2023,

        -- per_message_2025: marketing and authentication templates always; utility outside
        -- a window; nothing in a free entry point; non-template messages never
        messages.delivered
            and messages.kind = 'template'
            and not messages.in_free_entry_point
            and (messages.priced_template_category <> 'utility' or not messages.in_window)
            as billable_per_message_2025,

        messages.delivered
            and not messages.in_free_entry_point
            and (
                messages.kind = 'template'
                or not coalesce(last_free_service_2026_10.has_free_tier, false)
                or {'sent_at': messages.sent_at, 'id': messages.message_id}
                    > last_free_service_2026_10.last_free
            )
            as billable_per_message_2026_10
    from messages
    -- integer keys: cheaper to hash and compare than wamid strings
    left join verdicts_2022 using (message_key)
    left join verdicts_2023 using (message_key)
    left join last_free_service_2026_10 using (business_number, send_month)
)

select * from final
