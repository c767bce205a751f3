-- Store a file's good messages when none of them is stored yet or repeated in the file.
insert into messages by name
select
    message_id, direction, sent_at, business_number, contact, type, template_name,
    template_category, status, status_at, referral_source, waba_id, phone_number_id,
    meta_billable, meta_pricing_type, meta_category, meta_pricing_model, meta_pricing_subtype,
    meta_conversation_id, meta_conversation_origin, origin,
    contact_user_id, contact_parent_user_id, contact_username,
    coalesce(line, 0) as source_line,
    $source_file as source_file,
    $loaded_at::timestamptz as loaded_at
from parsed_messages
where reason is null
