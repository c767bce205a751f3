-- One row per outbound message with its price under every regime of the registry, in columns
-- <regime>_<field> (a jinja2 template over the registry). A view: message_facts stores every
-- regime's price once per message, in its struct column by_regime, and this view lays it out
-- flat; message_billing is the same data in one row per message and regime. A query reads only
-- the struct fields it names.
{%- set fields = ["billable", "billing_reason", "conversation_id", "priced_category",
    "rate_category", "estimated_cost", "cost_known", "rate_card", "expected_meta_billable"] %}
select
    message_id,
    send_date,
    business_number,
    market,
    regime as regime_in_force,
    category_missing,
    delivered,
    in_free_entry_point,
    billing_currency as currency,
{%- for regime in regimes %}
{%- set last_regime = loop.last %}
{%- for field in fields %}
    by_regime.{{ regime.name }}.{{ field }} as {{ regime.name }}_{{ field }}
    {{- "," if not (loop.last and last_regime) }}
{%- endfor %}
{%- endfor %}
from message_facts
