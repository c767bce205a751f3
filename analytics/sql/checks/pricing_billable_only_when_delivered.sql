-- Only a delivered (or read) message can be chargeable, under any regime.
select message_billing.message_id, message_billing.regime, message_facts.status
from message_billing
join message_facts using (message_id)
where message_billing.billable and message_facts.status not in ('delivered', 'read')
