-- daily_costs, summed over its days, counts and prices every outbound message once, under the
-- regime in force and under each regime.
with totals as (
    select
        business_number,
        sum(outbound_messages) as outbound_messages,
        sum(chargeable_messages) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        sum(chargeable_session_2019) + sum(chargeable_conversation_2022)
            + sum(chargeable_conversation_2023) + sum(chargeable_per_message_2025)
            + sum(chargeable_per_message_2026_10) as chargeable_under_every_regime
    from daily_costs
    group by business_number
),

facts as (
    select
        business_number,
        count(*) as outbound_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        count_if(billable_session_2019) + count_if(billable_conversation_2022)
            + count_if(billable_conversation_2023) + count_if(billable_per_message_2025)
            + count_if(billable_per_message_2026_10) as chargeable_under_every_regime
    from message_facts
    group by business_number
)

select
    business_number,
    facts.outbound_messages,
    totals.outbound_messages as daily_costs_outbound_messages,
    facts.chargeable_messages,
    totals.chargeable_messages as daily_costs_chargeable_messages,
    facts.estimated_cost,
    totals.estimated_cost as daily_costs_estimated_cost
from facts
full join totals using (business_number)
where facts.outbound_messages is distinct from totals.outbound_messages
    or facts.chargeable_messages is distinct from totals.chargeable_messages
    or facts.estimated_cost is distinct from totals.estimated_cost
    or facts.chargeable_under_every_regime is distinct from totals.chargeable_under_every_regime
