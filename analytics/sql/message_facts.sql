-- One row per outbound message: its care window, opt-in and compliance verdict, its price under
-- the regime in force, and Meta's own pricing verdict where a status webhook carried one.
with outbound as (
    select * from int_outbound
),

billing as (
    select * from int_billing
),

meta_pricing as (
    select message_id, meta_billable, meta_pricing_type, meta_category
    from messages
    where direction = 'outbound'
),

final as (
    select
        outbound.message_id,
        outbound.business_number,
        outbound.contact,
        outbound.sent_at,
        outbound.kind,
        outbound.template_name,
        outbound.template_category,
        outbound.status,
        outbound.window_id,
        outbound.in_window,
        outbound.window_closes_at,
        outbound.opt_in_active,
        outbound.violation,
        outbound.marketing_opt_out_warning,
        -- regime, billable, charge_unit, conversation_id, market, estimated_cost, currency, ...
        billing.* exclude (message_id),
        meta_pricing.meta_billable,
        meta_pricing.meta_pricing_type,
        meta_pricing.meta_category,
        outbound.waba_id,
        outbound.type,
        outbound.delivered,
        outbound.window_opened_at,
        outbound.last_inbound_at
    from outbound
    left join billing using (message_id)
    left join meta_pricing using (message_id)
)

select * from final
