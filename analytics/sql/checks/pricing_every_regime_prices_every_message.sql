-- Every regime of the registry prices every outbound message exactly once, with a verdict and
-- a reason, and exactly one regime is in force for each message: a regime added to the
-- registry whose rule leaves messages unpriced fails here.
with outbound as (
    select count(*) as messages from message_facts
),

per_regime as (
    select
        pricing_regimes.regime,
        count(message_billing.message_id) as priced,
        count(distinct message_billing.message_id) as distinct_messages,
        count_if(message_billing.message_id is not null and message_billing.billable is null)
            as without_verdict,
        count_if(message_billing.message_id is not null and message_billing.billing_reason is null)
            as without_reason,
        count_if(message_billing.in_force) as in_force
    from pricing_regimes
    left join message_billing using (regime)
    group by pricing_regimes.regime
),

in_force as (
    select 'any regime in force' as regime, sum(in_force) as in_force from per_regime
)

select per_regime.regime, per_regime.priced, outbound.messages as outbound_messages,
    per_regime.without_verdict, per_regime.without_reason
from per_regime
cross join outbound
where per_regime.priced <> outbound.messages
    or per_regime.distinct_messages <> outbound.messages
    or per_regime.without_verdict > 0
    or per_regime.without_reason > 0
union all
select in_force.regime, in_force.in_force, outbound.messages, null, null
from in_force
cross join outbound
where in_force.in_force <> outbound.messages
