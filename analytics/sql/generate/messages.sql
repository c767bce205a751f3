-- The synthetic message log in the canonical columns of SPEC 2.1, in generation order
-- (customer by customer, each customer's messages in time order).
with generated as (
    select * from generated_messages
),

final as (
    select
        message_id,
        strftime(sent_at, '%Y-%m-%dT%H:%M:%SZ') as "timestamp",
        direction,
        business_number,
        contact,
        type,
        template_name,
        template_category,
        status,
        referral_source,
        waba_id
    from generated
)

select * from final
