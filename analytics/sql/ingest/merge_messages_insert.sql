-- Store the batch's messages that were not stored yet.
insert into messages by name
select
    b.* exclude (rows_in_file),
    $source_file as source_file,
    $loaded_at::timestamptz as loaded_at
from message_batch as b
anti join messages as m on m.message_id = b.message_id and m.direction = b.direction
