-- The first and last day the data covers (business time zone): a period beyond either end is
-- only partly covered, and its report says so.
select min(day) as first_day, max(day) as last_day from daily_summary
