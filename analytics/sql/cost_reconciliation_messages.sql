-- The messages behind cost_reconciliation's per-message cells, where status webhooks carried
-- Meta's own verdict: one row per delivered message priced per message, with the cell the
-- estimate puts it in and the cell Meta's status put it in (pricing.category, pricing.type).
-- To list a differing cell's messages:
--   select * from cost_reconciliation_messages
--   where day = '2026-05-04' and business_number = '31201234567' and country = 'NL'
--     and 'marketing' in (estimated_category, meta_category) and not same_cell
{% from "macros/contact_countries.sql" import contact_countries -%}
-- A group message has one row per participant it reached (`participant`), in that
-- participant's country, with that delivery's estimate and Meta's verdict on it.
with regimes as (
    select regime from pricing_regimes where charge_unit = 'message'
),

delivered as (
    select facts.*
    from message_facts as facts
    semi join regimes using (regime)
    where facts.delivered
),

facts as (
    select
        * exclude (deliveries),
        null::varchar as participant,
        contact as country_of
    from delivered
    where deliveries is null
    union all by name
    select
        delivered.* exclude (
            deliveries, billable, billing_reason, estimated_cost, meta_category,
            meta_pricing_type
        ),
        billing.billable,
        billing.billing_reason,
        billing.estimated_cost,
        deliveries.meta_category,
        deliveries.meta_pricing_type,
        billing.participant,
        billing.participant as country_of
    from delivered
    join group_delivery_billing as billing using (message_id)
    left join group_deliveries as deliveries using (message_id, participant)
    where delivered.deliveries is not null and billing.delivered
),

-- the country of every contact, as Meta names it (macros/contact_countries.sql): a group
-- delivery's is its participant's
{{ contact_countries("(select country_of as contact from facts)") }},

final as (
    select
        timezone('UTC', facts.sent_at)::date as day,
        facts.business_number,
        contact_countries.country,
        facts.message_id,
        facts.contact,
        facts.participant,
        facts.sent_at,
        facts.template_name,
        facts.priced_category as estimated_category,
        case
            when facts.billing_reason = 'free_entry_point' then 'free_entry_point'
            when facts.billable then 'regular'
            else 'free_customer_service'
        end as estimated_type,
        facts.estimated_cost,
        lower(facts.meta_category) as meta_category,
        lower(facts.meta_pricing_type) as meta_type,
        facts.meta_category is not null as meta_pricing_known,
        -- a group delivery's words (group_marketing, free_group_customer_service) name the
        -- same cell as their one-to-one kind
        facts.priced_category = regexp_replace(lower(facts.meta_category), '^group_', '')
            and estimated_type = replace(lower(facts.meta_pricing_type), 'free_group_', 'free_')
            as same_cell
    from facts
    left join contact_countries on contact_countries.contact = facts.country_of
)

select * from final
