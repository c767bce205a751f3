{#- The monthly free tiers (int_free_tiers: each regime's (owner, month)'s last free member),
    shared by message_billing_by_regime (one row per message) and int_group_delivery_billing
    (one row per group delivery), which count their members together. -#}

{#- Whether a row of `row` is in its regime's free tier: at or before the tier's last member,
    in (sent_at, id, participant) order; `participant` is '' for a message priced as one. -#}
{% macro in_free_tier(regime, row, participant) -%}
coalesce(
            {'sent_at': {{ row }}.sent_at, 'id': {{ row }}.message_id,
                'participant': {{ participant }}} <= free_{{ regime.name }}.last_free,
            false
        )
{%- endmacro %}

{#- One left join of int_free_tiers per regime (as free_<regime>) on `row`'s owner and month. -#}
{% macro free_tier_joins(regimes, row) -%}
{%- for regime in regimes %}
    left join int_free_tiers as free_{{ regime.name }}
        on free_{{ regime.name }}.regime = '{{ regime.name }}'
        and free_{{ regime.name }}.free_tier_owner = {{ row }}.{{ regime.name }}_free_tier_owner
        and free_{{ regime.name }}.send_month = {{ row }}.send_month
{%- endfor %}
{%- endmacro %}

{#- The reason a charge candidate ends with: a message charged only because its monthly free
    tier was used up says so; a tier of size 0 is no tier (chargeable). `in_tier`: whether the
    row is in its free tier (an expression). -#}
{% macro final_reason(regime, row, in_tier) -%}
case
            when {{ row }}{{ regime.name }}_charge_candidate and {{ in_tier }}
                then 'free_tier'
            when {{ row }}{{ regime.name }}_charge_candidate
                and {{ row }}{{ regime.name }}_free_tier_owner is not null
                and {{ row }}{{ regime.name }}_free_tier_size > 0
                then 'beyond_free_tier'
            else {{ row }}{{ regime.name }}_billing_reason
        end
{%- endmacro %}
