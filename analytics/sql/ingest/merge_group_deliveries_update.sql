-- Fold a file's deliveries (temp table `group_delivery_batch`) into the stored ones, so that any
-- load order gives the same row: the furthest status wins, Meta's verdict comes from the latest
-- status that carried one, a BSUID any copy names is kept.
{% from "macros/meta_verdicts.sql" import newer_meta_verdict -%}
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
{{ newer_meta_verdict("d", "b") }}
from group_delivery_batch as b
where d.message_id = b.message_id and d.participant = b.participant
