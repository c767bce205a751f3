-- The outbound messages that broke a rule (docs/rules.md, Compliance flags): session outside a
-- window, or a template outside a window without an active opt-in.
select *
from message_facts
where violation is not null
