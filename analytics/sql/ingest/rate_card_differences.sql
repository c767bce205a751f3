-- Good rates of the file that repeat a stored rate's date, market, category, tier and currency
-- with another rate (counted in the load's detail: the stored rate is kept).
select count(*)
from parsed_rates as p
semi join rate_cards as r
    on r.effective_from = p.effective_from and r.market = p.market
    and r.category = p.category and r.tier_from = p.tier_from and r.currency = p.currency
    and r.rate <> p.rate
where p.reason is null
