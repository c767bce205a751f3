-- What a file's batch (temp table `message_batch`) changes in messages already stored, counted
-- before merge_messages_update applies it: messages that get a further status, and messages
-- that get Meta's pricing (new, or from a later status), by the same rules as that update.
with changes as (
    select
        status_rank(b.status) > status_rank(s.status) as newer_status,
        b.meta_billable is not null
            and (s.meta_billable is null or b.status_at >= s.status_at)
            and {
                billable: b.meta_billable, pricing_type: b.meta_pricing_type,
                category: b.meta_category, model: b.meta_pricing_model
            } is distinct from {
                billable: s.meta_billable, pricing_type: s.meta_pricing_type,
                category: s.meta_category, model: s.meta_pricing_model
            } as new_pricing
    from message_batch as b
    join messages as s on s.message_id = b.message_id and s.direction = b.direction
)

select
    count(*) filter (where newer_status or new_pricing) as updated,
    count(*) filter (where newer_status) as newer_status,
    count(*) filter (where new_pricing) as new_pricing
from changes
