-- billing_reason is one of the codes docs/rules.md explains, and says chargeable (or
-- beyond_free_tier: charged because the month's free tier was used up) exactly when the message
-- is billable, under every regime.
select message_id, regime, billable, billing_reason
from message_billing
where billing_reason not in (
        'not_delivered', 'inside_customer_service_window', 'free_entry_point', 'free_tier',
        'in_open_conversation', 'service_free', 'chargeable', 'beyond_free_tier'
    )
    or (billing_reason in ('chargeable', 'beyond_free_tier')) <> billable
