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
    select message_key, 'per_message_2025' as regime, market,
        priced_template_category as category, send_date
    from verdicts
    where billable_per_message_2025
    union all
    select message_key, 'per_message_2026_10', market,
        case when kind = 'template' then priced_template_category else 'utility' end,
        send_date
    from verdicts
    where billable_per_message_2026_10
),

tiered_billable as (
    -- the account, month and send order of the few messages in tiered markets only
    select
        billable.*,
        messages.account_id,
        messages.send_month,
        messages.sent_at,
        messages.message_id
    from billable
    semi join tiered using (market, category)
    join int_pricing_messages as messages using (message_key)
),

counted as (
    select
        tiered_billable.*,
        row_number() over (
            partition by regime, account_id, market, category, send_month
            order by sent_at, message_id
        ) - 1 as charged_before_in_month
    from tiered_billable
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
