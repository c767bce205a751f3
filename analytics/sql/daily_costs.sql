-- Per day (in the business time zone), business number, market, priced category and currency:
-- outbound messages, chargeable messages and estimated cost under the regime in force and
-- under every regime. Reports read these few rows instead of every message, so rendering time
-- does not grow with the messages; analysts can sum them along any of the dimensions.
-- `currency` is the message's currency under the regime in force (null when it is free there).
with parameters as (
    select business_time_zone from rebuild_parameters
),

facts as (
    select
        timezone(parameters.business_time_zone, facts.sent_at)::date as day,
        facts.*
    from message_facts as facts
    cross join parameters
),

final as (
    select
        day,
        business_number,
        market,
        priced_category,
        currency,
        count(*) as outbound_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        count_if(billable and estimated_cost is null) as cost_unknown_messages,
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
    from facts
    group by all
)

select * from final
