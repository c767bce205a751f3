-- Per month (business time zone), currency and rate card that priced messages under the regime
-- in force: how many it priced, the first day of the card, and from when Meta may have replaced
-- it. Meta changes rates only on the first day of a quarter, so a card effective before the
-- latest quarter start on or before the month's last day may be out of date for that month:
-- newer_card_possible_from is the first quarter start after the card's first day that falls
-- in or before the month (null when the month ends before it). Read from daily_costs (a few
-- rows per day) and the cards in force of int_pricing_rates.
with priced as (
    select
        date_trunc('month', day)::date as month,
        day,
        market,
        currency,
        rate_card,
        chargeable_messages - cost_unknown_messages as priced_messages
    from daily_costs
    where in_force and rate_card is not null
),

card_days as (
    -- the first day of the card that priced each market's messages on each day
    select market, send_date as day, rate_card, max(effective_from) as card_effective_from
    from int_pricing_rates
    group by all
),

months as (
    select
        priced.month,
        priced.currency,
        priced.rate_card,
        max(card_days.card_effective_from) as card_effective_from,
        sum(priced.priced_messages)::bigint as priced_messages
    from priced
    left join card_days using (market, day, rate_card)
    group by all
),

final as (
    select
        month,
        currency,
        rate_card,
        card_effective_from,
        priced_messages,
        case
            when date_trunc('quarter', card_effective_from) + interval 3 month
                <= last_day(month)
                then (date_trunc('quarter', card_effective_from) + interval 3 month)::date
        end as newer_card_possible_from
    from months
)

select * from final
