-- Status webhook bodies (WhatsApp Cloud API) for a fixed sample of outbound messages: one body
-- per status (sent, delivered, read, or failed), with Meta's pricing verdict on the messages that
-- were delivered. The verdict follows Meta's rules of each era (docs/rules.md, Pricing regimes),
-- the monthly free tier of service messages of per_message_2026_10 included; a share of verdicts
-- (generator_meta_disagreement_share, one in a hundred by default) disagrees on purpose, as real
-- data now and then does: those are the only disagreements the demo shows.
with sampled as (
    select
        generated.*,
        generated.sent_at < getvariable('generator_per_message_pricing_from')
            as conversation_era,
        coalesce(generated.status, 'delivered') as final_status,
        -- Meta counts both click-to-WhatsApp ads and Facebook Page buttons as free entry points.
        generated.episode_referral_source is not null as free_entry_point,
        -- A message's status is a function of its row, so the status of the template that
        -- opened a business-initiated episode (its first row) can be drawn again here
        -- (u_status < 0.93: read, delivered or no status, see generated_messages.sql).
        generated.kind = 'business'
            and unit_hash(generated.seed, generated.row_index - generated.position, 'status')
                < 0.93 as opening_template_delivered,
        unit_hash(generated.seed, generated.row_index, 'meta_disagrees')
            < getvariable('generator_meta_disagreement_share') as meta_disagrees,
        generated.sent_at < getvariable('generator_service_conversations_free_from')
            as service_charged,
        -- per_message_2026_10: within the number's monthly free tier of service messages (a
        -- map lookup, generate/last_free_service.sql: a join would cost the rows their order)
        coalesce(
            {'sent_at': generated.sent_at, 'id': generated.message_id}
                <= getvariable('generator_last_free_service')[concat(
                    generated.business_number, ' ', strftime(timezone(
                        getvariable('generator_business_time_zone'), generated.sent_at
                    ), '%Y-%m')
                )],
            false
        ) as in_service_free_tier
    from generated_messages as generated
    where generated.has_webhook
),

conversation_pricing as (
    select
        *,
        -- conversation_2023: a template opens a conversation of its category; a reply belongs
        -- to the conversation the business's delivered template opened, or else to a service
        -- conversation; the answer to an ad or page button opens a free referral conversation.
        case
            when free_entry_point then 'referral_conversion'
            when type = 'template' then true_category
            when opening_template_delivered then episode_category
            else 'service'
        end as conversation_category,
        -- Meta marks every message of a conversation billable when the conversation is (even in
        -- the monthly free tier); free are referral conversations and, from 2024-11-01,
        -- service conversations.
        case
            when free_entry_point then false
            when type <> 'template' and not opening_template_delivered then service_charged
            else true
        end as conversation_billable,
        -- per_message_2025; from 2026-10-01 (per_message_2026_10) utility templates are charged
        -- inside the window too, and service messages beyond each number's monthly free tier
        case
            when free_entry_point then 'free_entry_point'
            when type = 'template' and (
                true_category <> 'utility'
                or not in_window
                or sent_at >= getvariable('generator_utility_in_window_charged_from')
            )
                then 'regular'
            when type <> 'template'
                and sent_at >= getvariable('generator_utility_in_window_charged_from')
                and not in_service_free_tier
                then 'regular'
            else 'free_customer_service'
        end as message_pricing_type
    from sampled
),

verdicts as (
    select
        *,
        md5(printf('%d:%d:%s', seed, episode_key, conversation_category)) as conversation_id,
        if(conversation_era, conversation_billable, message_pricing_type = 'regular')
            <> meta_disagrees as meta_billable,
        case
            when final_status = 'read' then ['sent', 'delivered', 'read']
            when final_status = 'delivered' then ['sent', 'delivered']
            else [final_status]
        end as status_names
    from conversation_pricing
),

statuses as (
    select
        *,
        unnest(range(len(status_names))) as status_step
    from verdicts
),

status_objects as (
    select
        *,
        status_names[status_step + 1] as status_name,
        -- how Meta names a username customer (macro customer_names)
        customer_names(seed, contact, sent_at) as names,
        (
            epoch(sent_at)::bigint + 1 + floor(unit_hash(seed, row_index, 'sent_delay') * 4)
            + if(status_step >= 1,
                1 + floor(unit_hash(seed, row_index, 'delivered_delay') * 30), 0)
            + if(status_step >= 2,
                5 + floor(unit_hash(seed, row_index, 'read_delay') * 7200), 0)
        )::bigint::varchar as status_timestamp,
        'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/'
            as error_codes_page
    from statuses
),

bodies as (
    -- JSON text built by concatenation, many times faster than serialising nested structs. It
    -- is safe because every value is generated here: digits, hex, base64 and fixed words, none
    -- of which needs escaping.
    select
        row_index,
        status_step,
        waba_id,
        business_number,
        phone_number_id,
        concat(
            '{"id":"', message_id,
            '","status":"', status_name,
            '","timestamp":"', status_timestamp,
            -- a message sent to the BSUID alone keeps the phone number back; a failed
            -- status of a message sent to a phone number carries no BSUID
            case
                when names.contact = names.user_id
                    then concat('","recipient_user_id":"', names.user_id, '"')
                when names.user_id is not null and status_name <> 'failed' then concat(
                    '","recipient_id":"', contact, '","recipient_user_id":"', names.user_id, '"'
                )
                else concat('","recipient_id":"', contact, '"')
            end,
            case
                when status_name = 'failed' and is_late_reply then concat(
                    ',"errors":[{"code":131047,"title":"Re-engagement message",',
                    '"message":"Re-engagement message","error_data":{"details":"Message failed ',
                    'to send because more than 24 hours have passed since the customer last ',
                    'replied to this number."},"href":"', error_codes_page, '"}]'
                )
                when status_name = 'failed' then concat(
                    ',"errors":[{"code":131026,"title":"Message undeliverable",',
                    '"message":"Message undeliverable","error_data":{"details":"Message ',
                    'failed to send because the recipient could not be reached."},"href":"',
                    error_codes_page, '"}]'
                )
                -- never delivered: nothing to price
                when final_status = 'sent' then ''
                when conversation_era then concat(
                    ',"conversation":{"id":"', conversation_id,
                    '","origin":{"type":"', conversation_category, '"}}',
                    ',"pricing":{"billable":', meta_billable::varchar,
                    ',"pricing_model":"CBP","category":"', conversation_category, '"}'
                )
                else concat(
                    ',"pricing":{"billable":', meta_billable::varchar,
                    ',"pricing_model":"PMP","category":"', coalesce(true_category, 'service'),
                    '","type":"', if(meta_disagrees,
                        if(meta_billable, 'regular', 'free_customer_service'),
                        message_pricing_type), '"}'
                )
            end,
            '}'
        ) as status_object
    from status_objects
),

final as (
    -- The envelope is fixed text around three digit strings: concatenating it costs a fraction
    -- of building nested structs and serialising them.
    select
        concat(
            '{"object":"whatsapp_business_account","entry":[{"id":"', waba_id,
            '","changes":[{"value":{"messaging_product":"whatsapp","metadata":',
            '{"display_phone_number":"', business_number,
            '","phone_number_id":"', phone_number_id,
            '"},"statuses":[', status_object, ']},"field":"messages"}]}]}'
        ) as body
    from bodies
)

select * from final
