-- One row per outbound message: its care window, opt-in and compliance verdict, its price under
-- the regime in force (and under every regime, for what-if comparison), and Meta's own pricing
-- verdict where a status webhook carried one. A free message costs 0; a billable one without a
-- rate costs null (cost_known false), never a silent 0.
with day_rates as (
    -- the base rates (tier_from 0) of each market and day, keyed by category: one join then
    -- prices every regime
    select
        market,
        send_date,
        map_from_entries(list((category, {'rate': rate, 'currency': currency}))) as by_category
    from int_pricing_rates
    where tier_from = 0
    group by market, send_date
),

narrow_verdicts as (
    -- int_pricing_verdicts keeps what the per-message regimes derive from the priced
    -- template category out of its rows; it comes back here
    select
        *,
        priced_template_category as category_session_2019,
        priced_template_category as rate_category_session_2019,
        billable_session_2019 as expected_meta_billable_session_2019,
        coalesce(category_conversation_2022, priced_template_category)
            as priced_category_conversation_2022,
        coalesce(category_conversation_2023, priced_template_category)
            as priced_category_conversation_2023,
        category_conversation_2023 as rate_category_conversation_2023,
        priced_template_category as category_per_message_2025,
        priced_template_category as category_per_message_2026_10,
        case when kind = 'template' then priced_template_category else 'utility' end
            as rate_category_per_message_2026_10,
        null::varchar as conversation_id_session_2019,
        null::varchar as conversation_id_per_message_2025,
        null::varchar as conversation_id_per_message_2026_10
    from int_pricing_verdicts
),

verdicts as (
    select
        narrow_verdicts.* exclude (
            category_conversation_2022,
            category_conversation_2023,
            priced_category_conversation_2022,
            priced_category_conversation_2023
        ),
        narrow_verdicts.priced_category_conversation_2022 as category_conversation_2022,
        narrow_verdicts.priced_category_conversation_2023 as category_conversation_2023,
        -- session_2019 and per_message_2025 both charge at the priced template category
        -- (rate_category_* are equal), so rates_2019 prices both
        day_rates.by_category[narrow_verdicts.rate_category_session_2019] as rates_2019,
        day_rates.by_category[narrow_verdicts.rate_category_conversation_2022] as rates_2022,
        day_rates.by_category[narrow_verdicts.rate_category_conversation_2023] as rates_2023,
        day_rates.by_category[narrow_verdicts.rate_category_per_message_2026_10]
            as rates_2026_10
    from narrow_verdicts
    left join day_rates using (market, send_date)
),

outbound as (
    -- the care window, compliance verdict and Meta's own pricing verdict of every message
    select * from int_outbound
),

per_regime as (
    select
        verdicts.*,
        outbound.* exclude (message_key, kind),
        case when billable_session_2019 then rates_2019.rate else 0 end
            as estimated_cost_session_2019,
        case when billable_conversation_2022 then rates_2022.rate else 0 end
            as estimated_cost_conversation_2022,
        case when billable_conversation_2023 then rates_2023.rate else 0 end
            as estimated_cost_conversation_2023,
        case
            when not billable_per_message_2025 then 0
            when tiers_2025.message_key is not null then tiers_2025.rate
            else rates_2019.rate
        end as estimated_cost_per_message_2025,
        case
            when not billable_per_message_2026_10 then 0
            when tiers_2026_10.message_key is not null then tiers_2026_10.rate
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
    join outbound using (message_key)
    left join int_pricing_volume_tiers as tiers_2025
        on tiers_2025.message_key = verdicts.message_key
        and tiers_2025.regime = 'per_message_2025'
    left join int_pricing_volume_tiers as tiers_2026_10
        on tiers_2026_10.message_key = verdicts.message_key
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
