-- Per day (in the business time zone), business number, market, priced category, regime,
-- currency and rate card: outbound messages, chargeable messages and estimated cost. One set
-- of rows per regime of the registry; in_force marks the regime in force on that day, so the
-- estimate is `where in_force` and the what-if comparison is `group by regime`. Reports read
-- these few rows instead of every message, so rendering time does not grow with the messages.
-- `currency` and `rate_card` are null for free messages.
with billing as (
    select * from int_billing
),

final as (
    select
        send_date as day,
        business_number,
        market,
        priced_category,
        regime,
        in_force,
        currency,
        rate_card,
        count(*) as outbound_messages,
        count_if(billable) as chargeable_messages,
        sum(estimated_cost) as estimated_cost,
        count_if(not cost_known) as cost_unknown_messages
    from billing
    group by all
)

select * from final
