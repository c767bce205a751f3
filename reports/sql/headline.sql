-- Message, window, violation and billing counts per day, every day of the data: reports sum
-- them over any range (a month, the same days of the month before) and draw trends from them.
with source as (
    select * from daily_summary
),

final as (
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
        sum(not_delivered_messages) as not_delivered_messages,
        -- free here means delivered and free: a message that never arrived is counted apart
        sum(free_messages) - sum(not_delivered_messages) as free_messages,
        sum(chargeable_messages) as chargeable_messages,
        sum(cost_unknown_messages) as cost_unknown_messages,
        -- WhatsApp groups: what of the traffic is theirs
        sum(group_inbound_messages) as group_inbound_messages,
        sum(group_outbound_messages) as group_outbound_messages,
        sum(group_windows_opened) as group_windows_opened,
        sum(group_chargeable_deliveries) as group_chargeable_deliveries
    from source
    group by day
)

select * from final order by day
