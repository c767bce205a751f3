-- Volume tiers of per-message pricing: where the rate card in force has more than one tier for
-- a market and category, a billable message's rate depends on how many messages of that
-- category the business account was already charged for in that market this calendar month
-- (tier_from = that count from which the row's rate applies). Only those markets and
-- categories are counted here; everything else takes the single rate in message_facts.
with verdicts as (
    select * from int_pricing_verdicts
),

tiered as (
    select distinct market, category
    from int_pricing_rates
    where tier_from > 0
),

billable as (
    select message_id, message_key, 'per_message_2025' as regime, account_id, market,
        rate_category_per_message_2025 as category, send_date, send_month, sent_at
    from verdicts
    where billable_per_message_2025
    union all
    select message_id, message_key, 'per_message_2026_10', account_id, market,
        rate_category_per_message_2026_10, send_date, send_month, sent_at
    from verdicts
    where billable_per_message_2026_10
),

counted as (
    select
        billable.*,
        row_number() over (
            partition by regime, account_id, market, category, send_month
            order by sent_at, message_id
        ) - 1 as charged_before_in_month
    from billable
    semi join tiered using (market, category)
),

final as (
    select
        counted.message_key,
        counted.regime,
        counted.charged_before_in_month,
        int_pricing_rates.tier_from,
        int_pricing_rates.rate,
        int_pricing_rates.currency
    from counted
    asof left join int_pricing_rates
        on counted.market = int_pricing_rates.market
        and counted.category = int_pricing_rates.category
        and counted.send_date = int_pricing_rates.send_date
        and counted.charged_before_in_month >= int_pricing_rates.tier_from
)

select * from final
