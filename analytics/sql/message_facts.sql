-- One row per outbound message: its care window, opt-in and compliance verdict, its price
-- under the regime in force on its send date (every regime's price is in message_billing), and
-- Meta's own pricing verdict where a status webhook carried one. A free message costs 0; a
-- billable one without a rate costs null (cost_known false), never a silent 0.
-- A view over the table message_billing_by_regime is stored in (analytics/storage.py): that
-- table holds every regime's price of each message and, stored only, this view's own columns
-- (the care window, compliance and Meta's verdict), so the rebuild writes one wide table of
-- every outbound message, not two, and the wamid once. in_force(field) picks the column of
-- the regime in force (a jinja2 template over the registry); short texts are stored as codes
-- (ENUMs) and read back as text here.
{% from "macros/window_id.sql" import window_id -%}
{%- macro in_force(field) %}
            case stored.regime_in_force
{%- for regime in regimes %}
                when '{{ regime.name }}' then stored.{{ regime.name }}_{{ field }}
{%- endfor %}
            end
{%- endmacro %}
with stored as (
    -- this view's short texts read back as text; regime_in_force and the regimes' columns stay
    -- codes: the regime picks below compare codes, not texts
    select * replace (
        business_number::varchar as business_number,
        kind::varchar as kind,
        template_category::varchar as template_category,
        template_category_source::varchar as template_category_source,
        status::varchar as status,
        violation::varchar as violation,
        market::varchar as market,
        currency::varchar as currency,
        meta_pricing_type::varchar as meta_pricing_type,
        meta_category::varchar as meta_category,
        waba_id::varchar as waba_id,
        type::varchar as type
    )
    from storage.message_billing_by_regime
)

select
    stored.message_id,
    stored.business_number,
    stored.contact,
    stored.group_id,
    stored.sent_at,
    stored.kind,
    stored.template_name,
    stored.template_category,
    stored.template_category_source,
    stored.status,
    -- named as care_windows names it (macros/window_id.sql): not stored (a wamid-sized text
    -- is the costliest kind of column to write)
    case
        when stored.window_opened_at is not null then
            {{ window_id("stored.business_number", "stored.contact", "stored.window_opened_at") }}
    end::varchar as window_id,
    stored.in_window,
    stored.window_closes_at,
    stored.opt_in_active,
    stored.violation,
    stored.marketing_opt_out_warning,
    stored.market,
    case
        when {{ in_force('billable') }} and {{ in_force('estimated_cost') }} is not null
            then stored.currency
    end as currency,
    stored.regime_in_force::varchar as regime,
    {{ in_force('billable') }} as billable,
    ({{ in_force('billing_reason') }})::varchar as billing_reason,
    case stored.regime_in_force
{%- for regime in regimes %}
        when '{{ regime.name }}' then
            case when stored.{{ regime.name }}_billable then '{{ regime.charge_unit }}' end
{%- endfor %}
    end::varchar as charge_unit,
    {{ in_force('conversation_id') }} as conversation_id,
    {{ in_force('estimated_cost') }} as estimated_cost,
    ({{ in_force('rate_card') }})::varchar as rate_card,
    ({{ in_force('priced_category') }})::varchar as priced_category,
    stored.category_missing,
    {{ in_force('cost_known') }} as cost_known,
    {{ in_force('expected_meta_billable') }} as expected_meta_billable,
    -- what Meta's per-message status webhooks say in pricing.type (PMP regimes)
    case stored.regime_in_force
{%- for regime in regimes if regime.pricing_model == "PMP" %}
        when '{{ regime.name }}' then
            case
                when not stored.delivered then null
                when stored.in_free_entry_point then 'free_entry_point'
                when stored.{{ regime.name }}_billable then 'regular'
                else 'free_customer_service'
            end
{%- endfor %}
    end::varchar as expected_meta_pricing_type,
    -- groups: deliveries known, and chargeable (a message priced as one: 1 or 0)
    stored.deliveries,
    coalesce({{ in_force('chargeable_deliveries') }},
        ({{ in_force('billable') }})::bigint) as chargeable_deliveries,
    stored.meta_billable,
    stored.meta_pricing_type,
    stored.meta_category,
    stored.waba_id,
    stored.type,
    stored.delivered,
    stored.window_opened_at,
    stored.last_inbound_at
from stored
