-- The outbound messages that broke a rule of SPEC 1.3: session outside a window, or a template
-- outside a window without an active opt-in.
select *
from message_facts
where violation is not null
