-- Store the file's deliveries not stored yet; returns how many.
insert into group_deliveries by name
select
    b.*,
    $source_file as source_file,
    $loaded_at::timestamptz as loaded_at
from group_delivery_batch as b
anti join group_deliveries as d on d.message_id = b.message_id and d.participant = b.participant
