-- Every outbound message appears exactly once in message_facts, and nothing else does.
with outbound as (
    select message_id, count(*) as messages
    from messages
    where direction = 'outbound'
    group by message_id
),

facts as (
    select message_id, count(*) as facts
    from message_facts
    group by message_id
)

select
    message_id,
    coalesce(outbound.messages, 0) as outbound_messages,
    coalesce(facts.facts, 0) as message_facts_rows
from outbound
full join facts using (message_id)
where coalesce(outbound.messages, 0) <> 1 or coalesce(facts.facts, 0) <> 1
