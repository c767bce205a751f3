-- The good message rows of one file, one row per (message_id, direction): the preferred
-- row's facts, the furthest status (sent < delivered < read < failed), and Meta's pricing from the
-- furthest status that carried it. Rows beyond the first count as duplicates.
with good as (
    select
        * replace (
            -- Meta's verdict on one delivery of a group message is that delivery's
            -- (group_deliveries), not the message's
            case when participant is null then meta_billable end as meta_billable,
            case when participant is null then meta_pricing_type end as meta_pricing_type,
            case when participant is null then meta_category end as meta_category,
            case when participant is null then meta_pricing_model end as meta_pricing_model,
            case when participant is null then meta_pricing_subtype end as meta_pricing_subtype
        ),
        status_rank(status) as status_rank
    from parsed_messages
    where reason is null
),

grouped as (
    select
        message_id,
        direction,
        count(*) as rows_in_file,
        -- a status-only message is first seen when its earliest status was reported
        min(sent_at) as earliest_sent_at,
        -- the preferred row, as when merging with stored messages (merge_messages_update):
        -- not a status alone, a known type, the earliest send time, the smallest facts
        min({
            status_only: ends_with(origin, '_status'), unknown_type: "type" = 'unknown',
            sent_at: sent_at, business_number: business_number, contact: contact,
            group_id: group_id, type: "type", template_name: template_name, template_category: template_category,
            referral_source: referral_source, waba_id: waba_id,
            phone_number_id: phone_number_id, origin: origin, source_line: coalesce(line, 0)
        }) as first_row,
        arg_max(status, status_rank * 100000000000 + coalesce(epoch(status_at), 0)::bigint)
            as status,
        max(status_at) as status_at,
        -- the BSUID any copy names (a status may name it where the log does not)
        max(contact_user_id) as contact_user_id,
        max(contact_parent_user_id) as contact_parent_user_id,
        arg_max(contact_username, coalesce(status_at, sent_at)) as contact_username,
        max({
            priority: (meta_billable is not null)::bigint * 1000000000000
                + status_rank * 100000000000 + coalesce(epoch(status_at), 0)::bigint,
            meta: {
                meta_billable: meta_billable, meta_pricing_type: meta_pricing_type,
                meta_category: meta_category, meta_pricing_model: meta_pricing_model,
                meta_pricing_subtype: meta_pricing_subtype,
                meta_conversation_id: meta_conversation_id,
                meta_conversation_origin: meta_conversation_origin
            }
        }).meta as meta
    from good
    group by message_id, direction
)

select
    message_id,
    direction,
    case when ends_with(first_row.origin, '_status') then earliest_sent_at
        else first_row.sent_at end as sent_at,
    first_row.business_number,
    first_row.contact,
    first_row.group_id,
    first_row.type,
    first_row.template_name,
    first_row.template_category,
    status,
    status_at,
    first_row.referral_source,
    first_row.waba_id,
    first_row.phone_number_id,
    meta.meta_billable,
    meta.meta_pricing_type,
    meta.meta_category,
    meta.meta_pricing_model,
    meta.meta_pricing_subtype,
    meta.meta_conversation_id,
    meta.meta_conversation_origin,
    first_row.origin,
    contact_user_id,
    contact_parent_user_id,
    contact_username,
    first_row.source_line,
    rows_in_file
from grouped
