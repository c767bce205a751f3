-- One row per outbound message: its care window, opt-in and compliance verdict, its price under
-- the regime in force (and under every regime, for what-if comparison), and Meta's own pricing
-- verdict where a status webhook carried one. A free message costs 0; a billable one without a
-- rate costs null (cost_known false), never a silent 0.
with verdicts as (
    select * from int_pricing_verdicts
),

outbound as (
    -- the care window and compliance verdict of every message
    select * from int_outbound
),

meta_pricing as (
    -- Meta's own verdict. Read here rather than carried through int_outbound: its two ASOF
    -- joins cost more per column than this one join does
    select message_id, meta_billable, meta_pricing_type, meta_category
    from messages
    where direction = 'outbound'
),

single_rates as (
    -- the base rate (tier_from 0) of each market, category and day
    select market, category, send_date, rate, currency
    from int_pricing_rates
    where tier_from = 0
),

per_regime as (
    select
        verdicts.*,
        outbound.* exclude (message_id, sent_at, kind, delivered),
        meta_pricing.* exclude (message_id),
        case when billable_session_2019 then rates_2019.rate else 0 end
            as estimated_cost_session_2019,
        case when billable_conversation_2022 then rates_2022.rate else 0 end
            as estimated_cost_conversation_2022,
        case when billable_conversation_2023 then rates_2023.rate else 0 end
            as estimated_cost_conversation_2023,
        case
            when not billable_per_message_2025 then 0
            when tiers_2025.message_id is not null then tiers_2025.rate
            else rates_2019.rate
        end as estimated_cost_per_message_2025,
        case
            when not billable_per_message_2026_10 then 0
            when tiers_2026_10.message_id is not null then tiers_2026_10.rate
            else rates_2026_10.rate
        end as estimated_cost_per_message_2026_10,
        case when billable_session_2019 then rates_2019.currency end as currency_session_2019,
        case when billable_conversation_2022 then rates_2022.currency end
            as currency_conversation_2022,
        case when billable_conversation_2023 then rates_2023.currency end
            as currency_conversation_2023,
        case when billable_per_message_2025
            then coalesce(tiers_2025.currency, rates_2019.currency) end
            as currency_per_message_2025,
        case when billable_per_message_2026_10
            then coalesce(tiers_2026_10.currency, rates_2026_10.currency) end
            as currency_per_message_2026_10
    from verdicts
    -- priced here rather than in a separate billing table: every temp table is a full write
    join outbound using (message_id)
    left join meta_pricing using (message_id)
    -- session_2019 and per_message_2025 both charge at the priced template category
    -- (rate_category_* are equal), so one join prices both
    left join single_rates as rates_2019
        on rates_2019.market = verdicts.market
        and rates_2019.category = verdicts.rate_category_session_2019
        and rates_2019.send_date = verdicts.send_date
    left join single_rates as rates_2022
        on rates_2022.market = verdicts.market
        and rates_2022.category = verdicts.rate_category_conversation_2022
        and rates_2022.send_date = verdicts.send_date
    left join single_rates as rates_2023
        on rates_2023.market = verdicts.market
        and rates_2023.category = verdicts.rate_category_conversation_2023
        and rates_2023.send_date = verdicts.send_date
    left join single_rates as rates_2026_10
        on rates_2026_10.market = verdicts.market
        and rates_2026_10.category = verdicts.rate_category_per_message_2026_10
        and rates_2026_10.send_date = verdicts.send_date
    left join int_pricing_volume_tiers as tiers_2025
        on tiers_2025.message_id = verdicts.message_id
        and tiers_2025.regime = 'per_message_2025'
    left join int_pricing_volume_tiers as tiers_2026_10
        on tiers_2026_10.message_id = verdicts.message_id
        and tiers_2026_10.regime = 'per_message_2026_10'
),

in_force as (
    -- the regime in force on the send date picks one of the five verdicts
    select
        *,
        case regime
            when 'session_2019' then billable_session_2019
            when 'conversation_2022' then billable_conversation_2022
            when 'conversation_2023' then billable_conversation_2023
            when 'per_message_2025' then billable_per_message_2025
            when 'per_message_2026_10' then billable_per_message_2026_10
        end as billable,
        case regime
            when 'conversation_2022' then conversation_id_conversation_2022
            when 'conversation_2023' then conversation_id_conversation_2023
        end as conversation_id,
        case regime
            when 'session_2019' then estimated_cost_session_2019
            when 'conversation_2022' then estimated_cost_conversation_2022
            when 'conversation_2023' then estimated_cost_conversation_2023
            when 'per_message_2025' then estimated_cost_per_message_2025
            when 'per_message_2026_10' then estimated_cost_per_message_2026_10
        end as estimated_cost,
        case regime
            when 'session_2019' then currency_session_2019
            when 'conversation_2022' then currency_conversation_2022
            when 'conversation_2023' then currency_conversation_2023
            when 'per_message_2025' then currency_per_message_2025
            when 'per_message_2026_10' then currency_per_message_2026_10
        end as currency,
        case regime
            when 'session_2019' then category_session_2019
            when 'conversation_2022' then category_conversation_2022
            when 'conversation_2023' then category_conversation_2023
            when 'per_message_2025' then category_per_message_2025
            when 'per_message_2026_10' then category_per_message_2026_10
        end as priced_category,
        case regime
            when 'session_2019' then expected_meta_billable_session_2019
            when 'conversation_2022' then expected_meta_billable_conversation_2022
            when 'conversation_2023' then expected_meta_billable_conversation_2023
            when 'per_message_2025' then billable_per_message_2025
            when 'per_message_2026_10' then billable_per_message_2026_10
        end as expected_meta_billable
    from per_regime
),

final as (
    select
        message_id,
        business_number,
        contact,
        sent_at,
        kind,
        template_name,
        template_category,
        status,
        window_id,
        in_window,
        window_closes_at,
        opt_in_active,
        violation,
        marketing_opt_out_warning,
        market,
        currency,
        regime,
        billable,
        case
            when not billable then null
            when regime like 'conversation%' then 'conversation'
            else 'message'
        end as charge_unit,
        conversation_id,
        estimated_cost,
        priced_category,
        category_missing,
        estimated_cost is not null as cost_known,
        expected_meta_billable,
        -- what Meta's per-message webhooks say in pricing.type
        case
            when regime not like 'per_message%' or not delivered then null
            when in_free_entry_point then 'free_entry_point'
            when billable then 'regular'
            else 'free_customer_service'
        end as expected_meta_pricing_type,
        billable_session_2019,
        conversation_id_session_2019,
        estimated_cost_session_2019,
        billable_conversation_2022,
        conversation_id_conversation_2022,
        estimated_cost_conversation_2022,
        billable_conversation_2023,
        conversation_id_conversation_2023,
        estimated_cost_conversation_2023,
        billable_per_message_2025,
        conversation_id_per_message_2025,
        estimated_cost_per_message_2025,
        billable_per_message_2026_10,
        conversation_id_per_message_2026_10,
        estimated_cost_per_message_2026_10,
        meta_billable,
        meta_pricing_type,
        meta_category,
        waba_id,
        type,
        delivered,
        window_opened_at,
        last_inbound_at
    from in_force
)

select * from final
