-- Violations and opt-out warnings per period and business number, for numbers that have any.
with source as (
    select * from daily_summary
),

by_day as (
    select
        day,
        business_number,
        sum(outbound_messages) as outbound_messages,
        sum(session_outside_window) as session_outside_window,
        sum(template_without_opt_in) as template_without_opt_in,
        sum(marketing_opt_out_warnings) as marketing_opt_out_warnings
    from source
    group by all
),

periods as (
    select * from day_and_month_periods('by_day', ['business_number'], $first_day)
),

final as (
    select
        period,
        business_number,
        outbound_messages,
        session_outside_window,
        template_without_opt_in,
        session_outside_window + template_without_opt_in as violations,
        marketing_opt_out_warnings
    from periods
    where session_outside_window + template_without_opt_in + marketing_opt_out_warnings > 0
)

select * from final
order by period, violations desc, marketing_opt_out_warnings desc, business_number
