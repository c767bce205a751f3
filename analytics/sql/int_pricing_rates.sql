-- The rate card in force for every market, category and send date that occurs: the rows of
-- the latest effective_from on or before the date in the billing currency (business.currency),
-- one per volume tier. Small (markets x categories x days), so pricing each message is a hash
-- join rather than a search per message.
-- Per-message regimes charge a service message at the rows of category `service_message`:
-- the card's Service rate where the card in force gives one (Meta's cards from 2026-10-01),
-- and where it says n/a (every card before) the market's utility rate of the same card (Meta:
-- service messages are charged at the market's utility rate). A Service rate of an older card than
-- the utility rate in force is a replaced card's, not used. Conversation regimes price service
-- conversations at `service` itself.
with parameters as (
    select business_currency as currency from rebuild_parameters
),

cards as (
    select rate_cards.*
    from rate_cards
    join parameters using (currency)
),

days as (
    select distinct market, send_date
    from int_pricing_messages
    where market is not null
    -- groups: each delivery is priced at its participant's market
    union
    select distinct market, send_date
    from int_group_deliveries
    where market is not null
),

categories as (
    select distinct category
    from cards
),

card_versions as (
    select distinct market, category, effective_from
    from cards
),

in_force as (
    select
        days.market,
        categories.category,
        days.send_date,
        card_versions.effective_from
    from days
    cross join categories
    asof join card_versions
        on days.market = card_versions.market
        and categories.category = card_versions.category
        and days.send_date >= card_versions.effective_from
),

rates as (
    -- a rate loaded twice (or twice differently: see checks/pricing_rate_cards_unambiguous)
    -- must not price a message twice; the row loaded last wins
    select
        in_force.market,
        in_force.category,
        in_force.send_date,
        in_force.effective_from,
        cards.tier_from,
        arg_max(cards.rate, cards.loaded_at)::decimal(18, 6) as rate,
        arg_max(cards.currency, cards.loaded_at) as currency,
        arg_max(
            coalesce(cards.card, 'rate card effective ' || cards.effective_from::varchar)
                || case
                    when coalesce(cards.illustrative, false)
                        and coalesce(cards.card, '') not ilike '%illustrative%'
                        then ' (illustrative)'
                    else ''
                end,
            cards.loaded_at
        ) as rate_card
    from in_force
    join cards using (market, category, effective_from)
    group by all
),

utility_rates as (
    select * from rates where category = 'utility' and tier_from = 0
),

service_message_rates as (
    -- category service_message: the card's Service rate where the card in force gives one,
    -- else the utility rate
    select
        utility_rates.market,
        'service_message' as category,
        utility_rates.send_date,
        case when service.rate is not null then service.effective_from
            else utility_rates.effective_from end as effective_from,
        0::bigint as tier_from,
        case when service.rate is not null then service.rate else utility_rates.rate end as rate,
        utility_rates.currency,
        utility_rates.rate_card
    from utility_rates
    left join rates as service
        on service.market = utility_rates.market
        and service.category = 'service'
        and service.tier_from = 0
        and service.send_date = utility_rates.send_date
        and service.effective_from >= utility_rates.effective_from
),

final as (
    -- effective_from: the first day of the card that gives the rate (rate_card_freshness)
    select * from rates
    union all by name
    select * from service_message_rates
)

select * from final
