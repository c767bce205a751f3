-- Store a file's good messages when none of them is stored yet or repeated in the file.
insert into messages by name
select
    message_id, direction, sent_at, business_number, contact, group_id, type, template_name,
    template_category, status, status_at, referral_source, waba_id, phone_number_id,
    -- Meta's verdict on one delivery of a group message is that delivery's (group_deliveries)
    case when participant is null then meta_billable end as meta_billable,
    case when participant is null then meta_pricing_type end as meta_pricing_type,
    case when participant is null then meta_category end as meta_category,
    case when participant is null then meta_pricing_model end as meta_pricing_model,
    case when participant is null then meta_pricing_subtype end as meta_pricing_subtype,
    meta_conversation_id, meta_conversation_origin, origin,
    contact_user_id, contact_parent_user_id, contact_username,
    coalesce(line, 0) as source_line,
    $source_file as source_file,
    $loaded_at::timestamptz as loaded_at
from parsed_messages
where reason is null
