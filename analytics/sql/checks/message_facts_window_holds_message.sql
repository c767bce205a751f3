-- The window a message names exists, belongs to its thread and was open when it was sent.
select
    facts.message_id,
    facts.sent_at,
    facts.window_id,
    care_windows.opened_at,
    care_windows.closes_at
from message_facts as facts
left join care_windows using (window_id)
where facts.window_id is not null
    and (
        care_windows.window_id is null
        or care_windows.business_number <> facts.business_number
        or care_windows.contact <> facts.contact
        or facts.sent_at < care_windows.opened_at
        or facts.sent_at >= care_windows.closes_at
    )
