-- One row per outbound message: its care window, opt-in and compliance verdict, its price
-- under every regime of the registry (by_regime, a struct of one struct per regime) and under
-- the regime in force on its send date (the flat columns), and Meta's own pricing verdict where
-- a status webhook carried one. A free message costs 0; a billable one without a rate costs
-- null (cost_known false), never a silent 0. A jinja2 template over the registry.
-- message_billing_by_regime (flat <regime>_<field> columns) and message_billing (one row per
-- message and regime) are views over this table, so every regime's price is written once per
-- message, and nothing here joins two per-message tables: the verdicts carry every column of
-- int_outbound this table shows (int_pricing_messages passes them on), so the care window,
-- compliance verdict and price of a message arrive in one row.
-- The rules (sql/regimes/) say what each regime would charge; this step does what is the same
-- for all of them: the monthly free tiers, the volume tiers, the rate card in force, the
-- cost and the final reason. Conversations come named (the wamid of the message that opened
-- each) from the chain walk: a lookup here hashed 100 million wamids per conversation regime
-- and, at 14 GB of memory, spilled every verdict row with them.
{%- set fields = ["billable", "billing_reason", "conversation_id", "priced_category",
    "rate_category", "estimated_cost", "cost_known", "rate_card", "expected_meta_billable"] %}
{%- macro in_force(field) %}
            case regime_in_force
{%- for regime in regimes %}
                when '{{ regime.name }}' then {{ regime.name }}_{{ field }}
{%- endfor %}
            end
{%- endmacro %}
with verdicts as not materialized (
    select * from int_regime_verdicts
),

-- Monthly free tiers ("the first 1,000 a month are free"): each (owner, month)'s last free
-- (sent_at, id) is found by a top-N aggregate (a small heap per month) rather than a window
-- numbering every member, which would sort them all; what comes after it is charged.
{%- for regime in regimes %}

last_free_{{ regime.name }} as (
    -- null when the tier is 0: nothing is free
    select
        {{ regime.name }}_free_tier_owner as free_tier_owner,
        send_month,
        case when any_value({{ regime.name }}_free_tier_size) > 0 then
            list_max(min(
                {'sent_at': sent_at, 'id': message_id},
                greatest({{ regime.name }}_free_tier_size, 1)
            ))
        end as last_free
    from verdicts
    where {{ regime.name }}_free_tier_owner is not null
    group by {{ regime.name }}_free_tier_owner, send_month
),
{%- endfor %}

tiered as not materialized (
    -- whether each regime's monthly free tier covers the message (read twice with charged:
    -- recomputed rather than stored, since each read is a scan with small hash joins)
    select
        verdicts.*,
{%- for regime in regimes %}
        coalesce(
            {'sent_at': verdicts.sent_at, 'id': verdicts.message_id}
                <= free_{{ regime.name }}.last_free,
            false
        ) as {{ regime.name }}_in_free_tier
        {{- "," if not loop.last }}
{%- endfor %}
    from verdicts
{%- for regime in regimes %}
    left join last_free_{{ regime.name }} as free_{{ regime.name }}
        on free_{{ regime.name }}.free_tier_owner = verdicts.{{ regime.name }}_free_tier_owner
        and free_{{ regime.name }}.send_month = verdicts.send_month
{%- endfor %}
),

charged as not materialized (
    select
        *,
{%- for regime in regimes %}
        delivered and {{ regime.name }}_charge_candidate and not {{ regime.name }}_in_free_tier
            as {{ regime.name }}_billable,
        case
            when {{ regime.name }}_charge_candidate and {{ regime.name }}_in_free_tier
                then 'free_tier'
            else {{ regime.name }}_billing_reason
        end as {{ regime.name }}_final_reason
        {{- "," if not loop.last }}
{%- endfor %}
    from tiered
),

-- Volume tiers (regimes with volume_tiers): where the card in force has more than one tier
-- for a market and category, a chargeable message's rate depends on how many messages of that
-- category Meta already charged in that market this calendar month, across every business
-- account (Meta counts the portfolio). Only the months that reach a market's first tier
-- boundary are numbered: in the others every message has the first tier's rate.
tier_starts as (
    select market, category as rate_category, min(tier_from) as first_tier_from
    from int_pricing_rates
    where tier_from > 0
    group by market, category
),
{%- for regime in regimes if regime.volume_tiers %}

volume_months_{{ regime.name }} as (
    select charged.market, charged.{{ regime.name }}_rate_category as rate_category,
        charged.send_month
    from charged
    join tier_starts
        on tier_starts.market = charged.market
        and tier_starts.rate_category = charged.{{ regime.name }}_rate_category
    where charged.{{ regime.name }}_billable
    group by charged.market, charged.{{ regime.name }}_rate_category, charged.send_month
    having count(*) > any_value(tier_starts.first_tier_from)
),

volume_rates_{{ regime.name }} as (
    select
        counted.message_key,
        int_pricing_rates.rate,
        int_pricing_rates.rate_card
    from (
        select
            charged.message_key,
            charged.market,
            charged.{{ regime.name }}_rate_category as rate_category,
            charged.send_date,
            row_number() over (
                partition by charged.market, charged.{{ regime.name }}_rate_category,
                    charged.send_month
                order by charged.sent_at, charged.message_id
            ) - 1 as charged_before_in_month
        from charged
        semi join volume_months_{{ regime.name }} as months
            on months.market = charged.market
            and months.rate_category = charged.{{ regime.name }}_rate_category
            and months.send_month = charged.send_month
        where charged.{{ regime.name }}_billable
    ) as counted
    asof join int_pricing_rates
        on counted.market = int_pricing_rates.market
        and counted.rate_category = int_pricing_rates.category
        and counted.send_date = int_pricing_rates.send_date
        and counted.charged_before_in_month >= int_pricing_rates.tier_from
),
{%- endfor %}

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
        -- the volume tier's rate where the month was numbered, else the first tier's
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
        and base_{{ regime.name }}.rate_category = charged.{{ regime.name }}_rate_category
        and base_{{ regime.name }}.send_date = charged.send_date
{%- if regime.volume_tiers %}
    left join volume_rates_{{ regime.name }} as volume_{{ regime.name }}
        on volume_{{ regime.name }}.message_key = charged.message_key
{%- endif %}
{%- endfor %}
),

regime_columns as (
    -- every regime's final fields, under the names of message_billing_by_regime
    select
        * replace (
{%- for regime in regimes %}
            {{ regime.name }}_final_reason as {{ regime.name }}_billing_reason,
            coalesce({{ regime.name }}_expected_meta_billable, {{ regime.name }}_billable)
                as {{ regime.name }}_expected_meta_billable
            {{- "," if not loop.last }}
{%- endfor %}
        ),
{%- for regime in regimes %}
        -- a free message costs 0; a chargeable one without a rate costs null, never 0
        case when {{ regime.name }}_billable then {{ regime.name }}_rate else 0 end
            as {{ regime.name }}_estimated_cost,
        not {{ regime.name }}_billable or {{ regime.name }}_rate is not null
            as {{ regime.name }}_cost_known
        {{- "," if not loop.last }}
{%- endfor %}
    from priced
),

final as (
    select
        message_id,
        business_number,
        contact,
        sent_at,
        kind,
        template_name,
        template_category,
        template_category_source,
        status,
        -- named as care_windows names it: the thread and the instant the window opened
        case
            when window_opened_at is not null
                then business_number || ':' || contact || ':'
                    || floor(epoch(window_opened_at))::bigint
        end as window_id,
        in_window,
        window_closes_at,
        opt_in_active,
        violation,
        marketing_opt_out_warning,
        market,
        -- every rate is in the billing currency (int_pricing_rates reads no other card): the
        -- currency of a priced message; free or unpriced: null
        case
            when {{ in_force('billable') }} and {{ in_force('estimated_cost') }} is not null
                then (select business_currency from rebuild_parameters)
        end as currency,
        regime_in_force as regime,
        {{ in_force('billable') }} as billable,
        {{ in_force('billing_reason') }} as billing_reason,
        case regime_in_force
{%- for regime in regimes %}
            when '{{ regime.name }}' then
                case when {{ regime.name }}_billable then '{{ regime.charge_unit }}' end
{%- endfor %}
        end as charge_unit,
        {{ in_force('conversation_id') }} as conversation_id,
        {{ in_force('estimated_cost') }} as estimated_cost,
        {{ in_force('rate_card') }} as rate_card,
        {{ in_force('priced_category') }} as priced_category,
        category_missing,
        {{ in_force('cost_known') }} as cost_known,
        {{ in_force('expected_meta_billable') }} as expected_meta_billable,
        -- what Meta's per-message status webhooks say in pricing.type (PMP regimes)
        case regime_in_force
{%- for regime in regimes if regime.pricing_model == "PMP" %}
            when '{{ regime.name }}' then
                case
                    when not delivered then null
                    when in_free_entry_point then 'free_entry_point'
                    when {{ regime.name }}_billable then 'regular'
                    else 'free_customer_service'
                end
{%- endfor %}
        end as expected_meta_pricing_type,
        meta_billable,
        meta_pricing_type,
        meta_category,
        waba_id,
        type,
        delivered,
        window_opened_at,
        last_inbound_at,
        send_date,
        in_free_entry_point,
        (select business_currency from rebuild_parameters) as billing_currency,
        -- every regime's price (message_billing_by_regime and message_billing show it flat)
        {
{%- for regime in regimes %}
            '{{ regime.name }}': {
{%- for field in fields %}
                '{{ field }}': {{ regime.name }}_{{ field }}{{ "," if not loop.last }}
{%- endfor %}
            }{{ "," if not loop.last }}
{%- endfor %}
        } as by_regime
    from regime_columns
)

select * from final
