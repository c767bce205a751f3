-- Violations per period and category (the template category, or 'service').
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        case when kind = 'template' then template_category else 'service' end as category,
        violation
    from violations
),

by_day as (
    select
        day,
        category,
        count_if(violation = 'session_outside_window') as session_outside_window,
        count_if(violation = 'template_without_opt_in') as template_without_opt_in,
        count(*) as violations
    from source
    group by all
),

final as (
    select * exclude (period_kind)
    from day_and_month_periods('by_day', ['category'], $first_day)
)

select * from final order by period, violations desc, category
