-- The rate card in force for every market, category and send date that occurs: the rows of
-- the latest effective_from on or before the date, one per volume tier. Small (markets x
-- categories x days), so pricing each message is a hash join rather than a search per message.
with days as (
    select distinct market, send_date
    from int_pricing_messages
    where market is not null
),

categories as (
    select distinct category
    from rate_cards
),

card_versions as (
    select distinct market, category, effective_from
    from rate_cards
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
        rate_cards.tier_from,
        arg_max(rate_cards.rate, rate_cards.loaded_at)::decimal(18, 6) as rate,
        arg_max(rate_cards.currency, rate_cards.loaded_at) as currency
    from in_force
    join rate_cards using (market, category, effective_from)
    group by all
)

select * from final
