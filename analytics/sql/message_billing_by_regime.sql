-- One row per outbound message with its price under every regime of the registry, in columns
-- <regime>_<field> (a jinja2 template over the registry, like int_regime_verdicts).
-- message_billing is the same data in one row per message and regime (a view over this
-- table); message_facts takes the columns of the regime in force and daily_costs adds them
-- up, so every regime's price is computed and written once per message.
-- The rules (sql/regimes/) say what each regime would charge; this step does what is the same
-- for all of them: the monthly free tiers, the volume tiers, the rate card in force, the
-- cost and the final reason. Conversations come named (the wamid of the message that opened
-- each) from the chain walk: a lookup here hashed 100 million wamids per conversation regime
-- and, at 14 GB of memory, spilled every verdict row with them.
{% from "macros/card_rates.sql" import priced_at_card_rates, volume_tier_rates -%}
{% from "macros/free_tiers.sql" import in_free_tier, free_tier_joins, final_reason -%}
with verdicts as not materialized (
    select * from int_regime_verdicts
{%- if chunked %}
    -- written in chunks of months (analytics/chunks.py): every tier counts within a month
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
    -- whether each regime's monthly free tier covers the message (read twice with charged:
    -- recomputed rather than stored, since each read is a scan with small hash joins)
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
),

-- Volume tiers (regimes with volume_tiers): where the card in force has more than one tier
-- for a market and category, a chargeable message's rate depends on how many messages of that
-- category Meta already charged in that market this calendar month, across every business
-- account (Meta counts the portfolio). Only the months that reach a market's first tier
-- boundary are numbered: in the others every message has the first tier's rate. A charged
-- delivery of a group message is one of them (int_group_delivery_billing prices it); the
-- group message's own row here is not.
tier_starts as (
    select market, category as rate_category, min(tier_from) as first_tier_from
    from int_pricing_rates
    where tier_from > 0
    group by market, category
),
{%- for regime in regimes if regime.volume_tiers %}

counted_{{ regime.name }} as not materialized (
    select
        message_key, market, {{ regime.name }}_rate_category as rate_category, send_month,
        send_date, sent_at, message_id, '' as participant
    from charged
    where {{ regime.name }}_billable and not priced_per_delivery
    union all
    select
        null, market, {{ regime.name }}_rate_category, send_month, send_date, sent_at,
        message_id, participant
    from deliveries
    where {{ regime.name }}_billable
),

-- the deliveries' rates are int_group_delivery_billing's
{{ volume_tier_rates(regime, ["message_key"], "counted.message_key is not null") }}
{%- endfor %}

{{ priced_at_card_rates(regimes, ["message_key"]) }},

-- A group message priced per delivery: the sum of its deliveries (int_group_delivery_billing):
-- chargeable when any delivery is, its cost their costs (unknown when one chargeable delivery
-- has no rate), its reason the one that says most about the charge (beyond_free_tier, then
-- chargeable, free_tier, a free delivery's reason, not_delivered), its market the one its
-- participants share (null when they are in several: group_delivery_billing has each).
group_totals as (
    select
        message_key,
        count(*) as deliveries,
        case when count(distinct market) = 1 and count(market) = count(*) then min(market) end
            as market,
{%- for regime in regimes %}
        bool_or({{ regime.name }}_billable) as {{ regime.name }}_billable,
        count_if({{ regime.name }}_billable)::bigint as {{ regime.name }}_chargeable_deliveries,
        min({
            'rank': case {{ regime.name }}_billing_reason when 'beyond_free_tier' then 0
                when 'chargeable' then 1 when 'free_tier' then 2 when 'not_delivered' then 4
                else 3 end,
            'reason': {{ regime.name }}_billing_reason
        }).reason as {{ regime.name }}_billing_reason,
        -- a sum of rates keeps the rates' type (decimal(18,6), the public column's), not the
        -- wider one DuckDB gives a sum
        case when bool_and({{ regime.name }}_cost_known)
            then sum({{ regime.name }}_estimated_cost)::decimal(18, 6) end
            as {{ regime.name }}_estimated_cost,
        bool_and({{ regime.name }}_cost_known) as {{ regime.name }}_cost_known,
        min({{ regime.name }}_rate_card) as {{ regime.name }}_rate_card,
        bool_or({{ regime.name }}_expected_meta_billable)
            as {{ regime.name }}_expected_meta_billable{{ "," if not loop.last }}
{%- endfor %}
    from deliveries
    group by message_key
),

{%- macro priced_or_group(field) -%}
case when group_totals.message_key is null then priced.{{ field }}
            else group_totals.{{ field }} end
{%- endmacro %}

final as (
    select
        priced.message_key,
        priced.message_id,
        priced.send_date,
        priced.business_number,
        {{ priced_or_group("market") }} as market,
        priced.regime_in_force,
        priced.category_missing,
        priced.delivered,
        priced.in_free_entry_point,
        -- every rate is in the billing currency (int_pricing_rates reads no other card), so
        -- a regime's currency is this one where it priced the message (message_billing)
        (select business_currency from rebuild_parameters) as currency,
        -- a group message priced per delivery: how many deliveries carewindow knows; null
        -- for a message priced as one
        group_totals.deliveries,
{%- for regime in regimes %}
        {{ priced_or_group(regime.name ~ "_billable") }} as {{ regime.name }}_billable,
        case when group_totals.message_key is null then priced.{{ regime.name }}_final_reason
            else group_totals.{{ regime.name }}_billing_reason end
            as {{ regime.name }}_billing_reason,
        priced.{{ regime.name }}_conversation_id,
        priced.{{ regime.name }}_priced_category,
        priced.{{ regime.name }}_rate_category,
        -- a free message costs 0; a chargeable one without a rate costs null, never 0
        case
            when group_totals.message_key is not null
                then group_totals.{{ regime.name }}_estimated_cost
            when priced.{{ regime.name }}_billable then priced.{{ regime.name }}_rate
            else 0
        end as {{ regime.name }}_estimated_cost,
        case
            when group_totals.message_key is not null
                then group_totals.{{ regime.name }}_cost_known
            else not priced.{{ regime.name }}_billable or priced.{{ regime.name }}_rate is not null
        end as {{ regime.name }}_cost_known,
        {{ priced_or_group(regime.name ~ "_rate_card") }} as {{ regime.name }}_rate_card,
        case
            when group_totals.message_key is not null
                then group_totals.{{ regime.name }}_expected_meta_billable
            else coalesce(priced.{{ regime.name }}_expected_meta_billable,
                priced.{{ regime.name }}_billable)
        end as {{ regime.name }}_expected_meta_billable,
        -- deliveries charged (groups); null for a message priced as one
        group_totals.{{ regime.name }}_chargeable_deliveries
        {{- "," if not loop.last }}
{%- endfor %}
    from priced
    left join group_totals on group_totals.message_key = priced.message_key
)

select * from final
