-- One row per known delivery of an outbound group message (a participant it was sent to):
-- its price under the regime in force and under every regime (columns <regime>_<field>, as
-- in message_billing_by_regime, which sums them into the group message's one row). Meta
-- charges a billable group message once per participant it reached, at that participant's
-- market (docs/rules.md, "Groups"). A jinja2 template over the registry.
{%- macro in_force(field) %}
        case regime_in_force
{%- for regime in regimes %}
            when '{{ regime.name }}' then {{ regime.name }}_{{ field }}
{%- endfor %}
        end
{%- endmacro %}
select
    * exclude (message_key, send_month),
    {{ in_force('billable') }} as billable,
    {{ in_force('billing_reason') }} as billing_reason,
    {{ in_force('estimated_cost') }} as estimated_cost,
    {{ in_force('cost_known') }} as cost_known,
    {{ in_force('rate_card') }} as rate_card,
    {{ in_force('priced_category') }} as priced_category,
    {{ in_force('expected_meta_billable') }} as expected_meta_billable
from int_group_delivery_billing
