-- For every regime, free + chargeable = every outbound message: each is priced once per regime.
with per_regime as (
    select
        regime,
        count(*) filter (where billable) as chargeable,
        count(*) filter (where not billable) as free,
        count(distinct message_id) as messages
    from message_billing
    group by regime
),

outbound as (
    select count(*) as messages from message_facts
)

select per_regime.*, outbound.messages as outbound_messages
from per_regime
cross join outbound
where per_regime.chargeable + per_regime.free <> outbound.messages
    or per_regime.messages <> outbound.messages
