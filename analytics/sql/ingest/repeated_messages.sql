-- Whether a direct load just inserted ($source_file at $loaded_at) a message twice, or one that
-- an earlier load stored. Keys are compared as 64-bit hashes, far cheaper than the texts: two
-- different messages sharing a hash (a few chances in a million for a file of a million rows
-- against a hundred million stored)
-- only send the file through the exact merging path (message_batch, merge_messages_*) too.
with stored as (
    select
        hash(message_id, direction) as message_hash,
        loaded_at = $loaded_at::timestamptz and source_file = $source_file as is_new
    from messages
),

new_messages as (
    select message_hash from stored where is_new
),

repeated_in_file as (
    select count(*) - count(distinct message_hash) as messages from new_messages
),

stored_before as (
    select count(*) as messages
    from new_messages as n
    semi join stored as s on s.message_hash = n.message_hash and not s.is_new
)

select repeated_in_file.messages > 0 or stored_before.messages > 0
from repeated_in_file, stored_before
