-- Volume tiers (regimes with volume_tiers): where the card in force has more than one tier for
-- a market and category, a chargeable message's rate depends on how many messages of that
-- category Meta already charged in that market this calendar month, across every business
-- account (Meta counts the portfolio). Only the months that reach a market's first tier
-- boundary are numbered: in the others every message has the first tier's rate, exactly as
-- the numbering would give. A charged delivery of a group message is one of them
-- (int_group_delivery_billing prices it); the group message's own row here is not.
-- Output: one row per volume-tier regime and message priced one by one, chargeable in a
-- numbered month: its rate and rate card there. message_billing_by_regime joins it by key.
-- A step of its own: computed inside message_billing_by_regime's statement, joining these rates
-- back by key cost more than computing them (10M messages with the tier boundaries divided by
-- 10, 2026-12-06: 23.9 s in one statement, 2.4 s here and 13.8 s there in two).
{% from "macros/card_rates.sql" import volume_tier_rates -%}
{% from "macros/charged_messages.sql" import charged_messages -%}
{%- set tiered_regimes = regimes | selectattr("volume_tiers") | list -%}
with {{ charged_messages(regimes, chunked) }},

tier_starts as (
    select market, category as rate_category, min(tier_from) as first_tier_from
    from int_pricing_rates
    where tier_from > 0
    group by market, category
),
{%- for regime in tiered_regimes %}

-- The months that could reach a boundary, counted before the free tiers (which only take
-- messages away from the count): the free tiers are applied to these months' messages alone,
-- and to none when no month comes near a boundary (10 million messages reach none).
candidate_months_{{ regime.name }} as (
    select market, rate_category, send_month
    from (
        select market, {{ regime.name }}_rate_category as rate_category, send_month
        from verdicts
        where delivered and {{ regime.name }}_charge_candidate and not priced_per_delivery
        union all
        select market, {{ regime.name }}_rate_category, send_month
        from deliveries
        where {{ regime.name }}_billable
    ) as candidates
    join tier_starts using (market, rate_category)
    group by market, rate_category, send_month
    having count(*) > any_value(tier_starts.first_tier_from)
),

counted_{{ regime.name }} as not materialized (
    select
        message_key, send_month, market, {{ regime.name }}_rate_category as rate_category,
        send_date, sent_at, message_id, '' as participant
    from charged
    semi join candidate_months_{{ regime.name }} as months
        on months.market = charged.market
        and months.rate_category = charged.{{ regime.name }}_rate_category
        and months.send_month = charged.send_month
    where {{ regime.name }}_billable and not priced_per_delivery
    union all
    select
        null, send_month, market, {{ regime.name }}_rate_category, send_date, sent_at,
        message_id, participant
    from deliveries
    where {{ regime.name }}_billable
),

-- the deliveries' rates are int_group_delivery_billing's
{{ volume_tier_rates(regime, ["message_key", "send_month"], "counted.message_key is not null") }}
{%- endfor %}

final as (
{%- for regime in tiered_regimes %}
    select
        '{{ regime.name }}' as regime, message_key, send_month, rate, rate_card
    from volume_rates_{{ regime.name }}
    {{- "\n    union all" if not loop.last }}
{%- else %}
    -- no regime of the registry has volume tiers
    select
        null::varchar as regime, null::bigint as message_key, null::date as send_month,
        null::decimal(18, 6) as rate, null::varchar as rate_card
    where false
{%- endfor %}
)

select * from final
