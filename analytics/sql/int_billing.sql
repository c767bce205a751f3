-- placeholder: replaced by the pricing work (issue 4)
select
    message_id,
    null::varchar as market,
    null::varchar as currency,
    null::varchar as regime,
    false as billable,
    null::varchar as charge_unit,
    null::varchar as conversation_id,
    null::decimal(18, 6) as estimated_cost
from int_outbound
