-- Message, window, violation and billing counts per period, every day included.
-- Every day, not only recent ones: monthly reports draw a day-by-day trend from the day rows.
with source as (
    select * from daily_summary
),

by_day as (
    select
        day,
        sum(inbound_messages) as inbound_messages,
        sum(outbound_messages) as outbound_messages,
        sum(windows_opened) as windows_opened,
        sum(in_window) as in_window,
        sum(outside_window) as outside_window,
        sum(session_outside_window) as session_outside_window,
        sum(template_without_opt_in) as template_without_opt_in,
        sum(marketing_opt_out_warnings) as marketing_opt_out_warnings,
        sum(failed_messages) as failed_messages,
        sum(free_messages) as free_messages,
        sum(chargeable_messages) as chargeable_messages,
        sum(cost_unknown_messages) as cost_unknown_messages
    from source
    group by day
),

final as (
    select * from day_and_month_periods('by_day', [], date '-infinity')
)

select * from final order by period
