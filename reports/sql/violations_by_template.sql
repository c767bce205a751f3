-- Violations per period, message kind and template.
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        kind,
        template_name,
        template_category,
        violation
    from violations
),

by_day as (
    select
        day,
        kind,
        template_name,
        template_category,
        count_if(violation = 'session_outside_window') as session_outside_window,
        count_if(violation = 'template_without_opt_in') as template_without_opt_in,
        count(*) as violations
    from source
    group by all
),

final as (
    select * exclude (period_kind)
    from day_and_month_periods(
        'by_day', ['kind', 'template_name', 'template_category'], $first_day
    )
)

-- kind and category break ties: one template can be sent both with and without a category.
select * from final
order by period, violations desc, template_name, kind, template_category nulls first
