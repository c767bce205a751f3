-- Table macro: the latest row_limit listed rows per day (from first_day on) and per month.
-- The query named by listed_rows returns `sent_at` and `listed`, a struct of the columns to show
-- (sent_at among them). max_by(..., n) keeps a top-n per group, so no sort of every row is
-- needed, and the local send time is formatted for the kept rows only.
create or replace temp macro latest_per_period(listed_rows, time_zone, first_day, row_limit)
as table
with source as (
    select timezone(time_zone, sent_at)::date as day, sent_at, listed
    from query_table(listed_rows)
),

latest_by_day as (
    select strftime(day, '%Y-%m-%d') as period, max_by(listed, sent_at, row_limit) as latest
    from source
    where day >= first_day
    group by day
),

latest_by_month as (
    select
        strftime(date_trunc('month', day), '%Y-%m') as period,
        max_by(listed, sent_at, row_limit) as latest
    from source
    group by all
),

listed_rows_per_period as (
    select period, unnest(latest, recursive := true)
    from (select * from latest_by_day union all select * from latest_by_month)
),

final as (
    select
        period,
        strftime(timezone(time_zone, sent_at), '%Y-%m-%d %H:%M') as sent_local,
        * exclude (period)
    from listed_rows_per_period
)

select * from final
