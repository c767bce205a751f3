-- Per day and business number: messages the monthly free tier of the regime in force covered,
-- and those charged only because it was used up. Only days where a tier counted something.
select day, business_number, free_tier_messages, beyond_free_tier_messages
from daily_summary
where free_tier_messages > 0 or beyond_free_tier_messages > 0
order by day, business_number
