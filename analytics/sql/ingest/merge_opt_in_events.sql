-- Store the file's good ledger events that are not stored yet (same contact, instant, event,
-- scope and number = the same event).
insert into opt_in_events by name
with good as (
    select distinct on (contact, event_at, event, scope, coalesce(business_number, ''))
        contact, event_at, event, scope, business_number, source, line as source_line
    from parsed_ledger
    where reason is null
    order by contact, event_at, event, scope, coalesce(business_number, ''), line
)

select
    g.*,
    $source_file as source_file,
    $loaded_at::timestamptz as loaded_at
from good as g
anti join opt_in_events as e
    on e.contact = g.contact and e.event_at = g.event_at and e.event = g.event
    and e.scope = g.scope and coalesce(e.business_number, '') = coalesce(g.business_number, '')
