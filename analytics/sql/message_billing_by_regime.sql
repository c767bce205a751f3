-- One row per outbound message with its price under every regime of the registry, in columns
-- <regime>_<field> (a jinja2 template over the registry, like int_regime_verdicts).
-- message_billing is the same data in one row per message and regime (a view over this
-- table); message_facts takes the columns of the regime in force and daily_costs adds them
-- up, so every regime's price is computed and written once per message.
-- message_facts is a view over this table too: its own columns (the care window, compliance
-- and Meta's verdict, from int_outbound) are stored here, left out of this table's view
-- (stored_only in the .toml), so that the wamid and every column the two share are written
-- once, and no second wide table of every outbound message is written at all.
-- The rules (sql/regimes/) say what each regime would charge; this step does what is the same
-- for all of them: the monthly free tiers, the volume tier's rate (int_volume_tier_rates),
-- the rate card in force, the cost and the final reason. Conversations come named (the wamid
-- of the message that opened each) from the chain walk: a lookup here hashed 100 million
-- wamids per conversation regime and, at 14 GB of memory, spilled every verdict row with them.
{% from "macros/card_rates.sql" import priced_at_card_rates -%}
{% from "macros/charged_messages.sql" import charged_messages -%}
-- verdicts, deliveries, tiered and charged: the free tiers applied (macros/charged_messages.sql)
with {{ charged_messages(regimes, chunked) }},
{%- for regime in regimes if regime.volume_tiers %}

-- the volume tier's rate where the month was numbered (int_volume_tier_rates)
volume_rates_{{ regime.name }} as (
    select message_key, rate, rate_card
    from int_volume_tier_rates
    where regime = '{{ regime.name }}'
{%- if chunked %}
        and send_month between $chunk_first and $chunk_last
{%- endif %}
),
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

-- message_facts' own columns: the care window, compliance verdict and Meta's own pricing
-- verdict of every message, and the template category the catalogue gives where the log has
-- none (docs/rules.md)
outbound as (
    select
        int_outbound.message_key,
        int_outbound.contact,
        int_outbound.group_id,
        int_outbound.sent_at,
        int_outbound.kind,
        int_outbound.template_name,
        coalesce(int_outbound.template_category, template_categories.catalogue_category)
            as template_category,
        case
            when int_outbound.kind <> 'template' then null
            when int_outbound.template_category is not null then 'log'
            when template_categories.catalogue_category is not null then 'catalogue'
            else 'missing'
        end as template_category_source,
        int_outbound.status,
        int_outbound.in_window,
        int_outbound.window_closes_at,
        int_outbound.opt_in_active,
        int_outbound.violation,
        int_outbound.marketing_opt_out_warning,
        int_outbound.meta_billable,
        int_outbound.meta_pricing_type,
        int_outbound.meta_category,
        int_outbound.waba_id,
        int_outbound.type,
        int_outbound.window_opened_at,
        int_outbound.last_inbound_at
    from int_outbound
    left join (select message_key, catalogue_category from int_template_categories)
        as template_categories using (message_key)
{%- if chunked %}
    -- about the chunk's months (two days' margin for any time zone: the inner join with the
    -- chunk's messages below keeps exactly them): a filter on the column itself, which DuckDB
    -- counts on, so that the join holds these narrow rows, not the chunk's wide priced ones
    where int_outbound.sent_at >= $chunk_first::timestamptz - interval 2 days
        and int_outbound.sent_at
            < ($chunk_last + interval 1 month)::timestamptz + interval 2 days
{%- endif %}
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
        group_totals.{{ regime.name }}_chargeable_deliveries,
{%- endfor %}
        -- message_facts' own columns (stored only: this table's view leaves them out)
        outbound.* exclude (message_key)
    from priced
    left join group_totals on group_totals.message_key = priced.message_key
    join outbound on outbound.message_key = priced.message_key
)

select * from final
