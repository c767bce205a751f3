-- Every inbound message of a thread is counted in exactly one of its care windows. A message
-- naming its customer by another identity (a BSUID, an old number) counts in the customer's
-- thread (customer_identities); a message in a group counts in the group's.
with identities as (
    select distinct names.identity, customer_identities.customer
    from customer_identities,
        unnest([contact, user_id, previous_contact, previous_user_id]) as names(identity)
    where names.identity is not null and names.identity <> customer_identities.customer
),

inbound as (
    select
        messages.business_number,
        coalesce(messages.group_id, identities.customer, messages.contact) as contact,
        count(*) as inbound_messages
    from messages
    left join identities on identities.identity = messages.contact
    where messages.direction = 'inbound'
    group by all
),

windows as (
    select business_number, contact, sum(inbound_messages) as inbound_messages
    from care_windows
    group by business_number, contact
)

select
    business_number,
    contact,
    inbound.inbound_messages as inbound_messages,
    windows.inbound_messages as counted_in_care_windows
from inbound
full join windows using (business_number, contact)
where inbound.inbound_messages is distinct from windows.inbound_messages
