-- The synthetic message log in the canonical columns (config.CANONICAL_COLUMNS), in generation
-- order (customer by customer, each customer's messages in time order). Username customers are
-- named by their BSUID too: macro customer_names.
with generated as (
    select
        *,
        customer_names(seed, contact, sent_at) as names
    from generated_messages
),

final as (
    select
        message_id,
        strftime(sent_at, '%Y-%m-%dT%H:%M:%SZ') as "timestamp",
        direction,
        business_number,
        names.contact as contact,
        type,
        template_name,
        template_category,
        status,
        referral_source,
        waba_id,
        -- the column is empty where a message named no BSUID, or the BSUID alone in contact
        case when names.contact <> names.user_id then names.user_id end as contact_user_id
    from generated
)

select * from final
