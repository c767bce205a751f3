-- A conversation is charged at most once: only the message that opened it carries the charge.
select regime, conversation_id, count(*) as charged_messages
from message_billing
where conversation_id is not null and billable
group by regime, conversation_id
having count(*) > 1
