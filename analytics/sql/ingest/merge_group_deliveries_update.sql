-- Fold a file's deliveries (temp table `group_delivery_batch`) into the stored ones, so that any
-- load order gives the same row: the furthest status wins, Meta's verdict comes from the latest
-- status that carried one, a BSUID any copy names is kept.
update group_deliveries as d
set
    status = case
        when status_rank(b.status) > status_rank(d.status)
            then b.status
        else d.status
    end,
    status_at = greatest(d.status_at, b.status_at),
    participant_user_id = coalesce(d.participant_user_id, b.participant_user_id),
    participant_parent_user_id = coalesce(d.participant_parent_user_id,
        b.participant_parent_user_id),
    meta_billable = case when b.meta_billable is not null
        and (d.meta_billable is null or b.status_at >= d.status_at)
        then b.meta_billable else d.meta_billable end,
    meta_pricing_type = case when b.meta_billable is not null
        and (d.meta_billable is null or b.status_at >= d.status_at)
        then b.meta_pricing_type else d.meta_pricing_type end,
    meta_category = case when b.meta_billable is not null
        and (d.meta_billable is null or b.status_at >= d.status_at)
        then b.meta_category else d.meta_category end,
    meta_pricing_model = case when b.meta_billable is not null
        and (d.meta_billable is null or b.status_at >= d.status_at)
        then b.meta_pricing_model else d.meta_pricing_model end,
    meta_pricing_subtype = case when b.meta_billable is not null
        and (d.meta_billable is null or b.status_at >= d.status_at)
        then b.meta_pricing_subtype else d.meta_pricing_subtype end
from group_delivery_batch as b
where d.message_id = b.message_id and d.participant = b.participant
