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
        message_id, meta_billable, meta_pricing_type, meta_category, meta_pricing_model,
        meta_pricing_subtype
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
        meta.meta_pricing_subtype,
        facts.expected_meta_pricing_type as estimated_pricing_type,
        regimes.pricing_model as estimated_pricing_model,
        -- Meta's newer words, compared as what carewindow prices: group messages (group_*,
        -- free_group_customer_service) as their one-to-one kind; marketing_lite as marketing;
        -- authentication-international (hyphen or underscore) at the authentication rate
        -- (see docs); a free entry point's referral_conversion is the category Meta gives
        -- every message inside one
        case
            when lower(meta.meta_category) = 'referral_conversion'
                and facts.expected_meta_pricing_type = 'free_entry_point'
                then facts.priced_category
            else regexp_replace(
                case replace(lower(meta.meta_category), '-', '_')
                    when 'marketing_lite' then 'marketing'
                    when 'authentication_international' then 'authentication'
                    else replace(lower(meta.meta_category), '-', '_')
                end,
                '^group_', ''
            )
        end as meta_category_compared,
        case lower(meta.meta_pricing_type)
            when 'free_group_customer_service' then 'free_customer_service'
            else lower(meta.meta_pricing_type)
        end as meta_pricing_type_compared
    from facts
    join meta using (message_id)
    join pricing_regimes as regimes using (regime)
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
                        and estimated_pricing_type <> meta_pricing_type_compared
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
        meta_pricing_subtype,
        estimated_pricing_type,
        len(disagreeing_parts) = 0 as agrees,
        nullif(array_to_string(disagreeing_parts, ', '), '') as disagreement
    from judged
)

select * from final
