-- One rate per currency, market, category, effective date and volume tier; otherwise the cost
-- is a guess. Cards in several currencies stand side by side (business.currency picks one).
select effective_from, currency, market, category, tier_from, count(*) as rates
from rate_cards
group by effective_from, currency, market, category, tier_from
having count(distinct rate) > 1
