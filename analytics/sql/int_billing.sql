-- Free or chargeable, and for how much, under every regime: one row per outbound message and
-- regime. The rules (int_regime_verdicts, one file per regime under sql/regimes/) say what
-- each regime would charge; this step does what is the same for all of them, once: the
-- monthly free tiers, the volume tiers, the rate card in force, the cost, the final reason,
-- and the conversation's name (the wamid of the message that opened it).
with verdicts as not materialized (
    select * from int_regime_verdicts
),

regimes as (
    select regime, charge_unit, pricing_model, volume_tiers
    from pricing_regimes
),

-- Monthly free tiers ("the first 1,000 a month are free"): each (regime, owner, month)'s last
-- free (sent_at, id) is found by a top-N aggregate (a small heap per month) rather than a
-- window numbering every member, which would sort them all; what comes after it is charged.
last_free as (
    -- null when the tier is 0: nothing is free
    select
        regime,
        free_tier_owner,
        send_month,
        case when any_value(free_tier_size) > 0 then
            list_max(min({'sent_at': sent_at, 'id': message_id}, greatest(free_tier_size, 1)))
        end as last_free
    from verdicts
    where free_tier_owner is not null
    group by regime, free_tier_owner, send_month
),

tiered as (
    select
        verdicts.*,
        coalesce(
            {'sent_at': verdicts.sent_at, 'id': verdicts.message_id} <= last_free.last_free,
            false
        ) as in_free_tier
    from verdicts
    left join last_free using (regime, free_tier_owner, send_month)
),

charged as (
    select
        * exclude (billing_reason, in_free_tier),
        delivered and charge_candidate and not in_free_tier as billable,
        case
            when charge_candidate and in_free_tier then 'free_tier'
            else billing_reason
        end as billing_reason
    from tiered
),

-- Volume tiers (per-message regimes): where the card in force has more than one tier for a
-- market and category, a chargeable message's rate depends on how many messages of that
-- category Meta already charged in that market this calendar month, across every business
-- account (Meta counts the portfolio). Only those few messages are counted.
tiered_markets as (
    select distinct market, category as rate_category
    from int_pricing_rates
    where tier_from > 0
),

counted as (
    select
        charged.message_key,
        charged.regime,
        charged.market,
        charged.rate_category,
        charged.send_date,
        row_number() over (
            partition by charged.regime, charged.market, charged.rate_category,
                charged.send_month
            order by charged.sent_at, charged.message_id
        ) - 1 as charged_before_in_month
    from charged
    semi join regimes on regimes.regime = charged.regime and regimes.volume_tiers
    semi join tiered_markets using (market, rate_category)
    where charged.billable
),

volume_rates as (
    select
        counted.message_key,
        counted.regime,
        int_pricing_rates.rate,
        int_pricing_rates.currency,
        int_pricing_rates.rate_card
    from counted
    asof join int_pricing_rates
        on counted.market = int_pricing_rates.market
        and counted.rate_category = int_pricing_rates.category
        and counted.send_date = int_pricing_rates.send_date
        and counted.charged_before_in_month >= int_pricing_rates.tier_from
),

base_rates as (
    select market, category as rate_category, send_date, rate, currency, rate_card
    from int_pricing_rates
    where tier_from = 0
),

priced as (
    select
        charged.*,
        case when charged.billable
            then coalesce(volume_rates.rate, base_rates.rate) end as rate,
        case when charged.billable
            then coalesce(volume_rates.currency, base_rates.currency) end as currency,
        case when charged.billable
            then coalesce(volume_rates.rate_card, base_rates.rate_card) end as rate_card
    from charged
    left join volume_rates using (message_key, regime)
    left join base_rates using (market, rate_category, send_date)
),

final as (
    select
        priced.message_key,
        priced.message_id,
        priced.regime,
        priced.regime = priced.regime_in_force as in_force,
        priced.billable,
        priced.billing_reason,
        case when priced.billable then regimes.charge_unit end as charge_unit,
        priced.conversation_key,
        openers.message_id as conversation_id,
        priced.priced_category,
        priced.rate_category,
        -- a free message costs 0; a chargeable one without a rate costs null, never 0
        case when priced.billable then priced.rate else 0 end as estimated_cost,
        priced.currency,
        priced.rate_card,
        not priced.billable or priced.rate is not null as cost_known,
        coalesce(priced.expected_meta_billable, priced.billable) as expected_meta_billable,
        -- what Meta's per-message status webhooks say in pricing.type
        case
            when regimes.pricing_model is distinct from 'PMP' or not priced.delivered then null
            when priced.in_free_entry_point then 'free_entry_point'
            when priced.billable then 'regular'
            else 'free_customer_service'
        end as expected_meta_pricing_type,
        regimes.pricing_model as expected_meta_pricing_model,
        priced.send_date,
        priced.business_number,
        priced.market,
        priced.kind,
        priced.category_missing,
        priced.delivered
    from priced
    join regimes using (regime)
    left join int_pricing_messages as openers
        on openers.message_key = priced.conversation_key
)

select * from final
