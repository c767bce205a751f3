-- Per day (in the business time zone) and business number: traffic, windows, compliance flags,
-- free versus chargeable messages and estimated cost. Days with only inbound traffic are kept.
with parameters as (
    select business_time_zone from rebuild_parameters
),

inbound_by_day as (
    select
        timezone(parameters.business_time_zone, inbound.sent_at)::date as day,
        inbound.business_number,
        count(*) as inbound_messages,
        count_if(inbound.in_group) as group_inbound_messages
    from int_inbound_events as inbound
    cross join parameters
    group by all
),

windows_by_day as (
    select
        timezone(parameters.business_time_zone, care_windows.opened_at)::date as day,
        care_windows.business_number,
        count(*) as windows_opened,
        count_if(care_windows.group_id is not null) as group_windows_opened
    from care_windows
    cross join parameters
    group by all
),

outbound_by_day as (
    select
        timezone(parameters.business_time_zone, facts.sent_at)::date as day,
        facts.business_number,
        count(*) as outbound_messages,
        count_if(facts.in_window) as in_window,
        count_if(not facts.in_window) as outside_window,
        count_if(facts.violation = 'session_outside_window') as session_outside_window,
        count_if(facts.violation = 'template_without_opt_in') as template_without_opt_in,
        count_if(facts.marketing_opt_out_warning) as marketing_opt_out_warnings,
        count_if(facts.status = 'failed') as failed_messages,
        -- failed, or sent and never reported delivered: free, but not a message that arrived
        count_if(facts.status not in ('delivered', 'read')) as not_delivered_messages,
        count_if(facts.billable) as chargeable_messages,
        -- a provider's outbound message of unknown kind: priced as a service message, counted
        count_if(facts.kind = 'unknown') as unknown_kind_messages,
        -- groups: messages to groups, the deliveries Meta charges for, and their known cost
        count_if(facts.group_id is not null) as group_outbound_messages,
        sum(facts.chargeable_deliveries) filter (where facts.group_id is not null)
            as group_chargeable_deliveries,
        sum(facts.estimated_cost) filter (where facts.group_id is not null)
            as group_estimated_cost,
        -- the monthly free tier of the regime in force: used, and charged because used up
        count_if(facts.billing_reason = 'free_tier') as free_tier_messages,
        count_if(facts.billing_reason = 'beyond_free_tier') as beyond_free_tier_messages,
        -- unknown is null: a day whose chargeable messages all lack a rate costs null, not the
        -- 0 its free messages add up to
        case when count_if(facts.billable) > 0
                and count_if(facts.billable and facts.estimated_cost is not null) = 0
            then null else sum(facts.estimated_cost) end as estimated_cost,
        -- chargeable but no rate for its market: shown, never silently zero
        count_if(facts.billable and facts.estimated_cost is null) as cost_unknown_messages,
        any_value(facts.currency) as currency
    from message_facts as facts
    cross join parameters
    group by all
),

days as (
    select day, business_number from inbound_by_day
    union
    select day, business_number from windows_by_day
    union
    select day, business_number from outbound_by_day
),

final as (
    select
        days.day,
        days.business_number,
        coalesce(inbound_by_day.inbound_messages, 0) as inbound_messages,
        coalesce(outbound_by_day.outbound_messages, 0) as outbound_messages,
        coalesce(windows_by_day.windows_opened, 0) as windows_opened,
        coalesce(outbound_by_day.in_window, 0) as in_window,
        coalesce(outbound_by_day.outside_window, 0) as outside_window,
        coalesce(outbound_by_day.session_outside_window, 0) as session_outside_window,
        coalesce(outbound_by_day.template_without_opt_in, 0) as template_without_opt_in,
        coalesce(outbound_by_day.marketing_opt_out_warnings, 0) as marketing_opt_out_warnings,
        coalesce(outbound_by_day.failed_messages, 0) as failed_messages,
        coalesce(outbound_by_day.not_delivered_messages, 0) as not_delivered_messages,
        coalesce(outbound_by_day.outbound_messages, 0)
            - coalesce(outbound_by_day.chargeable_messages, 0) as free_messages,
        coalesce(outbound_by_day.chargeable_messages, 0) as chargeable_messages,
        coalesce(outbound_by_day.free_tier_messages, 0) as free_tier_messages,
        coalesce(outbound_by_day.beyond_free_tier_messages, 0) as beyond_free_tier_messages,
        outbound_by_day.estimated_cost,
        coalesce(outbound_by_day.cost_unknown_messages, 0) as cost_unknown_messages,
        outbound_by_day.currency,
        coalesce(outbound_by_day.unknown_kind_messages, 0) as unknown_kind_messages,
        coalesce(inbound_by_day.group_inbound_messages, 0) as group_inbound_messages,
        coalesce(outbound_by_day.group_outbound_messages, 0) as group_outbound_messages,
        coalesce(windows_by_day.group_windows_opened, 0) as group_windows_opened,
        coalesce(outbound_by_day.group_chargeable_deliveries, 0) as group_chargeable_deliveries,
        outbound_by_day.group_estimated_cost
    from days
    left join inbound_by_day using (day, business_number)
    left join windows_by_day using (day, business_number)
    left join outbound_by_day using (day, business_number)
)

select * from final
