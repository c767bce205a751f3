-- One row per outbound message with its price under every regime of the registry, in columns
-- <regime>_<field> (a jinja2 template over the registry). message_billing is the same data in
-- one row per message and regime (a view over this table): stored once per message, the
-- what-if prices cost one write instead of one per regime.
select
    message_id,
    regime_in_force,
{%- for regime in regimes %}
    {{ regime.name }}_billable,
    {{ regime.name }}_billing_reason,
    {{ regime.name }}_conversation_id,
    {{ regime.name }}_priced_category,
    {{ regime.name }}_rate_category,
    {{ regime.name }}_estimated_cost,
    {{ regime.name }}_currency,
    {{ regime.name }}_cost_known,
    {{ regime.name }}_rate_card
    {{- "," if not loop.last }}
{%- endfor %}
from int_billing
