-- Fold a file's batch into messages already stored. A message log or inbound webhook row
-- replaces what a status alone had suggested; the furthest status wins; Meta's pricing comes
-- from the latest status that carried it. Otherwise the first stored facts stay.
update messages as m
set
    sent_at = case
        when m.origin = 'webhook_status' and b.origin <> 'webhook_status' then b.sent_at
        when m.origin = 'webhook_status' then least(m.sent_at, b.sent_at)
        else m.sent_at
    end,
    business_number = case
        when m.origin = 'webhook_status' and b.origin <> 'webhook_status' then b.business_number
        else m.business_number
    end,
    contact = case
        when m.origin = 'webhook_status' and b.origin <> 'webhook_status' then b.contact
        else m.contact
    end,
    type = case
        when m.origin = 'webhook_status' and b.origin <> 'webhook_status' then b.type
        when m.type = 'unknown' then b.type
        else m.type
    end,
    template_name = coalesce(m.template_name, b.template_name),
    template_category = case
        when m.origin = 'webhook_status' and b.origin <> 'webhook_status'
            then coalesce(b.template_category, m.template_category)
        else coalesce(m.template_category, b.template_category)
    end,
    status = case
        when (case b.status when 'sent' then 1 when 'delivered' then 2 when 'read' then 3
                when 'failed' then 4 else 0 end)
            > (case m.status when 'sent' then 1 when 'delivered' then 2 when 'read' then 3
                when 'failed' then 4 else 0 end)
            then b.status
        else m.status
    end,
    status_at = greatest(m.status_at, b.status_at),
    referral_source = coalesce(m.referral_source, b.referral_source),
    waba_id = coalesce(m.waba_id, b.waba_id),
    phone_number_id = coalesce(m.phone_number_id, b.phone_number_id),
    meta_billable = case when b.meta_billable is not null
        and (m.meta_billable is null or b.status_at >= m.status_at)
        then b.meta_billable else m.meta_billable end,
    meta_pricing_type = case when b.meta_billable is not null
        and (m.meta_billable is null or b.status_at >= m.status_at)
        then b.meta_pricing_type else m.meta_pricing_type end,
    meta_category = case when b.meta_billable is not null
        and (m.meta_billable is null or b.status_at >= m.status_at)
        then b.meta_category else m.meta_category end,
    meta_pricing_model = case when b.meta_billable is not null
        and (m.meta_billable is null or b.status_at >= m.status_at)
        then b.meta_pricing_model else m.meta_pricing_model end,
    meta_conversation_id = coalesce(b.meta_conversation_id, m.meta_conversation_id),
    meta_conversation_origin = coalesce(b.meta_conversation_origin, m.meta_conversation_origin),
    origin = case
        when m.origin = 'webhook_status' and b.origin <> 'webhook_status' then b.origin
        else m.origin
    end
from message_batch as b
where m.message_id = b.message_id and m.direction = b.direction
