-- Messages in force, chargeable, cost-unknown and cost per period, pricing regime and currency.
-- Aggregate first, then unpivot the handful of aggregate rows: unpivoting the facts themselves
-- would multiply the scanned rows by the number of regimes.
with source as (
    select timezone($time_zone, sent_at)::date as day, *
    from message_facts
),

by_day as (
    select
        day,
        currency,
        count_if(regime = 'session_2019') as in_force_session_2019,
        count_if(billable_session_2019) as chargeable_session_2019,
        sum(estimated_cost_session_2019) as cost_session_2019,
        count_if(billable_session_2019 and estimated_cost_session_2019 is null)
            as unknown_session_2019,
        count_if(regime = 'conversation_2022') as in_force_conversation_2022,
        count_if(billable_conversation_2022) as chargeable_conversation_2022,
        sum(estimated_cost_conversation_2022) as cost_conversation_2022,
        count_if(billable_conversation_2022 and estimated_cost_conversation_2022 is null)
            as unknown_conversation_2022,
        count_if(regime = 'conversation_2023') as in_force_conversation_2023,
        count_if(billable_conversation_2023) as chargeable_conversation_2023,
        sum(estimated_cost_conversation_2023) as cost_conversation_2023,
        count_if(billable_conversation_2023 and estimated_cost_conversation_2023 is null)
            as unknown_conversation_2023,
        count_if(regime = 'per_message_2025') as in_force_per_message_2025,
        count_if(billable_per_message_2025) as chargeable_per_message_2025,
        sum(estimated_cost_per_message_2025) as cost_per_message_2025,
        count_if(billable_per_message_2025 and estimated_cost_per_message_2025 is null)
            as unknown_per_message_2025,
        count_if(regime = 'per_message_2026_10') as in_force_per_message_2026_10,
        count_if(billable_per_message_2026_10) as chargeable_per_message_2026_10,
        sum(estimated_cost_per_message_2026_10) as cost_per_message_2026_10,
        count_if(billable_per_message_2026_10 and estimated_cost_per_message_2026_10 is null)
            as unknown_per_message_2026_10
    from source
    group by all
),

periods as (
    select * exclude (period_kind)
    from day_and_month_periods('by_day', ['currency'], $first_day)
),

per_regime as (
    unpivot periods
    on
        (in_force_session_2019, chargeable_session_2019, cost_session_2019,
            unknown_session_2019) as session_2019,
        (in_force_conversation_2022, chargeable_conversation_2022, cost_conversation_2022,
            unknown_conversation_2022) as conversation_2022,
        (in_force_conversation_2023, chargeable_conversation_2023, cost_conversation_2023,
            unknown_conversation_2023) as conversation_2023,
        (in_force_per_message_2025, chargeable_per_message_2025, cost_per_message_2025,
            unknown_per_message_2025) as per_message_2025,
        (in_force_per_message_2026_10, chargeable_per_message_2026_10,
            cost_per_message_2026_10, unknown_per_message_2026_10) as per_message_2026_10
    into name regime value messages_in_force, chargeable_messages, estimated_cost,
        cost_unknown_messages
),

final as (
    select period, regime, currency, messages_in_force, chargeable_messages, estimated_cost,
        cost_unknown_messages
    from per_regime
)

select * from final order by period, currency nulls last
