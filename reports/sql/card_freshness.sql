-- Per month, currency and rate card that priced messages under the regime in force: from when
-- Meta may have published a newer card (rate_card_freshness; null when none can be newer).
select month, currency, rate_card, card_effective_from, priced_messages, newer_card_possible_from
from rate_card_freshness
order by month, currency, rate_card
