-- The rate card in force for every market, category and send date that occurs: the rows of
-- the latest effective_from on or before the date in the billing currency (business.currency),
-- one per volume tier. Small (markets x categories x days), so pricing each message is a hash
-- join rather than a search per message.
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

final as (
    -- a rate loaded twice (or twice differently: see checks/pricing_rate_cards_unambiguous)
    -- must not price a message twice; the row loaded last wins
    select
        in_force.market,
        in_force.category,
        in_force.send_date,
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
)

select * from final
