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
-- In order: who opens each conversation (2022, then 2023), the monthly free tiers of the three
-- regimes that have one, then each conversation regime's verdicts.
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

-- Monthly free tiers ("the first 1,000 a month are free"): conversation_2022 conversations and
-- conversation_2023 service conversations per business account, per_message_2026_10 service
-- messages per business number. They are not numbered with a window over every one of the
-- month, which sorts them all: each month's last free (sent_at, id) is found by a top-N
-- aggregate (a small heap per month), and what comes after it is charged.
free_tier_members as (
    select
        'conversation_2022' as tier, account_id as owner, send_month, sent_at,
        conversation_id as id, parameters.free_conversations_per_month as free_per_month
    from openers_2022
    cross join parameters
    where conversation_category <> 'referral_conversion'
    union all
    select
        'conversation_2023', account_id, send_month, sent_at,
        conversation_id, parameters.free_conversations_per_month
    from openers_2023
    cross join parameters
    where conversation_category = 'service'
    union all
    select
        'per_message_2026_10', business_number, send_month, sent_at,
        message_id, parameters.free_service_messages_per_month
    from messages
    cross join parameters
    where delivered and kind <> 'template' and not in_free_entry_point
),

last_free as (
    -- null when the tier is 0: nothing is free
    select
        tier,
        owner,
        send_month,
        case when any_value(free_per_month) > 0 then
            list_max(min({'sent_at': sent_at, 'id': id}, greatest(free_per_month, 1)))
        end as last_free
    from free_tier_members
    group by tier, owner, send_month
),

priced_openers_2022 as (
    select
        openers_2022.*,
        conversation_category <> 'referral_conversion' as chargeable_kind,
        last_free.last_free is null
            or {'sent_at': sent_at, 'id': conversation_id} > last_free.last_free
            as past_free_tier
    from openers_2022
    left join last_free
        on last_free.tier = 'conversation_2022'
        and last_free.owner = openers_2022.account_id
        and last_free.send_month = openers_2022.send_month
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

priced_openers_2023 as (
    select
        openers_2023.*,
        conversation_category <> 'referral_conversion'
            and not (conversation_category = 'service' and send_date >= date '2024-11-01')
            as chargeable_kind,
        conversation_category <> 'service'
            or last_free.last_free is null
            or {'sent_at': sent_at, 'id': conversation_id} > last_free.last_free
            as past_free_tier
    from openers_2023
    left join last_free
        on last_free.tier = 'conversation_2023'
        and last_free.owner = openers_2023.account_id
        and last_free.send_month = openers_2023.send_month
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
                or last_free_2026_10.last_free is null
                or {'sent_at': messages.sent_at, 'id': messages.message_id}
                    > last_free_2026_10.last_free
            )
            as billable_per_message_2026_10
    from messages
    -- integer keys: cheaper to hash and compare than wamid strings
    left join verdicts_2022 using (message_key)
    left join verdicts_2023 using (message_key)
    left join last_free as last_free_2026_10
        on last_free_2026_10.tier = 'per_message_2026_10'
        and last_free_2026_10.owner = messages.business_number
        and last_free_2026_10.send_month = messages.send_month
)

select * from final
