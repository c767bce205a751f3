-- The columns every reader groups or filters on are never null.
select message_id, business_number, contact, sent_at, kind, status, in_window,
    marketing_opt_out_warning
from message_facts
where message_id is null
    or business_number is null
    or contact is null
    or sent_at is null
    or kind is null
    or status is null
    or in_window is null
    or marketing_opt_out_warning is null
    or (kind = 'template' and opt_in_active is null)
