-- daily_costs, summed over its days, counts and prices every outbound message once under the
-- regime in force (as message_facts) and under each regime (as message_billing). Costs are
-- compared as known costs: a daily_costs row whose chargeable messages lack a rate is null,
-- not the 0 of the free messages beside it, so a total of nulls matches a total of 0.
with in_force_totals as (
    select
        business_number,
        sum(outbound_messages) as outbound_messages,
        sum(chargeable_messages) as chargeable_messages,
        sum(estimated_cost) as estimated_cost
    from daily_costs
    where in_force
    group by business_number
),

facts as (
    select
        business_number,
        count(*) as outbound_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost
    from message_facts
    group by business_number
),

regime_totals as (
    select
        regime,
        sum(outbound_messages) as outbound_messages,
        sum(chargeable_messages) as chargeable_messages,
        sum(estimated_cost) as estimated_cost
    from daily_costs
    group by regime
),

billing as (
    select
        regime,
        count(*) as outbound_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost
    from message_billing
    group by regime
)

select
    'in force: ' || business_number as grain,
    facts.outbound_messages,
    in_force_totals.outbound_messages as daily_costs_outbound_messages,
    facts.chargeable_messages,
    in_force_totals.chargeable_messages as daily_costs_chargeable_messages,
    facts.estimated_cost,
    in_force_totals.estimated_cost as daily_costs_estimated_cost
from facts
full join in_force_totals using (business_number)
where facts.outbound_messages is distinct from in_force_totals.outbound_messages
    or facts.chargeable_messages is distinct from in_force_totals.chargeable_messages
    or coalesce(facts.estimated_cost, 0) is distinct from coalesce(in_force_totals.estimated_cost, 0)
union all
select
    'regime: ' || regime,
    billing.outbound_messages,
    regime_totals.outbound_messages,
    billing.chargeable_messages,
    regime_totals.chargeable_messages,
    billing.estimated_cost,
    regime_totals.estimated_cost
from billing
full join regime_totals using (regime)
where billing.outbound_messages is distinct from regime_totals.outbound_messages
    or billing.chargeable_messages is distinct from regime_totals.chargeable_messages
    or coalesce(billing.estimated_cost, 0) is distinct from coalesce(regime_totals.estimated_cost, 0)
