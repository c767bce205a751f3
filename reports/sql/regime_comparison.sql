-- Messages in force, chargeable, cost-unknown and cost per period, pricing regime and currency.
-- Reads daily_costs (days, not messages), then unpivots the handful of aggregate rows.
with by_day as (
    -- the four measures of each regime: in_force_<regime>, chargeable_<regime>, ...
    select
        day,
        currency,
        sum(columns(lambda c: regexp_full_match(
            c, '(in_force|chargeable|cost|unknown)_(session|conversation|per_message)_.*'
        )))
    from daily_costs
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
