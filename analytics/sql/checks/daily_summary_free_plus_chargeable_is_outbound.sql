-- Each outbound message of a day is either free or chargeable; undelivered ones are free.
select
    day, business_number, outbound_messages, free_messages, chargeable_messages,
    not_delivered_messages
from daily_summary
where free_messages + chargeable_messages <> outbound_messages
    or free_messages < 0
    or not_delivered_messages > free_messages
    or in_window + outside_window <> outbound_messages
