-- The customers behind most violations, per month (at most row_limit each); contacts are masked
-- in Python. Only the flagged messages are read.
with source as (
    select
        strftime(date_trunc('month', timezone($time_zone, sent_at)), '%Y-%m') as period,
        -- a group is named as one (reports/masking.py)
        case when group_id is not null then 'group:' || group_id else contact end as contact,
        violation
    from violations
),

by_customer as (
    select
        period,
        contact,
        count(*) as violations,
        count_if(violation = 'session_outside_window') as session_outside_window,
        count_if(violation = 'template_without_opt_in') as template_without_opt_in
    from source
    group by all
),

final as (
    select *
    from by_customer
    qualify row_number() over (partition by period order by violations desc, contact) <= 3
)

select * from final order by period, violations desc, contact
