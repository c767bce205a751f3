-- Our estimate against Meta's own verdict from status webhooks, message by message, for every
-- outbound message that carries Meta pricing. Under conversation-based pricing Meta marks each
-- message of a conversation billable unless the conversation is free by kind (free entry point,
-- service from 2024-11-01), even inside the monthly free tier; expected_meta_billable follows
-- that convention, so the free tier never shows as a disagreement.
with facts as (
    select * from message_facts
),

meta as (
    select
        message_id, meta_billable, meta_pricing_type, meta_category, meta_pricing_model
    from messages
    where direction = 'outbound' and meta_billable is not null
),

compared as (
    select
        facts.message_id,
        facts.business_number,
        facts.contact,
        facts.sent_at,
        facts.regime,
        facts.expected_meta_billable as estimated_billable,
        meta.meta_billable,
        facts.priced_category as estimated_category,
        meta.meta_category,
        meta.meta_pricing_type,
        meta.meta_pricing_model,
        facts.expected_meta_pricing_type as estimated_pricing_type,
        case
            when facts.regime like 'conversation%' then 'CBP'
            when facts.regime like 'per_message%' then 'PMP'
        end as estimated_pricing_model,
        -- carewindow does not price these variants separately (see README)
        case lower(meta.meta_category)
            when 'marketing_lite' then 'marketing'
            when 'authentication_international' then 'authentication'
            else lower(meta.meta_category)
        end as meta_category_compared
    from facts
    join meta using (message_id)
),

judged as (
    select
        *,
        list_filter(
            [
                case when estimated_billable is distinct from meta_billable
                    then 'billable' end,
                case when meta_category_compared is not null
                        and estimated_category is distinct from meta_category_compared
                    then 'category' end,
                case when meta_pricing_type is not null and estimated_pricing_type is not null
                        and estimated_pricing_type <> lower(meta_pricing_type)
                    then 'pricing type' end,
                case when meta_pricing_model is not null and estimated_pricing_model is not null
                        and estimated_pricing_model <> upper(meta_pricing_model)
                    then 'pricing model' end
            ],
            lambda part: part is not null
        ) as disagreeing_parts
    from compared
),

final as (
    select
        message_id,
        business_number,
        contact,
        sent_at,
        regime,
        estimated_billable,
        meta_billable,
        estimated_category,
        meta_category,
        meta_pricing_type,
        meta_pricing_model,
        estimated_pricing_type,
        len(disagreeing_parts) = 0 as agrees,
        nullif(array_to_string(disagreeing_parts, ', '), '') as disagreement
    from judged
)

select * from final
