-- The latest days that have any traffic, newest first.
with days as (
    select day from daily_summary group by day
)

select day from days order by day desc limit $day_count
