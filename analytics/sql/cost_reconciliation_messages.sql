-- The messages behind cost_reconciliation's per-message cells, where status webhooks carried
-- Meta's own verdict: one row per delivered message priced per message, with the cell the
-- estimate puts it in and the cell Meta's status put it in (pricing.category, pricing.type).
-- To list a differing cell's messages:
--   select * from cost_reconciliation_messages
--   where day = '2026-05-04' and business_number = '31201234567' and country = 'NL'
--     and 'marketing' in (estimated_category, meta_category) and not same_cell
{% from "macros/contact_countries.sql" import contact_countries -%}
with regimes as (
    select regime from pricing_regimes where charge_unit = 'message'
),

facts as (
    select facts.*
    from message_facts as facts
    semi join regimes using (regime)
    where facts.delivered
),

-- the country of every contact, as Meta names it (macros/contact_countries.sql)
{{ contact_countries("facts") }},

final as (
    select
        timezone('UTC', facts.sent_at)::date as day,
        facts.business_number,
        contact_countries.country,
        facts.message_id,
        facts.contact,
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
        facts.priced_category = lower(facts.meta_category)
            and estimated_type = lower(facts.meta_pricing_type) as same_cell
    from facts
    left join contact_countries using (contact)
)

select * from final
