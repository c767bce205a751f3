-- Table macro: day rows (from first_day on) and month totals (every month) of a day-level query.
-- The query named by day_rows returns a `day` column, the columns listed in `dimensions`, and
-- additive measures. Months add up those day rows, never messages, so what the rollup reads
-- grows with days and categories only; a dimension left out of the list fails loudly (sum of text).
create or replace temp macro day_and_month_periods(day_rows, dimensions, first_day) as table
with days as (
    select * from query_table(day_rows)
),

days_in_months as (
    select date_trunc('month', day)::date as month, * exclude (day)
    from days
),

months as (
    select
        columns(lambda c: c = 'month' or list_contains(dimensions, c)),
        sum(columns(lambda c: c <> 'month' and not list_contains(dimensions, c)))
    from days_in_months
    group by all
),

final as (
    select 'day' as period_kind, strftime(day, '%Y-%m-%d') as period, * exclude (day)
    from days
    where day >= first_day
    union all by name
    select 'month' as period_kind, strftime(month, '%Y-%m') as period, * exclude (month)
    from months
)

select * from final
