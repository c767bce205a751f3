-- Summed over the days, daily_summary counts every message of each business number once.
with summary as (
    select
        business_number,
        sum(inbound_messages) as inbound_messages,
        sum(outbound_messages) as outbound_messages
    from daily_summary
    group by business_number
),

messages_by_number as (
    select
        business_number,
        count_if(direction = 'inbound') as inbound_messages,
        count_if(direction = 'outbound') as outbound_messages
    from messages
    group by business_number
)

select
    business_number,
    messages_by_number.inbound_messages,
    summary.inbound_messages as summary_inbound_messages,
    messages_by_number.outbound_messages,
    summary.outbound_messages as summary_outbound_messages
from messages_by_number
full join summary using (business_number)
where summary.inbound_messages is distinct from messages_by_number.inbound_messages
    or summary.outbound_messages is distinct from messages_by_number.outbound_messages
