-- One row per (outbound message, regime) for every regime: an unpivot of message_facts'
-- per-regime columns, kept as a view because five physical copies would cost more than the
-- rest of the rebuild.
with facts as (
    select * from message_facts
),

final as (
    select message_id, 'session_2019' as regime, billable_session_2019 as billable,
        conversation_id_session_2019 as conversation_id,
        estimated_cost_session_2019 as estimated_cost
    from facts
    union all
    select message_id, 'conversation_2022', billable_conversation_2022,
        conversation_id_conversation_2022, estimated_cost_conversation_2022
    from facts
    union all
    select message_id, 'conversation_2023', billable_conversation_2023,
        conversation_id_conversation_2023, estimated_cost_conversation_2023
    from facts
    union all
    select message_id, 'per_message_2025', billable_per_message_2025,
        conversation_id_per_message_2025, estimated_cost_per_message_2025
    from facts
    union all
    select message_id, 'per_message_2026_10', billable_per_message_2026_10,
        conversation_id_per_message_2026_10, estimated_cost_per_message_2026_10
    from facts
)

select * from final
