-- Groups: every known delivery of a group message priced under every regime, the way
-- message_billing_by_regime prices a message: the monthly free tier (int_free_tiers, shared
-- with the messages priced one by one), the volume tier, the rate card in force for the
-- participant's market and the cost. message_billing_by_regime sums a group message's
-- deliveries into its one row; group_delivery_billing publishes them.
-- A jinja2 template over the registry, one column per regime and field.
{% from "macros/card_rates.sql" import priced_at_card_rates, volume_tier_rates -%}
{% from "macros/free_tiers.sql" import in_free_tier, free_tier_joins, final_reason -%}
with units as (
    select * from int_group_delivery_verdicts
),

charged as (
    select
        units.*,
{%- for regime in regimes %}
        units.delivered and units.{{ regime.name }}_charge_candidate
            and not {{ in_free_tier(regime, "units", "units.participant") }}
            as {{ regime.name }}_billable,
        -- charged only because the month's free tier was used up says so (as for messages)
        {{ final_reason(regime, "units.", in_free_tier(regime, "units", "units.participant")) }} as {{ regime.name }}_final_reason{{ "," if not loop.last }}
{%- endfor %}
    from units
    {{- free_tier_joins(regimes, "units") }}
),

tier_starts as (
    select market, category as rate_category, min(tier_from) as first_tier_from
    from int_pricing_rates
    where tier_from > 0
    group by market, category
),
{%- for regime in regimes if regime.volume_tiers %}

-- Volume tiers: Meta counts a market's charged messages of a category per month; a charged
-- delivery is one of them, among the messages priced one by one. Only the months in which
-- deliveries were charged are numbered, and of those only the ones past the first tier.
delivery_months_{{ regime.name }} as (
    select distinct market, {{ regime.name }}_rate_category as rate_category, send_month
    from charged
    where {{ regime.name }}_billable
),

counted_{{ regime.name }} as not materialized (
    select
        verdicts.market, verdicts.{{ regime.name }}_rate_category as rate_category,
        verdicts.send_month, verdicts.send_date, verdicts.sent_at, verdicts.message_id,
        '' as participant
    from int_regime_verdicts as verdicts
    semi join delivery_months_{{ regime.name }} as months
        on months.market = verdicts.market
        and months.rate_category = verdicts.{{ regime.name }}_rate_category
        and months.send_month = verdicts.send_month
    left join int_free_tiers as free_{{ regime.name }}
        on free_{{ regime.name }}.regime = '{{ regime.name }}'
        and free_{{ regime.name }}.free_tier_owner = verdicts.{{ regime.name }}_free_tier_owner
        and free_{{ regime.name }}.send_month = verdicts.send_month
    where not verdicts.priced_per_delivery
        and verdicts.delivered and verdicts.{{ regime.name }}_charge_candidate
        and not {{ in_free_tier(regime, "verdicts", "''") }}
    union all
    select
        market, {{ regime.name }}_rate_category, send_month, send_date, sent_at, message_id,
        participant
    from charged
    where {{ regime.name }}_billable
),

{{ volume_tier_rates(regime, ["message_id", "participant"], "counted.participant <> ''") }}
{%- endfor %}

{{ priced_at_card_rates(regimes, ["message_id", "participant"]) }},

final as (
    select
        message_key,
        message_id,
        group_id,
        participant,
        sent_at,
        send_date,
        send_month,
        business_number,
        market,
        regime_in_force,
        kind,
        category_missing,
        delivered,
        in_free_entry_point,
        (select business_currency from rebuild_parameters) as currency,
{%- for regime in regimes %}
        {{ regime.name }}_billable,
        {{ regime.name }}_final_reason as {{ regime.name }}_billing_reason,
        {{ regime.name }}_conversation_id,
        {{ regime.name }}_priced_category,
        {{ regime.name }}_rate_category,
        case when {{ regime.name }}_billable then {{ regime.name }}_rate else 0 end
            as {{ regime.name }}_estimated_cost,
        not {{ regime.name }}_billable or {{ regime.name }}_rate is not null
            as {{ regime.name }}_cost_known,
        {{ regime.name }}_rate_card,
        coalesce({{ regime.name }}_expected_meta_billable, {{ regime.name }}_billable)
            as {{ regime.name }}_expected_meta_billable
        {{- "," if not loop.last }}
{%- endfor %}
    from priced
)

select * from final
