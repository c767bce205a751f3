-- The synthetic opt-in ledger for the customers that appear in the message log:
-- most opt in when they first make contact, some stop marketing later and a few resume it.
with customers_in_log as (
    select
        customers.*,
        business_numbers.business_number as home_number,
        episodes.start_seconds as first_contact_seconds,
        getvariable('generator_seed') as seed,
        getvariable('generator_period_start') as period_start
    from customers
    inner join episodes
        on customers.customer_id = episodes.customer_id and episodes.slot = 0
    inner join business_numbers
        on customers.home_number_index = business_numbers.number_index
    where episodes.row_offset < getvariable('generator_messages')
),

opt_ins as (
    select
        customer_id,
        contact,
        -- collected on the way in, minutes before the first message
        greatest(
            first_contact_seconds - unit_hash(seed, customer_id, 'opt_in_lead') * 1800, 0
        ) as event_seconds,
        'opt_in' as event,
        'all' as scope,
        if(opt_in_for_home_number_only, home_number, null) as business_number,
        ['website_form', 'checkout', 'whatsapp_keyword', 'qr_code', 'in_store'][
            1 + floor(unit_hash(seed, customer_id, 'opt_in_source') * 5)::integer
        ] as source,
        period_start
    from customers_in_log
    where opted_in
),

marketing_opt_outs as (
    select
        customer_id,
        contact,
        -- half a day before the next slot starts: after one episode, before the next
        arrival_seconds + (opt_out_after_slot + 1) * slot_seconds - 43200 as event_seconds,
        'opt_out' as event,
        'marketing' as scope,
        if(opt_out_for_home_number_only, home_number, null) as business_number,
        if(unit_hash(seed, customer_id, 'opt_out_source') < 0.6,
            'user_preferences', 'reply_stop') as source,
        period_start
    from customers_in_log
    where marketing_opt_out
),

marketing_re_opt_ins as (
    select
        customer_id,
        contact,
        arrival_seconds + (re_opt_in_after_slot + 1) * slot_seconds - 43200 as event_seconds,
        'opt_in' as event,
        'marketing' as scope,
        if(opt_out_for_home_number_only, home_number, null) as business_number,
        'user_preferences' as source,
        period_start
    from customers_in_log
    where marketing_re_opt_in
),

events as (
    select * from opt_ins
    union all
    select * from marketing_opt_outs
    union all
    select * from marketing_re_opt_ins
),

final as (
    select
        contact,
        strftime(
            period_start + to_seconds(floor(greatest(event_seconds, 0))::bigint),
            '%Y-%m-%dT%H:%M:%SZ'
        ) as "timestamp",
        event,
        scope,
        business_number,
        source
    from events
    order by customer_id, event_seconds, event desc
)

select * from final
