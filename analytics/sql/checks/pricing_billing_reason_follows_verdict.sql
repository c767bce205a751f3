-- billing_reason is one of the codes docs/rules.md explains, and says chargeable exactly when
-- the message is billable, under every regime.
select message_id, regime, billable, billing_reason
from message_billing
where billing_reason not in (
        'not_delivered', 'inside_customer_service_window', 'free_entry_point', 'free_tier',
        'in_open_conversation', 'service_free', 'chargeable'
    )
    or (billing_reason = 'chargeable') <> billable
