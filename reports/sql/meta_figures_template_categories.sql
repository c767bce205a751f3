-- Template sends whose log names another category than Meta's catalogue at send time, per
-- period (business time zone) and template.
with source as (
    select
        timezone($time_zone, sent_at)::date as day,
        template_name,
        log_category,
        meta_category
    from template_category_differences
),

by_day as (
    select day, template_name, log_category, meta_category, count(*) as messages
    from source
    group by all
),

final as (
    select period, template_name, log_category, meta_category, messages
    from day_and_month_periods(
        'by_day', ['template_name', 'log_category', 'meta_category'], $first_day
    )
)

select * from final order by period, messages desc, template_name
