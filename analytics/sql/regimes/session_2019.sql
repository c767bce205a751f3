-- session_2019 (the seed article's model): per message. A template delivered outside a
-- customer service window is chargeable; everything sent inside a window is free, session
-- messages and templates alike. No free tier.
with messages as (
    select * from int_pricing_messages
),

final as (
    select
        messages.*,
        'session_2019' as regime,
        null::bigint as conversation_key,
        null::varchar as conversation_id,
        messages.priced_template_category as priced_category,
        messages.priced_template_category as rate_category,
        messages.delivered and messages.kind = 'template' and not messages.in_window
            as charge_candidate,
        null::varchar as free_tier_owner,
        null::bigint as free_tier_size,
        case
            when not messages.delivered then 'not_delivered'
            when messages.in_window then 'inside_customer_service_window'
            when messages.kind <> 'template' then 'service_free'
            else 'chargeable'
        end as billing_reason,
        null::boolean as expected_meta_billable  -- the final verdict
    from messages
)

select * from final
