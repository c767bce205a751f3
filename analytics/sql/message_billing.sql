-- One row per (outbound message, regime) for every regime of the registry: free or
-- chargeable, why (billing_reason), the conversation that covers it, and the cost at the rate
-- card in force. in_force marks the regime in force on the message's send date (the row that
-- message_facts shows); the others are what-if prices of the same traffic.
with billing as (
    select * from int_billing
),

final as (
    select
        message_id,
        regime,
        in_force,
        billable,
        billing_reason,
        charge_unit,
        conversation_id,
        priced_category,
        rate_category,
        estimated_cost,
        currency,
        cost_known,
        rate_card
    from billing
)

select * from final
