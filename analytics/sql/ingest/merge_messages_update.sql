-- Fold a file's batch into messages already stored, so that any load order gives the same row.
-- The facts (time, parties, type, template, referral) come whole from the preferred row: a
-- message log or inbound webhook row before a status alone, a known type before 'unknown',
-- then the earliest send time (and the smallest facts on a tie). A status-only message is first
-- seen at its earliest status. The furthest status wins; Meta's pricing comes from the latest
-- status that carried it. source_file and source_line follow the facts: they name the copy the
-- stored facts come from.
{% from "macros/meta_verdicts.sql" import newer_meta_verdict -%}
update messages as m
set
    sent_at = case
        when u.chosen.status_only then least(u.stored_sent_at, u.sent_at)
        else u.chosen.sent_at
    end,
    business_number = u.chosen.business_number,
    contact = u.chosen.contact,
    group_id = u.chosen.group_id,
    type = u.chosen.type,
    template_name = u.chosen.template_name,
    template_category = u.chosen.template_category,
    referral_source = u.chosen.referral_source,
    origin = u.chosen.origin,
    source_file = case when u.chosen.from_batch then $source_file else m.source_file end,
    source_line = case when u.chosen.from_batch then u.source_line else m.source_line end,
    waba_id = coalesce(u.chosen.waba_id, m.waba_id, u.waba_id),
    phone_number_id = coalesce(u.chosen.phone_number_id, m.phone_number_id, u.phone_number_id),
    status = case
        when status_rank(u.status) > status_rank(m.status)
            then u.status
        else m.status
    end,
    status_at = greatest(m.status_at, u.status_at),
    -- a copy that names the customer's BSUID links it to the stored message
    contact_user_id = coalesce(m.contact_user_id, u.contact_user_id),
    contact_parent_user_id = coalesce(m.contact_parent_user_id, u.contact_parent_user_id),
    contact_username = coalesce(u.contact_username, m.contact_username),
{{ newer_meta_verdict("m", "u") }},
    meta_conversation_id = coalesce(u.meta_conversation_id, m.meta_conversation_id),
    meta_conversation_origin = coalesce(u.meta_conversation_origin, m.meta_conversation_origin)
from (
    select
        b.*,
        s.sent_at as stored_sent_at,
        least(
            {
                status_only: ends_with(s.origin, '_status'), unknown_type: s.type = 'unknown',
                sent_at: s.sent_at, business_number: s.business_number, contact: s.contact,
                group_id: s.group_id, type: s.type, template_name: s.template_name,
                template_category: s.template_category, referral_source: s.referral_source,
                waba_id: s.waba_id, phone_number_id: s.phone_number_id, origin: s.origin,
                from_batch: false
            },
            {
                status_only: ends_with(b.origin, '_status'), unknown_type: b.type = 'unknown',
                sent_at: b.sent_at, business_number: b.business_number, contact: b.contact,
                group_id: b.group_id, type: b.type, template_name: b.template_name,
                template_category: b.template_category, referral_source: b.referral_source,
                waba_id: b.waba_id, phone_number_id: b.phone_number_id, origin: b.origin,
                from_batch: true
            }
        ) as chosen
    from message_batch as b
    join messages as s on s.message_id = b.message_id and s.direction = b.direction
) as u
where m.message_id = u.message_id and m.direction = u.direction
