-- Meta publishes the first tier twice: as the list rate in its rates file (open-ended there)
-- and as the first row of its volume-tiers file (with its end). Whichever file is loaded
-- first, the stored open-ended rate takes the end the other gives for the same rate, so the
-- warehouse is the same in either order. Run before merge_rate_cards.
update rate_cards
set tier_to = good.tier_to
from (
    select distinct on (effective_from, market, category, tier_from, currency)
        effective_from, market, category, currency, rate, tier_from, tier_to
    from parsed_rates
    where reason is null and tier_to is not null
    order by effective_from, market, category, tier_from, currency, line
) as good
where rate_cards.tier_to is null
    and rate_cards.effective_from = good.effective_from
    and rate_cards.market = good.market
    and rate_cards.category = good.category
    and rate_cards.tier_from = good.tier_from
    and rate_cards.currency = good.currency
    and rate_cards.rate = good.rate
