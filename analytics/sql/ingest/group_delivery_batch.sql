-- The deliveries of outbound group messages among a file's good rows (parsed_messages: a
-- group status naming its participant, or a log row with a participant), one row per
-- (message_id, participant): the furthest status (sent < delivered < read < failed, as for
-- messages), when it was reported, and Meta's verdict from the furthest status that carried
-- one. The message itself is merged into `messages` like any other.
with deliveries as (
    select
        *,
        status_rank(participant_status) as status_rank
    from parsed_messages
    where reason is null and direction = 'outbound' and group_id is not null
        and participant is not null
),

final as (
    select
        message_id,
        participant,
        min(group_id) as group_id,
        min(business_number) as business_number,
        max(participant_user_id) as participant_user_id,
        max(participant_parent_user_id) as participant_parent_user_id,
        -- a log row without a status is a delivery (as for messages)
        arg_max(
            coalesce(participant_status, 'delivered'),
            status_rank * 100000000000 + coalesce(epoch(status_at), 0)::bigint
        ) as status,
        max(status_at) as status_at,
        max({
            priority: (meta_billable is not null)::bigint * 1000000000000
                + status_rank * 100000000000 + coalesce(epoch(status_at), 0)::bigint,
            meta: {
                meta_billable: meta_billable, meta_pricing_type: meta_pricing_type,
                meta_category: meta_category, meta_pricing_model: meta_pricing_model,
                meta_pricing_subtype: meta_pricing_subtype
            }
        }).meta as meta,
        min(origin) as origin,
        min(coalesce(line, 0)) as source_line
    from deliveries
    group by message_id, participant
)

select
    message_id,
    participant,
    group_id,
    business_number,
    participant_user_id,
    participant_parent_user_id,
    status,
    status_at,
    meta.meta_billable,
    meta.meta_pricing_type,
    meta.meta_category,
    meta.meta_pricing_model,
    meta.meta_pricing_subtype,
    origin,
    source_line
from final
