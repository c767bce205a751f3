-- Template messages sent without a known category, per period and template.
with source as (
    select timezone($time_zone, sent_at)::date as day, template_name
    from message_facts
    where category_missing
),

by_day as (
    select day, template_name, count(*) as messages
    from source
    group by all
),

final as (
    select period, template_name, messages
    from day_and_month_periods('by_day', ['template_name'], $first_day)
)

select * from final order by period, messages desc, template_name
