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


{#- The volume tier's rate of each chargeable row of counted_<regime> (market, rate_category,
    send_month, send_date, sent_at, message_id, participant and the `keys`): only the months
    that reach the market's first tier boundary (tier_starts) are numbered, in send order; in
    the others every row has the first tier's rate, exactly as the numbering would give. Rows
    of both kinds (messages and group deliveries) are counted together, as Meta counts them;
    `keep` picks the rows whose rates the caller prices. Two CTEs, each followed by a comma. -#}
{% macro volume_tier_rates(regime, keys, keep) -%}
volume_months_{{ regime.name }} as (
    select counted.market, counted.rate_category, counted.send_month
    from counted_{{ regime.name }} as counted
    join tier_starts using (market, rate_category)
    group by counted.market, counted.rate_category, counted.send_month
    having count(*) > any_value(tier_starts.first_tier_from)
),

volume_rates_{{ regime.name }} as (
    select
{%- for key in keys %}
        counted.{{ key }},
{%- endfor %}
        int_pricing_rates.rate,
        int_pricing_rates.rate_card
    from (
        select
            counted.*,
            row_number() over (
                partition by counted.market, counted.rate_category, counted.send_month
                order by counted.sent_at, counted.message_id, counted.participant
            ) - 1 as charged_before_in_month
        from counted_{{ regime.name }} as counted
        semi join volume_months_{{ regime.name }} as months
            using (market, rate_category, send_month)
    ) as counted
    asof join int_pricing_rates
        on counted.market = int_pricing_rates.market
        and counted.rate_category = int_pricing_rates.category
        and counted.send_date = int_pricing_rates.send_date
        and counted.charged_before_in_month >= int_pricing_rates.tier_from
    where {{ keep }}
),
{%- endmacro %}
