{#- The rate card's rate of each chargeable row under every regime: the volume tier's rate
    where the month was numbered (volume_rates_<regime>, joined on `keys`), else the first
    tier's; a per-message regime charges a service message at the per-message service rate
    (int_pricing_rates' service_message). Shared by message_billing_by_regime (one row per
    message) and int_group_delivery_billing (one row per group delivery): two CTEs, base_rates
    and priced, reading `charged`. -#}
{% macro priced_at_card_rates(regimes, keys) -%}
base_rates as (
    select market, category as rate_category, send_date, rate, rate_card
    from int_pricing_rates
    where tier_from = 0
),

priced as (
    select
        charged.*,
{%- for regime in regimes %}
{%- set last_regime = loop.last %}
{%- for field in ("rate", "rate_card") %}
        case when charged.{{ regime.name }}_billable then
            {%- if regime.volume_tiers %}
            coalesce(volume_{{ regime.name }}.{{ field }}, base_{{ regime.name }}.{{ field }})
            {%- else %}
            base_{{ regime.name }}.{{ field }}
            {%- endif %}
        end as {{ regime.name }}_{{ field }}{{ "," if not (loop.last and last_regime) }}
{%- endfor %}
{%- endfor %}
    from charged
{%- for regime in regimes %}
    left join base_rates as base_{{ regime.name }}
        on base_{{ regime.name }}.market = charged.market
{%- if regime.charge_unit == "message" %}
        and base_{{ regime.name }}.rate_category = case
            when charged.{{ regime.name }}_rate_category = 'service' then 'service_message'
            else charged.{{ regime.name }}_rate_category
        end
{%- else %}
        and base_{{ regime.name }}.rate_category = charged.{{ regime.name }}_rate_category
{%- endif %}
        and base_{{ regime.name }}.send_date = charged.send_date
{%- if regime.volume_tiers %}
    left join volume_rates_{{ regime.name }} as volume_{{ regime.name }}
{%- for key in keys %}
        {{ "on" if loop.first else "and" }} volume_{{ regime.name }}.{{ key }} = charged.{{ key }}
{%- endfor %}
{%- endif %}
{%- endfor %}
)
{%- endmacro %}
