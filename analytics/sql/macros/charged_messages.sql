{#- The messages priced one by one and the deliveries of group messages of the regime verdicts,
    with each regime's monthly free tier applied: whether a message is chargeable and why.
    Shared by int_volume_tier_rates (which numbers the chargeable ones of a month) and
    message_billing_by_regime (which prices them). Four CTEs, verdicts, deliveries, tiered and
    charged, each read where it is used (not materialized: the readers take few columns, and
    a history bigger than memory holds no copy of its wide rows). `chunked`: the text of one
    chunk of months (analytics/chunks.py): every tier counts within a month. -#}
{% from "macros/free_tiers.sql" import in_free_tier, free_tier_joins, final_reason -%}
{% macro charged_messages(regimes, chunked) -%}
verdicts as not materialized (
    select * from int_regime_verdicts
{%- if chunked %}
    where send_month between $chunk_first and $chunk_last
{%- endif %}
),

-- the deliveries of group messages priced per delivery (int_group_delivery_billing)
deliveries as not materialized (
    select * from int_group_delivery_billing
{%- if chunked %}
    where send_month between $chunk_first and $chunk_last
{%- endif %}
),

-- Monthly free tiers ("the first 1,000 a month are free"): int_free_tiers gives each regime's
-- (owner, month)'s last free member; what comes after it is charged. Its members are the
-- messages priced one by one and the deliveries of group messages, counted together.
tiered as not materialized (
    select
        verdicts.*,
{%- for regime in regimes %}
        {{ in_free_tier(regime, "verdicts", "''") }} as {{ regime.name }}_in_free_tier
        {{- "," if not loop.last }}
{%- endfor %}
    from verdicts
    {{- free_tier_joins(regimes, "verdicts") }}
),

charged as not materialized (
    select
        *,
{%- for regime in regimes %}
        delivered and {{ regime.name }}_charge_candidate and not {{ regime.name }}_in_free_tier
            as {{ regime.name }}_billable,
        -- a message charged only because its monthly free tier was used up says so
        {{ final_reason(regime, "", regime.name ~ "_in_free_tier") }} as {{ regime.name }}_final_reason
        {{- "," if not loop.last }}
{%- endfor %}
    from tiered
)
{%- endmacro %}
