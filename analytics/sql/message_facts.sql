-- One row per outbound message: its care window, opt-in and compliance verdict, its price
-- under the regime in force on its send date (every regime's price is in message_billing), and
-- Meta's own pricing verdict where a status webhook carried one. A free message costs 0; a
-- billable one without a rate costs null (cost_known false), never a silent 0.
-- A jinja2 template over the registry: in_force(field) picks the column of the regime in force
-- from message_billing_by_regime's one row per message.
{%- macro in_force(field) %}
            case billing.regime_in_force
{%- for regime in regimes %}
                when '{{ regime.name }}' then billing.{{ regime.name }}_{{ field }}
{%- endfor %}
            end
{%- endmacro %}
with outbound as (
    -- the care window, compliance verdict and Meta's own pricing verdict of every message
    select * from int_outbound
),

billing as (
    -- the regime in force's columns only: the join below holds (hashes) one side of 100
    -- million rows at that size, and every column picked here rather than after it is one
    -- column less in that table (five regimes' columns would be most of it)
    select
        billing.message_key,
        billing.market,
        billing.regime_in_force,
        billing.category_missing,
        case
            when {{ in_force('billable') }} and {{ in_force('estimated_cost') }} is not null
                then billing.currency
        end as currency,
        {{ in_force('billable') }} as billable,
        {{ in_force('billing_reason') }} as billing_reason,
        case billing.regime_in_force
{%- for regime in regimes %}
            when '{{ regime.name }}' then
                case when billing.{{ regime.name }}_billable then '{{ regime.charge_unit }}' end
{%- endfor %}
        end as charge_unit,
        {{ in_force('conversation_id') }} as conversation_id,
        {{ in_force('estimated_cost') }} as estimated_cost,
        {{ in_force('rate_card') }} as rate_card,
        {{ in_force('priced_category') }} as priced_category,
        {{ in_force('cost_known') }} as cost_known,
        {{ in_force('expected_meta_billable') }} as expected_meta_billable,
        -- groups: deliveries known, and chargeable (a message priced as one: 1 or 0)
        billing.deliveries,
        coalesce({{ in_force('chargeable_deliveries') }},
            ({{ in_force('billable') }})::bigint) as chargeable_deliveries,
        -- what Meta's per-message status webhooks say in pricing.type (PMP regimes)
        case billing.regime_in_force
{%- for regime in regimes if regime.pricing_model == "PMP" %}
            when '{{ regime.name }}' then
                case
                    when not billing.delivered then null
                    when billing.in_free_entry_point then 'free_entry_point'
                    when billing.{{ regime.name }}_billable then 'regular'
                    else 'free_customer_service'
                end
{%- endfor %}
        end as expected_meta_pricing_type
    -- the stored table (analytics/storage.py): joined on its integer key, which the public
    -- view leaves out; its short texts are codes, read back as text
    from storage.message_billing_by_regime as billing
),

final as (
    select
        outbound.message_id,
        outbound.business_number,
        outbound.contact,
        outbound.group_id,
        outbound.sent_at,
        outbound.kind,
        outbound.template_name,
        -- the log's category, else the template catalogue's at send time (docs/rules.md)
        coalesce(outbound.template_category, template_categories.catalogue_category)
            as template_category,
        case
            when outbound.kind <> 'template' then null
            when outbound.template_category is not null then 'log'
            when template_categories.catalogue_category is not null then 'catalogue'
            else 'missing'
        end as template_category_source,
        outbound.status,
        -- named as care_windows names it, from the thread and the instant the window opened:
        -- not stored, the public view builds it from those columns ([step.derived] in
        -- message_facts.toml; a wamid-sized text is the costliest kind of column to write)
        null::varchar as window_id,
        outbound.in_window,
        outbound.window_closes_at,
        outbound.opt_in_active,
        outbound.violation,
        outbound.marketing_opt_out_warning,
        billing.market,
        billing.currency,
        billing.regime_in_force as regime,
        billing.billable,
        billing.billing_reason,
        billing.charge_unit,
        billing.conversation_id,
        billing.estimated_cost,
        billing.rate_card,
        billing.priced_category,
        billing.category_missing,
        billing.cost_known,
        billing.expected_meta_billable,
        billing.expected_meta_pricing_type,
        billing.deliveries,
        billing.chargeable_deliveries,
        outbound.meta_billable,
        outbound.meta_pricing_type,
        outbound.meta_category,
        outbound.waba_id,
        outbound.type,
        outbound.delivered,
        outbound.window_opened_at,
        outbound.last_inbound_at
    from outbound
    -- the narrow side (the regime in force's columns) is the one held
    join billing using (message_key)
    left join (select message_key, catalogue_category from int_template_categories)
        as template_categories using (message_key)
)

select * from final
