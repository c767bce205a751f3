-- Every inbound message of a thread is counted in exactly one of its care windows.
with inbound as (
    select business_number, contact, count(*) as inbound_messages
    from messages
    where direction = 'inbound'
    group by business_number, contact
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
