-- Store the good identity changes of `parsed_identity_changes` not stored yet (a system message
-- is one change, whichever file repeats it); returns how many were new.
insert into identity_changes by name
select
    message_id, changed_at, business_number, waba_id, change, previous_contact, contact,
    previous_user_id, user_id,
    coalesce(line, 0) as source_line,
    $source_file as source_file,
    $loaded_at::timestamptz as loaded_at
from parsed_identity_changes
where reason is null
qualify row_number() over (partition by message_id order by line) = 1
    and message_id not in (select message_id from identity_changes)
