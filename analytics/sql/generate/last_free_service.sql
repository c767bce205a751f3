-- per_message_2026_10's monthly free tier of service messages, for Meta's stand-in in the
-- status webhooks: each business number's delivered service messages of a month (business time
-- zone), outside free entry points, the first N free. One MAP from '<number> <YYYY-MM>' to the
-- tier's last member (sent_at, id), found by a top-N aggregate as the rebuild does; empty when
-- the tier is 0.
with members as (
    select
        concat(
            business_number, ' ',
            strftime(timezone(getvariable('generator_business_time_zone'), sent_at), '%Y-%m')
        ) as number_month,
        sent_at,
        message_id
    from generated_messages
    where direction = 'outbound'
        and type <> 'template'
        and coalesce(status, 'delivered') in ('delivered', 'read')
        and episode_referral_source is null
        and sent_at >= getvariable('generator_utility_in_window_charged_from')
        and getvariable('generator_free_service_messages_per_month') > 0
),

last_free as (
    select
        number_month,
        list_max(min(
            {'sent_at': sent_at, 'id': message_id},
            greatest(getvariable('generator_free_service_messages_per_month'), 1)
        )) as last_free
    from members
    group by number_month
)

select coalesce(map(list(number_month), list(last_free)), map()) from last_free
