-- Our estimate against Meta's own verdict from status webhooks, message by message, for every
-- outbound message that carries Meta pricing. Under conversation-based pricing Meta marks each
-- message of a conversation billable unless the conversation is free by kind (free entry point,
-- service from 2024-11-01), even inside the monthly free tier; expected_meta_billable follows
-- that convention, so the free tier never shows as a disagreement.
-- Groups: Meta gives its verdict per delivery (one status per participant, group_deliveries),
-- so a group message is compared delivery by delivery (`participant` names it) with the
-- estimate for that delivery (group_delivery_billing), exactly like a one-to-one message.
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

one_to_one as (
    select
        facts.message_id,
        null::varchar as participant,
        facts.business_number,
        facts.contact,
        facts.sent_at,
        facts.regime,
        facts.expected_meta_billable as estimated_billable,
        facts.priced_category as estimated_category,
        facts.expected_meta_pricing_type as estimated_pricing_type,
        meta.* exclude (message_id)
    from facts
    join meta using (message_id)
    -- the same messages meta keeps (message_facts carries their meta_billable): filtered on
    -- the stored column, the view computes the regime in force's columns for these alone
    where facts.meta_billable is not null
),

group_deliveries_compared as (
    select
        facts.message_id,
        deliveries.participant,
        facts.business_number,
        facts.contact,
        facts.sent_at,
        facts.regime,
        billing.expected_meta_billable as estimated_billable,
        billing.priced_category as estimated_category,
        -- what Meta's status says in pricing.type for this delivery (per-message regimes)
        case
            when regimes.pricing_model <> 'PMP' or not billing.delivered then null
            when billing.in_free_entry_point then 'free_entry_point'
            when billing.billable then 'regular'
            else 'free_customer_service'
        end as estimated_pricing_type,
        deliveries.meta_billable,
        deliveries.meta_pricing_type,
        deliveries.meta_category,
        deliveries.meta_pricing_model,
        deliveries.meta_pricing_subtype
    from group_deliveries as deliveries
    join group_delivery_billing as billing using (message_id, participant)
    join facts using (message_id)
    join pricing_regimes as regimes on regimes.regime = facts.regime
    where deliveries.meta_billable is not null
),

compared as (
    select
        verdicts.message_id,
        verdicts.participant,
        verdicts.business_number,
        verdicts.contact,
        verdicts.sent_at,
        verdicts.regime,
        verdicts.estimated_billable,
        verdicts.meta_billable,
        verdicts.estimated_category,
        verdicts.meta_category,
        verdicts.meta_pricing_type,
        verdicts.meta_pricing_model,
        verdicts.meta_pricing_subtype,
        verdicts.estimated_pricing_type,
        regimes.pricing_model as estimated_pricing_model,
        -- Meta's newer words, compared as what carewindow prices: group messages (group_*,
        -- free_group_customer_service) as their one-to-one kind; marketing_lite as marketing;
        -- authentication-international (hyphen or underscore) at the authentication rate
        -- (see docs); a free entry point's referral_conversion is the category Meta gives
        -- every message inside one
        case
            when lower(verdicts.meta_category) = 'referral_conversion'
                and verdicts.estimated_pricing_type = 'free_entry_point'
                then verdicts.estimated_category
            else regexp_replace(
                case replace(lower(verdicts.meta_category), '-', '_')
                    when 'marketing_lite' then 'marketing'
                    when 'authentication_international' then 'authentication'
                    else replace(lower(verdicts.meta_category), '-', '_')
                end,
                '^group_', ''
            )
        end as meta_category_compared,
        case lower(verdicts.meta_pricing_type)
            when 'free_group_customer_service' then 'free_customer_service'
            else lower(verdicts.meta_pricing_type)
        end as meta_pricing_type_compared
    from (
        select * from one_to_one
        union all by name
        select * from group_deliveries_compared
    ) as verdicts
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
        participant,
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
