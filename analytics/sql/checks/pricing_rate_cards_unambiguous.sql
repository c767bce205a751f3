-- One rate per market, category, effective date and volume tier; otherwise the cost is a guess.
select effective_from, market, category, tier_from, count(*) as rates
from rate_cards
group by effective_from, market, category, tier_from
having count(distinct (currency, rate)) > 1
