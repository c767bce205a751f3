-- per_message_2025 (Meta, from 2025-07-01): per delivered template. Marketing and
-- authentication templates are always chargeable; utility templates only outside an open
-- customer service window; non-template messages are free; everything inside a 72-hour free
-- entry point is free. No free tier.
-- Groups (Meta, "Groups API Pricing", 2025-10-22): in a group's customer service window,
-- opened or refreshed by any participant's message, "utility and marketing template messages,
-- or free form messages" are free; a chargeable group message is charged per delivery
-- (int_group_delivery_verdicts). Meta's copy of 2026-05-21 names only "utility and free form
-- messages" there: docs/rules.md says why the rule follows the dated page the spec cites.
with messages as (
    select * from int_pricing_messages
),

verdicts as (
    select
        messages.*,
        case
            when not messages.delivered then 'not_delivered'
            when messages.in_free_entry_point then 'free_entry_point'
            when messages.kind <> 'template' then 'service_free'
            when messages.priced_template_category = 'utility' and messages.in_window
                then 'inside_customer_service_window'
            when messages.to_group and messages.in_window then 'inside_customer_service_window'
            else 'chargeable'
        end as billing_reason
    from messages
),

final as (
    select
        verdicts.* exclude (billing_reason),
        'per_message_2025' as regime,
        null::bigint as conversation_key,
        null::varchar as conversation_id,
        verdicts.priced_template_category as priced_category,
        verdicts.priced_template_category as rate_category,
        verdicts.billing_reason = 'chargeable' as charge_candidate,
        null::varchar as free_tier_owner,
        null::bigint as free_tier_size,
        verdicts.billing_reason,
        null::boolean as expected_meta_billable  -- Meta's verdict is the final one
    from verdicts
)

select * from final
