-- One row per (outbound message, regime) for every regime of the registry: free or
-- chargeable, why (billing_reason), the conversation that covers it, and the cost at the rate
-- card in force. in_force marks the regime in force on the message's send date (the row that
-- message_facts shows); the others are what-if prices of the same traffic.
-- A view: message_billing_by_regime's columns of each regime, one regime after the other (a
-- jinja2 template over the registry). A filter on regime reads that regime's columns only.
{%- for regime in regimes %}
select
    message_id,
    '{{ regime.name }}' as regime,
    regime_in_force = '{{ regime.name }}' as in_force,
    {{ regime.name }}_billable as billable,
    {{ regime.name }}_billing_reason as billing_reason,
    case when {{ regime.name }}_billable then '{{ regime.charge_unit }}' end as charge_unit,
    {{ regime.name }}_conversation_id as conversation_id,
    {{ regime.name }}_priced_category as priced_category,
    {{ regime.name }}_rate_category as rate_category,
    {{ regime.name }}_estimated_cost as estimated_cost,
    -- priced (a rate was found): in the billing currency; free or unpriced: null
    case when {{ regime.name }}_billable and {{ regime.name }}_estimated_cost is not null
        then currency end as currency,
    {{ regime.name }}_cost_known as cost_known,
    {{ regime.name }}_rate_card as rate_card,
    -- a group message: its chargeable deliveries; a message priced as one: 1 or 0
    coalesce({{ regime.name }}_chargeable_deliveries, {{ regime.name }}_billable::bigint)
        as chargeable_deliveries
from message_billing_by_regime
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
