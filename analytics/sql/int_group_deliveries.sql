-- Groups: every delivery carewindow knows of an outbound group message (group_deliveries),
-- keyed like int_outbound, with what pricing it needs. Meta charges a billable group message
-- "each time [it] is delivered to someone in the group", "at the going ... rate for each
-- recipient's country calling code" (Meta, "Groups API Pricing"): so each delivery has the
-- market of its participant on the send date (int_market_contacts, as a one-to-one customer's),
-- and counts as delivered when its own status is delivered or read.
with parameters as (
    select business_time_zone from rebuild_parameters
),

sends as (
    select message_key, message_id, group_id, sent_at
    from int_outbound
    where group_id is not null
),

deliveries as (
    select
        sends.message_key,
        sends.message_id,
        sends.group_id,
        deliveries.participant,
        -- resolved like a one-to-one customer (int_customer_contacts): its market follows
        -- the number
        coalesce(customers.customer, deliveries.participant) as customer,
        deliveries.participant_user_id,
        timezone(parameters.business_time_zone, sends.sent_at)::date as send_date,
        -- a log row without a status is a delivery, as a message without one is
        coalesce(deliveries.status, 'delivered') as status,
        deliveries.meta_billable,
        deliveries.meta_pricing_type,
        deliveries.meta_category,
        deliveries.meta_pricing_model,
        deliveries.meta_pricing_subtype
    from sends
    join group_deliveries as deliveries using (message_id)
    cross join parameters
    left join int_customer_contacts as customers on customers.contact = deliveries.participant
),

final as (
    select
        deliveries.* exclude (customer),
        deliveries.status in ('delivered', 'read') as delivered,
        markets.market
    from deliveries
    left join int_market_contacts as prefixes on prefixes.contact = deliveries.customer
    left join markets
        on markets.prefix = prefixes.prefix
        and deliveries.send_date >= markets.valid_from
        and (markets.valid_to is null or deliveries.send_date < markets.valid_to)
)

select * from final
