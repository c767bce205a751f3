-- The latest messages per period whose estimated pricing disagrees with Meta's, local send time.
with source as (
    select
        sent_at,
        struct_pack(
            sent_at,
            message_id,
            business_number,
            -- a group message is compared per delivery: its participant is the customer
            contact := coalesce(participant, contact),
            regime,
            regime_label := pricing_regimes.label,
            estimated_billable,
            estimated_category,
            meta_billable,
            meta_category,
            meta_pricing_type,
            meta_pricing_model,
            meta_pricing_subtype,
            disagreement
        ) as listed
    from pricing_reconciliation
    join pricing_regimes using (regime)
    where not agrees
),

final as (
    select * from latest_per_period('source', $time_zone, $first_day, $row_limit)
)

select * from final order by period, sent_at desc, message_id
