-- Store the file's good rates that are not stored yet; a rate for the same date, market,
-- category, tier and currency that is already stored is a duplicate and keeps its value
-- (merge_rate_card_tier_ends.sql first lets it say where a stored open-ended tier ends).
insert into rate_cards by name
with good as (
    select distinct on (effective_from, market, category, tier_from, currency)
        effective_from, market, category, currency, rate, tier_from, tier_to, card, illustrative
    from parsed_rates
    where reason is null
    order by effective_from, market, category, tier_from, currency, line
)

select
    g.*,
    $source_file as source_file,
    $loaded_at::timestamptz as loaded_at
from good as g
anti join rate_cards as r
    on r.effective_from = g.effective_from and r.market = g.market
    and r.category = g.category and r.tier_from = g.tier_from and r.currency = g.currency
