-- Every link between a customer's identities that carewindow has seen: each distinct
-- (phone number, BSUID) a message names, with the parent BSUID and username that came with it
-- and when and where it was first seen, and each identity change from Meta's system messages.
-- `customer` is the contact the derived tables show for it (resolved_identities(), in
-- analytics/sql/macros/customer_identities.sql). A customer known by a phone number alone has
-- no row: it is simply itself.
with resolved as (
    select identity, customer from resolved_identities()
),

named as (
    select
        case when contact <> contact_user_id then contact end as contact,
        contact_user_id as user_id,
        max(contact_parent_user_id) as parent_user_id,
        arg_max(contact_username, sent_at) filter (where contact_username is not null)
            as username,
        arg_min(message_id, sent_at) as first_message_id,
        min(sent_at) as first_seen_at,
        max(sent_at) as last_seen_at,
        count(*) as messages
    from messages
    where contact_user_id is not null
    group by all
),

from_messages as (
    select
        resolved.customer,
        named.contact,
        named.user_id,
        named.parent_user_id,
        named.username,
        'message' as link,
        null::varchar as previous_contact,
        null::varchar as previous_user_id,
        named.first_message_id,
        named.first_seen_at,
        named.last_seen_at,
        named.messages
    from named
    join resolved on resolved.identity = named.user_id
),

from_changes as (
    select
        resolved.customer,
        changes.contact,
        changes.user_id,
        null::varchar as parent_user_id,
        null::varchar as username,
        changes.change as link,
        changes.previous_contact,
        changes.previous_user_id,
        changes.message_id as first_message_id,
        changes.changed_at as first_seen_at,
        changes.changed_at as last_seen_at,
        0::bigint as messages
    from identity_changes as changes
    join resolved on resolved.identity = coalesce(changes.user_id, changes.contact)
),

final as (
    select * from from_messages
    union all
    select * from from_changes
)

select * from final
order by customer, first_seen_at, link
