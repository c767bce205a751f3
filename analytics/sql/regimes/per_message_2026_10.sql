-- per_message_2026_10 (Meta, announced 2026-07-01, from 2026-10-01): as per_message_2025, but
-- utility templates are chargeable inside the customer service window too, and non-template
-- (service) messages are charged per message at the card's Service rate (the market's utility
-- rate where the card says n/a: int_pricing_rates) beyond a monthly free tier per business
-- number (business.free_service_messages_per_month). Everything inside a 72-hour free entry
-- point stays free. Priced as a what-if before October 2026, a service message takes the
-- utility rate: the Service column of earlier cards is a service conversation's price.
with rules as (
    -- Meta's cards give a per-message Service rate from the card effective 2026-10-01 on
    select date '2026-10-01' as service_rates_from
),

messages as (
    select * from int_pricing_messages
),

parameters as (
    select free_service_messages_per_month from rebuild_parameters
),

verdicts as (
    select
        messages.*,
        case
            when not messages.delivered then 'not_delivered'
            when messages.in_free_entry_point then 'free_entry_point'
            else 'chargeable'
        end as billing_reason
    from messages
),

final as (
    select
        verdicts.* exclude (billing_reason),
        'per_message_2026_10' as regime,
        null::bigint as conversation_key,
        null::varchar as conversation_id,
        verdicts.priced_template_category as priced_category,
        case
            when verdicts.kind = 'template' then verdicts.priced_template_category
            when verdicts.send_date >= rules.service_rates_from then 'service'
            else 'utility'
        end as rate_category,
        verdicts.billing_reason = 'chargeable' as charge_candidate,
        -- the free tier counts each number's delivered service messages of the month
        case when verdicts.billing_reason = 'chargeable' and verdicts.kind <> 'template'
            then verdicts.business_number end as free_tier_owner,
        parameters.free_service_messages_per_month as free_tier_size,
        verdicts.billing_reason,
        null::boolean as expected_meta_billable  -- Meta's verdict is the final one
    from verdicts
    cross join parameters
    cross join rules
)

select * from final
